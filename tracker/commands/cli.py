"""``eqtrack``: one command with a subcommand per tool.

    eqtrack SUBCOMMAND [options]      e.g.  eqtrack track video.mp4 --box 10,20,40,60
    eqtrack SUBCOMMAND -h             that subcommand's options and an example
    eqtrack --version
"""
from __future__ import annotations

import importlib
import sys

# subcommand -> (module in tracker.commands, one line of what it does)
SUBCOMMANDS = {
    "track": ("track", "track one target through a video, a folder of frames or a glob"),
    "demo": ("demo", "our default tracker against OpenCV's CSRT on a generated scene"),
    "evaluate": ("evaluate", "score trackers on OTB, GOT-10k, VOT or any folder (got10k)"),
    "evaluate-rotation": ("evaluate_rotation", "angle error on sequences with known angles"),
    "train": ("train", "train a model with a tracking loss (resumable)"),
    "train-angle": ("train_angle", "train a learned angle head on a trained tracker"),
    "tune": ("tune", "search tracking hyper-parameters on validation folders"),
    "set-tracking": ("set_tracking", "copy a checkpoint with changed tracking parameters"),
    "export": ("export", "write ONNX graphs and tracking.json for deployment"),
    "benchmark": ("benchmark", "speed of backbones, training and whole trackers vs CSRT"),
    "make-rotated": ("make_rotated", "a rotated copy of an OTB- or GOT-10k-layout dataset"),
    "make-sequences": ("make_sequences", "generated sequences with exact ground truth"),
    "equivariance": ("equivariance", "measure a backbone's equivariance error per stage"),
    "attention": ("attention", "save the attention maps of an attentive group backbone"),
    "plot-curve": ("plot_curve", "plot training runs' validation learning curves"),
    "figures": ("figures", "the README's pictures, from generated data"),
    "vot-server": ("vot_server", "serve a tracker over TraX to the VOT toolkit"),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("eqtrack")
    except PackageNotFoundError:
        return "unknown (not installed)"


def usage() -> str:
    width = max(map(len, SUBCOMMANDS))
    lines = ["usage: eqtrack SUBCOMMAND [options]   (eqtrack SUBCOMMAND -h for its options)",
             "", "subcommands:"]
    lines += [f"  {name:<{width}}  {what}" for name, (_, what) in SUBCOMMANDS.items()]
    lines += ["", "example: eqtrack demo", "         eqtrack track video.mp4 --box 10,20,40,60"]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"eqtrack {_version()}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"error: unknown subcommand '{name}'; known: {', '.join(SUBCOMMANDS)}",
              file=sys.stderr)
        return 2
    module = importlib.import_module(f"tracker.commands.{SUBCOMMANDS[name][0]}")
    sys.argv[0] = f"eqtrack {name}"  # argparse names the program after it in usage and errors
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
