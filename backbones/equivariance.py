"""Equivariance as a measured and trained property: transforms of images and features, the
implicit-equivariance loss of IEN (Khetan et al., arXiv 2111.14157) and the relative
equivariance error.

Transform sets (``name``: elements): ``p4`` (rotations by 90 degrees: IEN's R4), ``p4m`` (p4
plus mirroring), ``c8`` (rotations by 45 degrees: IEN's R8; odd multiples of 45 are bilinear
rotations, compared only inside the inscribed disc), ``d8`` (c8 plus mirroring). Element ``e``
is ``(k, m) = (e % n, e // n)`` for ``n`` rotations: mirror left-right if ``m``, then rotate by
``k * 360 / n`` degrees counter-clockwise on screen; for p4/p4m this is exactly
:class:`backbones.gconv.Group`'s indexing.

Feature comparison forms:
- ``"regular"``: group-resolved features ``[B, C, |G|, h, w]`` of a group network transform by
  the regular representation (group axis permuted, maps transformed); for a plain network
  (``[B, C, h, w]``), channels are split into groups of consecutive channels (sizes from
  ``group_sizes``) and a rotation by ``k`` steps shifts the channels of a group of size ``s``
  cyclically by ``k`` (a mirror reverses them): IEN's stronger, orientation-keeping variant.
  Needs every group size to divide the number of rotations.
- ``"pooled"``: IEN's form: max over each channel group, then only the maps transform.
- ``"invariant"``: every channel (group networks: after max over the group axis) is expected to
  transform only spatially.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .gconv import UnknownGroupError
from .registry import Registry

FORMS = ("regular", "pooled", "invariant")


@dataclass(frozen=True)
class TransformSet:
    """Rotations by multiples of ``360 / rotations`` degrees, optionally with mirroring."""

    name: str
    rotations: int
    mirrors: bool

    @property
    def size(self) -> int:
        return self.rotations * (2 if self.mirrors else 1)

    def element(self, e: int) -> tuple[int, int]:
        return e % self.rotations, e // self.rotations

    def angle(self, e: int) -> float:
        return self.element(e)[0] * 360.0 / self.rotations

    def exact(self, e: int) -> bool:
        """Whether element ``e`` is a pixel permutation (multiple of 90 degrees)."""
        return (self.element(e)[0] * 4) % self.rotations == 0

    def inverse(self, e: int) -> int:
        k, m = self.element(e)
        return e if m else (-k) % self.rotations

    def label(self, e: int) -> str:
        k, m = self.element(e)
        return ("mirror+" if m else "") + f"rot{self.angle(e):g}"

    def apply(self, x: torch.Tensor, e: int) -> torch.Tensor:
        """Transform the last two (spatial, square) dims of ``x``: ``[..., H, W]``. Pixels that
        come from outside the map are zero."""
        k, m = self.element(e)
        if m:
            x = torch.flip(x, dims=(-1,))
        if k == 0:
            return x
        if self.exact(e):
            return torch.rot90(x, k * 4 // self.rotations, dims=(-2, -1))
        return rotate(x, k * 360.0 / self.rotations)


# the transform sets equivariance is measured and regularized under: the conv groups' (p4,
# p4m) and finer ones (c8, d8: 45-degree turns, bilinear) that no network is exact under
TRANSFORMS = Registry("group", {
    "p4": TransformSet("p4", 4, False), "p4m": TransformSet("p4m", 4, True),
    "c8": TransformSet("c8", 8, False), "d8": TransformSet("d8", 8, True)},
    error=UnknownGroupError)


def get_transforms(name: str) -> TransformSet:
    """The transform set ``name`` (``p4``, ``p4m``, ``c8``, ``d8``)."""
    return TRANSFORMS.get(name)


def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    """Bilinear rotation of ``[..., H, W]`` maps by ``degrees`` counter-clockwise on screen
    about the map centre; outside pixels are zero. For multiples of 90 degrees on square maps it
    agrees with ``torch.rot90`` to float precision."""
    shape = x.shape
    x4 = x.reshape(-1, 1, shape[-2], shape[-1])
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    # output pixel p samples the input at R^-1 p (normalized coords, y down)
    theta = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(x4.size(0), 2, 3), list(x4.shape), align_corners=False)
    return F.grid_sample(x4, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False).reshape(shape)


def disc_mask(size: int, device=None, margin: float = 0.0) -> torch.Tensor:
    """``[size, size]`` float mask, 1 inside the disc inscribed in the map (shrunk by
    ``margin`` pixels), where rotations by any angle lose no content."""
    c = (torch.arange(size, device=device, dtype=torch.float32) + 0.5 - size / 2.0)
    r2 = c.view(-1, 1) ** 2 + c.view(1, -1) ** 2
    return (r2 <= (size / 2.0 - margin) ** 2).float()


def channel_groups(channels: int, sizes, proportions=None) -> list[tuple[int, int, int]]:
    """Split ``channels`` consecutive channels into parts of channel groups.

    Homogeneous: ``sizes=[k]`` (``channels`` must be divisible by ``k``). Heterogeneous:
    ``proportions`` (e.g. ``[32, 8, 2, 1]``) share the channels between parts whose groups have
    the matching ``sizes`` (e.g. ``[8, 4, 2, 1]``); each part is rounded down to a multiple of
    its size and the remainder goes to the part with the smallest size.

    Returns ``(start, count, size)`` per part: channels ``start .. start + count*size``.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"channel group sizes must be positive integers, got {sizes}")
    if proportions is None:
        if len(sizes) != 1:
            raise ValueError("several group sizes need matching group proportions")
        proportions = [1]
    if len(proportions) != len(sizes) or any(p <= 0 for p in proportions):
        raise ValueError(f"group proportions {list(proportions)} must be positive and match "
                         f"the group sizes {sizes}")
    total = float(sum(proportions))
    counts = [int(channels * p / total) // s for p, s in zip(proportions, sizes)]
    rest = channels - sum(c * s for c, s in zip(counts, sizes))
    small = min(range(len(sizes)), key=lambda i: sizes[i])
    if rest % sizes[small]:
        raise ValueError(f"{channels} channels cannot be split into groups of sizes {sizes}")
    counts[small] += rest // sizes[small]
    parts, start = [], 0
    for c, s in zip(counts, sizes):
        if c:
            parts.append((start, c, s))
        start += c * s
    return parts


def _channel_perm(parts, k: int, m: int, device) -> torch.Tensor:
    # regular action inside each channel group: new[j] = old[(k - j) % s] mirrored,
    # old[(j - k) % s] otherwise
    idx = []
    for start, count, s in parts:
        j = torch.arange(s)
        src = (k - j) % s if m else (j - k) % s
        for c in range(count):
            idx.append(start + c * s + src)
    return torch.cat(idx).to(device)


def _pool_groups(f: torch.Tensor, parts) -> torch.Tensor:
    b, _, h, w = f.shape
    return torch.cat([f[:, start:start + count * s].reshape(b, count, s, h, w).amax(2)
                      for start, count, s in parts], dim=1)


class FeatureAction:
    """How a stage's features are expected to transform (see the module docstring).

    ``prepare(f)`` maps raw stage outputs to the compared representation (group pooling for
    ``pooled``/``invariant``); ``act(f, e)`` applies transform ``e`` to prepared features.
    """

    def __init__(self, transforms: TransformSet, form: str, group=None, group_sizes=(4,),
                 group_proportions=None) -> None:
        if form not in FORMS:
            raise ValueError(f"unknown equivariance form {form!r}; known: {', '.join(FORMS)}")
        self.t, self.form, self.group = transforms, form, group
        self.sizes, self.proportions = list(group_sizes), group_proportions
        if form == "regular" and group is not None:
            if transforms.rotations != 4 or (transforms.mirrors and not group.mirrors):
                raise ValueError(f"the regular form of a {group.name} network needs transforms "
                                 f"inside {group.name}, not {transforms.name}")
        if form == "regular" and group is None:
            bad = [s for s in self.sizes if transforms.rotations % s]
            if bad:
                raise ValueError(f"regular form: channel group size {bad[0]} does not divide the "
                                 f"{transforms.rotations} rotations of {transforms.name}")

    def channel_groups(self, channels: int):
        """The channel groups a stage of ``channels`` channels splits into
        (:func:`channel_groups`); ``ValueError`` when the split does not fit."""
        return channel_groups(channels, self.sizes, self.proportions)

    def prepare(self, f: torch.Tensor) -> torch.Tensor:
        if f.dim() == 5 and self.group is None:
            # channel groups of a network treated as plain: the flattened channels
            f = f.flatten(1, 2)
        if f.dim() == 5:  # group-resolved [B, C, |G|, h, w]
            if self.form == "regular":
                return f
            f = f.amax(dim=2)
            if self.form == "invariant":
                return f
        if self.form == "pooled":
            return _pool_groups(f, self.channel_groups(f.size(1)))
        return f

    def act(self, f: torch.Tensor, e: int) -> torch.Tensor:
        if self.form == "regular":
            k, m = self.t.element(e)
            if f.dim() == 5:
                return self.group.act_regular(f, self.group.index(k, m))
            f = f.index_select(1, _channel_perm(self.channel_groups(f.size(1)), k, m, f.device))
        return self.t.apply(f, e)


def _square_exact_crop(backbone, x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[-2:]
    if h != w:
        raise ValueError(f"equivariance needs square inputs, got {h}x{w}")
    n = backbone.exact_size_below(h)
    o = (h - n) // 2
    return x[..., o:o + n, o:o + n]


class ImplicitEquivarianceLoss(nn.Module):
    """IEN's loss: ``sum_j MSE(A_j(f_j(x)), T^-1[A_j(f_j(T x))])`` over tapped stages ``j``,
    one random non-identity transform ``T`` per sample.

    ``form="pooled"`` is the paper's (``A_j`` = max over each channel group, ``T^-1`` spatial);
    ``form="regular"`` compares unpooled features with channels shifted inside each group.
    Inputs: RGB 0..255 ``[B, 3, S, S]``; when the backbone has an exact-size rule, the input is
    centre-cropped to the largest exact size (so that rot90 maps the feature grid onto itself).
    Interpolated rotations (c8, d8) are compared inside the inscribed disc only.
    Returns ``(loss, {stage: term})``, unweighted.
    """

    def __init__(self, layers=("layer1", "layer2"), transforms: str = "p4",
                 form: str = "pooled", group_sizes=(4,), group_proportions=None) -> None:
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("the IEN loss needs at least one tapped layer")
        self.transforms = get_transforms(transforms)
        if form == "invariant":
            raise ValueError("the IEN loss form must be 'pooled' or 'regular'")
        self.action = FeatureAction(self.transforms, form, None, group_sizes, group_proportions)

    def forward(self, backbone, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(loss, {stage: term})`` on RGB 0..255 images ``x [B, 3, S, S]``; each image gets
        one random non-identity transform, drawn from ``generator`` (``None``: torch's global
        generator)."""
        x = _square_exact_crop(backbone, x)
        t = self.transforms
        interpolated = not all(t.exact(e) for e in range(t.size))
        if interpolated:
            x = x * disc_mask(x.size(-1), x.device)
        elems = torch.randint(1, t.size, (x.size(0),), generator=generator).tolist()
        tx = torch.stack([t.apply(xi, e) for xi, e in zip(x, elems)])
        both = backbone.stages(torch.cat([x, tx]))
        terms = {}
        b = x.size(0)
        for name in self.layers:
            if name not in both:
                raise ValueError(f"the backbone has no stage '{name}'; stages: "
                                 f"{', '.join(both)}")
            f = self.action.prepare(both[name])
            fx, ftx = f[:b], f[b:]
            back = torch.stack([self.action.act(fi.unsqueeze(0), t.inverse(e))[0]
                                for fi, e in zip(ftx, elems)])
            if interpolated:
                mask = disc_mask(f.size(-1), f.device, margin=1.0)
                terms[name] = ((fx - back) ** 2 * mask).sum() / (mask.sum()
                                                                 * fx[..., 0, 0].numel())
            else:
                terms[name] = F.mse_loss(back, fx)
        return sum(terms.values()), terms


@torch.no_grad()
def equivariance_error(backbone, images: torch.Tensor, transforms: str = "p4",
                       form: str = "native") -> dict[str, dict[str, float]]:
    """Relative equivariance error ``||A(f(T x)) - T' A(f(x))|| / ||A(f(x))||`` of every stage
    of ``backbone`` (which must expose :meth:`stages`), for every non-identity element ``T`` of
    ``transforms``, on RGB 0..255 images ``[B, 3, S, S]``.

    ``form``: ``"native"`` (group networks: ``regular``; the IEN backbone: the form it was
    trained with; other plain networks: ``invariant``) or one of ``FORMS``. Interpolated
    rotations are compared inside the inscribed disc. Returns ``{stage: {label: error}}``.
    Batch norm uses its running statistics if the backbone is in eval mode (call ``.eval()``).
    """
    t = get_transforms(transforms)
    action = _action_for(backbone, t, form)
    h, w = images.shape[-2:]
    if h != w:
        raise ValueError(f"equivariance needs square inputs, got {h}x{w}")
    interpolated = not all(t.exact(e) for e in range(t.size))
    if interpolated:
        images = images * disc_mask(h, images.device)
    ref = {k: action.prepare(v) for k, v in backbone.stages(images).items()}
    out: dict[str, dict[str, float]] = {k: {} for k in ref}
    for e in range(1, t.size):
        got = backbone.stages(t.apply(images, e).contiguous())
        for name, f in ref.items():
            want = action.act(f, e)
            diff = action.prepare(got[name]) - want
            if interpolated:
                mask = disc_mask(f.size(-1), f.device, margin=1.0)
                diff, want = diff * mask, want * mask
            out[name][t.label(e)] = float(diff.norm() / want.norm().clamp_min(1e-12))
    return out


def _action_for(backbone, t: TransformSet, form: str) -> FeatureAction:
    group = getattr(backbone, "group", None) if backbone.group_order > 1 else None
    if form == "native":
        ien = getattr(backbone, "ien", None)
        if group is not None:
            inside = t.rotations == 4 and (group.mirrors or not t.mirrors)
            form = "regular" if inside else "invariant"
        elif ien is not None:
            return FeatureAction(t, ien.action.form, None, ien.action.sizes,
                                 ien.action.proportions)
        else:
            form = "invariant"
    return FeatureAction(t, form, group)
