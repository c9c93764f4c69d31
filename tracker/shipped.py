"""Trained checkpoints shipped with eqtrack (``tracker/weights/*.pt``, package data).

Each file's stem is the model's name (``--checkpoint NAME``, ``tools/evaluate.py --tracker
NAME``); ``default`` names :data:`DEFAULT_MODEL`, the best of them on our measurements (see the
README), which the tools use when given no model.
"""
from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_MODEL = "eqtrack-ien-resnet22-w025"  # the best on val/ and its rotated copy (README)


def shipped_models() -> dict[str, Path]:
    """Name -> checkpoint path of every shipped model (empty in a checkout without weights)."""
    return {p.stem: p for p in sorted(WEIGHTS_DIR.glob("*.pt"))}


def resolve_checkpoint(spec: str | Path) -> Path | None:
    """The checkpoint file ``spec`` names: a shipped model's name, ``default``, or a path.
    None when it names no shipped model and is not a file path ending in ``.pt``."""
    models = shipped_models()
    name = DEFAULT_MODEL if str(spec) == "default" else str(spec)
    if name in models:
        return models[name]
    return Path(spec) if str(spec).endswith(".pt") else None


def default_checkpoint() -> Path | None:
    """The default model's checkpoint, if it ships."""
    return shipped_models().get(DEFAULT_MODEL)
