"""The tracker a user names on the command line: a baseline, a shipped model or a file, as
got10k trackers (optionally answering rotated boxes), with a results-folder-safe name."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from got10k.trackers import Tracker

from tracker.errors import InputError
from tracker.evaluation.baselines import BASELINES, build_baseline
from tracker.inference.build import build_tracker
from tracker.shipped import resolve_checkpoint, shipped_models


def tracker_from_spec(spec: str, overrides=(), backend: str | None = None):
    """A got10k tracker from what a user types: a baseline name (``opencv-csrt``, ...), a
    shipped model's name (``default`` = the best), a checkpoint ``.pt`` or a config YAML.
    ``overrides`` and ``backend`` apply to our trackers only."""
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


class RotatedOutput(Tracker):
    """Wraps one of our trackers so that ``update`` answers the rotated box as a VOT polygon
    (8 values), which got10k's VOT protocol scores with polygon IoU. Named ``<name>-rotated``
    so its results never mix with the axis-aligned ones."""

    def __init__(self, tracker) -> None:
        super().__init__(f"{tracker.name}-rotated", tracker.is_deterministic)
        self.inner = tracker

    def init(self, image, box) -> None:
        self.inner.init(image, box)

    def update(self, image):
        self.inner.update(image)
        return self.inner.polygon


def check_result_name(spec: str, name: str) -> None:
    """A tracker's name becomes its results folder: only one plain path component (letters,
    digits and ``._+@=-``, not starting with a dot) may, so no name reaches outside
    ``--results`` or onto another tracker's results."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._+@=-]{0,127}", name):
        raise InputError(f"--tracker {spec}: its name {name!r} cannot name a results folder "
                         f"(use letters, digits and ._+@=-, not starting with a dot; set the "
                         f"config's 'name' or rename the checkpoint)")


def make_tracker(spec: str, rotated: bool = False, backend: str | None = None,
                 overrides: tuple[str, ...] = ()):
    """A got10k tracker from a baseline name, a shipped model, a checkpoint (.pt) or a config
    (.yaml), running in ``backend`` with ``tracking.*`` ``overrides``; with ``rotated``, one of
    ours estimating the angle and answering polygons."""
    if rotated and spec in BASELINES:
        raise InputError(f"--rotated: baseline '{spec}' answers axis-aligned boxes only")
    if overrides and spec in BASELINES:
        return tracker_from_spec(spec)  # --set applies to our trackers only
    extra = ["tracking.estimate_rotation=true"] if rotated else []
    t = tracker_from_spec(spec, [*overrides, *extra], backend)
    if overrides and spec not in BASELINES:
        tag = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
        t.name = f"{t.name}+{tag}"  # changed parameters never reuse the unchanged results
    if backend is not None and spec not in BASELINES:
        t.name = f"{t.name}@{backend}"  # results of another runtime never mix with the default's
    return RotatedOutput(t) if rotated else t
