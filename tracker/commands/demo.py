"""Demo: our default tracker and OpenCV's CSRT side by side on a generated scene where the
target turns, scales and passes a look-alike (tracker/evaluation/demo.py describes it).

    python tools/demo.py [--out demo_out] [--frames 150] [--seed 0] [--config C | --checkpoint P]

    e.g.  python tools/demo.py --out demo_out

Prints both trackers' success AUC (got10k's OTB definition) and FPS, and whether ours wins;
writes OUT/side_by_side.mp4 (ours left, with its rotated box; CSRT right; the truth in white)
and OUT/contact_sheet.png. Needs no data: the scene is generated from the seed.
"""
from __future__ import annotations

import argparse
import logging
import sys

from tracker.commands.common import (
    add_model_arguments,
    entry,
    int_in,
    setup_logging,
    tracker_from_args,
)

log = logging.getLogger("eqtrack.demo")


@entry
def main(argv=None) -> int:
    from tracker.evaluation.baselines import build_baseline
    from tracker.evaluation.demo import (
        DEMO_SPEC,
        demo_sequence,
        run_on,
        side_by_side_frames,
        write_outputs,
    )

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack demo --out demo_out",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    p.add_argument("--frames", type=int_in(2, 100000), default=DEMO_SPEC.num_frames,
                   help=f"length of the generated scene (default {DEMO_SPEC.num_frames})")
    p.add_argument("--seed", type=int_in(0, 2 ** 31 - 1), default=0,
                   help="seed of the scene (default 0, the one the README reports)")
    add_model_arguments(p)
    args = p.parse_args(argv)
    setup_logging()
    seq = demo_sequence(args.frames, args.seed)
    log.info("generated the demo scene: %d frames, %dx%d, seed %d", len(seq.frames),
             seq.frames[0].shape[1], seq.frames[0].shape[0], args.seed)
    ours = run_on(tracker_from_args(args), seq)
    theirs = run_on(build_baseline("opencv-csrt"), seq)
    for run in (ours, theirs):
        print(f"{run.name:<32} success AUC {run.auc:.3f}   {run.fps:6.1f} FPS")
    if ours.auc > theirs.auc:
        print(f"{ours.name} beats opencv-csrt on this scene "
              f"({ours.auc:.3f} vs {theirs.auc:.3f}, {ours.fps / theirs.fps:.2f}x its FPS)")
    else:
        print(f"{ours.name} does NOT beat opencv-csrt on this scene "
              f"({ours.auc:.3f} vs {theirs.auc:.3f})")
    video, sheet = write_outputs(side_by_side_frames(seq, ours, theirs), args.out)
    print(f"wrote {video} and {sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
