"""How well a tracker follows the target's in-plane angle, on sequences whose angles are known
(``tools/evaluate_rotation.py``).

A sequence folder in OTB layout carries its angles as ``groundtruth_rotated.txt``
(``cx,cy,w,h,angle`` per frame: generated sequences and their rotated copies) or ``angles.txt``
(the frame's rotation, from ``tools/make_rotated.py`` on real footage: the target's own turning
counts as zero). The error is the circular difference between the tracker's angle change since
the first frame and the true one, over every frame after the first. Where the folder also has
``groundtruth_poly.txt`` (rotated copies), the tracker's rotated box is scored against it with
polygon IoU: the success AUC of got10k's OTB definition, computed on polygons. The box the
tracker answers (``update``'s ``[x, y, w, h]``, what got10k's OTB experiment scores) is scored
against ``groundtruth_rect.txt`` the same way, so one pass gives the angle and both AUCs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracker.data.layouts import FolderDataset, eqtrack_to_file, file_to_eqtrack, read_groundtruth
from tracker.errors import InputError
from tracker.evaluation.protocol import success_auc, success_from_iou
from tracker.video import read_image

THRESHOLD_DEG = 15.0


def true_angles(seq_dir: str | Path) -> np.ndarray:
    """Angle change since the first frame (degrees CCW) of every frame of a sequence."""
    seq_dir = Path(seq_dir)
    rotated, angles = seq_dir / "groundtruth_rotated.txt", seq_dir / "angles.txt"
    if rotated.is_file():
        a = read_groundtruth(rotated, values=5)[:, 4]
    elif angles.is_file():
        a = read_groundtruth(angles, values=1)[:, 0]
    else:
        raise InputError(f"sequence '{seq_dir}' has neither groundtruth_rotated.txt nor "
                         f"angles.txt: its angles are unknown")
    return a - a[0]


def angle_error(a, b) -> np.ndarray:
    """Circular absolute difference of angles in degrees, in [0, 180]."""
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


def polygon_success_auc(polygons: np.ndarray, truth: np.ndarray) -> float:
    """Success AUC (got10k's OTB protocol, on polygon IoU) of ``[N, 8]`` polygons."""
    from got10k.utils.metrics import poly_iou

    return success_from_iou(poly_iou(np.asarray(polygons, float), np.asarray(truth, float)))


@dataclass
class AngleScore:
    """One sequence (or all of them): errors in degrees of every scored frame, the polygon
    success AUC (None without ``groundtruth_poly.txt``), the answered boxes' success AUC
    against ``groundtruth_rect.txt`` (first frame included, as got10k), updates and their
    seconds; for one
    sequence also the estimated and true angle of every frame (``[N]`` degrees CCW since the
    first frame, the estimate wrapped to ``[-180, 180)``)."""

    name: str
    errors: np.ndarray
    polygon_auc: float | None
    updates: int
    seconds: float
    box_auc: float = float("nan")
    estimates: np.ndarray | None = None
    truth: np.ndarray | None = None

    def row(self) -> dict:
        e = self.errors
        return {"sequence": self.name, "frames": len(e), "mean": float(e.mean()),
                "median": float(np.median(e)), "p90": float(np.percentile(e, 90)),
                f"under_{THRESHOLD_DEG:g}": float(np.mean(e < THRESHOLD_DEG)),
                "polygon_auc": self.polygon_auc, "box_auc": self.box_auc,
                "fps": self.updates / self.seconds if self.seconds > 0 else float("nan")}


def score_angles(tracker, root: str | Path) -> list[AngleScore]:
    """Track every sequence of ``root`` with ``tracker`` (one that estimates the angle) and
    score its angles and boxes; the last entry, named ``overall``, pools every frame (its
    AUCs are the means over sequences, as got10k averages success curves)."""
    if not getattr(tracker, "estimates_angle", False):
        raise InputError(f"tracker '{tracker.name}' does not estimate the angle (set "
                         f"tracking.estimate_rotation or tracking.rotation_aware)")
    data = FolderDataset(root)
    out = []
    for name, (files, anno) in zip(data.seq_names, data):
        seq_dir = Path(root) / name
        truth = true_angles(seq_dir)
        if len(truth) != len(files) or len(files) < 2:
            raise InputError(f"'{seq_dir}': {len(truth)} angles for {len(files)} frames (need "
                             f"one per frame, at least two frames)")
        poly_file = seq_dir / "groundtruth_poly.txt"
        polys = read_groundtruth(poly_file, values=8) if poly_file.is_file() else None
        tracker.init(read_image(files[0]), file_to_eqtrack(anno[0]))  # 1-based files
        est, mine, seconds = [0.0], [eqtrack_to_file(tracker.polygon)], 0.0
        boxes = [np.asarray(anno[0], float)]
        for f in files[1:]:
            t0 = time.perf_counter()
            box = tracker.update(read_image(f))
            seconds += time.perf_counter() - t0
            est.append(tracker.angle)
            mine.append(eqtrack_to_file(tracker.polygon))
            boxes.append(eqtrack_to_file(np.asarray(box, float)))
        auc = None
        if polys is not None and len(polys) == len(files):
            auc = polygon_success_auc(np.asarray(mine), polys)
        out.append(AngleScore(name, angle_error(est[1:], truth[1:]), auc, len(files) - 1,
                              seconds, success_auc(np.asarray(boxes), np.asarray(anno, float)),
                              np.asarray(est), truth))
    aucs = [s.polygon_auc for s in out if s.polygon_auc is not None]
    out.append(AngleScore("overall", np.concatenate([s.errors for s in out]),
                          float(np.mean(aucs)) if len(aucs) == len(out) else None,
                          sum(s.updates for s in out), sum(s.seconds for s in out),
                          float(np.mean([s.box_auc for s in out]))))
    return out


def plot_angle_tracks(scores: dict[str, list[AngleScore]], out: str | Path,
                      columns: int = 3) -> Path:
    """One panel per sequence: the true angle (black) and each tracker's estimate over the
    frames, both unwrapped so a steady turn reads as a straight line. ``scores`` maps a tracker
    label to :func:`score_angles`' list (the same sequences for every tracker). Writes a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = [s for s in next(iter(scores.values())) if s.truth is not None]
    rows = -(-len(first) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.3 * rows), dpi=100,
                             squeeze=False)
    for ax, seq in zip(axes.flat, first):
        truth = np.unwrap(np.deg2rad(seq.truth))
        ax.plot(np.rad2deg(truth), "k-", lw=2.2, label="true")
        for label, tracker_scores in scores.items():
            mine = next(s for s in tracker_scores if s.name == seq.name)
            # unwrap the estimate next to the truth, so a turn past 180 degrees stays one line
            est = np.deg2rad(mine.estimates)
            est = truth + np.angle(np.exp(1j * (est - truth)))
            ax.plot(np.rad2deg(est), lw=1.2,
                    label=f"{label} ({float(mine.errors.mean()):.0f} deg)")
        ax.set_title(seq.name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="best")
    for ax in list(axes.flat)[len(first):]:
        ax.axis("off")
    fig.supxlabel("frame", fontsize=8)
    fig.supylabel("angle since the first frame (degrees CCW)", fontsize=8)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
