"""SiamRPN++-style region-proposal head: depth-wise cross-correlation with cls and loc branches.

The head plugs into :class:`tracker.model.siamese.SiameseNet` like :class:`tracker.model.xcorr.XCorrHead`:
``SiameseNet.template(z)`` returns the backbone's template features (cached by trackers), and
``SiameseNet.track(z_feat, x)`` calls ``head(z_feat, backbone(x))``, which here returns the tuple
``(cls, loc)``. ``SiameseNet`` passes the head's output through untouched, so ``track`` and
``forward`` return that tuple too.

Output layout (``A`` anchors per cell, ``s x s`` score map):

* ``cls [B, 2A, s, s]``: two-class logits, channel ``c * A + a`` with ``c = 0`` background and
  ``c = 1`` target; probabilities come from a softmax over ``c`` (SiamRPN's formulation).
* ``loc [B, 4A, s, s]``: channel ``k * A + a`` holds delta ``k`` of ``(dx, dy, dw, dh)``
  (see :func:`tracker.model.anchors.encode`) for anchor shape ``a``.

:func:`flatten_cls` and :func:`flatten_loc` turn these into per-anchor rows in the anchor order
of :func:`tracker.model.anchors.generate_anchors`.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tracker.model.anchors import (
    DEFAULT_RATIOS,
    DEFAULT_SCALES,
    batch_anchor_targets,
    decode,
    generate_anchors,
)


def xcorr_depthwise(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Channel-by-channel cross-correlation of searches ``x [B,C,H,W]`` with templates
    ``z [B|1,C,h,w]`` (one template may serve a whole batch). Returns ``[B,C,H-h+1,W-w+1]``:
    ``out[b,c,i,j] = sum_uv x[b,c,i+u,j+v] * z[b,c,u,v]``."""
    b, c, h, w = x.shape
    if z.dim() != 4 or z.size(1) != c or z.size(0) not in (1, b):
        raise ValueError(f"template {list(z.shape)} and search {list(x.shape)} do not match")
    if z.size(0) == 1 and b > 1:
        z = z.expand(b, -1, -1, -1)
    kernel = z.reshape(b * c, 1, z.size(2), z.size(3))
    out = F.conv2d(x.reshape(1, b * c, h, w), kernel, groups=b * c)
    return out.view(b, c, out.size(-2), out.size(-1))


def _conv_bn_relu(cin: int, cout: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DepthwiseXCorrBranch(nn.Module):
    """One SiamRPN++ branch: adjust template and search features (``k x k`` conv + BN + ReLU,
    no padding, so each side shrinks by ``k - 1``), correlate depth-wise, then a 1x1 conv tower.

    ``forward(z [B|1,Cin,hz,wz], x [B,Cin,H,W]) -> [B, out_channels, H-hz+1, W-wz+1]``.
    """

    def __init__(self, in_channels: int, hidden: int, out_channels: int,
                 adjust_kernel: int = 3) -> None:
        super().__init__()
        self.conv_kernel = _conv_bn_relu(in_channels, hidden, adjust_kernel)
        self.conv_search = _conv_bn_relu(in_channels, hidden, adjust_kernel)
        self.head = nn.Sequential(_conv_bn_relu(hidden, hidden, 1),
                                  nn.Conv2d(hidden, out_channels, 1))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.head(xcorr_depthwise(self.conv_search(x), self.conv_kernel(z)))


# what an RPN head's boxes regress in training (see DepthwiseRPNHead)
BOX_SIZES = ("own", "extent")


class DepthwiseRPNHead(nn.Module):
    """SiamRPN++ ``DepthwiseRPN``: separate cls and loc branches, each with its own adjust convs
    (the two tasks want different features), over backbone features of ``in_channels``.

    ``forward(z_feat [B|1,C,hz,wz], x_feat [B,C,H,W]) -> (cls [B,2A,s,s], loc [B,4A,s,s])`` with
    ``s = H - hz + 1`` (the 3x3 adjust convs shrink both inputs by 2, which cancels): with the
    ResNet-22 backbones 5x5 templates and 21x21 searches give 17x17. Channel layouts are in the
    module docstring. The head owns its anchors: ``A = len(ratios) * len(scales)`` shapes per
    cell (pysot's five ratios, one scale by default; ``anchor_num``, when given, must agree),
    and with them its training targets, loss and proposals; ``tracker = "siamrpn"``.
    ``box_size``: what the boxes regress in training: ``"own"`` (the target's own size, the
    rotation taken out, so a turned search crop teaches the same box as an upright one) or
    ``"extent"`` (its axis-aligned extent in the crop, which a turned crop inflates).
    """

    tracker = "siamrpn"

    def __init__(self, in_channels: int, hidden: int = 256, anchor_num: Optional[int] = None,
                 adjust_kernel: int = 3, ratios: Sequence[float] = DEFAULT_RATIOS,
                 scales: Sequence[float] = DEFAULT_SCALES, box_size: str = "own") -> None:
        super().__init__()
        if box_size not in BOX_SIZES:
            raise ValueError(f"DepthwiseRPNHead: box_size {box_size!r} is unknown; known: "
                             f"{', '.join(BOX_SIZES)}")
        self.box_size = box_size
        self.ratios = tuple(float(r) for r in ratios)
        self.scales = tuple(float(s) for s in scales)
        shapes = len(self.ratios) * len(self.scales)
        anchor_num = shapes if anchor_num is None else int(anchor_num)
        if in_channels <= 0 or hidden <= 0 or anchor_num <= 0:
            raise ValueError(f"DepthwiseRPNHead needs positive in_channels, hidden and "
                             f"anchor_num, got {in_channels}, {hidden}, {anchor_num}")
        if anchor_num != shapes:
            raise ValueError(f"DepthwiseRPNHead: anchor_num {anchor_num} anchors per cell but "
                             f"{len(self.ratios)} ratios x {len(self.scales)} scales give "
                             f"{shapes}")
        self.in_channels = int(in_channels)
        self.anchor_num = anchor_num
        self.cls = DepthwiseXCorrBranch(in_channels, hidden, 2 * anchor_num, adjust_kernel)
        self.loc = DepthwiseXCorrBranch(in_channels, hidden, 4 * anchor_num, adjust_kernel)
        self._anchors: dict[tuple[int, int], np.ndarray] = {}

    def anchors(self, stride: int, score_size: int) -> np.ndarray:
        """This head's anchors on an ``s x s`` map, float64 ``[A*s*s, 4]`` ``cxcywh`` in
        search-crop pixels from the crop centre (:func:`tracker.model.anchors.generate_anchors`
        with the head's ``ratios`` and ``scales``); cached per ``(stride, s)``."""
        key = (int(stride), int(score_size))
        if key not in self._anchors:
            self._anchors[key] = generate_anchors(stride, self.ratios, self.scales,
                                                  score_size=score_size)
        return self._anchors[key]

    def targets(self, out, target: torch.Tensor, stride: int, train,
                rng: np.random.Generator, size: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """SiamRPN targets for this head's output ``out = (cls, loc)`` and the batch's boxes
        ``target [B, 4]`` (``cxcywh`` in search-crop pixels from the crop centre, the size the
        axis-aligned extent) and own sizes ``size [B, 2]`` (:class:`tracker.data.sampler.
        CropPair`; needed with ``box_size="own"``): ``labels [B, N]``, ``reg_targets [B, N,
        4]``, ``reg_weights [B, N]`` on ``out``'s device
        (:func:`tracker.model.anchors.batch_anchor_targets`; ``rng`` draws the kept anchors)."""
        if self.box_size == "own":
            if size is None:
                raise ValueError("DepthwiseRPNHead(box_size='own') needs the targets' own sizes")
            target = torch.cat([target[:, :2], size.to(target)], dim=1)
        cls = out[0]
        anchors = self.anchors(stride, cls.size(-1))
        parts = batch_anchor_targets(anchors, target.cpu().numpy(), rng)
        return tuple(p.to(cls.device) for p in parts)

    def loss(self, out, targets) -> tuple[torch.Tensor, dict[str, float]]:
        """``(total, {"cls": .., "loc": ..})``: :func:`rpn_loss` of ``out`` against
        :meth:`targets`."""
        cls, loc = out
        total, parts = rpn_loss(cls.float(), loc.float(), *targets)
        return total, {k: float(v) for k, v in parts.items()}

    def proposals(self, cls: torch.Tensor, loc: torch.Tensor, stride: int
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Foreground probabilities float64 ``[N]`` and decoded ``cxcywh`` crop-frame boxes
        ``[N, 4]`` of one search crop's output ``cls [1,2A,s,s]``, ``loc [1,4A,s,s]``."""
        anchors = self.anchors(stride, cls.size(-1))
        logits = flatten_cls(cls.float(), self.anchor_num)[0]
        score = torch.softmax(logits, dim=-1)[:, 1].cpu().numpy().astype(np.float64)
        deltas = flatten_loc(loc.float(), self.anchor_num)[0].cpu().numpy()
        return score, decode(anchors, deltas)

    def check_channels(self, channels: int, what: str = "features") -> None:
        """Raise ``ValueError`` naming both counts unless ``channels == in_channels``."""
        if channels != self.in_channels:
            raise ValueError(f"DepthwiseRPNHead was built for {self.in_channels}-channel "
                             f"features but the {what} have {channels} channels; build the "
                             f"head with in_channels={channels}")

    def forward(self, z_feat: torch.Tensor, x_feat: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        self.check_channels(z_feat.size(1), "template features")
        self.check_channels(x_feat.size(1), "search features")
        return self.cls(z_feat, x_feat), self.loc(z_feat, x_feat)


def flatten_cls(cls: torch.Tensor, anchor_num: int) -> torch.Tensor:
    """``cls [B, 2A, s, s]`` -> logits ``[B, A*s*s, 2]`` (background, target) in anchor order."""
    b, ch, h, w = cls.shape
    if ch != 2 * anchor_num:
        raise ValueError(f"cls has {ch} channels, expected 2 x {anchor_num} anchors")
    return cls.view(b, 2, anchor_num, h, w).permute(0, 2, 3, 4, 1).reshape(b, -1, 2)


def flatten_loc(loc: torch.Tensor, anchor_num: int) -> torch.Tensor:
    """``loc [B, 4A, s, s]`` -> deltas ``[B, A*s*s, 4]`` ``(dx, dy, dw, dh)`` in anchor order."""
    b, ch, h, w = loc.shape
    if ch != 4 * anchor_num:
        raise ValueError(f"loc has {ch} channels, expected 4 x {anchor_num} anchors")
    return loc.view(b, 4, anchor_num, h, w).permute(0, 2, 3, 4, 1).reshape(b, -1, 4)




# Faster R-CNN's RPN smooth-L1 (sigma = 3): near-L1 for the typical delta magnitudes (~0.1-1),
# where beta = 1 would make the loss almost quadratic and its gradients tiny.
SMOOTH_L1_BETA = 1.0 / 9.0


def rpn_loss(cls: torch.Tensor, loc: torch.Tensor, labels, reg_targets, reg_weights,
             cls_weight: float = 1.0, loc_weight: float = 1.2
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """SiamRPN loss of head outputs ``cls [B,2A,s,s]`` and ``loc [B,4A,s,s]``.

    ``labels [B, N]`` (1 positive, 0 negative, -1 ignored), ``reg_targets [B, N, 4]`` and
    ``reg_weights [B, N]`` come from :func:`tracker.model.anchors.anchor_targets` (tensors or numpy),
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
