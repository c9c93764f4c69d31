"""The Backbone contract every feature extractor in eqtrack follows.

Trackers only see this interface, never a concrete network, so any registered backbone can be
plugged into any head.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

# ImageNet statistics: the usual choice for ResNet-style trackers, kept even for networks
# trained from scratch so that checkpoints stay interchangeable.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class StageShape(NamedTuple):
    """What one named stage outputs: ``channels`` (per group element for group networks),
    ``stride`` (input pixels per output cell) and ``group_order`` (1 for plain networks; then
    stage maps are ``[B, channels, h, w]``, else ``[B, channels, group_order, h, w]``)."""

    channels: int
    stride: int
    group_order: int = 1


class Backbone(nn.Module):
    """Base class of all backbones.

    Input: float tensor ``[B, 3, H, W]``, RGB, values in 0..255 (not normalized: the backbone
    normalizes inside, so callers never need to know which statistics a network expects).
    Output: float tensor ``[B, out_channels, h, w]`` with ``h ~ (H - offset) / stride``.

    Every public entry point (``forward``, :meth:`stages`, :meth:`group_features`,
    :meth:`regularization_loss`, ``attention_maps``) takes RGB 0..255. Subclasses set
    ``out_channels`` and ``stride`` and implement :meth:`features` and :meth:`_stages`, which
    receive the normalized image, and :meth:`stage_shapes`. ``group_order`` is 1 for plain networks; group-equivariant networks
    report the size of their group and pool the group axis before returning, so heads stay plain.
    """

    out_channels: int = 0
    stride: int = 1
    group_order: int = 1
    group_name: str | None = None  # "p4", "p4m" for group-equivariant networks
    # Inputs of side ``size_residue (mod size_modulus)`` are consumed exactly by every strided
    # layer, so the feature grid is symmetric about the image centre and rotating the input by
    # 90 degrees maps the grid onto itself (the condition for exact equivariance).
    size_modulus: int = 1
    size_residue: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("pixel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0,
                             persistent=False)
        self.register_buffer("pixel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0,
                             persistent=False)
        # set by tracker.inference.runtime.branches.fold_input_normalization on an inference
        # copy whose input_conv has absorbed the normalization
        self.normalization_folded = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.normalize(x))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """RGB 0..255 ``[B, 3, H, W]`` -> the normalized input of :meth:`features`."""
        if x.dim() != 4 or x.size(1) != 3:
            raise ValueError(f"backbone input must be [B, 3, H, W], got {list(x.shape)}")
        if self.normalization_folded:
            return x
        return (x - self.pixel_mean) / self.pixel_std

    def input_conv(self) -> nn.Conv2d | None:
        """The convolution that reads the normalized image first, when it pads nothing: then
        the per-channel normalization folds exactly into its weights and bias (inference
        graphs do that). None where the network starts otherwise."""
        return None

    def features(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named intermediate outputs of an RGB 0..255 image ``[B, 3, H, W]``, in network order,
        shaped as :meth:`stage_shapes` says: plain networks give ``[B, C, h, w]`` maps, group
        networks group-resolved ``[B, C, |G|, h, w]`` ones."""
        return self._stages(self.normalize(x))

    def _stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError(f"{type(self).__name__} exposes no stage outputs")

    def stage_shapes(self) -> dict[str, StageShape]:
        """Per stage of :meth:`stages` (same names, same order): its :class:`StageShape`."""
        raise NotImplementedError(f"{type(self).__name__} exposes no stage outputs")

    def group_features(self, x: torch.Tensor) -> torch.Tensor:
        """Group-resolved output ``[B, out_channels, group_order, h, w]`` of an RGB 0..255 image
        (slot ``g`` responds to the pattern transformed by group element ``g``); plain networks
        return their features with a group axis of size 1."""
        return self(x).unsqueeze(2)

    def pool_group(self, g: torch.Tensor) -> torch.Tensor:
        """The output :meth:`forward` gives, from :meth:`group_features`' ``[B, C, G, h, w]``:
        ``[B, C, h, w]`` (lets a tracker compute group features once and use both)."""
        return g.amax(dim=2)

    def regularization_loss(self, x: torch.Tensor, generator: torch.Generator | None = None
                            ) -> torch.Tensor | None:
        """Extra training loss of the backbone on RGB 0..255 images (already weighted), or None.
        The IEN backbone returns its implicit-equivariance loss here; any randomness it needs
        comes from ``generator`` (``None``: torch's global one)."""
        return None

    def exact_size(self, size: int) -> bool:
        """Whether an input of side ``size`` gives a feature grid symmetric under rot90/flips."""
        return self.size_modulus > 1 and size % self.size_modulus == self.size_residue

    def exact_size_below(self, size: int) -> int:
        """The largest side ``<= size`` at which :meth:`exact_size` holds (``size`` itself for
        networks without a size rule)."""
        if self.size_modulus <= 1:
            return size
        return size - (size - self.size_residue) % self.size_modulus

    def check_exact_size(self, size: int, what: str = "input size") -> None:
        """Raise ``ValueError`` naming ``what`` when ``size`` cannot be exactly equivariant."""
        if self.group_order == 1:
            raise ValueError(f"{type(self).__name__} is not group-equivariant, so no {what} "
                             f"makes it exactly equivariant")
        if not self.exact_size(size):
            lo = self.exact_size_below(size)
            raise ValueError(
                f"{what} {size} breaks exact equivariance of {type(self).__name__}: sizes must "
                f"be {self.size_residue} mod {self.size_modulus} (e.g. {lo} or "
                f"{lo + self.size_modulus})")
