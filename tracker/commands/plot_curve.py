"""Plot training runs' learning curves: validation AUC (val/ and its rotated copy) against
training pairs, from each run's val.csv.

    python tools/plot_curve.py RUN [RUN ...] --out curve.png [--label NAME ...]

    e.g.  python tools/plot_curve.py runs/campaign_w025 --out docs/learning_curve.png

Also prints each run's rows and its best validation score (the mean of the two AUCs, what
best.pt is chosen by).
"""
from __future__ import annotations

import argparse
import sys

from tracker.commands.common import entry, setup_logging
from tracker.errors import InputError
from tracker.evaluation.curves import plot_learning_curves, read_val_curve


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack plot-curve runs/campaign_w025 "
                                       "--out docs/learning_curve.png",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="training output folders (or their val.csv)")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--label", action="append", default=[], help="legend name per run")
    p.add_argument("--offset", action="append", type=int, default=[],
                   help="pairs a run started from, per run (a run continued from another's "
                        "weights: its curve starts where they left off)")
    args = p.parse_args(argv)
    setup_logging()
    if args.label and len(args.label) != len(args.runs):
        raise InputError(f"--label given {len(args.label)} times for {len(args.runs)} runs")
    if args.offset and len(args.offset) != len(args.runs):
        raise InputError(f"--offset given {len(args.offset)} times for {len(args.runs)} runs")
    labels = args.label or list(args.runs)
    offsets = args.offset or [0] * len(args.runs)
    curves = {label: [{**r, "pairs": r["pairs"] + off} for r in read_val_curve(run)]
              for label, run, off in zip(labels, args.runs, offsets)}
    for label, rows in curves.items():
        print(f"{label}")
        print(f"  {'step':>7} {'pairs':>8} {'val':>6} {'val_rot':>7} {'score':>6}")
        for r in rows:
            print(f"  {int(r['step']):>7} {int(r['pairs']):>8} {r['val']:>6.3f} "
                  f"{r['val_rot']:>7.3f} {r['score']:>6.3f}")
        best = max(rows, key=lambda r: r["score"])
        print(f"  best: step {int(best['step'])}, score {best['score']:.3f}")
    plot_learning_curves(curves, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
