"""A learned in-plane angle head: how far the target in a search window is turned from the
template (issue 17's "learn it": the pair sampler knows the turn it applied).

The head compares the template's group-resolved features with the search features of the
window under the tracked response cell (the window the template bank of
:mod:`tracker.inference.orientation` is correlated with) and regresses the turn between them as
a unit vector ``(cos a, sin a)``. A vector, not an angle, so the target has no seam at +-180
degrees and the loss is smooth everywhere.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class AngleHead(nn.Module):
    """``AngleHead(in_channels, size, channels=64)``.

    ``forward(z [B, C, s, s], x [B, C, s, s]) -> [B, 2]``: ``z`` the template's features (the
    backbone's group features with the group axis folded into channels, ``C = out_channels *
    group_order``), ``x`` the search features of the same ``s x s`` window around the target;
    returns an unnormalized ``(cos a, sin a)`` of the angle ``a`` by which the target in ``x``
    is turned counter-clockwise from the one in ``z``. :func:`vector_to_degrees` reads it.
    The input is ``[z, x, z * x]`` (the product is the correlation's own evidence), two 3x3
    convolutions and a linear map of the whole ``s x s`` layout: the angle is in where
    features sit, so the layout is not pooled away.
    """

    def __init__(self, in_channels: int, size: int, channels: int = 64) -> None:
        super().__init__()
        if in_channels < 1 or size < 1 or channels < 1:
            raise ValueError(f"angle head needs positive sizes, got in_channels={in_channels}, "
                             f"size={size}, channels={channels}")
        self.in_channels, self.size = int(in_channels), int(size)
        self.body = nn.Sequential(
            nn.Conv2d(3 * in_channels, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True))
        self.out = nn.Linear(channels * size * size, 2)

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if z.shape != x.shape or z.dim() != 4 or z.shape[1:] != (self.in_channels, self.size,
                                                                  self.size):
            raise ValueError(f"angle head expects z and x [B, {self.in_channels}, {self.size}, "
                             f"{self.size}], got {list(z.shape)} and {list(x.shape)}")
        # each map at unit RMS: the head sees the layout, not the response's strength
        z = z / z.pow(2).mean(dim=(1, 2, 3), keepdim=True).add(1e-12).sqrt()
        x = x / x.pow(2).mean(dim=(1, 2, 3), keepdim=True).add(1e-12).sqrt()
        return self.out(self.body(torch.cat([z, x, z * x], dim=1)).flatten(1))


def vector_to_degrees(v: torch.Tensor) -> torch.Tensor:
    """``[B, 2]`` ``(cos, sin)`` (any length) -> ``[B]`` degrees in ``(-180, 180]``."""
    return torch.rad2deg(torch.atan2(v[:, 1], v[:, 0]))


def angle_loss(v: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Mean squared distance of ``v`` ``[B, 2]`` to the unit vectors of ``degrees`` ``[B]``."""
    rad = degrees.to(v.dtype) * (math.pi / 180.0)
    target = torch.stack([torch.cos(rad), torch.sin(rad)], dim=1)
    return (v - target).pow(2).sum(dim=1).mean()


def target_window(x: torch.Tensor, cell: torch.Tensor, size: int) -> torch.Tensor:
    """The ``size x size`` windows of search features ``x`` ``[B, C, H, W]`` whose top-left
    corners are response cells ``cell`` ``[B, 2]`` (row, col; long, each in ``[0, H - size]``):
    ``[B, C, size, size]``. Cell ``(r, c)`` of the response correlates the template with
    exactly this window."""
    rows = cell[:, 0].view(-1, 1) + torch.arange(size, device=x.device).view(1, -1)  # [B, s]
    cols = cell[:, 1].view(-1, 1) + torch.arange(size, device=x.device).view(1, -1)
    b = torch.arange(x.size(0), device=x.device).view(-1, 1, 1)
    win = x.permute(0, 2, 3, 1)[b, rows.view(-1, size, 1), cols.view(-1, 1, size)]  # [B,s,s,C]
    return win.permute(0, 3, 1, 2).contiguous()
