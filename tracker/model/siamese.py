"""SiameseNet: a backbone shared by template and search branches, and a head."""
from __future__ import annotations

import torch
from torch import nn

from backbones import Backbone


class SiameseNet(nn.Module):
    """``SiameseNet(backbone, head, angle_head=None)``.

    ``forward(z [B,3,hz,wz], x [B,3,hx,wx])`` takes RGB 0..255 images and returns the head's raw
    output (never a loss). For tracking, :meth:`template` is called once per target and
    :meth:`track` once per frame with the cached template features. ``angle_head`` (a
    :class:`tracker.model.angle_head.AngleHead` or None) is the optional learned angle
    estimate on the backbone's group features; it takes no part in ``forward``.
    """

    def __init__(self, backbone: Backbone, head: nn.Module,
                 angle_head: nn.Module | None = None) -> None:
        super().__init__()
        check_compatible(backbone, head)  # at build time, not at the first frame
        self.backbone = backbone
        self.head = head
        self.angle_head = angle_head

    def template(self, z: torch.Tensor) -> torch.Tensor:
        """Template features ``[B, C, hz, wz]`` of template crops ``z [B,3,hz*8.., ..]``."""
        return self.backbone(z)

    def track(self, z_feat: torch.Tensor, x: torch.Tensor):
        """The head's output for cached template features against search crops
        ``x [B,3,hx,wx]``: a score map ``[B,1,s,s]`` (``xcorr``) or ``(cls, loc)`` (``rpn``)."""
        return self.head(z_feat, self.backbone(x))

    def forward(self, z: torch.Tensor, x: torch.Tensor):
        return self.track(self.template(z), x)


def check_compatible(backbone: nn.Module, head: nn.Module) -> None:
    """Fail before any frame: ``ValueError`` naming both channel counts when ``head`` (anything
    with ``in_channels``) cannot take ``backbone``'s ``out_channels``."""
    want = getattr(head, "in_channels", None)
    have = getattr(backbone, "out_channels", None)
    if want is not None and have is not None and int(want) != int(have):
        raise ValueError(f"{type(head).__name__} expects {want}-channel features but backbone "
                         f"{type(backbone).__name__} outputs {have} channels")
