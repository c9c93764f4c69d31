"""Pairs synthesized from annotated still images (the DaSiamRPN way of stretching detection
data into tracking pairs): the object is cut, scaled, turned, recoloured and pasted at a random
place onto another picture, with look-alike distractors.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from tracker.boxes import polygon_to_xywh, rotated_to_polygon
from tracker.crops import rotation_matrix
from tracker.data.layouts import image_names, read_object_annotations
from tracker.data.sources import ImageCache, Pair
from tracker.errors import InputError


def _coverage(lo: float, size: float, start: int, stop: int) -> np.ndarray:
    """Fraction of each pixel ``start..stop-1`` covered by the interval ``[lo, lo+size)``."""
    px = np.arange(start, stop, dtype=np.float64)
    return np.clip(np.minimum(px + 1, lo + size) - np.maximum(px, lo), 0.0, 1.0)


def _paste(canvas: np.ndarray, image: np.ndarray, box, center, scale: float, angle: float,
           gains: Optional[np.ndarray] = None, sigma: float = 0.0) -> None:
    """Paste the ``box`` region of ``image`` into ``canvas`` (uint8, in place), scaled by
    ``scale`` and turned ``angle`` degrees CCW about its centre, its centre at ``center``
    (continuous coordinates). Edges are anti-aliased by the exact pixel coverage of the box."""
    x, y, w, h = (float(v) for v in box)
    hi, wi = image.shape[:2]
    ix0, iy0 = max(int(np.floor(x)), 0), max(int(np.floor(y)), 0)
    ix1, iy1 = min(int(np.ceil(x + w)), wi), min(int(np.ceil(y + h)), hi)
    if ix1 <= ix0 or iy1 <= iy0:
        return
    sub = image[iy0:iy1, ix0:ix1].astype(np.float32)
    if sigma > 0:
        sub = cv2.GaussianBlur(sub, (0, 0), sigma)
    if gains is not None:
        sub *= gains.astype(np.float32)
    mask = np.outer(_coverage(y, h, iy0, iy1), _coverage(x, w, ix0, ix1)).astype(np.float32)

    poly = rotated_to_polygon([center[0], center[1], w * scale, h * scale, angle]).reshape(4, 2)
    hc, wc = canvas.shape[:2]
    lo = np.floor(poly.min(axis=0)).astype(int) - 1
    hi = np.ceil(poly.max(axis=0)).astype(int) + 1
    rx0, ry0, rx1, ry1 = max(lo[0], 0), max(lo[1], 0), min(hi[0], wc), min(hi[1], hc)
    if rx1 <= rx0 or ry1 <= ry0:
        return
    # continuous q = A (p - c_old) + center; OpenCV maps pixel indices (continuous - 0.5)
    a = scale * rotation_matrix(angle)
    c_old = np.array([x + w / 2.0, y + h / 2.0])
    t = a @ (np.array([ix0 + 0.5, iy0 + 0.5]) - c_old) + np.asarray(center) - 0.5 - [rx0, ry0]
    m = np.hstack([a, t[:, None]])
    size = (rx1 - rx0, ry1 - ry0)
    patch = cv2.warpAffine(sub, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask, m, size, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)[:, :, None]
    roi = canvas[ry0:ry1, rx0:rx1].astype(np.float32)
    roi = roi * (1.0 - alpha) + patch * alpha
    canvas[ry0:ry1, rx0:rx1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)


def _uniform_within(rng: np.random.Generator, length: float, size: float) -> float:
    """A centre uniform in the middle half of ``[0, length]``, narrowed so that an object of
    ``size`` stays inside where it fits."""
    lo = max(length / 4, min(size / 2, length / 2))
    hi = min(3 * length / 4, max(length - size / 2, length / 2))
    return float(rng.uniform(lo, max(lo, hi)))


def _background(image: np.ndarray, width: int, height: int, rng: np.random.Generator
                ) -> np.ndarray:
    """A random part of ``image``, scaled to cover ``width`` x ``height`` (uint8)."""
    hb, wb = image.shape[:2]
    s = max(width / wb, height / hb) * rng.uniform(1.0, 1.5)
    ox, oy = rng.uniform(0, wb * s - width), rng.uniform(0, hb * s - height)
    m = np.array([[s, 0.0, -ox], [0.0, s, -oy]])
    return cv2.warpAffine(image, m, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)


class ObjectSource:
    """Pairs synthesized from annotated still images (see :func:`read_object_annotations`).

    Objects with a side under ``min_size`` pixels are skipped; the rest are drawn uniformly. The
    template is the original image and box. The search image is a canvas (the size of the
    original image, enlarged up to ``work_size`` px so that it spans five times the object; when
    five times the object exceeds ``work_size``, template image and box are shrunk to fit, both
    images staying at one scale) filled with a random part of a random picture: a photo from
    ``photos_root`` if given, else another annotated image. The object's box region is pasted
    onto it at a random place in the middle half of the canvas, scaled by a
    log-uniform factor in ``[1/max_scale, max_scale]``, turned by a uniform angle in
    ``±max_rotation`` degrees (CCW), blurred with probability ``blur`` and recoloured by
    per-channel gains in ``1 ± recolor``. Up to ``distractors`` other objects, of a similar size,
    are pasted first, away from the target. The search box is the axis-aligned box of the turned
    box; ``angle`` is the turn.
    """

    def __init__(self, objects_root: str | Path, photos_root: str | Path | None = None,
                 max_rotation: float = 0.0, max_scale: float = 1.25, min_size: float = 12.0,
                 distractors: int = 2, blur: float = 0.2, recolor: float = 0.1,
                 work_size: int = 640) -> None:
        if not max_scale >= 1.0 or max_rotation < 0 or distractors < 0:
            raise InputError("objects: need max_scale >= 1, max_rotation >= 0, distractors >= 0")
        entries = read_object_annotations(objects_root)
        self.images = [p for p, _ in entries]
        self.boxes = [b for _, b in entries]
        objects = [(i, k) for i, b in enumerate(self.boxes) for k in range(len(b))
                   if np.isfinite(b[k]).all() and min(b[k, 2], b[k, 3]) >= min_size]
        if not objects:
            raise InputError(f"objects '{objects_root}': no object box of at least "
                             f"{min_size:g} pixels a side")
        self.objects = np.array(objects, dtype=np.int64)
        self.photos: list[str] = []
        if photos_root is not None:
            photos_root = Path(photos_root)
            if not photos_root.is_dir():
                raise InputError(f"photos folder '{photos_root}' not found")
            self.photos = [str(photos_root / f) for f in image_names(photos_root)]
            if not self.photos:
                raise InputError(f"photos folder '{photos_root}' holds no images")
        self.root = str(objects_root)
        self.max_rotation, self.max_scale = float(max_rotation), float(max_scale)
        self.distractors, self.blur, self.recolor = int(distractors), float(blur), float(recolor)
        self.work_size = int(work_size)
        self._cache = ImageCache(64)
        self._photo_cache = ImageCache(64)

    def __len__(self) -> int:
        return len(self.objects)

    def __repr__(self) -> str:
        return f"ObjectSource({self.root!r}, {len(self.objects)} objects)"

    def _look(self, rng: np.random.Generator) -> tuple[Optional[np.ndarray], float]:
        """Per-channel gains and blur sigma for one pasted object."""
        gains = rng.uniform(1 - self.recolor, 1 + self.recolor, 3) if self.recolor > 0 else None
        sigma = float(rng.uniform(0.5, 1.5)) if rng.random() < self.blur else 0.0
        return gains, sigma

    def sample(self, rng: np.random.Generator) -> Optional[Pair]:
        i, k = (int(v) for v in self.objects[int(rng.integers(len(self.objects)))])
        image = self._cache.get(self.images[i])
        if image is None:
            return None
        box = self.boxes[i][k]
        scale = float(np.exp(rng.uniform(-1, 1) * np.log(self.max_scale)))
        angle = float(rng.uniform(-self.max_rotation, self.max_rotation))
        side = float(np.max(polygon_to_xywh(rotated_to_polygon(
            [0, 0, box[2] * scale, box[3] * scale, angle]))[2:]))
        image, box = self._working_scale(image, box, 5.0 * side)
        ow, oh = polygon_to_xywh(rotated_to_polygon([0, 0, box[2] * scale, box[3] * scale,
                                                     angle]))[2:]
        h, w = image.shape[:2]
        width = int(np.ceil(max(w, min(5.0 * max(ow, oh), self.work_size))))
        height = int(np.ceil(max(h, min(5.0 * max(ow, oh), self.work_size))))
        bg = self._pick_background(rng, i)
        if bg is None:
            return None
        canvas = _background(bg, width, height, rng)
        # centre in the middle half of the canvas (the object kept inside where it fits), so
        # that the search crop around it mostly shows the new background
        center = np.array([_uniform_within(rng, width, ow), _uniform_within(rng, height, oh)])
        x_box = np.array([center[0] - ow / 2, center[1] - oh / 2, ow, oh])
        self._paste_distractors(canvas, rng, (i, k), x_box, math.sqrt(ow * oh))
        _paste(canvas, image, box, center, scale, angle, *self._look(rng))
        rotated = np.array([center[0], center[1], box[2] * scale, box[3] * scale, angle])
        return Pair(image, box.copy(), canvas, x_box, angle, rotated)

    def _working_scale(self, image: np.ndarray, box: np.ndarray, need: float
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Shrink the template image (and box) when the canvas would exceed ``work_size``:
        crops are resized to 127/255 pixels anyway, and both images stay at one scale, so the
        pair loses nothing but pasting and warping get much cheaper."""
        r = self.work_size / need
        if r >= 1.0:
            return image, box
        h, w = image.shape[:2]
        nw, nh = max(1, int(round(w * r))), max(1, int(round(h * r)))
        small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        # INTER_AREA maps continuous coordinates exactly by the size ratios
        sx, sy = nw / w, nh / h
        return small, box * np.array([sx, sy, sx, sy])

    def _pick_background(self, rng: np.random.Generator, i: int) -> Optional[np.ndarray]:
        if self.photos:
            return self._photo_cache.get(self.photos[int(rng.integers(len(self.photos)))])
        if len(self.images) == 1:
            return self._cache.get(self.images[0])
        j = int(rng.integers(len(self.images) - 1))  # any annotated image but the template's
        return self._cache.get(self.images[j + 1 if j >= i else j])

    def _paste_distractors(self, canvas: np.ndarray, rng: np.random.Generator,
                           target: tuple[int, int], x_box: np.ndarray, size: float) -> None:
        """Paste up to ``distractors`` other objects of about ``size`` (geometric mean side)
        where they do not touch ``x_box`` grown by 10 %."""
        height, width = canvas.shape[:2]
        keep_out = x_box + np.array([-0.1, -0.1, 0.2, 0.2]) * np.r_[x_box[2:], x_box[2:]]
        for _ in range(int(rng.integers(0, self.distractors + 1))):
            i, k = (int(v) for v in self.objects[int(rng.integers(len(self.objects)))])
            if (i, k) == target:
                continue
            box = self.boxes[i][k]
            scale = float(np.clip(size / math.sqrt(box[2] * box[3]) * rng.uniform(0.7, 1.3),
                                  0.25, 4.0))
            angle = float(rng.uniform(-self.max_rotation, self.max_rotation))
            dw, dh = polygon_to_xywh(rotated_to_polygon([0, 0, box[2] * scale, box[3] * scale,
                                                         angle]))[2:]
            for _ in range(5):
                c = rng.uniform(0, 1, 2) * [width, height]
                if (abs(c[0] - (keep_out[0] + keep_out[2] / 2)) >= (dw + keep_out[2]) / 2 or
                        abs(c[1] - (keep_out[1] + keep_out[3] / 2)) >= (dh + keep_out[3]) / 2):
                    image = self._cache.get(self.images[i])
                    if image is not None:
                        _paste(canvas, image, box, c, scale, angle, *self._look(rng))
                    break
