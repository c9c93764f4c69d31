"""Demo: generate a synthetic video, track it with the default model, report the mean IoU.

    python tools/demo.py [--out demo_out] [--frames 120] [--seed 0] [--config C | --checkpoint P]

Writes OUT/synthetic.mp4 (input), OUT/tracked.mp4 (boxes drawn) and OUT/boxes.txt.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tracker.boxes import iou_xywh
from tracker.cli import add_model_arguments, entry, int_in, setup_logging, tracker_from_args
from tracker.data.synthetic import SequenceSpec, generate_sequence, write_video
from tracker.runner import track_source
from tracker.video import FrameSource

log = logging.getLogger("eqtrack.demo")


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    p.add_argument("--frames", type=int_in(2, 100000), default=120,
                   help="length of the generated video")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated video")
    add_model_arguments(p)
    args = p.parse_args(argv)
    setup_logging()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    seq = generate_sequence(SequenceSpec(num_frames=args.frames), seed=args.seed)
    video = write_video(seq, out / "synthetic.mp4")
    log.info("generated %s (%d frames, %dx%d)", video, len(seq.frames), seq.frames[0].shape[1],
             seq.frames[0].shape[0])

    tracker = tracker_from_args(args)
    result = track_source(tracker, FrameSource(video), seq.boxes[0], output=out / "tracked.mp4",
                          boxes_path=out / "boxes.txt")
    ious = iou_xywh(result.boxes[1:], seq.boxes[1:len(result.boxes)])
    print(f"tracker {tracker.name}: mean IoU {ious.mean():.3f} over {len(ious)} frames, "
          f"success@0.5 {(ious > 0.5).mean():.3f}, {result.fps:.1f} FPS")
    print(f"wrote {out / 'tracked.mp4'} and {out / 'boxes.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
