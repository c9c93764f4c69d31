"""Write a copy of a checkpoint with a changed tracking section (same weights), e.g. after
choosing tracking hyper-parameters on a validation set.

    python tools/set_tracking.py MODEL --set tracking.KEY=VALUE [...] --out NEW.pt [--note TEXT]

    e.g.  python tools/set_tracking.py eqtrack-ien-resnet22 --set tracking.scale_lr=0.35 \\
              --out runs/ien_lr035.pt --note "scale_lr chosen on val/"

MODEL: a shipped model's name or a checkpoint. Only ``tracking.*`` (and ``name``) may change:
the weights fix the model. The overrides and the note are appended to the checkpoint's
``tracking_history`` so the choice stays documented inside the file; a training checkpoint's
optimizer state is not copied.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker.commands.common import entry, setup_logging
from tracker.errors import InputError


@entry
def main(argv=None) -> int:
    from tracker.checkpoint import load_checkpoint, save_checkpoint
    from tracker.config import apply_overrides, config_from_dict, config_to_dict
    from tracker.model.build import load_model
    from tracker.shipped import resolve_checkpoint

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack set-tracking default --set "
                                       "tracking.scale_lr=0.35 --out runs/tuned.pt")
    p.add_argument("model", help="shipped model name or checkpoint .pt")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   required=True, help="tracking.KEY=VALUE or name=NAME (repeatable)")
    p.add_argument("--out", required=True, help="checkpoint to write (may equal MODEL's file)")
    p.add_argument("--note", default="", help="why (stored with the overrides)")
    args = p.parse_args(argv)
    setup_logging()
    path = resolve_checkpoint(args.model)
    if path is None or not path.is_file():
        raise InputError(f"'{args.model}' is neither a shipped model nor a checkpoint file")
    for o in args.overrides:
        key = o.partition("=")[0].strip()
        if not (key.startswith("tracking.") or key == "name"):
            raise InputError(f"--set {o}: only tracking.* and name can change in a checkpoint")
    model, config = load_model(path)
    new = config_from_dict(apply_overrides(config_to_dict(config), args.overrides))
    _, _, payload = load_checkpoint(path)
    # the copy is for tracking: a training checkpoint's optimizer state stays behind (resume
    # from the original), which also halves the file
    extra = {k: v for k, v in payload.items()
             if k not in ("format", "version", "config", "model", "optimizer")}
    history = list(extra.pop("tracking_history", []))
    history.append({"set": list(args.overrides), "note": args.note})
    save_checkpoint(Path(args.out), model, new, **extra, tracking_history=history)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
