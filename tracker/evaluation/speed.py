"""Tracking speed, measured the honest way: every tracker on the same frames, round-robin, in
one process with a fixed thread count (what ``tools/benchmark.py --tracking`` prints).

Frames are handed to ``update`` as PIL images, as got10k's ``Tracker.track`` does, so the
numbers match the FPS of got10k's time files; decoding the files is not timed.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from tracker.inference.stages import STAGES

log = logging.getLogger(__name__)


@dataclass
class SpeedRow:
    """One tracker's measurement: seconds per stage and in all (``update`` calls only), frames,
    GFLOP per frame and parameter count (None for trackers that are not ours)."""

    name: str
    backend: str
    threads: int
    seconds: float = 0.0
    frames: int = 0
    stages: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    gflop: float | None = None
    params: int | None = None

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else float("nan")

    def stage_ms(self, stage: str) -> float:
        return 1000.0 * self.stages[stage] / max(1, self.frames)


def load_frames(root: str | Path, sequences: int, frames: int
                ) -> list[tuple[str, list, np.ndarray]]:
    """The first ``sequences`` OTB-layout sequences of ``root`` (sorted by name), at most
    ``frames`` frames each, decoded into memory: ``[(name, [PIL RGB], boxes [N, 4] xywh)]``,
    boxes 0-based."""
    from tracker.data.layouts import FolderDataset, file_to_eqtrack

    ds = FolderDataset(root)
    out = []
    for name in ds.seq_names[:sequences]:
        files, anno = ds[name]
        n = min(frames, len(files))
        out.append((name, [Image.open(f).convert("RGB") for f in files[:n]],
                    file_to_eqtrack(anno[:n])))
    return out


def generated_frames(sequences: int, frames: int) -> list[tuple[str, list, np.ndarray]]:
    """Generated sequences (:mod:`tracker.data.synthetic`, seeds 0..) when no real frames are
    at hand, in the format of :func:`load_frames`."""
    from tracker.data.synthetic import SequenceSpec, generate_sequence

    out = []
    for seed in range(sequences):
        seq = generate_sequence(SequenceSpec(num_frames=frames), seed=seed)
        out.append((f"generated-{seed}", [Image.fromarray(f) for f in seq.frames],
                    np.asarray(seq.boxes, dtype=np.float64)))
    return out


def gflop_per_frame(build, image, box) -> float:
    """GFLOP of one ``update`` (backbone + head) of the tracker ``build()`` makes with the torch
    runtime, counted by PyTorch's FLOP counter."""
    tracker = build("torch")
    tracker.init(image, box)
    with FlopCounterMode(display=False) as counter:
        tracker.update(image)
    return counter.get_total_flops() / 1e9


def measure(trackers: list, clips: list, repeats: int) -> None:
    """Run every ``(tracker, row)`` over every clip ``repeats`` times, round-robin (repeat >
    clip > tracker), adding update time and per-stage time to each :class:`SpeedRow`."""
    for _ in range(repeats):
        for _, images, boxes in clips:
            for tracker, row in trackers:
                tracker.init(images[0], boxes[0])
                clock = getattr(tracker, "clock", None)
                if clock is not None:
                    clock.reset()
                t0 = time.perf_counter()
                for image in images[1:]:
                    tracker.update(image)
                row.seconds += time.perf_counter() - t0
                row.frames += len(images) - 1
                if clock is not None:
                    for k, v in clock.seconds.items():
                        row.stages[k] += v


def backbone_flops(backbone, x: torch.Tensor) -> int:
    """Floating-point operations of one ``backbone(x)`` (torch's FLOP counter)."""
    with FlopCounterMode(display=False) as counter:
        backbone(x)
    return counter.get_total_flops()


def backbone_seconds(backbone, x: torch.Tensor) -> float:
    """Wall-clock seconds of one ``backbone(x)``."""
    t0 = time.perf_counter()
    backbone(x)
    return time.perf_counter() - t0
