"""Checkpoints: a state dict plus the plain config that rebuilds the network.

Layout: ``{"format": "eqtrack", "version": 1, "config": dict, "model": state_dict, ...extra}``.
Only tensors and plain Python values are stored, so files load with
``torch.load(path, weights_only=True)``. Writes are atomic (temporary file, then rename): a run
killed mid-write never leaves a truncated checkpoint behind.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

from .config import Config, config_from_dict, config_to_dict
from .errors import CheckpointError, ConfigError

FORMAT = "eqtrack"
VERSION = 1


def save_checkpoint(path: str | Path, model: torch.nn.Module, config: Config, **extra: Any) -> None:
    """Atomically write ``model``'s state dict and ``config`` (plus ``extra`` plain values)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "version": VERSION, "config": config_to_dict(config),
               "model": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    payload.update(extra)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        # mkstemp creates 0600 files; give the checkpoint the usual permissions
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_checkpoint(path: str | Path) -> tuple[Config, dict, dict]:
    """Read a checkpoint. Returns ``(config, state_dict, payload)``.

    Raises:
        CheckpointError: missing file, not a torch file, not an eqtrack checkpoint, bad config.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint '{path}' cannot be loaded as a PyTorch file "
                              f"({first[:120]})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not an eqtrack checkpoint (no 'format: {FORMAT}' "
                              "entry)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"checkpoint '{path}' has version {payload.get('version')!r}; "
                              f"this eqtrack reads version {VERSION}")
    if not isinstance(payload.get("model"), dict):
        raise CheckpointError(f"checkpoint '{path}' holds no model weights")
    try:
        config = config_from_dict(payload.get("config"))
    except ConfigError as e:
        raise CheckpointError(f"checkpoint '{path}': stored config is invalid: {e}") from None
    return config, payload["model"], payload
