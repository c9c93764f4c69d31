"""SiamRPN anchors, their training targets, and the box encoding between them.

Coordinates: anchors and boxes here are ``(cx, cy, w, h)`` in *search-crop pixels*, measured
from the centre of the search crop (so ``(0, 0)`` is the crop centre, x right, y down). A box
in image coordinates maps to this frame by ``(c_img - crop_centre_img) * scale`` and
``(w, h) * scale`` with ``scale = instance_size / search_side_in_image``.

Grid: score-map cell ``(i, j)`` (row ``i``, column ``j``) of an ``s x s`` map sits at
``((j - (s-1)/2) * stride, (i - (s-1)/2) * stride)``: the centre cell at the crop centre and
neighbours one backbone stride apart. This is the mapping :class:`tracker.inference.siamfc.SiamFCTracker`
uses for its response peak (peak offset from the map centre times ``stride``).

Order: anchor index ``n = a * s * s + i * s + j`` (anchor shape ``a`` slowest, then row, then
column), with shapes ordered ratio-major (``a = ratio_index * len(scales) + scale_index``). This
matches :func:`tracker.model.rpn.flatten_cls` / :func:`tracker.model.rpn.flatten_loc`, which view the head's
``[B, K*A, s, s]`` outputs as ``[B, K, A, s, s]``.

Shapes: ``ratio = h / w`` (pysot's convention) and ``w * h = (stride * scale)**2``; e.g. stride 8,
scale 8, ratio 3 gives ``w = 64/sqrt(3) ~ 36.95``, ``h = 64*sqrt(3) ~ 110.85``. Unlike pysot the
sizes are not rounded to integers, so areas and ratios hold exactly.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from tracker.boxes import cxcywh_to_xywh, iou_xywh

DEFAULT_RATIOS: tuple[float, ...] = (0.33, 0.5, 1.0, 2.0, 3.0)  # SiamRPN / DaSiamRPN / pysot
DEFAULT_SCALES: tuple[float, ...] = (8.0,)
# Faster R-CNN's bound on log size deltas: exp(4.135) = 62.5, so an untrained head's wild
# outputs decode to large but finite boxes.
MAX_LOG_SCALE = float(np.log(1000.0 / 16.0))


def anchor_shapes(stride: int, ratios: Sequence[float] = DEFAULT_RATIOS,
                  scales: Sequence[float] = DEFAULT_SCALES) -> np.ndarray:
    """Anchor sizes ``[A, 2]`` as ``(w, h)`` crop pixels, ``A = len(ratios) * len(scales)``,
    ratio-major. ``w * h = (stride * scale)**2`` and ``h / w = ratio``."""
    if stride <= 0 or not ratios or not scales:
        raise ValueError("anchors need a positive stride and at least one ratio and scale")
    shapes = []
    for r in ratios:
        for s in scales:
            if r <= 0 or s <= 0:
                raise ValueError(f"anchor ratios and scales must be positive, got {r}, {s}")
            side = float(stride) * float(s)
            w = side / np.sqrt(r)
            shapes.append((w, w * r))
    return np.array(shapes, dtype=np.float64)


def grid_offsets(score_size: int, stride: int) -> np.ndarray:
    """Offsets ``[s]`` of score-map rows/columns from the crop centre, in crop pixels."""
    return (np.arange(score_size, dtype=np.float64) - (score_size - 1) / 2.0) * float(stride)


def generate_anchors(stride: int, ratios: Sequence[float] = DEFAULT_RATIOS,
                     scales: Sequence[float] = DEFAULT_SCALES, *,
                     score_size: int) -> np.ndarray:
    """All anchors of an ``score_size x score_size`` map: float64 ``[A*s*s, 4]`` ``(cx, cy, w, h)``
    relative to the search-crop centre, index ``a*s*s + i*s + j`` (see the module docstring)."""
    if score_size <= 0:
        raise ValueError(f"score_size must be positive, got {score_size}")
    shapes = anchor_shapes(stride, ratios, scales)
    off = grid_offsets(score_size, stride)
    cy, cx = np.meshgrid(off, off, indexing="ij")  # [s, s]: row i -> y, column j -> x
    a, n = len(shapes), score_size * score_size
    out = np.empty((a, n, 4), dtype=np.float64)
    out[:, :, 0] = cx.reshape(1, n)
    out[:, :, 1] = cy.reshape(1, n)
    out[:, :, 2] = shapes[:, 0:1]
    out[:, :, 3] = shapes[:, 1:2]
    return out.reshape(a * n, 4)


def encode(anchors: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Regression targets ``[..., 4]`` ``(dx, dy, dw, dh) = ((gx-ax)/aw, (gy-ay)/ah, log(gw/aw),
    log(gh/ah))`` of ``cxcywh`` boxes (broadcast against ``anchors [..., 4]``)."""
    a = np.asarray(anchors, dtype=np.float64)
    g = np.asarray(boxes, dtype=np.float64)
    return np.stack([(g[..., 0] - a[..., 0]) / a[..., 2],
                     (g[..., 1] - a[..., 1]) / a[..., 3],
                     np.log(g[..., 2] / a[..., 2]),
                     np.log(g[..., 3] / a[..., 3])], axis=-1)


def decode(anchors, deltas, max_log_scale: float = MAX_LOG_SCALE):
    """Inverse of :func:`encode`: ``cxcywh`` boxes ``[..., 4]`` from ``anchors [..., 4]`` and
    ``deltas [..., 4]``. numpy in -> float64 numpy out; a tensor ``deltas`` -> tensor out (anchors
    moved to its device and dtype). Size deltas are clipped to ``+-max_log_scale``."""
    if isinstance(deltas, torch.Tensor):
        a = torch.as_tensor(anchors, dtype=deltas.dtype, device=deltas.device)
        d = deltas
        size = torch.exp(d[..., 2:].clamp(-max_log_scale, max_log_scale)) * a[..., 2:]
        return torch.cat([a[..., :2] + d[..., :2] * a[..., 2:], size], dim=-1)
    a = np.asarray(anchors, dtype=np.float64)
    d = np.asarray(deltas, dtype=np.float64)
    size = np.exp(np.clip(d[..., 2:], -max_log_scale, max_log_scale)) * a[..., 2:]
    return np.concatenate([a[..., :2] + d[..., :2] * a[..., 2:], size], axis=-1)


def anchor_iou(anchors: np.ndarray, box_cxcywh) -> np.ndarray:
    """IoU ``[N]`` of each ``cxcywh`` anchor with one ``cxcywh`` box."""
    return iou_xywh(cxcywh_to_xywh(anchors), cxcywh_to_xywh(np.asarray(box_cxcywh))[None])


def anchor_targets(anchors: np.ndarray, gt_box_cxcywh, pos_iou: float = 0.6,
                   neg_iou: float = 0.3, num_pos: int = 16, num_total: int = 64,
                   rng: np.random.Generator | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SiamRPN training targets of one search crop.

    ``anchors [N, 4]`` and ``gt_box_cxcywh [4]`` share the crop frame of the module docstring.
    Anchors with IoU ``>= pos_iou`` are positive, ``< neg_iou`` negative, the rest ignored; at
    most ``num_pos`` positives are kept (random subset) and negatives fill up to ``num_total``.
    ``rng`` draws the subsets (``None``: a fresh, unseeded generator).

    Returns ``labels`` int64 ``[N]`` (1 positive, 0 negative, -1 ignored), ``reg_targets``
    float32 ``[N, 4]`` (:func:`encode` of the ground truth for every anchor) and ``reg_weights``
    float32 ``[N]``: ``1/num_kept_positives`` on kept positives, 0 elsewhere, so each crop's
    regression loss is a mean over its positives.
    """
    if not 0.0 <= neg_iou <= pos_iou <= 1.0:
        raise ValueError(f"need 0 <= neg_iou ({neg_iou}) <= pos_iou ({pos_iou}) <= 1")
    if num_pos < 0 or num_total < num_pos:
        raise ValueError(f"need 0 <= num_pos ({num_pos}) <= num_total ({num_total})")
    rng = rng if rng is not None else np.random.default_rng()
    anchors = np.asarray(anchors, dtype=np.float64)
    gt = np.asarray(gt_box_cxcywh, dtype=np.float64)
    if gt.shape != (4,) or not np.all(np.isfinite(gt)) or gt[2] <= 0 or gt[3] <= 0:
        raise ValueError(f"ground truth must be a finite cxcywh box of positive size, got {gt}")
    iou = anchor_iou(anchors, gt)

    labels = np.full(len(anchors), -1, dtype=np.int64)
    pos = _sample(np.flatnonzero(iou >= pos_iou), num_pos, rng)
    neg = _sample(np.flatnonzero(iou < neg_iou), num_total - len(pos), rng)
    labels[pos] = 1
    labels[neg] = 0

    weights = np.zeros(len(anchors), dtype=np.float32)
    if len(pos):
        weights[pos] = 1.0 / len(pos)
    targets = encode(anchors, gt[None]).astype(np.float32)
    return labels, targets, weights


def batch_anchor_targets(anchors: np.ndarray, gt_boxes_cxcywh, rng: np.random.Generator,
                         **kwargs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`anchor_targets` of ``B`` crops (``gt_boxes_cxcywh [B, 4]``) stacked as tensors:
    labels ``[B, N]`` int64, reg_targets ``[B, N, 4]`` and reg_weights ``[B, N]`` float32."""
    rows = [anchor_targets(anchors, g, rng=rng, **kwargs) for g in np.asarray(gt_boxes_cxcywh)]
    return tuple(torch.from_numpy(np.stack(parts)) for parts in zip(*rows))  # type: ignore


def _sample(index: np.ndarray, keep: int, rng: np.random.Generator) -> np.ndarray:
    if len(index) <= keep:
        return index
    return np.sort(rng.choice(index, size=max(keep, 0), replace=False))
