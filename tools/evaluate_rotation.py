"""Measure how well trackers estimate the target's in-plane angle on sequences with known angles.

    python tools/evaluate_rotation.py --root DIR --tracker CONFIG [--tracker CONFIG2 ...]
        [--set KEY=VALUE ...]

DIR holds OTB-layout sequences whose ground truth angle is known: ``groundtruth_rotated.txt``
(``cx,cy,w,h,angle``: generated sequences, and their rotated copies from tools/make_rotated.py)
or ``angles.txt`` (a rotated copy of real footage: the frame's rotation, taking the target's own
turning as zero). Every tracker runs with ``tracking.estimate_rotation=true``; the error is the
circular difference between the estimated and the true angle change since the first frame.
Prints mean and 90th percentile per tracker (degrees) and FPS.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from tracker.build import build_tracker
from tracker.cli import entry, setup_logging
from tracker.errors import InputError
from tracker.evaluation import FolderDataset, read_groundtruth
from tracker.shipped import resolve_checkpoint
from tracker.video import read_image


def true_angles(seq_dir: Path) -> np.ndarray:
    """Angle change since the first frame (degrees CCW) of every frame of a sequence."""
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
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True, help="folder of OTB-layout sequences")
    p.add_argument("--tracker", action="append", required=True,
                   help="config YAML, checkpoint, or shipped model name")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every tracker (repeatable)")
    args = p.parse_args(argv)
    setup_logging()
    data = FolderDataset(args.root)
    truths = [true_angles(Path(args.root) / name) for name in data.seq_names]
    print(f"{'tracker':<40} {'mean err':>9} {'p90 err':>8} {'frames':>7} {'FPS':>6}")
    for spec in args.tracker:
        overrides = ["tracking.estimate_rotation=true"] + args.overrides
        ckpt = resolve_checkpoint(spec)  # a shipped model's name or a .pt file
        tracker = build_tracker(config=None if ckpt else spec, checkpoint=ckpt,
                                overrides=overrides)
        errors, updates, seconds = [], 0, 0.0
        for (files, anno), truth in zip(data, truths):
            if len(truth) != len(files):
                raise InputError(f"{len(truth)} angles but {len(files)} frames in '{files[0]}'")
            tracker.init(read_image(files[0]), anno[0])
            est = [0.0]
            for f in files[1:]:
                t0 = time.perf_counter()
                tracker.update(read_image(f))
                seconds += time.perf_counter() - t0
                est.append(tracker.angle)
            updates += len(files) - 1
            errors.append(angle_error(est[1:], truth[1:]))
        e = np.concatenate(errors)
        label = f"{Path(spec).stem}" + (f" ({', '.join(args.overrides)})" if args.overrides else "")
        print(f"{label:<40} {e.mean():>9.2f} {np.percentile(e, 90):>8.2f} {len(e):>7d} "
              f"{updates / seconds:>6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
