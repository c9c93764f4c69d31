"""Heads that turn template and search features into a response."""
from __future__ import annotations

from typing import Callable, Dict

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError
from .rpn import RPN_HEADS


def xcorr(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Batched cross-correlation of templates ``z [Bz,C,hz,wz]`` over searches ``x [Bx,C,H,W]``.

    ``Bz`` is ``Bx`` (pairs) or 1 (one template against a batch, e.g. a scale pyramid).
    Returns ``[Bx, 1, H-hz+1, W-wz+1]``.
    """
    bx, c, h, w = x.shape
    if z.size(1) != c or z.size(0) not in (1, bx):
        raise ValueError(f"template {list(z.shape)} and search {list(x.shape)} do not match")
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

    ``forward(z [B|1,C,hz,wz], x [B,C,H,W]) -> [B,1,H-hz+1,W-wz+1]`` raw logits.
    The small fixed scale (0.001 in SiamFC) keeps logits of un-normalized features in the range
    where the logistic loss trains well.
    """

    def __init__(self, in_channels: int, out_scale: float = 0.001) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_scale = float(out_scale)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return xcorr(z, x) * self.out_scale + self.bias


# "xcorr": SiamFC's score map; "rpn": SiamRPN++'s depth-wise classification + box regression
HEADS: Dict[str, Callable[..., nn.Module]] = {"xcorr": XCorrHead, **RPN_HEADS}


def build_head(name: str, in_channels: int, **kwargs) -> nn.Module:
    """Build head ``name`` for backbones with ``in_channels`` output channels."""
    if name not in HEADS:
        raise ConfigError(f"unknown head '{name}'; known heads: {', '.join(sorted(HEADS))}")
    try:
        return HEADS[name](in_channels, **kwargs)
    except TypeError as e:
        raise ConfigError(f"head '{name}': {e}") from None
