"""The README's pictures, made from generated data by one command (``eqtrack figures``):

* ``rotation_strip.jpg``: frames of a generated turning target tracked by a model with its
  orientation estimate on: the true rotated box in white, ours in orange, both angles printed;
* ``success_plot.png``: the success curves (got10k's OTB protocol, 21 IoU thresholds) of every
  shipped model and OpenCV's CSRT on generated sequences;
* ``attention.jpg``: the spatial attention maps of the attentive model on a generated frame,
  one row per attention module (the crop, the mean over the group, each group element).

No frame of any real dataset is drawn.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch
from got10k.utils.metrics import rect_iou

from tracker.crops import crop_square, mean_color, template_side, to_tensor
from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.evaluation.demo import run_on
from tracker.evaluation.protocol import SUCCESS_THRESHOLDS
from tracker.video import draw_polygon

log = logging.getLogger(__name__)

# a textured target turning 2 degrees a frame, growing and shrinking a little, no occluder
TURNING = SequenceSpec(num_frames=90, distractors=1, occlusion=False, rotation_speed=2.0,
                       scale_range=0.15)


def turning_sequences(count: int, frames: int, seed: int = 0) -> list:
    """``count`` generated turning sequences (:data:`TURNING`) of ``frames`` frames."""
    spec = replace(TURNING, num_frames=frames)
    return [generate_sequence(spec, seed=seed + k, name=f"turning{k}") for k in range(count)]


def rotation_strip(tracker, seq, tiles: int = 5) -> np.ndarray:
    """RGB strip ``[H, tiles*W + gaps, 3]`` of ``tiles`` evenly spaced frames of ``seq``
    tracked by ``tracker`` (one of ours with its orientation estimate on): the true rotated
    box in white, the tracker's in orange, the true and estimated angles (degrees CCW from the
    first frame) printed on each frame."""
    run = run_on(tracker, seq)
    if run.polygons is None:
        raise ValueError(f"{tracker.name} estimates no angle (set tracking.estimate_rotation)")
    picks = np.linspace(0, len(seq.frames) - 1, tiles).round().astype(int)
    true = seq.rotated[:, 4] - seq.rotated[0, 4]
    panels = []
    for i in picks:
        frame = seq.frames[i].copy()
        draw_polygon(frame, seq.polygons[i], (255, 255, 255), 1)
        draw_polygon(frame, run.polygons[i], (255, 160, 0), 2)
        wrapped = (true[i] + 180.0) % 360.0 - 180.0
        for row, text in enumerate((f"#{i}", f"true {wrapped:+.0f} deg",
                                    f"ours {run.angles[i]:+.0f} deg")):
            cv2.putText(frame, text, (6, 16 + 16 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (255, 255, 255), 1, cv2.LINE_AA)
        panels += [frame, np.zeros((frame.shape[0], 4, 3), np.uint8)]
    return np.hstack(panels[:-1])


def success_curves(trackers: dict[str, Callable[[], object]], seqs: list
                   ) -> dict[str, np.ndarray]:
    """Name -> success curve ``[21]`` (fraction of frames with IoU above each of
    :data:`tracker.evaluation.protocol.SUCCESS_THRESHOLDS`, over all frames of ``seqs`` but
    the first of each) of the trackers ``make()`` builds, one fresh tracker per sequence."""
    curves = {}
    for name, make in trackers.items():
        ious = []
        for seq in seqs:
            run = run_on(make(), seq)
            ious.append(rect_iou(run.boxes[1:], seq.boxes[1:]))
        iou = np.concatenate(ious)
        curves[name] = np.array([np.mean(iou > t) for t in SUCCESS_THRESHOLDS])
        log.info("%s: AUC %.3f", name, curves[name].mean())
    return curves


def success_plot(curves: dict[str, np.ndarray], path: str | Path, title: str) -> Path:
    """Write the success plot of ``curves`` (legend: AUC, best first) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    try:
        for name, curve in sorted(curves.items(), key=lambda kv: -kv[1].mean()):
            ax.plot(SUCCESS_THRESHOLDS, curve, label=f"{name} [{curve.mean():.3f}]",
                    linestyle="--" if name.startswith("opencv") else "-")
        ax.set_xlabel("overlap threshold")
        ax.set_ylabel("success rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return Path(path)


def heat_map(crop: np.ndarray, att: np.ndarray, label: str) -> np.ndarray:
    """``crop`` (RGB ``[S, S, 3]``) under a JET heat map of ``att [h, w]`` (values 0..1, a
    fixed scale so maps compare across modules and frames) on the stage's centred grid, with
    ``label``; BGR uint8 ``[S, S, 3]`` for OpenCV to write."""
    s, h = crop.shape[0], att.shape[0]
    # map cells sit on a centred grid with the stage's stride (4 or 8 px): the cropping-inside
    # units make deeper maps cover only the centre of the crop
    stride = 2 ** round(np.log2(s / h))
    side = min(s, h * stride)
    a = np.zeros((s, s), np.float32)
    o = (s - side) // 2
    a[o:o + side, o:o + side] = cv2.resize(att.astype(np.float32), (side, side),
                                           interpolation=cv2.INTER_NEAREST)
    heat = cv2.applyColorMap(np.clip(a * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_JET)
    out = cv2.addWeighted(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), 0.4, heat, 0.6, 0)
    cv2.putText(out, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    return out


def attention_row(crop: np.ndarray, spatial: np.ndarray, group) -> np.ndarray:
    """BGR row of heat maps for one attention module: the crop, the spatial attention averaged
    over the group, and the map of every group element (``spatial [|G|, h, w]``)."""
    tiles = [cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), heat_map(crop, spatial.mean(0), "mean")]
    tiles += [heat_map(crop, spatial[g], f"g{g} {'m' if g >= 4 else ''}{group.angle(g):g}deg")
              for g in range(group.order)]
    return np.concatenate(tiles, axis=1)


def attention_figure(model, tracking, seq) -> np.ndarray:
    """BGR image: one :func:`attention_row` per attention module of ``model``'s attentive
    backbone, on the search crop around the target in the frame of ``seq`` where it is nearest
    the image centre (so the crop holds no padding; ``tracking``: the model's
    :class:`tracker.config.TrackingConfig`)."""
    backbone = model.backbone.eval()
    if not hasattr(backbone, "attention_maps"):
        raise ValueError(f"{type(backbone).__name__} has no attention")
    height, width = seq.frames[0].shape[:2]
    centres = seq.boxes[:, :2] + seq.boxes[:, 2:] / 2
    k = int(np.argmin(np.hypot(centres[:, 0] - width / 2, centres[:, 1] - height / 2)))
    frame, (x, y, w, h) = seq.frames[k], seq.boxes[k]
    side = template_side(w, h, tracking.context) * tracking.instance_size / tracking.exemplar_size
    crop = crop_square(frame, (x + w / 2, y + h / 2), side, tracking.instance_size,
                       mean_color(frame))
    with torch.inference_mode():
        maps = backbone.attention_maps(to_tensor([crop]))
    if not maps:
        raise ValueError(f"{type(backbone).__name__} has attention off in every stage")
    rows = []
    for name, m in maps.items():
        row = attention_row(crop, m["spatial"][0].numpy(), backbone.group)
        cv2.putText(row, name, (4, row.shape[0] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (255, 255, 255), 1, cv2.LINE_AA)
        rows.append(row)
    return np.vstack(rows)
