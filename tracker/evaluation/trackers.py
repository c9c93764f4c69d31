"""The tracker a user names on the command line: a baseline, a shipped model or a file."""
from __future__ import annotations

from pathlib import Path

from tracker.inference.build import build_tracker
from tracker.shipped import resolve_checkpoint, shipped_models


def tracker_from_spec(spec: str, overrides=(), backend: str | None = None):
    """A got10k tracker from what a user types: a baseline name (``opencv-csrt``, ...), a
    shipped model's name (``default`` = the best), a checkpoint ``.pt`` or a config YAML.
    ``overrides`` and ``backend`` apply to our trackers only."""
    from tracker.errors import InputError
    from tracker.evaluation.baselines import BASELINES, build_baseline

    if spec in BASELINES:
        return build_baseline(spec)
    ckpt = resolve_checkpoint(spec)
    if ckpt is not None and ckpt.is_file():
        return build_tracker(checkpoint=ckpt, overrides=overrides, backend=backend)
    if ckpt is None and Path(spec).is_file():
        return build_tracker(config=spec, overrides=overrides, backend=backend)
    shipped = ", ".join(["default", *shipped_models()]) or "none"
    raise InputError(f"unknown tracker '{spec}': not a baseline ({', '.join(BASELINES)}), a "
                     f"shipped model ({shipped}), or a config/checkpoint file")
