"""Plain (non-equivariant) backbones: SiamFC's AlexNet and SiamDW's CIResNet-22.

Both have total stride 8: a 127 template and a 255 search region give 6x6 / 22x22 (AlexNet) and
5x5 / 21x21 (CIResNet-22) maps, hence the classic 17x17 response of SiamFC.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Backbone, StageShape
from .registry import register_backbone


def _init_weights(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# CIResNet-22's topology, shared by the plain and the group networks (backbones.gresnet):
# channels of the stem and planes of each residual stage at width 1.0, each stage's units
# (True: the CIR-D unit that downsamples), and each stage's stride
STEM_CHANNELS = 64
STAGES = {"layer1": (64, (False, False, False)), "layer2": (128, (True, False, False, False))}
STAGE_STRIDES = {"stem": 4, "layer1": 4, "layer2": 8}
EXPANSION = 4  # a CIR unit's output channels per plane


@register_backbone("alexnet")
class AlexNet(Backbone):
    """SiamFC's modified AlexNet (BN after every conv, grouped conv2/4/5, no padding).

    ``[B,3,127,127] -> [B,256,6,6]`` and ``[B,3,255,255] -> [B,256,22,22]``; stride 8.
    """

    stride = 8
    size_modulus, size_residue = 8, 7  # 127 and 255 are consumed exactly

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        c = [max(2, int(round(n * width / 2)) * 2) for n in (96, 256, 384, 384, 256)]
        self.out_channels = c[4]
        self.body = nn.Sequential(
            nn.Conv2d(3, c[0], 11, 2), nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c[0], c[1], 5, 1, groups=2), nn.BatchNorm2d(c[1]), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c[1], c[2], 3, 1), nn.BatchNorm2d(c[2]), nn.ReLU(inplace=True),
            nn.Conv2d(c[2], c[3], 3, 1, groups=2), nn.BatchNorm2d(c[3]), nn.ReLU(inplace=True),
            nn.Conv2d(c[3], c[4], 3, 1, groups=2),
        )
        _init_weights(self)

    def input_conv(self) -> nn.Conv2d:
        return self.body[0]

    # stage name -> (index after its last layer in ``body``, stride)
    _STAGES = {"conv1": (4, 4), "conv2": (8, 8), "conv4": (14, 8), "conv5": (15, 8)}

    def _stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out, start = {}, 0
        for name, (end, _) in self._STAGES.items():
            x = self.body[start:end](x)
            out[name], start = x, end
        return out

    def stage_shapes(self) -> dict[str, StageShape]:
        convs = [m for m in self.body if isinstance(m, nn.Conv2d)]
        channels = dict(zip(("conv1", "conv2", "conv3", "conv4", "conv5"),
                            (c.out_channels for c in convs)))
        return {name: StageShape(channels[name], stride)
                for name, (_, stride) in self._STAGES.items()}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class CIBottleneck(nn.Module):
    """SiamDW's cropping-inside residual (CIR) bottleneck unit.

    1x1 -> 3x3 (padding 1) -> 1x1 convolutions plus the shortcut, then the outermost ring of the
    map is cropped: those positions saw zero padding, which would break the translation
    invariance that cross-correlation relies on. ``[B,Cin,H,W] -> [B,4*planes,H-2,W-2]``.
    With ``pool=True`` (the CIR-D unit) a 2x2 max-pool with stride 2 follows the crop, so the
    convolution itself stays at stride 1 and the unit downsamples without padding artefacts.
    ``norm(channels)`` builds each batch norm.
    """

    expansion = EXPANSION

    def __init__(self, in_channels: int, planes: int, pool: bool = False,
                 norm=nn.BatchNorm2d) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = norm(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = norm(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = norm(out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if in_channels != out:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out, 1, bias=False),
                                          norm(out))
        self.pool = nn.MaxPool2d(2, 2) if pool else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        y = self.relu(y + (x if self.shortcut is None else self.shortcut(x)))
        y = y[:, :, 1:-1, 1:-1]
        return y if self.pool is None else self.pool(y)


def ciresnet22_stages(unit, stem_channels: int, planes: dict[str, int]) -> list[nn.Sequential]:
    """The residual stages of CIResNet-22, ``[layer1, layer2]``, built from
    ``unit(stage, in_channels, planes, pool)`` (a plain or a group CIR unit) with ``planes``
    per stage name, in network order."""
    stages, cin = [], stem_channels
    for name, (_, pools) in STAGES.items():
        units = []
        for pool in pools:
            units.append(unit(name, cin, planes[name], pool))
            cin = planes[name] * EXPANSION
        stages.append(nn.Sequential(*units))
    return stages


@register_backbone("resnet22")
class CIResNet22(Backbone):
    """CIResNet-22 of SiamDW: 7x7/2 stem, 2x2 max-pool, 3 CIR units, 1 CIR-D unit, 3 CIR units.

    ``[B,3,127,127] -> [B,512,5,5]`` and ``[B,3,255,255] -> [B,512,21,21]``; stride 8.
    Inputs of size 5 mod 8 (125, 253) are consumed exactly by every strided layer, which the
    group-equivariant twins need for exact rotation equivariance. ``width`` scales all channel
    counts (1.0 = 64 stem channels and 512 outputs). ``norm(channels)`` builds every batch norm
    (``nn.BatchNorm2d``; subclasses only, so the initialization below applies).
    """

    stride = 8
    size_modulus, size_residue = 8, 5

    def __init__(self, width: float = 1.0, norm=nn.BatchNorm2d) -> None:
        super().__init__()
        stem = max(4, int(round(STEM_CHANNELS * width)))
        planes = {name: max(1, int(round(base * width))) for name, (base, _) in STAGES.items()}
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 7, 2, bias=False), norm(stem),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(2, 2))
        self.layer1, self.layer2 = ciresnet22_stages(
            lambda _, cin, p, pool: CIBottleneck(cin, p, pool=pool, norm=norm), stem, planes)
        self._channels = {"stem": stem, **{n: p * EXPANSION for n, p in planes.items()}}
        self.out_channels = self._channels["layer2"]
        _init_weights(self)
        # zero-init the last BN of every residual branch (Goyal et al. 2017): each unit starts as
        # its shortcut, which trains better and keeps an untrained network's features usable
        for m in self.modules():
            if isinstance(m, CIBottleneck):
                nn.init.zeros_(m.bn3.weight)

    def input_conv(self) -> nn.Conv2d:
        return self.stem[0]

    def _stages(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        s0 = self.stem(x)
        s1 = self.layer1(s0)
        s2 = self.layer2(s1)
        return {"stem": s0, "layer1": s1, "layer2": s2}

    def stage_shapes(self) -> dict[str, StageShape]:
        return {name: StageShape(self._channels[name], stride)
                for name, stride in STAGE_STRIDES.items()}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(self.layer1(self.stem(x)))
