"""The three inference graphs of a Siamese tracker, as modules every runtime shares.

The torch runtime calls them directly; the ONNX runtime and ``tools/export.py`` export exactly
these modules, so both runtimes compute the same function from the same weights.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


@torch.no_grad()
def fold_input_normalization(backbone: nn.Module) -> nn.Module:
    """An inference copy of ``backbone`` with its input normalization ``(x - mean) / std``
    folded into the weights and bias of its :meth:`input_conv` (same function of the RGB
    0..255 input, to float rounding), or ``backbone`` itself when it has no unpadded input
    convolution. Saves the two full-image passes of the normalization per crop, and lets an
    int8 graph quantize the raw pixels, which are integers and so lose nothing."""
    conv = backbone.input_conv() if hasattr(backbone, "input_conv") else None
    if conv is None or getattr(backbone, "normalization_folded", False):
        return backbone
    if any(p != 0 for p in conv.padding) or conv.groups != 1:
        return backbone  # padded borders would see -mean/std after folding, not 0
    folded = copy.deepcopy(backbone)
    target = folded.input_conv()
    mean = backbone.pixel_mean.reshape(1, -1, 1, 1)
    std = backbone.pixel_std.reshape(1, -1, 1, 1)
    w = conv.weight
    new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                    0, conv.dilation, 1, bias=True).to(w.dtype)
    new.weight.copy_(w / std)
    bias = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
    new.bias.copy_(bias - (w * mean / std).sum(dim=(1, 2, 3)))
    _replace_module(folded, target, new)
    folded.normalization_folded = True
    return folded.eval()


def _replace_module(root: nn.Module, old: nn.Module, new: nn.Module) -> None:
    for parent in root.modules():
        for name, child in parent.named_children():
            if child is old:
                setattr(parent, name, new)
                return
    raise ValueError("input_conv() is not a submodule of its backbone")


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
        if groups.size(2) == 1:  # plain networks: the pooled map is the only slot, no reduction
            return groups[:, :, 0], groups
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
