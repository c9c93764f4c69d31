"""Attentive group convolutions after Romero et al. (ICML 2020), in their efficient "fA" form:
attention re-weights the *input* of an ordinary group convolution.

Channel attention is an MLP on spatially average- and max-pooled statistics; its layers are 1x1
group convolutions, i.e. weights rolled along the group axis, so permuting the group axis of the
input permutes the attention the same way. Spatial attention is a 7x7 group convolution of the
channel-mean and channel-max maps of each group slot. Both multiply the features (``x * att``)
and so keep the layer equivariant.
"""
from __future__ import annotations

import torch
from torch import nn

from .groups import Group
from .layers import GroupConv2d


class GroupAttention(nn.Module):
    """Channel then spatial attention on flattened group features ``[B, C * |G|, H, W]``
    (same shape out).

    With ``record = True`` the last maps are kept in ``last_maps``: ``"channel"``
    ``[B, C, |G|]`` and ``"spatial"`` ``[B, |G|, H, W]``, values in (0, 1).
    """

    def __init__(self, group: Group, channels: int, reduction: int = 8,
                 kernel_size: int = 7) -> None:
        super().__init__()
        self.group = group
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(GroupConv2d(group, channels, hidden, 1, bias=True),
                                 nn.ReLU(inplace=True),
                                 GroupConv2d(group, hidden, channels, 1, bias=True))
        self.spatial = GroupConv2d(group, 2, 1, kernel_size, padding=kernel_size // 2, bias=True)
        self.record = False
        self.last_maps: dict[str, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, cg, h, w = x.shape
        n = self.group.order
        stats = torch.cat([x.mean(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)])
        a = self.mlp(stats)
        channel = torch.sigmoid(a[:b] + a[b:])  # [B, C*|G|, 1, 1]
        x = x * channel
        v = x.reshape(b, cg // n, n, h, w)
        pooled = torch.stack([v.mean(dim=1), v.amax(dim=1)], dim=1).view(b, 2 * n, h, w)
        spatial = torch.sigmoid(self.spatial(pooled))  # [B, |G|, H, W]
        if self.record:
            self.last_maps = {"channel": channel.detach().reshape(b, cg // n, n),
                              "spatial": spatial.detach()}
        return (v * spatial.unsqueeze(1)).reshape(b, cg, h, w)
