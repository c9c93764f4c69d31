"""Group-equivariant layers for p4 and p4m built by transforming filters.

Feature maps of a group network travel *flattened*, ``[B, C * |G|, H, W]`` with channel index
``c * |G| + g``, so every layer is one ordinary ``conv2d`` / ``batch_norm`` / ``max_pool2d`` call;
``x.view(B, C, |G|, H, W)`` gives the group-resolved view at no cost.

Exactness: rotating or mirroring the input permutes the group axis and transforms the maps,
exactly (up to float rounding), provided every strided or pooling layer consumes its whole
input (``(H - k) % stride == 0``); otherwise the sampling grid is not symmetric about the centre.
Pooling with window 2 and stride 2 (``nn.MaxPool2d(2, 2)``) on even sizes and cropping the same
number of pixels on every side are equivariant as they are, so no special layers exist for them.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .groups import Group


def _tensor_key(*tensors) -> tuple:
    """Identifies the current values of ``tensors`` (version counter, storage, dtype, device)."""
    return tuple((t._version, t.data_ptr(), t.dtype, t.device) if t is not None else None
                 for t in tensors)


class _CachedFilter(nn.Module):
    """Caches the expanded filter bank and bias at inference: rebuilt only when the weight or
    bias changes (version counter, storage or dtype), always rebuilt when gradients are needed.
    Cached tensors also enter an ONNX export as constants rather than as expansion ops."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: tuple | None = None

    def expanded(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(weight [Cout*|G|, Cin(*|G|), k, k], bias [Cout*|G|] or None)``."""
        if torch.is_grad_enabled() and self.weight.requires_grad:
            self._cache = None
            return self._expand(), self._expanded_bias()
        key = _tensor_key(self.weight, self.bias)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, (self._expand(), self._expanded_bias()))
        return self._cache[1]

    def expanded_weight(self) -> torch.Tensor:
        return self.expanded()[0]

    def _expand(self) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _expanded_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias.repeat_interleave(self.group.order)

    def _init(self, fan_out: int) -> None:
        # He initialization on the expanded (flattened) filter's fan-out, like the plain nets
        nn.init.normal_(self.weight, std=math.sqrt(2.0 / fan_out))
        if self.bias is not None:
            nn.init.zeros_(self.bias)


class LiftingConv2d(_CachedFilter):
    """Image -> group convolution: ``[B, Cin, H, W] -> [B, Cout * |G|, H', W']``.

    Output slot ``g`` correlates the input with the filter transformed by ``g``; so transforming
    the input by ``g`` transforms every output map by ``g`` and permutes the group axis.
    """

    def __init__(self, group: Group, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, bias: bool = False) -> None:
        super().__init__()
        self.group, self.stride, self.padding = group, stride, padding
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._init(out_channels * group.order * kernel_size ** 2)

    def _expand(self) -> torch.Tensor:
        w = torch.stack([self.group.transform(self.weight, g) for g in range(self.group.order)], 1)
        return w.flatten(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.expanded()
        return F.conv2d(x, weight, bias, self.stride, self.padding)


class GroupConv2d(_CachedFilter):
    """Group -> group convolution: ``[B, Cin * |G|, H, W] -> [B, Cout * |G|, H', W']``.

    The filter ``W[c_out, c_in, h', :, :]`` is defined on the group; output slot ``h`` uses
    ``T_h(W[:, :, h^-1 h'])``: the input-group axis rolled by ``h`` and the taps transformed.
    Parameters: ``Cout * Cin * |G| * k^2``, i.e. 1/|G| of a plain conv with the same flattened
    channel counts, at the same FLOPs.
    """

    def __init__(self, group: Group, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: int = 0, bias: bool = False) -> None:
        super().__init__()
        self.group, self.stride, self.padding = group, stride, padding
        self.in_channels, self.out_channels = in_channels, out_channels
        n = group.order
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, n, kernel_size,
                                               kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._init(out_channels * n * kernel_size ** 2)

    def _expand(self) -> torch.Tensor:
        g = self.group
        w = torch.stack([g.transform(self.weight.index_select(2, g.regular_perm(h).to(
            self.weight.device)), h) for h in range(g.order)], 1)
        # [Cout, |G| out, Cin, |G| in, k, k] -> [Cout*|G|, Cin*|G|, k, k]
        return w.flatten(0, 1).flatten(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.expanded()
        return F.conv2d(x, weight, bias, self.stride, self.padding)


class TiedBatchNorm2d(nn.BatchNorm2d):
    """Batch norm of ``[B, fields * tied, H, W]`` maps whose channels come in fields of ``tied``
    consecutive channels (index ``f * tied + i``), with one mean, variance, scale and shift per
    field, shared by its ``tied`` channels. Any permutation inside the fields (a group's regular
    representation, a cyclic channel shift) therefore commutes with it, in training and at
    inference; an ordinary batch norm's per-channel statistics break that."""

    def __init__(self, fields: int, tied: int) -> None:
        super().__init__(fields)
        self.group_order = int(tied)
        self._cache: tuple | None = None

    def _repeated(self) -> tuple:
        """Running mean, variance, weight and bias, each repeated ``tied`` times (cached unless
        gradients are needed)."""
        tensors = (self.running_mean, self.running_var, self.weight, self.bias)
        n = self.group_order
        if torch.is_grad_enabled() and self.weight is not None and self.weight.requires_grad:
            self._cache = None
            return tuple(None if t is None else t.repeat_interleave(n) for t in tensors)
        key = _tensor_key(*tensors)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, tuple(None if t is None else t.detach().repeat_interleave(n)
                                      for t in tensors))
        return self._cache[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.running_mean is not None:
            # at inference the shared statistics are a per-channel affine of the flattened map:
            # an ordinary 4-D batch norm with each field's values repeated, which runtimes fold
            # into the convolution before it (ONNX Runtime: 7 ms of 80 for the attentive p4
            # search, plus the ReLU it then fuses)
            return F.batch_norm(x, *self._repeated(), False, 0.0, self.eps)
        b, cg, h, w = x.shape
        # reshape, not view: inputs may arrive in another memory format (e.g. channels-last)
        return super().forward(x.reshape(b, cg // self.group_order, self.group_order * h, w)) \
            .reshape(b, cg, h, w)


class GroupBatchNorm2d(TiedBatchNorm2d):
    """Batch norm of flattened group features ``[B, C * |G|, H, W]`` with one mean, variance,
    scale and shift per field ``c``, shared over the group axis (so it stays equivariant)."""

    def __init__(self, group: Group, channels: int) -> None:
        super().__init__(channels, group.order)


def group_pool(x: torch.Tensor, group_order: int, mode: str = "max") -> torch.Tensor:
    """Pool the group axis: ``[B, C * |G|, H, W] -> [B, C, H, W]``, maps that transform only
    spatially (invariant channels). ``mode``: ``"max"`` or ``"mean"``."""
    b, cg, h, w = x.shape
    v = x.reshape(b, cg // group_order, group_order, h, w)
    if mode == "max":
        return v.amax(dim=2)
    if mode == "mean":
        return v.mean(dim=2)
    raise ValueError(f"group pooling mode must be 'max' or 'mean', got {mode!r}")
