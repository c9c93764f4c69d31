"""SiamFC head: cross-correlation score map, its training labels and its balanced logistic loss."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tracker.model.anchors import grid_offsets


def siamfc_targets(target: torch.Tensor, size: int, stride: int, radius: float
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """SiamFC labels ``[B, 1, s, s]`` around each target centre (``target [B, 4]`` cx, cy, w, h
    relative to the search-crop centre, crop pixels): cells within ``radius`` pixels are
    positive; weights give positives and negatives half of each sample's total."""
    offs = torch.from_numpy(grid_offsets(size, stride)).float()
    dx = offs.view(1, 1, -1) - target[:, 0].view(-1, 1, 1)
    dy = offs.view(1, -1, 1) - target[:, 1].view(-1, 1, 1)
    labels = ((dx ** 2 + dy ** 2) <= radius ** 2).float()
    pos = labels.sum(dim=(1, 2), keepdim=True)
    neg = size * size - pos
    weights = torch.where(labels > 0, 0.5 / pos.clamp_min(1), 0.5 / neg.clamp_min(1))
    weights = torch.where(pos > 0, weights, torch.full_like(weights, 1.0 / (size * size)))
    return labels.unsqueeze(1), weights.unsqueeze(1)


def xcorr(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Batched cross-correlation of templates ``z [Bz,C,hz,wz]`` over searches ``x [Bx,C,H,W]``.

    ``Bz`` is ``Bx`` (pairs) or 1 (one template against a batch, e.g. a scale pyramid), or
    ``Bx`` is 1 (a batch of templates against one search, e.g. templates at several scales).
    Returns ``[max(Bz, Bx), 1, H-hz+1, W-wz+1]``.
    """
    bx, c, h, w = x.shape
    if z.size(1) != c or z.size(0) not in (1, bx) and bx != 1:
        raise ValueError(f"template {list(z.shape)} and search {list(x.shape)} do not match")
    if bx == 1 and z.size(0) > 1:
        return F.conv2d(x, z).transpose(0, 1)  # one output channel per template
    if z.size(0) == 1:
        if torch.onnx.is_in_onnx_export():
            return F.conv2d(x, z)  # runtimes have a fast Conv; the sums below export badly
        return _xcorr_one(z, x)
    out = F.conv2d(x.reshape(1, bx * c, h, w), z, groups=bx)
    return out.view(bx, 1, out.size(-2), out.size(-1))


def _xcorr_one(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``F.conv2d(x, z)`` for one template ``z [1,C,k,l]`` (same values to float rounding),
    5x faster on a CPU: a convolution with one output channel keeps oneDNN's kernels idle,
    while one matrix product ``[k*l, C] @ [C, H*W]`` per search followed by ``k*l`` shifted
    sums of small maps is all BLAS and memory-bound adds."""
    bx, c, h, w = x.shape
    k, l = z.shape[-2:]
    oh, ow = h - k + 1, w - l + 1
    taps = torch.matmul(z[0].reshape(c, k * l).t(), x.reshape(bx, c, h * w))
    taps = taps.reshape(bx, k * l, h, w)
    out = taps[:, 0, :oh, :ow].clone()
    for u in range(k):
        for v in range(l):
            if u or v:
                out = out + taps[:, u * l + v, u:u + oh, v:v + ow]
    return out.unsqueeze(1)


class XCorrHead(nn.Module):
    """SiamFC head: cross-correlation scaled by ``out_scale`` plus a learnt bias.

    ``tracker = "siamfc"``: the inference that reads its score map (:mod:`tracker.inference.siamfc`).

    ``forward(z [B|1,C,hz,wz], x [B,C,H,W]) -> [B,1,H-hz+1,W-wz+1]`` raw logits.
    The small fixed scale (0.001 in SiamFC) keeps logits of un-normalized features in the range
    where the logistic loss trains well.
    """

    tracker = "siamfc"

    def __init__(self, in_channels: int, out_scale: float = 0.001) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_scale = float(out_scale)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return xcorr(z, x) * self.out_scale + self.bias

    def targets(self, out: torch.Tensor, target: torch.Tensor, stride: int, train,
                rng: np.random.Generator, size: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Training labels and weights ``[B,1,s,s]`` for this head's output ``out [B,1,s,s]``
        and targets ``target [B,4]`` (:class:`tracker.data.sampler.CropPair`'s ``cx, cy, w, h``
        in search-crop pixels from the crop centre): a disk of ``train.label_radius`` pixels
        around each centre (:func:`siamfc_targets`). ``rng`` and ``size`` are unused (no
        sampling, no boxes)."""
        labels, weights = siamfc_targets(target, out.size(-1), stride, train.label_radius)
        return labels.to(out.device), weights.to(out.device)

    def loss(self, out: torch.Tensor, targets) -> tuple[torch.Tensor, dict[str, float]]:
        """``(total, {"siamfc": value})``: :func:`siamfc_loss` of ``out`` against
        :meth:`targets`."""
        total = siamfc_loss(out.float(), *targets)
        return total, {"siamfc": float(total.detach())}


def siamfc_loss(response: torch.Tensor, labels=None, weights=None, stride: int = 8,
                radius: float = 16.0) -> torch.Tensor:
    """SiamFC's balanced logistic loss of raw logits ``response [B,1,s,s]``.

    ``labels``/``weights`` (broadcastable to ``[B,1,s,s]``; numpy or tensors) default to
    :func:`siamfc_targets` of a target at the crop centre (``stride``, ``radius``). Returns the
    weighted sum of per-cell binary cross-entropies, averaged over the batch (a scalar >= 0).
    """
    if response.dim() != 4 or response.size(1) != 1:
        raise ValueError(f"response must be [B, 1, s, s], got {list(response.shape)}")
    if labels is None:
        labels, default_w = siamfc_targets(torch.zeros(1, 4), response.size(-1), stride, radius)
        weights = default_w if weights is None else weights
    if weights is None:
        raise ValueError("give weights together with labels")
    y = torch.as_tensor(labels, dtype=response.dtype, device=response.device)
    w = torch.as_tensor(weights, dtype=response.dtype, device=response.device)
    y, w = y.expand_as(response), w.expand_as(response)
    bce = F.binary_cross_entropy_with_logits(response, y, weight=w, reduction="sum")
    return bce / response.size(0)
