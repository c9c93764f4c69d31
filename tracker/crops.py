"""Image normalization and the square crops Siamese trackers feed their backbone.

Images inside eqtrack are RGB ``uint8`` numpy arrays ``[H, W, 3]``. Crops are taken with one
``cv2.warpAffine`` per crop (crop, pad and resize in a single interpolation) and padded with the
image's mean colour, as SiamFC does.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from PIL import Image


def as_rgb_array(image) -> np.ndarray:
    """Return ``image`` (PIL image, or numpy ``[H,W,3]`` RGB / ``[H,W]`` gray) as RGB uint8
    ``[H, W, 3]``. numpy inputs are taken to be RGB already."""
    if isinstance(image, Image.Image):
        if image.mode != "RGB":
            image = image.convert("RGB")
        return np.asarray(image)
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an RGB image [H, W, 3], got shape {a.shape}")
    if a.shape[2] == 4:
        a = a[:, :, :3]
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    return a


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """Per-channel mean of an RGB image (``cv2.mean`` is ~10x faster than ``np.mean`` here)."""
    m = cv2.mean(image)
    return (m[0], m[1], m[2])


def crop_square(image: np.ndarray, center, side: float, out_size: int,
                border_value=(0.0, 0.0, 0.0), angle: float = 0.0) -> np.ndarray:
    """Crop a square of ``side`` image pixels centred on ``center`` and resize it to
    ``out_size`` x ``out_size``.

    ``center`` is ``(cx, cy)`` in continuous image coordinates (see :mod:`tracker.boxes`);
    regions outside the image are filled with ``border_value``. With ``angle`` (degrees) the
    square is turned with the target: content rotated by ``angle`` counter-clockwise in the image
    appears upright in the crop, and a displacement ``d`` in the crop is ``R(angle) d`` in the
    image (:func:`crop_to_image`). Returns uint8 ``[S, S, 3]``.
    """
    return crop_rect(image, center, (side, side), (out_size, out_size), border_value, angle)


def crop_rect(image: np.ndarray, center, size, out_size, border_value=(0.0, 0.0, 0.0),
              angle: float = 0.0) -> np.ndarray:
    """:func:`crop_square` for a rectangle: ``size = (w, h)`` image pixels along the crop's own
    axes (turned by ``angle`` degrees with the target), resized to ``out_size = (W, H)``
    pixels. Returns uint8 ``[H, W, 3]``."""
    return crop_rects(image, center, [size], out_size, border_value, angle)[0]


def crop_rects(image: np.ndarray, center, sizes, out_size, border_value=(0.0, 0.0, 0.0),
               angle=0.0, antialias: bool = False) -> np.ndarray:
    """:func:`crop_rect` for ``K`` crops about one centre (the affine maps built at once):
    sizes ``[K, 2]`` and ``angle`` one value or ``[K]`` degrees (either may be given once for
    all ``K``): uint8 ``[K, H, W, 3]``.

    ``antialias``: a crop that shrinks the image (more than one image pixel per output pixel
    along an axis) is warped at an integer multiple ``m`` of the output size and averaged
    over ``m x m`` blocks, instead of sampled bilinearly; bilinear sampling skips pixels, and
    skips more the more it shrinks, so crops of one target at several sizes would otherwise
    differ in sharpness as well as in size. Where every crop shrinks the image at least
    ``2 f >= 4`` times along both axes, the region they cover is first averaged over ``f x f``
    blocks once, so a large target costs one pass over its pixels and ``K`` warps of a bounded
    size, not ``K`` warps of all its pixels; below that the result is the one-stage one."""
    sizes = np.maximum(np.asarray(sizes, dtype=np.float64).reshape(-1, 2), 1e-6)
    angles = np.asarray(angle, dtype=np.float64).reshape(-1)
    k_num = max(len(sizes), len(angles))
    sizes = np.broadcast_to(sizes, (k_num, 2))
    angles = np.broadcast_to(angles, (k_num,))
    out_w, out_h = int(out_size[0]), int(out_size[1])
    out = np.empty((k_num, out_h, out_w, 3), dtype=np.uint8)
    mults = np.ones(k_num, int)
    if antialias:
        axis_shrink = sizes / np.array([out_w, out_h], dtype=np.float64)[None, :]
        shrink = axis_shrink.max(axis=1)
        # the axis that shrinks least bounds the block (a larger one would blur it), and half
        # of it leaves the warps below at least a 2x multiple: two box filters in a row are
        # blurrier than one, and the less of it the first one does, the closer the result
        f = int(np.floor(axis_shrink.min() / 2 + 1e-9))
        if f >= 2:
            # every crop's axis-aligned half-extent, plus one block for bilinear sampling
            # between block centres
            c, s = np.abs(np.cos(np.deg2rad(angles))), np.abs(np.sin(np.deg2rad(angles)))
            reach = (0.5 * float((c * sizes[:, 0] + s * sizes[:, 1]).max()) + f,
                     0.5 * float((s * sizes[:, 0] + c * sizes[:, 1]).max()) + f)
            image, center = _block_mean_region(image, center, reach, f, border_value)
            sizes, shrink = sizes / f, shrink / f
        mults = np.maximum(np.ceil(shrink - 1e-9), 1).astype(int)
    # the affine maps of all crops at once (a Python loop of small NumPy calls per crop costs
    # more than the warps of the scale filter's 33 small samples)
    warp_sizes = np.array([out_w, out_h])[None, :] * mults[:, None]
    maps = _affine_maps(center, sizes, angles, warp_sizes)
    for m in np.unique(mults).tolist():
        ks = np.flatnonzero(mults == m)
        if m == 1:
            for k in ks:
                _warp(image, maps[k], (out_w, out_h), border_value, out[k])
            continue
        # the crops of one multiple are warped into one stack and averaged by one resize:
        # area averaging by an integer factor never mixes rows of neighbouring crops, so
        # this is the per-crop result exactly, without a call per crop
        big = np.empty((len(ks), out_h * m, out_w * m, 3), dtype=np.uint8)
        for i, k in enumerate(ks):
            _warp(image, maps[k], (out_w * m, out_h * m), border_value, big[i])
        small = cv2.resize(big.reshape(len(ks) * out_h * m, out_w * m, 3),
                           (out_w, len(ks) * out_h), interpolation=cv2.INTER_AREA)
        out[ks] = small.reshape(len(ks), out_h, out_w, 3)
    return out


def _block_mean_region(image: np.ndarray, center, reach, f: int, border_value):
    """The rectangle of ``image`` within ``reach = (rx, ry)`` pixels of ``center`` (outside the
    image: ``border_value``), averaged over ``f x f`` blocks of pixels: ``(region, center')``,
    with ``center'`` the centre in the region's continuous coordinates (one unit per block)."""
    x0, y0 = int(np.floor(center[0] - reach[0])), int(np.floor(center[1] - reach[1]))
    nx, ny = (int(np.ceil(2.0 * r / f)) + 1 for r in reach)  # blocks along each axis
    block = _padded_block(image, x0, y0, nx * f, ny * f, border_value)
    region = cv2.resize(block, (nx, ny), interpolation=cv2.INTER_AREA)
    return region, ((float(center[0]) - x0) / f, (float(center[1]) - y0) / f)


def area_square(image: np.ndarray, center, half: float, factor: float, border_value):
    """The square of ``image`` within ``half`` pixels of ``center`` (outside the image:
    ``border_value``), area-averaged by ``factor`` or a little more (``factor`` >= 1, any real;
    the region's side is rounded down, so ``scale >= factor``): ``(region, center', scale)``,
    uint8 ``[n, n, 3]``, with ``scale`` the exact side ratio used (image pixels per region
    pixel) and ``center'`` the centre in the region's continuous coordinates. Crops of the
    region with sizes divided by ``scale`` are crops of the image after one area averaging, at
    any angle, since the square shrinks both axes alike; a crop that shrinks the image by at
    most ``m * factor`` shrinks the region by at most ``m``."""
    x0, y0 = int(np.floor(center[0] - half)), int(np.floor(center[1] - half))
    side = int(np.ceil(2.0 * half)) + 1
    # rounded down: rounded to nearest, about half of the sides averaged a little less than
    # asked, and the turn samples' own warps then ran at 3x instead of 2x (twice the pixels)
    n = max(1, int(np.floor(side / max(float(factor), 1.0))))
    block = _padded_block(image, x0, y0, side, side, border_value)
    region = cv2.resize(block, (n, n), interpolation=cv2.INTER_AREA)
    scale = side / n
    return region, ((float(center[0]) - x0) / scale, (float(center[1]) - y0) / scale), scale


def _padded_block(image: np.ndarray, x0: int, y0: int, w: int, h: int, border_value):
    """``image[y0:y0 + h, x0:x0 + w]``, with ``border_value`` where it reaches past the image
    (a view, no copy, when it lies inside)."""
    ih, iw = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + w <= iw and y0 + h <= ih:
        return image[y0:y0 + h, x0:x0 + w]
    block = np.empty((h, w, 3), dtype=np.uint8)
    block[:] = np.clip(np.round(np.asarray(border_value, dtype=np.float64)), 0, 255)
    ix0, iy0 = max(x0, 0), max(y0, 0)
    ix1, iy1 = min(x0 + w, iw), min(y0 + h, ih)
    if ix1 > ix0 and iy1 > iy0:
        block[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = image[iy0:iy1, ix0:ix1]
    return block


def _affine_maps(center, sizes, angles, out_sizes) -> np.ndarray:
    """``[K, 2, 3]`` maps of crops of ``sizes`` ``[K, 2]`` (w, h) image pixels about
    ``center``, turned by ``angles`` ``[K]``, onto outputs of ``out_sizes`` ``[K, 2]`` (w, h)."""
    # warpAffine maps pixel centres, which sit at integer + 0.5 in our continuous coordinates
    c = np.array([float(center[0]) - 0.5, float(center[1]) - 0.5])
    c_out = (out_sizes - 1) / 2.0
    r = rotation_matrix(-angles)
    # row i of the map scaled by output pixels per image pixel along the crop's axis i
    a = (out_sizes / sizes)[:, :, None] * r
    return np.concatenate([a, (c_out - a @ c)[:, :, None]], axis=2)


def _warp(image: np.ndarray, affine: np.ndarray, out_size, border_value,
          dst: np.ndarray | None = None) -> np.ndarray:
    """``image`` warped bilinearly by ``affine`` ``[2, 3]`` to ``out_size`` (w, h), into ``dst``
    when given: uint8 ``[h, w, 3]``."""
    return cv2.warpAffine(image, affine, out_size, dst=dst, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)


def rotation_matrix(angle) -> np.ndarray:
    """The matrix that turns a vector by ``angle`` degrees counter-clockwise on screen (y down):
    ``[2, 2]`` for one angle, ``[K, 2, 2]`` for ``K`` of them."""
    t = np.deg2rad(angle)
    cos, sin = np.cos(t), np.sin(t)
    return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)


def crop_to_image(displacement, angle: float) -> np.ndarray:
    """A displacement ``[dx, dy]`` measured in a crop turned by ``angle`` (see
    :func:`crop_square`), in image axes (same units)."""
    return rotation_matrix(angle) @ np.asarray(displacement, dtype=np.float64)


def center_square(image: np.ndarray, out_size: int) -> np.ndarray:
    """The largest centred square of an RGB image, resized (area interpolation) to
    ``out_size`` x ``out_size``: uint8 ``[S, S, 3]``."""
    h, w = image.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(image[y:y + s, x:x + s], (out_size, out_size), interpolation=cv2.INTER_AREA)


def to_tensor(crops: list[np.ndarray]) -> torch.Tensor:
    """Stack RGB uint8 crops ``[S,S,3]`` into a contiguous float32 tensor ``[N, 3, S, S]`` in
    0..255."""
    h, w = crops[0].shape[:2]
    # one pass per crop straight into NCHW: runtimes take contiguous float32 without a copy
    out = np.empty((len(crops), 3, h, w), dtype=np.float32)
    for i, c in enumerate(crops):
        out[i] = c.transpose(2, 0, 1)
    return torch.from_numpy(out)


def template_side(w, h, context: float):
    """SiamFC's template side for a target of ``w x h`` pixels: ``sqrt((w + p)(h + p))`` with
    ``p = context * (w + h)``; numbers or arrays (elementwise). The search side is this times
    ``instance_size / exemplar_size``."""
    pad = context * (w + h)
    return np.sqrt((w + pad) * (h + pad))
