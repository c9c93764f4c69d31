"""Make the README's pictures from generated data: a strip of a turning target tracked with its
angle, the success plot of every shipped model against OpenCV's CSRT, and the attention maps of
the attentive model.

    eqtrack figures [--out docs] [--sequences 3] [--frames 90] [--seed 0]
        [--model NAME ...] [--strip-model NAME] [--attention-model NAME] [--backend B]

Writes OUT/rotation_strip.jpg, OUT/success_plot.png and OUT/attention.jpg, and prints each
model's AUC on the generated sequences (never frames of a real dataset).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import cv2

from tracker.commands.common import add_backend_argument, entry, int_in, setup_logging
from tracker.errors import InputError

log = logging.getLogger("eqtrack.figures")

ROTATION_ON = ["tracking.estimate_rotation=true", "tracking.derotate_search=true"]


def _write(path: Path, bgr, max_width: int = 1200) -> Path:
    if bgr.shape[1] > max_width:  # README pictures: small files, still legible
        f = max_width / bgr.shape[1]
        bgr = cv2.resize(bgr, (max_width, round(bgr.shape[0] * f)), interpolation=cv2.INTER_AREA)
    if not cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 88]):
        raise InputError(f"cannot write '{path}'")
    return path


@entry
def main(argv=None) -> int:
    from tracker.evaluation.figures import (
        attention_figure,
        rotation_strip,
        success_curves,
        success_plot,
        turning_sequences,
    )
    from tracker.evaluation.trackers import tracker_from_spec
    from tracker.model.build import build_model_from
    from tracker.shipped import shipped_models

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack figures --out docs",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="docs", help="folder for the pictures (default: docs)")
    p.add_argument("--sequences", type=int_in(1, 100), default=3,
                   help="generated sequences for the success plot (default 3)")
    p.add_argument("--frames", type=int_in(10, 10000), default=90,
                   help="frames per generated sequence (default 90)")
    p.add_argument("--seed", type=int_in(0, 2**31 - 1), default=0, help="scene seed (default 0)")
    p.add_argument("--model", action="append", default=[],
                   help="success plot: a tracker (repeatable; default: every shipped model and "
                        "opencv-csrt)")
    p.add_argument("--strip-model", default="default",
                   help="the model of the rotation strip (default: default)")
    p.add_argument("--attention-model", default="eqtrack-p4-att-resnet22-w025",
                   help="an attentive model for the attention maps")
    add_backend_argument(p)
    args = p.parse_args(argv)
    setup_logging()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seqs = turning_sequences(args.sequences, args.frames, args.seed)

    strip = tracker_from_spec(args.strip_model, ROTATION_ON, args.backend)
    path = _write(out / "rotation_strip.jpg",
                  cv2.cvtColor(rotation_strip(strip, seqs[0]), cv2.COLOR_RGB2BGR))
    print(f"wrote {path}")

    names = args.model or [*shipped_models(), "opencv-csrt"]
    for name in names:  # every name checked (and exported once) before minutes of tracking
        tracker_from_spec(name, (), args.backend)
    makers = {name: (lambda n=name: tracker_from_spec(n, (), args.backend)) for name in names}
    curves = success_curves(makers, seqs)
    path = success_plot(curves, out / "success_plot.png",
                        f"{len(seqs)} generated turning sequences, {args.frames} frames each")
    for name, curve in sorted(curves.items(), key=lambda kv: -kv[1].mean()):
        print(f"{name:<34} AUC {curve.mean():.3f}")
    print(f"wrote {path}")

    model, cfg = build_model_from(checkpoint=args.attention_model)
    try:
        image = attention_figure(model, cfg.tracking, seqs[0])
    except ValueError as e:
        raise InputError(f"--attention-model {args.attention_model}: {e}") from None
    print(f"wrote {_write(out / 'attention.jpg', image)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
