"""The three inference graphs of a Siamese tracker, as modules every runtime shares.

The torch runtime calls them directly; the ONNX runtime and ``tools/export.py`` export exactly
these modules, so both runtimes compute the same function from the same weights.
"""
from __future__ import annotations

import torch
from torch import nn


class TemplateBranch(nn.Module):
    """``z [N, 3, Sz, Sz]`` RGB 0..255 -> template features ``[N, C, hz, wz]`` (group axis
    pooled, as the head expects)."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.backbone(z)


class SearchBranch(nn.Module):
    """``x [N, 3, Sx, Sx]`` RGB 0..255 -> ``(features [N, C, h, w], group_features
    [N, C, G, h, w])``: the pooled map the head correlates and the group-resolved one the
    orientation estimator reads (``G = 1`` for plain backbones), from one backbone pass."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        groups = self.backbone.group_features(x)
        return self.backbone.pool_group(groups), groups


class HeadBranch(nn.Module):
    """``(z_feat [K, C, hz, wz], x_feat [K, C, h, w])`` -> the head's output for K pairs: a
    score map ``[K, 1, s, s]`` (``xcorr``) or ``(cls [K, 2A, s, s], loc [K, 4A, s, s])``
    (``rpn``)."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, z_feat: torch.Tensor, x_feat: torch.Tensor):
        return self.head(z_feat, x_feat)
