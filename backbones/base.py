"""The Backbone contract every feature extractor in eqtrack follows.

Trackers only see this interface, never a concrete network, so any registered backbone can be
plugged into any head.
"""
from __future__ import annotations

import torch
from torch import nn

# ImageNet statistics: the usual choice for ResNet-style trackers, kept even for networks
# trained from scratch so that checkpoints stay interchangeable.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Backbone(nn.Module):
    """Base class of all backbones.

    Input: float tensor ``[B, 3, H, W]``, RGB, values in 0..255 (not normalized: the backbone
    normalizes inside, so callers never need to know which statistics a network expects).
    Output: float tensor ``[B, out_channels, h, w]`` with ``h ~ (H - offset) / stride``.

    Subclasses set ``out_channels`` and ``stride`` and implement :meth:`features`, which receives
    the normalized image. ``group_order`` is 1 for plain networks; group-equivariant networks
    report the size of their group and pool the group axis before returning, so heads stay plain.
    """

    out_channels: int = 0
    stride: int = 1
    group_order: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("pixel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0,
                             persistent=False)
        self.register_buffer("pixel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0,
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.size(1) != 3:
            raise ValueError(f"backbone input must be [B, 3, H, W], got {list(x.shape)}")
        return self.features((x - self.pixel_mean) / self.pixel_std)

    def features(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError
