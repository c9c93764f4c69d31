"""Name -> constructor tables: the one registry idiom of eqtrack.

Every table a user picks from by name (backbones, heads, trackers, baselines, benchmarks, data
sources) is a :class:`Registry`. It lives in the lowest package so that every layer can use it;
each table says which error an unknown name raises (its layer's own), and the message lists the
known names.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Type


class UnknownBackboneError(KeyError):
    """Raised for a backbone name that is not registered; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])


class Registry:
    """``Registry(kind, entries=None, error=KeyError, plural=None)``: names -> objects (classes,
    factories, descriptions), in registration order.

    ``get(name)`` returns the entry or raises ``error("unknown <kind> 'name'; known <plural>:
    a, b")``; ``build(name, *args, **kwargs)`` calls it, first refusing (``TypeError`` naming
    the argument) a keyword the constructor does not take; ``register(name)`` is a decorator.
    """

    def __init__(self, kind: str, entries: Optional[Mapping[str, Any]] = None,
                 error: Type[Exception] = KeyError, plural: Optional[str] = None) -> None:
        self.kind, self.error = kind, error
        self.plural = plural or kind + "s"
        self._entries: Dict[str, Any] = {}
        for name, entry in (entries or {}).items():
            self.add(name, entry)

    def add(self, name: str, entry: Any) -> Any:
        if name in self._entries:
            raise ValueError(f"{self.kind} name '{name}' registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator: ``@REGISTRY.register("name")`` above a class or factory."""
        return lambda entry: self.add(name, entry)

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str, where: str = "") -> Any:
        if not isinstance(name, str) or name not in self._entries:
            raise self.error(f"{where + ': ' if where else ''}unknown {self.kind} '{name}'; "
                             f"known {self.plural}: {', '.join(self._entries) or 'none'}")
        return self._entries[name]

    def build(self, name: str, *args, **kwargs) -> Any:
        make = self.get(name)
        try:
            params = inspect.signature(make).parameters
        except (TypeError, ValueError):  # a builtin without a signature
            params = None
        if params is not None and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            for key in kwargs:
                if key not in params:
                    allowed = ", ".join(p for p in params if p != "self") or "none"
                    raise TypeError(f"{self.kind} '{name}' takes no argument '{key}' (it "
                                    f"takes: {allowed})")
        return make(*args, **kwargs)


BACKBONES = Registry("backbone", error=UnknownBackboneError)


def register_backbone(name: str) -> Callable[[Type], Type]:
    """Class decorator: make a backbone constructible by ``name`` from configs."""
    return BACKBONES.register(name)


def backbone_names() -> list[str]:
    """Sorted names of every registered backbone."""
    return sorted(BACKBONES)


def build_backbone(name: str, **kwargs):
    """Instantiate the backbone registered as ``name`` with keyword arguments ``kwargs``.

    Raises:
        UnknownBackboneError: ``name`` is not registered.
        TypeError: an argument the constructor does not take (the message names it).
    """
    return BACKBONES.build(name, **kwargs)
