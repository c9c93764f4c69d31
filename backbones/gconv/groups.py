"""The symmetry groups of eqtrack: C4 rotations (p4) and the dihedral group D4 (p4m).

An element is a pair ``(r, m)``: ``m`` mirrors the image left-right (``m`` in {0, 1}), then
``r`` rotates it by ``r`` quarter turns counter-clockwise on screen. Elements are indexed
``m * 4 + r``, so p4 is the first 4 elements of p4m and the group axis of a p4 feature map is
ordered by rotation angle.

Actions:
- on images and feature maps (last two dims ``[..., H, W]``): :meth:`Group.transform`;
- on the group axis of regular (group-resolved) features ``[B, C, |G|, H, W]``:
  ``(T_g f)(h, p) = f(g^-1 h, g^-1 p)``: :meth:`Group.act_regular`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch

from ..registry import Registry


class UnknownGroupError(ValueError):
    """A group name that eqtrack does not implement; the message lists the known ones."""


@dataclass(frozen=True)
class Group:
    """A finite subgroup of D4 acting on square pixel grids.

    ``name``: ``"p4"`` (4 rotations) or ``"p4m"`` (4 rotations x mirror).
    """

    name: str
    mirrors: bool

    @property
    def order(self) -> int:
        """Number of elements |G| (4 or 8)."""
        return 8 if self.mirrors else 4

    def element(self, g: int) -> tuple[int, int]:
        """``(r, m)`` of element index ``g``."""
        return g % 4, g // 4

    def index(self, r: int, m: int) -> int:
        return (m % 2) * 4 + r % 4

    def mul(self, a: int, b: int) -> int:
        """Index of the product ``a * b`` (apply ``b`` first)."""
        r1, m1 = self.element(a)
        r2, m2 = self.element(b)
        # mirror . rot^r = rot^-r . mirror
        return self.index(r1 + (-r2 if m1 else r2), m1 + m2)

    def inv(self, g: int) -> int:
        r, m = self.element(g)
        return g if m else self.index(-r, 0)

    def angle(self, g: int) -> float:
        """Rotation angle of element ``g`` in degrees, counter-clockwise on screen."""
        return 90.0 * self.element(g)[0]

    def transform(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """Apply element ``g`` to the two last (spatial) dims of ``x`` (exact: flips and rot90)."""
        r, m = self.element(g)
        if m:
            x = torch.flip(x, dims=(-1,))
        return torch.rot90(x, r, dims=(-2, -1)) if r else x

    @cached_property
    def _regular_perms(self) -> torch.Tensor:
        # row g: for every output slot h, the input slot g^-1 h it reads from
        n = self.order
        return torch.tensor([[self.mul(self.inv(g), h) for h in range(n)] for g in range(n)])

    def regular_perm(self, g: int) -> torch.Tensor:
        """Index tensor ``p`` with ``p[h] = g^-1 h`` (long, length |G|)."""
        return self._regular_perms[g]

    def act_regular(self, f: torch.Tensor, g: int, dim: int = 2) -> torch.Tensor:
        """Regular action on group-resolved features: permute the group axis ``dim`` and
        transform the spatial dims. ``f``: ``[..., |G|, ..., H, W]``."""
        perm = self.regular_perm(g).to(f.device)
        return self.transform(f.index_select(dim, perm), g)


GROUPS = Registry("group", {"p4": Group("p4", mirrors=False), "p4m": Group("p4m", mirrors=True)},
                  error=UnknownGroupError)


def get_group(name: str) -> Group:
    """The group called ``name`` (``"p4"`` or ``"p4m"``)."""
    return GROUPS.get(name)
