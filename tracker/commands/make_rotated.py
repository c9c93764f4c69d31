"""Write a rotated copy of an OTB- or GOT-10k-layout tracking dataset (like Rot-OTB100).

    python tools/make_rotated.py --src ROOT --dst ROOT2 [--mode constant|progressive|random-walk]
                                 [--max-deg D] [--rate R] [--seed S] [--origin auto|0|1] [--overwrite]

Each frame is rotated about its centre (counter-clockwise, degrees) onto a canvas large enough
to hold all of it, black outside; the ground truth is rotated exactly and written as polygons
(groundtruth_poly.txt), as their axis-aligned boxes (the input's rectangle file) and with the
per-frame angles (angles.txt). See tracker/data/rotate.py for the angle schedules.
"""
from __future__ import annotations

import argparse
import sys

from tracker.commands.common import entry, setup_logging
from tracker.data.rotate import MODES, make_rotated


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack make-rotated --src ../shared/data/val --dst"
                                        " data/val_rot --mode progressive --max-deg 180 --seed 0"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True, help="dataset folder (OTB or GOT-10k layout)")
    p.add_argument("--dst", required=True, help="output folder (new or empty, outside --src)")
    p.add_argument("--mode", choices=MODES, default="progressive",
                   help="constant: one random angle per sequence; progressive (default): 0 to "
                        "+-max-deg over the sequence; random-walk: Gaussian steps from 0; "
                        "turn: --rate degrees more every frame")
    p.add_argument("--max-deg", type=float, default=180.0,
                   help="largest rotation in degrees (default 180)")
    p.add_argument("--rate", type=float, default=1.5,
                   help="--mode turn: degrees per frame (default 1.5; sign drawn per sequence)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--origin", choices=("auto", "0", "1"), default="auto",
                   help="coordinate of the first pixel's left edge in the ground truth: "
                        "auto (default) = 1 for OTB layout, 0 for GOT-10k")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty --dst (sequence folders written are replaced)")
    args = p.parse_args(argv)
    setup_logging()
    origin = None if args.origin == "auto" else float(args.origin)
    summary = make_rotated(args.src, args.dst, mode=args.mode, max_deg=args.max_deg,
                           seed=args.seed, overwrite=args.overwrite, origin=origin,
                           rate=args.rate)
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
