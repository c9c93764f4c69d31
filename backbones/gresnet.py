"""Group-equivariant CIResNet-22 (p4, p4m) with optional attention (Romero et al. 2020).

The topology of :class:`backbones.resnet.CIResNet22` (7x7/2 stem, 2x2 max-pool, 3 CIR units,
a CIR-D unit, 3 CIR units; stride 8; built by the same
:func:`backbones.resnet.ciresnet22_stages`), with lifting / group convolutions and group batch
norm.
The output is max-pooled over the group axis, so heads see plain ``[B, C, h, w]`` maps that are
rotation-invariant per channel; :meth:`group_features` keeps the group axis for orientation
estimation. Inputs of side 5 mod 8 (125 -> 5x5, 253 -> 21x21: still a 17x17 response) are
consumed exactly by every strided layer, which makes the network exactly equivariant.

``width`` counts *flattened* channels (fields x |G|) against the plain network: width 1.0 has
the stem, layer1 and layer2 of the plain net's channel counts (64 / 256 / 512), hence the same
FLOPs and 1/|G| of its convolution parameters; width sqrt(|G|) (2.0 for p4, ~2.83 for p4m)
matches its parameter count at |G| times the FLOPs. Every channel count must be divisible by
|G|.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Backbone, StageShape
from .gconv import (
    Group,
    GroupAttention,
    GroupBatchNorm2d,
    GroupConv2d,
    LiftingConv2d,
    get_group,
    group_pool,
)
from .registry import register_backbone
from .resnet import EXPANSION, STAGE_STRIDES, STAGES, STEM_CHANNELS, ciresnet22_stages

ATTENTION_STAGES = ("layer1", "layer2")


class GroupCIBottleneck(nn.Module):
    """Cropping-inside residual unit on flattened group features
    ``[B, Cin*|G|, H, W] -> [B, 4*planes*|G|, H-2, W-2]`` (halved again when ``pool``).
    With ``attention`` the 3x3 group convolution's input is re-weighted by
    :class:`GroupAttention` (the "fA" form of attentive G-CNNs)."""

    expansion = EXPANSION

    def __init__(self, group: Group, in_fields: int, planes: int, pool: bool = False,
                 attention: bool = False, reduction: int = 8) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = GroupConv2d(group, in_fields, planes, 1)
        self.bn1 = GroupBatchNorm2d(group, planes)
        self.attention = GroupAttention(group, planes, reduction) if attention else None
        self.conv2 = GroupConv2d(group, planes, planes, 3, padding=1)
        self.bn2 = GroupBatchNorm2d(group, planes)
        self.conv3 = GroupConv2d(group, planes, out, 1)
        self.bn3 = GroupBatchNorm2d(group, out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if in_fields != out:
            self.shortcut = nn.Sequential(GroupConv2d(group, in_fields, out, 1),
                                          GroupBatchNorm2d(group, out))
        self.pool = nn.MaxPool2d(2, 2) if pool else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        if self.attention is not None:
            y = self.attention(y)
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        y = self.relu(y + (x if self.shortcut is None else self.shortcut(x)))
        y = y[:, :, 1:-1, 1:-1]
        return y if self.pool is None else self.pool(y)


class GroupCIResNet22(Backbone):
    """Base of the registered group ResNet-22 backbones (see the module docstring).

    ``forward``: RGB 0..255 ``[B,3,H,W]`` -> ``[B, out_channels, h, w]`` (group max-pooled);
    ``group_features``: ``[B, out_channels, |G|, h, w]``; ``stages``: group-resolved maps.
    ``attention``: stage names (of ``"layer1"``, ``"layer2"``) whose units use attention.
    """

    stride = 8
    size_modulus, size_residue = 8, 5

    def __init__(self, group: str, width: float = 1.0, attention=(), attention_reduction: int = 8,
                 pool: str = "max") -> None:
        super().__init__()
        g = get_group(group)
        n = g.order
        self.group, self.group_name, self.group_order = g, g.name, n
        if pool not in ("max", "mean"):
            raise ValueError(f"pool must be 'max' or 'mean', got {pool!r}")
        self.pool_mode = pool
        if isinstance(attention, str):
            attention = [attention]
        unknown = [s for s in attention if s not in ATTENTION_STAGES]
        if unknown:
            raise ValueError(f"attention stage {unknown[0]!r} is unknown; "
                             f"stages with attention: {', '.join(ATTENTION_STAGES)}")
        if not isinstance(attention_reduction, int) or attention_reduction < 1:
            raise ValueError(f"attention_reduction must be a positive integer, "
                             f"got {attention_reduction!r}")
        fields = {}
        bases = {"stem": STEM_CHANNELS, **{n: base for n, (base, _) in STAGES.items()}}
        for name, base in bases.items():
            flat = int(round(base * width))
            if flat < n or flat % n:
                what = "stem" if name == "stem" else f"{name} planes"
                raise ValueError(
                    f"width {width} gives {flat} channels for the {what}, not a positive multiple "
                    f"of the order {n} of group {g.name}; choose a width with "
                    f"{base}*width divisible by {n}")
            fields[name] = flat // n
        stem = fields["stem"]
        self.stem = nn.Sequential(LiftingConv2d(g, 3, stem, 7, stride=2), GroupBatchNorm2d(g, stem),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(2, 2))
        self.layer1, self.layer2 = ciresnet22_stages(
            lambda stage, cin, p, pool: GroupCIBottleneck(g, cin, p, pool=pool,
                                                          attention=stage in attention,
                                                          reduction=attention_reduction),
            stem, {name: fields[name] for name in STAGES})
        self._fields = {"stem": stem, **{name: fields[name] * EXPANSION for name in STAGES}}
        self.out_channels = self._fields["layer2"]
        for m in self.modules():
            if isinstance(m, GroupBatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # like the plain net: every residual unit starts as its shortcut (Goyal et al. 2017)
        for m in self.modules():
            if isinstance(m, GroupCIBottleneck):
                nn.init.zeros_(m.bn3.weight)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(self.layer1(self.stem(x)))

    def _resolve(self, y: torch.Tensor) -> torch.Tensor:
        b, cg, h, w = y.shape
        return y.reshape(b, cg // self.group_order, self.group_order, h, w)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return group_pool(self._flat(x), self.group_order, self.pool_mode)

    def group_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._resolve(self._flat(self.normalize(x)))

    def pool_group(self, g: torch.Tensor) -> torch.Tensor:
        return g.amax(dim=2) if self.pool_mode == "max" else g.mean(dim=2)

    def stage_shapes(self) -> dict[str, StageShape]:
        return {name: StageShape(self._fields[name], stride, self.group_order)
                for name, stride in STAGE_STRIDES.items()}

    def _stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        s0 = self.stem(x)
        s1 = self.layer1(s0)
        s2 = self.layer2(s1)
        return {"stem": self._resolve(s0), "layer1": self._resolve(s1),
                "layer2": self._resolve(s2)}

    def attention_maps(self, x: torch.Tensor) -> dict[str, dict[str, torch.Tensor]]:
        """Run the network on RGB 0..255 ``x`` and return every attention module's maps by
        module name (e.g. ``"layer1.0.attention"``): ``"channel"`` ``[B, C, |G|]`` and
        ``"spatial"`` ``[B, |G|, h, w]``, values in (0, 1). Empty for networks without
        attention."""
        modules = {name: m for name, m in self.named_modules() if isinstance(m, GroupAttention)}
        for m in modules.values():
            m.record, m.last_maps = True, None
        try:
            self(x)
            return {name: m.last_maps for name, m in modules.items()}
        finally:
            for m in modules.values():
                m.record, m.last_maps = False, None


@register_backbone("p4_resnet22")
class P4ResNet22(GroupCIResNet22):
    """CIResNet-22 equivariant to rotations by 90 degrees (group p4)."""

    def __init__(self, width: float = 1.0, pool: str = "max") -> None:
        super().__init__("p4", width=width, pool=pool)


@register_backbone("p4m_resnet22")
class P4MResNet22(GroupCIResNet22):
    """CIResNet-22 equivariant to rotations by 90 degrees and mirroring (group p4m)."""

    def __init__(self, width: float = 1.0, pool: str = "max") -> None:
        super().__init__("p4m", width=width, pool=pool)


@register_backbone("p4_att_resnet22")
class P4AttResNet22(GroupCIResNet22):
    """Attentive p4 CIResNet-22: channel and spatial attention in the ``attention`` stages."""

    def __init__(self, width: float = 1.0, attention=ATTENTION_STAGES,
                 attention_reduction: int = 8, pool: str = "max") -> None:
        super().__init__("p4", width=width, attention=attention,
                         attention_reduction=attention_reduction, pool=pool)


@register_backbone("p4m_att_resnet22")
class P4MAttResNet22(GroupCIResNet22):
    """Attentive p4m CIResNet-22: channel and spatial attention in the ``attention`` stages."""

    def __init__(self, width: float = 1.0, attention=ATTENTION_STAGES,
                 attention_reduction: int = 8, pool: str = "max") -> None:
        super().__init__("p4m", width=width, attention=attention,
                         attention_reduction=attention_reduction, pool=pool)
