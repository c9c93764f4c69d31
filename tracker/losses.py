"""Training losses of the Siamese heads: SiamRPN (cls + loc) and SiamFC (balanced logistic)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .rpn import flatten_cls, flatten_loc

# Faster R-CNN's RPN smooth-L1 (sigma = 3): near-L1 for the typical delta magnitudes (~0.1-1),
# where beta = 1 would make the loss almost quadratic and its gradients tiny.
SMOOTH_L1_BETA = 1.0 / 9.0


def rpn_loss(cls: torch.Tensor, loc: torch.Tensor, labels, reg_targets, reg_weights,
             cls_weight: float = 1.0, loc_weight: float = 1.2
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """SiamRPN loss of head outputs ``cls [B,2A,s,s]`` and ``loc [B,4A,s,s]``.

    ``labels [B, N]`` (1 positive, 0 negative, -1 ignored), ``reg_targets [B, N, 4]`` and
    ``reg_weights [B, N]`` come from :func:`tracker.anchors.anchor_targets` (tensors or numpy),
    ``N = A*s*s`` in anchor order.

    * cls: two-class softmax cross-entropy, averaged separately over all positive and all
      negative anchors of the batch and combined half and half (pysot), so the 16:48 sampling
      ratio does not bias the classifier toward background.
    * loc: smooth-L1 (beta :data:`SMOOTH_L1_BETA`) summed over the four deltas, weighted by
      ``reg_weights`` (a mean over each crop's positives) and averaged over the batch.

    Returns ``(cls_weight*cls + loc_weight*loc, {"cls": ..., "loc": ...})`` with the terms
    detached for logging. Weights 1.0 / 1.2 are pysot's SiamRPN++ settings.
    """
    anchor_num = cls.size(1) // 2
    logits = flatten_cls(cls, anchor_num)
    deltas = flatten_loc(loc, anchor_num)
    labels = torch.as_tensor(labels, device=cls.device).long()
    targets = torch.as_tensor(reg_targets, device=loc.device, dtype=loc.dtype)
    weights = torch.as_tensor(reg_weights, device=loc.device, dtype=loc.dtype)
    if labels.shape != logits.shape[:2] or targets.shape != deltas.shape:
        raise ValueError(f"targets {list(labels.shape)}/{list(targets.shape)} do not match "
                         f"{logits.shape[1]} anchors of a batch of {logits.shape[0]}")

    ce = F.cross_entropy(logits.reshape(-1, 2), labels.clamp(min=0).reshape(-1),
                         reduction="none").view_as(labels)
    cls_term = 0.5 * _masked_mean(ce, labels == 1) + 0.5 * _masked_mean(ce, labels == 0)

    l1 = F.smooth_l1_loss(deltas, targets, reduction="none", beta=SMOOTH_L1_BETA).sum(-1)
    loc_term = (l1 * weights).sum() / max(logits.size(0), 1)

    total = cls_weight * cls_term + loc_weight * loc_term
    return total, {"cls": cls_term.detach(), "loc": loc_term.detach()}


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    # an empty selection contributes 0 (still attached to the graph, so backward works)
    return (values * mask).sum() / mask.sum().clamp(min=1)


def siamfc_labels(size: int, stride: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """SiamFC's label map of an ``size x size`` response.

    A cell is positive (1) when its distance to the map centre ``((size-1)/2, (size-1)/2)``,
    in cells, is ``<= radius / stride`` (``radius`` in search-crop pixels; SiamFC uses R = 16 at
    stride 8, i.e. 2 cells), negative (0) otherwise. Weights give positives and negatives half
    of the total each (all of it when one kind is absent), summing to 1.
    Returns float32 ``labels [size, size]`` and ``weights [size, size]``.
    """
    if size <= 0 or stride <= 0 or radius < 0:
        raise ValueError(f"need size > 0, stride > 0 and radius >= 0, got {size}, {stride}, "
                         f"{radius}")
    c = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size]
    dist = np.hypot(yy - c, xx - c)
    labels = (dist <= radius / stride + 1e-9).astype(np.float32)
    pos, neg = labels.sum(), labels.size - labels.sum()
    if pos and neg:
        weights = np.where(labels > 0, 0.5 / pos, 0.5 / neg)
    else:
        weights = np.full(labels.shape, 1.0 / labels.size)
    return labels, weights.astype(np.float32)


def siamfc_loss(response: torch.Tensor, labels=None, weights=None, stride: int = 8,
                radius: float = 16.0) -> torch.Tensor:
    """SiamFC's balanced logistic loss of raw logits ``response [B,1,s,s]``.

    ``labels``/``weights`` (``[s,s]`` or broadcastable to ``[B,1,s,s]``; numpy or tensors) default
    to :func:`siamfc_labels` ``(s, stride, radius)``. Returns the weighted sum of per-cell
    binary cross-entropies, averaged over the batch (a scalar >= 0).
    """
    if response.dim() != 4 or response.size(1) != 1:
        raise ValueError(f"response must be [B, 1, s, s], got {list(response.shape)}")
    if labels is None:
        labels, default_w = siamfc_labels(response.size(-1), stride, radius)
        weights = default_w if weights is None else weights
    if weights is None:
        raise ValueError("give weights together with labels")
    y = torch.as_tensor(labels, dtype=response.dtype, device=response.device)
    w = torch.as_tensor(weights, dtype=response.dtype, device=response.device)
    y, w = y.expand_as(response), w.expand_as(response)
    bce = F.binary_cross_entropy_with_logits(response, y, weight=w, reduction="sum")
    return bce / response.size(0)
