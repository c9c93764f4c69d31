"""Name -> constructor registry for backbones."""
from __future__ import annotations

import inspect
from typing import Callable, Dict, Type


class UnknownBackboneError(KeyError):
    """Raised for a backbone name that is not registered; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


_BACKBONES: Dict[str, Callable] = {}


def register_backbone(name: str) -> Callable[[Type], Type]:
    """Class decorator: make a backbone constructible by ``name`` from configs."""

    def wrap(cls: Type) -> Type:
        if name in _BACKBONES:
            raise ValueError(f"backbone name '{name}' registered twice")
        _BACKBONES[name] = cls
        return cls

    return wrap


def backbone_names() -> list[str]:
    """Sorted names of every registered backbone."""
    return sorted(_BACKBONES)


def build_backbone(name: str, **kwargs):
    """Instantiate the backbone registered as ``name`` with keyword arguments ``kwargs``.

    Raises:
        UnknownBackboneError: ``name`` is not registered.
        TypeError: an argument the constructor does not take (the message names it).
    """
    if name not in _BACKBONES:
        raise UnknownBackboneError(
            f"unknown backbone '{name}'; known backbones: {', '.join(backbone_names())}")
    cls = _BACKBONES[name]
    params = inspect.signature(cls).parameters
    for key in kwargs:
        if key not in params:
            allowed = ", ".join(p for p in params if p != "self") or "none"
            raise TypeError(f"backbone '{name}' takes no argument '{key}' (it takes: {allowed})")
    return cls(**kwargs)
