"""Shared plumbing of the command-line tools: error reporting, logging, model options."""
from __future__ import annotations

import argparse
import functools
import logging
import sys

from backbones import UnknownBackboneError
from backbones.gconv import UnknownGroupError
from tracker.errors import EqtrackError


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)


def _terminate_like_ctrl_c() -> None:
    """SIGTERM and SIGHUP (a closed terminal, ``kill``, a job scheduler) unwind the tool the way
    Ctrl-C does, so ``finally`` blocks finish output files: an .mp4 is only playable once its
    writer is closed."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def one_line(message: str) -> str:
    """``message`` on one line: user text quoted in it (a box, a file line) may hold line breaks
    and control characters, which are shown escaped instead."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message.strip())


def entry(main):
    """Decorate a tool's ``main(argv) -> int`` so bad input ends in one line and exit code 2.

    Errors that describe input (:class:`EqtrackError`, unknown registry names, OS errors on the
    user's files) print ``error: <message>`` on stderr; anything else is a bug and keeps its
    traceback.
    """

    @functools.wraps(main)
    def wrapper(argv=None) -> int:
        _terminate_like_ctrl_c()
        try:
            return int(main(argv) or 0)
        except (EqtrackError, UnknownBackboneError, UnknownGroupError, OSError) as e:
            print(f"error: {one_line(str(e))}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return wrapper


def int_in(low: int, high: int):
    """An argparse ``type`` for integers in ``[low, high]``: a bad value is argparse's one-line
    usage error, not a traceback deep inside the tool."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value

    parse.__name__ = "integer"
    return parse


def add_model_arguments(parser: argparse.ArgumentParser, backend: bool = True) -> None:
    """``--config`` / ``--checkpoint`` / ``--set`` options shared by the tools, and
    ``--backend`` for the tools that track."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--config", help="model + tracking YAML (default: the shipped default "
                                        "model, else configs/siamfc_resnet22.yaml)")
    group.add_argument("--checkpoint", help="an eqtrack checkpoint (.pt) or a shipped model's "
                                            "name ('default' = the best)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set tracking.scale_lr=0.3 (repeatable)")
    if backend:
        add_backend_argument(parser)


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    """``--backend NAME``: the inference runtime (checked by :func:`tracker.inference.runtime.build_runtime`,
    so an unknown name gets one line listing the known ones)."""
    from tracker.config import BACKENDS

    parser.add_argument("--backend", default=None, metavar="NAME",
                        help=f"inference runtime: {', '.join(BACKENDS)} (default: the model's "
                             f"tracking.backend, onnx for the shipped models)")


def tracker_from_args(args: argparse.Namespace):
    """Build the tracker the model options of ``args`` describe."""
    from tracker.inference.build import build_tracker

    return build_tracker(config=args.config, checkpoint=args.checkpoint, overrides=args.overrides,
                         backend=getattr(args, "backend", None))


def model_from_args(args: argparse.Namespace):
    """``(SiameseNet, Config)`` the model options of ``args`` describe."""
    from tracker.model.build import build_model_from

    return build_model_from(config=args.config, checkpoint=args.checkpoint,
                            overrides=args.overrides)
