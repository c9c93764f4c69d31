"""Measure how well trackers follow the target's in-plane angle on sequences with known angles.

    python tools/evaluate_rotation.py --root DIR --tracker T [--tracker T2 ...]
        [--set tracking.KEY=VALUE ...] [--backend NAME] [--csv out.csv] [--per-sequence]
        [--plot angles.png [--label NAME ...]]

    e.g.  python tools/evaluate_rotation.py --root data/val_rot --tracker default

DIR holds OTB-layout sequences whose angles are known: ``groundtruth_rotated.txt`` (generated
sequences) or ``angles.txt`` (rotated copies of real footage from tools/make_rotated.py; their
``groundtruth_poly.txt`` also scores the rotated box by polygon IoU). T: a shipped model, a
checkpoint or a config; each runs with ``tracking.estimate_rotation=true`` unless the model is
rotation-aware already. Prints, per tracker (and per sequence with --per-sequence), the mean,
median and 90th percentile angle error in degrees, the fraction of frames under 15 degrees, the
rotated box's success AUC (polygon IoU) and FPS.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from tracker.commands.common import add_backend_argument, entry, setup_logging
from tracker.errors import InputError

COLUMNS = ("mean", "median", "p90", "under_15", "polygon_auc", "box_auc", "frames", "fps")


def _fmt(v) -> str:
    return "-" if v is None else (f"{v:d}" if isinstance(v, int) else f"{v:.3f}")


@entry
def main(argv=None) -> int:
    from tracker.data.layouts import FolderDataset
    from tracker.evaluation.angles import plot_angle_tracks, score_angles
    from tracker.evaluation.baselines import BASELINES
    from tracker.evaluation.trackers import tracker_from_spec

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack evaluate-rotation --root "
                                       "data/val_rot --tracker default",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", required=True, help="folder of OTB-layout sequences")
    p.add_argument("--tracker", action="append", required=True,
                   help="config YAML, checkpoint, or shipped model name (repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="tracking override applied to every tracker (repeatable)")
    p.add_argument("--per-sequence", action="store_true", help="also print every sequence")
    p.add_argument("--csv", help="write every row (per sequence and overall) to this CSV")
    p.add_argument("--plot", help="write a PNG of every sequence's estimated and true angle")
    p.add_argument("--label", action="append", default=[],
                   help="the plot's name for each --tracker, in order (default: its name)")
    add_backend_argument(p)
    args = p.parse_args(argv)
    setup_logging()
    rows = []
    FolderDataset(args.root)  # a bad folder fails before anything is printed
    for spec in args.tracker:
        if spec in BASELINES:
            raise InputError(f"--tracker {spec}: an OpenCV baseline estimates no angle")
    if args.label and not args.plot:
        raise InputError("--label names the trackers of --plot; give --plot too")
    if args.label and len(args.label) != len(args.tracker):
        raise InputError(f"--label: {len(args.label)} labels for {len(args.tracker)} trackers")
    if len(set(args.label)) < len(args.label):
        raise InputError(f"--label: two trackers share a label ({', '.join(args.label)})")
    if args.plot:
        plot = Path(args.plot)
        if plot.suffix.lower() != ".png":
            raise InputError(f"--plot {args.plot}: the angle plot is a .png file")
        try:  # an unwritable place fails now, not after the whole evaluation
            plot.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"--plot {args.plot}: cannot create its folder ({e.strerror})") \
                from None
    curves = {}
    if args.overrides:
        print(f"every tracker with {', '.join(args.overrides)}")
    print(f"{'tracker':<40} {'sequence':<22} " + " ".join(f"{c:>11}" for c in COLUMNS))
    for i, spec in enumerate(args.tracker):
        tracker = tracker_from_spec(spec, ["tracking.estimate_rotation=true", *args.overrides],
                                    args.backend)
        label = tracker.name
        name = args.label[i] if args.label else label
        if args.plot and name in curves:
            raise InputError(f"--plot: two trackers are called '{name}'; tell them apart with "
                             f"--label")
        scores = score_angles(tracker, args.root)
        curves[name] = scores
        for score in scores:
            row = {"tracker": label, "overrides": " ".join(args.overrides), **score.row()}
            rows.append(row)
            if args.per_sequence or score.name == "overall":
                print(f"{label:<40} {score.name:<22} "
                      + " ".join(f"{_fmt(row[c]):>11}" for c in COLUMNS))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {args.csv}")
    if args.plot:
        print(f"wrote {plot_angle_tracks(curves, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
