"""IEN ResNet-22: a plain CIResNet-22 trained with the implicit-equivariance loss.

At inference it *is* a plain CIResNet-22 (same modules, same state dict, no extra work): the
equivariance lives in the weights. With ``tie_bn`` (for the regular form) every batch norm keeps
one set of statistics per channel group instead of per channel, so that a cyclic shift inside a
group commutes with it; at inference that is still a per-channel affine of the same cost. The
loss settings come from the config and act only through :meth:`regularization_loss` during
training; ``beta = 0`` gives the plain baseline.
"""
from __future__ import annotations

import torch
from torch import nn

from .equivariance import ImplicitEquivarianceLoss
from .gconv import TiedBatchNorm2d
from .registry import register_backbone
from .resnet import CIResNet22


@register_backbone("ien_resnet22")
class IENResNet22(CIResNet22):
    """CIResNet-22 regularized by IEN (see :class:`ImplicitEquivarianceLoss` for the options).

    ``beta``: weight of the loss; ``layers``: tapped stages (``stem``, ``layer1``, ``layer2``);
    ``transforms``: ``p4`` (IEN's R4), ``c8`` (R8), ``p4m``/``d8`` (with flips); ``form``:
    ``pooled`` (the paper's) or ``regular``; ``group_sizes`` and ``group_proportions``: the
    channel groups, e.g. ``[4]`` (homogeneous) or ``[8, 4, 2, 1]`` with ``[32, 8, 2, 1]``;
    ``tie_bn``: share batch-norm statistics, scale and shift inside each channel group of every
    layer (one group size only), which the regular form needs to stay equivariant at inference.
    """

    def __init__(self, width: float = 1.0, beta: float = 1.0, layers=("layer1", "layer2"),
                 transforms: str = "p4", form: str = "pooled", group_sizes=(4,),
                 group_proportions=None, tie_bn: bool = False) -> None:
        super().__init__(width=width, norm=_tied_norm(group_sizes, group_proportions)
                         if tie_bn else nn.BatchNorm2d)
        self.tie_bn = bool(tie_bn)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
            raise ValueError(f"beta must be a non-negative number, got {beta!r}")
        unknown = [name for name in layers if name not in ("stem", "layer1", "layer2")]
        if unknown:
            raise ValueError(f"IEN layer {unknown[0]!r} is unknown; stages: stem, layer1, layer2")
        self.beta = float(beta)
        self.ien = ImplicitEquivarianceLoss(layers, transforms, form, group_sizes,
                                            group_proportions)
        # validate the channel split of every tapped stage now, not at the first training step
        shapes = self.stage_shapes()
        for name in layers:
            self.ien.action.channel_groups(shapes[name].channels)

    def regularization_loss(self, x: torch.Tensor, generator: torch.Generator | None = None
                            ) -> torch.Tensor | None:
        """``beta * IEN loss`` on RGB 0..255 images ``[B, 3, S, S]``; None when ``beta`` is 0."""
        if self.beta == 0:
            return None
        loss, _ = self.ien(self, x, generator)
        return self.beta * loss


def _tied_norm(group_sizes, group_proportions):
    """The batch-norm factory of ``tie_bn``: ``channels -> TiedBatchNorm2d(channels // s, s)``
    for the one channel group size ``s``."""
    sizes = list(group_sizes)
    if len(sizes) != 1 or group_proportions is not None:
        raise ValueError(f"tie_bn needs one channel group size, got group_sizes {sizes}")
    size = int(sizes[0])

    def norm(channels: int) -> TiedBatchNorm2d:
        if channels % size:
            raise ValueError(f"tie_bn: a batch norm of {channels} channels does not split into "
                             f"groups of {size}")
        return TiedBatchNorm2d(channels // size, size)
    return norm
