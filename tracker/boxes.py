"""Every box convention eqtrack uses, and the one place that converts between them.

Coordinates are continuous image coordinates: pixel column ``j`` spans ``[j, j+1)``, so the centre
of the top-left pixel is ``(0.5, 0.5)``. This is the convention of got10k results and of OTB/GOT
ground truth files read as they are.

* ``xywh``  ``[x, y, w, h]``: top-left corner and size (the got10k/OTB format; the default).
* ``xyxy``  ``[x1, y1, x2, y2]``: top-left and bottom-right corners.
* ``cxcywh`` ``[cx, cy, w, h]``: centre and size.
* ``polygon`` ``[x1, y1, ..., x4, y4]``: four corners (VOT style), e.g. of a rotated box.
* rotated box ``[cx, cy, w, h, angle]``: angle in degrees, counter-clockwise as seen on screen
  (image y points down), rotating the box's own axes about its centre.

All functions accept a single box of shape ``[K]`` or a batch ``[N, K]`` and return float64 arrays
of the same leading shape.
"""
from __future__ import annotations

import numpy as np


def _as_boxes(box, k: int) -> np.ndarray:
    a = np.asarray(box, dtype=np.float64)
    if a.shape[-1] != k:
        raise ValueError(f"expected boxes with {k} values, got shape {a.shape}")
    return a


def xywh_to_xyxy(box) -> np.ndarray:
    b = _as_boxes(box, 4)
    return np.concatenate([b[..., :2], b[..., :2] + b[..., 2:]], axis=-1)


def xyxy_to_xywh(box) -> np.ndarray:
    b = _as_boxes(box, 4)
    return np.concatenate([b[..., :2], b[..., 2:] - b[..., :2]], axis=-1)


def xywh_to_cxcywh(box) -> np.ndarray:
    b = _as_boxes(box, 4)
    return np.concatenate([b[..., :2] + b[..., 2:] / 2.0, b[..., 2:]], axis=-1)


def cxcywh_to_xywh(box) -> np.ndarray:
    b = _as_boxes(box, 4)
    return np.concatenate([b[..., :2] - b[..., 2:] / 2.0, b[..., 2:]], axis=-1)


def rotated_to_polygon(rbox) -> np.ndarray:
    """``[cx, cy, w, h, angle_deg]`` -> ``[x1, y1, ..., x4, y4]`` (corners in drawing order,
    starting at the box's own top-left corner)."""
    r = _as_boxes(rbox, 5)
    cx, cy, w, h, a = (r[..., i] for i in range(5))
    t = np.deg2rad(a)
    # counter-clockwise on screen with y down: the box's x axis goes to (cos t, -sin t)
    ux, uy = np.cos(t), -np.sin(t)
    vx, vy = np.sin(t), np.cos(t)
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        corners.append(cx + sx * w / 2 * ux + sy * h / 2 * vx)
        corners.append(cy + sx * w / 2 * uy + sy * h / 2 * vy)
    return np.stack(corners, axis=-1)


def polygon_to_xywh(poly, keep_area: bool = False) -> np.ndarray:
    """Axis-aligned bounding box ``[x, y, w, h]`` of polygons ``[..., 2K]``.

    ``keep_area``: shrink the bounding box about its centre until its area equals the polygon's
    (shoelace formula), as pysot does for the axis-aligned box of a rotated VOT target: it
    covers the target rather than its rotated corners' empty margins."""
    p = np.asarray(poly, dtype=np.float64)
    if p.shape[-1] % 2 or p.shape[-1] < 6:
        raise ValueError(f"a polygon needs an even number (>= 6) of values, got {p.shape[-1]}")
    xs, ys = p[..., 0::2], p[..., 1::2]
    x1, y1 = xs.min(-1), ys.min(-1)
    w, h = xs.max(-1) - x1, ys.max(-1) - y1
    if keep_area:
        area = 0.5 * np.abs((xs * np.roll(ys, -1, axis=-1) - np.roll(xs, -1, axis=-1) * ys)
                            .sum(-1))
        s = np.sqrt(area / np.maximum(w * h, 1e-12))
        x1, y1 = x1 + w * (1 - s) / 2, y1 + h * (1 - s) / 2
        w, h = w * s, h * s
    return np.stack([x1, y1, w, h], axis=-1)


def iou_xywh(a, b) -> np.ndarray:
    """Intersection over union of axis-aligned ``xywh`` boxes (broadcasting over leading dims)."""
    a, b = xywh_to_xyxy(a), xywh_to_xyxy(b)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = np.clip(a[..., 2] - a[..., 0], 0, None) * np.clip(a[..., 3] - a[..., 1], 0, None)
    area_b = np.clip(b[..., 2] - b[..., 0], 0, None) * np.clip(b[..., 3] - b[..., 1], 0, None)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def parse_box(text: str) -> np.ndarray:
    """Parse ``"x,y,w,h"`` (commas or spaces) into a float ``[4]`` array.

    Raises ValueError with a message naming the offending text.
    """
    parts = [p for p in text.replace(",", " ").split() if p]
    if len(parts) != 4:
        raise ValueError(f"box '{text}' must have 4 numbers x,y,w,h (got {len(parts)})")
    try:
        values = np.array([float(p) for p in parts])
    except ValueError:
        raise ValueError(f"box '{text}' has a value that is not a number") from None
    if not np.all(np.isfinite(values)):
        raise ValueError(f"box '{text}' has a non-finite value")
    return values


def check_box_in_image(box, width: int, height: int) -> None:
    """Raise ValueError unless ``box`` (xywh) has positive size and overlaps the image."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0):
        raise ValueError(f"box {x:g},{y:g},{w:g},{h:g} must have positive width and height")
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ValueError(f"box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} image")
