"""The demo (``make demo``): one generated scene, our tracker and OpenCV's CSRT on the same
frames, side by side.

The scene is fixed by its seed and made of the things eqtrack is for: a textured target that
turns steadily (about 1.5 degrees per frame), grows and shrinks by up to 25%, moves over a
panning, cluttered background under changing light and motion blur, while a look-alike
(the target's layout with its colours permuted) crosses the image. No occluder: the demo shows
tracking, not re-detection.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.evaluation.protocol import success_auc
from tracker.video import VideoWriter, draw_box, draw_polygon

DEMO_SPEC = SequenceSpec(num_frames=150, distractors=1, occlusion=False, rotation_speed=1.5,
                         scale_range=0.25)


def demo_sequence(frames: int = DEMO_SPEC.num_frames, seed: int = 0):
    """The demo scene: a :class:`tracker.data.synthetic.Sequence` of ``frames`` frames."""
    return generate_sequence(replace(DEMO_SPEC, num_frames=frames), seed=seed, name="demo")


@dataclass
class DemoRun:
    """One tracker on the demo scene: ``boxes [N, 4]`` xywh (the first is the given box),
    ``polygons [N, 8]`` and ``angles [N]`` (degrees CCW from the first frame) or None (trackers
    without an angle), success AUC, FPS of ``update``."""

    name: str
    boxes: np.ndarray
    polygons: np.ndarray | None
    auc: float
    fps: float
    angles: np.ndarray | None = None


def run_on(tracker, seq) -> DemoRun:
    """Track ``seq`` with ``tracker`` (got10k API) from its first ground-truth box."""
    tracker.init(seq.frames[0], seq.boxes[0])
    rotated = getattr(tracker, "estimates_angle", False)
    boxes, polygons, angles, seconds = [seq.boxes[0]], [], [], 0.0
    if rotated:
        polygons.append(tracker.polygon)
        angles.append(tracker.angle)
    for frame in seq.frames[1:]:
        start = time.perf_counter()
        boxes.append(np.asarray(tracker.update(frame), dtype=np.float64))
        seconds += time.perf_counter() - start
        if rotated:
            polygons.append(tracker.polygon)
            angles.append(tracker.angle)
    boxes = np.asarray(boxes)
    return DemoRun(tracker.name, boxes, np.asarray(polygons) if rotated else None,
                   success_auc(boxes, seq.boxes), (len(seq.frames) - 1) / max(seconds, 1e-9),
                   np.asarray(angles) if rotated else None)


def _panel(frame: np.ndarray, truth, run: DemoRun, index: int, colour) -> np.ndarray:
    canvas = frame.copy()
    draw_box(canvas, truth, (255, 255, 255), 1)
    draw_box(canvas, run.boxes[index], colour, 2)
    if run.polygons is not None:
        draw_polygon(canvas, run.polygons[index], (255, 160, 0), 2)
    cv2.putText(canvas, f"{run.name}  AUC {run.auc:.3f}  {run.fps:.0f} FPS", (6, 18),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"#{index}", (6, canvas.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


def side_by_side_frames(seq, ours: DemoRun, theirs: DemoRun) -> list[np.ndarray]:
    """RGB frames ``[H, 2W + 8, 3]``: ours on the left (green box, orange rotated box), the
    baseline on the right (blue box), the ground truth in white on both."""
    gap = np.zeros((seq.frames[0].shape[0], 8, 3), np.uint8)
    return [np.hstack([_panel(f, seq.boxes[i], ours, i, (0, 255, 0)), gap,
                       _panel(f, seq.boxes[i], theirs, i, (80, 160, 255))])
            for i, f in enumerate(seq.frames)]


def write_outputs(frames: list[np.ndarray], out: str | Path, tiles: int = 6,
                  fps: float = 25.0) -> tuple[Path, Path]:
    """``OUT/side_by_side.mp4`` and ``OUT/contact_sheet.png`` (``tiles`` evenly spaced
    frames, one per row, at half size); returns both paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    video = out / "side_by_side.mp4"
    with VideoWriter(video, fps, frames[0].shape[1], frames[0].shape[0]) as writer:
        for f in frames:
            writer.write(f)
    picks = np.linspace(0, len(frames) - 1, min(tiles, len(frames))).round().astype(int)
    rows = [cv2.resize(frames[i], (frames[i].shape[1] // 2, frames[i].shape[0] // 2),
                       interpolation=cv2.INTER_AREA) for i in picks]
    sheet = out / "contact_sheet.png"
    if not cv2.imwrite(str(sheet), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write '{sheet}'")
    return video, sheet
