"""Checkpoints: a state dict plus the plain config that rebuilds the network.

Layout: ``{"format": "eqtrack", "version": 1, "config": dict, "model": state_dict, ...extra}``.
Only tensors and plain Python values are stored, so files load with
``torch.load(path, weights_only=True)``. Writes are atomic (temporary file, then rename): a run
killed mid-write never leaves a truncated checkpoint behind. ``"digest"`` (SHA-256 of the
weights) is checked on every load, so bytes damaged inside a tensor are an error, not a
tracker that silently tracks wrong (files written before the digest existed load unchecked).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

from tracker.config import Config, config_from_dict, config_to_dict
from tracker.errors import CheckpointError, ConfigError

FORMAT = "eqtrack"
VERSION = 1


def weights_digest(state: dict) -> str:
    """SHA-256 over a state dict's names, dtypes, shapes and bytes (sorted by name)."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name]
        if not isinstance(t, torch.Tensor):
            h.update(f"{name}={t!r};".encode())
            continue
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | Path, model: torch.nn.Module, config: Config, **extra: Any) -> None:
    """Atomically write ``model``'s state dict and ``config`` (plus ``extra`` plain values)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "version": VERSION, "config": config_to_dict(config),
               "model": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    payload.update(extra)
    payload["digest"] = weights_digest(payload["model"])
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
    if "digest" in payload and payload["digest"] != weights_digest(payload["model"]):
        raise CheckpointError(f"checkpoint '{path}' is damaged: its weights do not match the "
                              f"digest written with them")
    try:
        config = config_from_dict(payload.get("config"))
    except ConfigError as e:
        raise CheckpointError(f"checkpoint '{path}': stored config is invalid: {e}") from None
    return config, payload["model"], payload
