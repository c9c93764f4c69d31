"""SiamRPN++-style region-proposal head: depth-wise cross-correlation with cls and loc branches.

The head plugs into :class:`tracker.siamese.SiameseNet` like :class:`tracker.heads.XCorrHead`:
``SiameseNet.template(z)`` returns the backbone's template features (cached by trackers), and
``SiameseNet.track(z_feat, x)`` calls ``head(z_feat, backbone(x))``, which here returns the tuple
``(cls, loc)``. ``SiameseNet`` passes the head's output through untouched, so ``track`` and
``forward`` return that tuple too.

Output layout (``A`` anchors per cell, ``s x s`` score map):

* ``cls [B, 2A, s, s]``: two-class logits, channel ``c * A + a`` with ``c = 0`` background and
  ``c = 1`` target; probabilities come from a softmax over ``c`` (SiamRPN's formulation).
* ``loc [B, 4A, s, s]``: channel ``k * A + a`` holds delta ``k`` of ``(dx, dy, dw, dh)``
  (see :func:`tracker.anchors.encode`) for anchor shape ``a``.

:func:`flatten_cls` and :func:`flatten_loc` turn these into per-anchor rows in the anchor order
of :func:`tracker.anchors.generate_anchors`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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


class DepthwiseRPNHead(nn.Module):
    """SiamRPN++ ``DepthwiseRPN``: separate cls and loc branches, each with its own adjust convs
    (the two tasks want different features), over backbone features of ``in_channels``.

    ``forward(z_feat [B|1,C,hz,wz], x_feat [B,C,H,W]) -> (cls [B,2A,s,s], loc [B,4A,s,s])`` with
    ``s = H - hz + 1`` (the 3x3 adjust convs shrink both inputs by 2, which cancels): with the
    ResNet-22 backbones 5x5 templates and 21x21 searches give 17x17. Channel layouts are in the
    module docstring. ``A = anchor_num`` must equal the tracker's number of anchor shapes.
    """

    def __init__(self, in_channels: int, hidden: int = 256, anchor_num: int = 5,
                 adjust_kernel: int = 3) -> None:
        super().__init__()
        if in_channels <= 0 or hidden <= 0 or anchor_num <= 0:
            raise ValueError(f"DepthwiseRPNHead needs positive in_channels, hidden and "
                             f"anchor_num, got {in_channels}, {hidden}, {anchor_num}")
        self.in_channels = int(in_channels)
        self.anchor_num = int(anchor_num)
        self.cls = DepthwiseXCorrBranch(in_channels, hidden, 2 * anchor_num, adjust_kernel)
        self.loc = DepthwiseXCorrBranch(in_channels, hidden, 4 * anchor_num, adjust_kernel)

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


def check_compatible(backbone: nn.Module, head: nn.Module) -> None:
    """Fail before any frame: ``ValueError`` naming both channel counts when ``head`` (anything
    with ``in_channels``) cannot take ``backbone``'s ``out_channels``."""
    want = getattr(head, "in_channels", None)
    have = getattr(backbone, "out_channels", None)
    if want is not None and have is not None and int(want) != int(have):
        raise ValueError(f"{type(head).__name__} expects {want}-channel features but backbone "
                         f"{type(backbone).__name__} outputs {have} channels")


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


# to be merged into tracker.heads.HEADS by the integrator: build_head("rpn", C, hidden=..)
RPN_HEADS = {"rpn": DepthwiseRPNHead}
