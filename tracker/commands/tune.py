"""Search a model's tracking hyper-parameters on validation sequences (never on test data).

    python tools/tune.py MODEL --val DIR [--val DIR2 ...] --trials N --out trials.csv
        [--seed 0] [--workers 2] [--param NAME=LOW:HIGH ...] [--set tracking.KEY=VALUE ...]
        [--backend onnx-int8]

    e.g.  python tools/tune.py default --val ../shared/data/val --val data/val_rot \\
              --trials 40 --workers 2 --out runs/tune/trials.csv

Random search, seeded per trial (the same trials whatever the number of workers), resumable:
rerun the same command after a kill and only the missing trials run. Trial 0 is the model's
own values. One CSV row per trial: the values, the success AUC on each --val folder and their
mean (``score``). Without --param the space is SiamFC's window influence, scale step, scale
penalty, scale learning rate and context (plus rotation_max_change and rotation_min_gain when
--set tracking.rotation_aware=true or tracking.estimate_rotation=true; rotation_filter and
rotation_noise instead when the model or --set uses the histogram angle filter). Ends with the
best trial and the tools/set_tracking.py command that writes it into a checkpoint.
"""
from __future__ import annotations

import argparse
import sys

from tracker.commands.common import add_backend_argument, entry, setup_logging
from tracker.errors import InputError


@entry
def main(argv=None) -> int:
    from tracker.data.layouts import FolderDataset
    from tracker.evaluation.tuning import (
        FILTER_SPACE,
        ROTATION_SPACE,
        SIAMFC_SPACE,
        parse_param,
        search,
        tuned_overrides,
        uses_angle_filter,
    )

    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("example: eqtrack tune default --val ../shared/data/val --val data/val_rot "
                "--trials 40 --workers 2 --out runs/tune/trials.csv"))
    p.add_argument("model", help="shipped model name, checkpoint .pt or config YAML")
    p.add_argument("--val", action="append", required=True,
                   help="OTB-layout validation folder (repeatable; the score is the mean)")
    p.add_argument("--trials", type=int, default=40, help="trials in all, trial 0 included")
    p.add_argument("--out", required=True, help="CSV of trials (appended to on resume)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes (one thread each)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=LOW:HIGH",
                   help="search this tracking parameter instead of the default space")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="fixed tracking override for every trial (repeatable)")
    add_backend_argument(p)
    args = p.parse_args(argv)
    setup_logging()
    if not 1 <= args.trials <= 100000:
        raise InputError(f"--trials {args.trials}: must lie in 1..100000")
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers {args.workers}: must lie in 1..64")
    for o in args.overrides:
        if not o.partition("=")[0].strip().startswith("tracking."):
            raise InputError(f"--set {o}: only tracking.* can change a trained model")
    for root in args.val:
        FolderDataset(root)  # a bad folder fails now, with its own message
    if args.param:
        space = tuple(parse_param(t) for t in args.param)
    else:
        rotation = any(o.replace(" ", "").lower() in ("tracking.estimate_rotation=true",
                                                      "tracking.rotation_aware=true")
                       for o in args.overrides)
        space = SIAMFC_SPACE
        if rotation:
            space += (FILTER_SPACE if uses_angle_filter(args.model, args.overrides)
                      else ROTATION_SPACE)
    rows = search(args.model, args.val, args.out, args.trials, args.seed, space,
                  args.overrides, args.workers, args.backend)
    names = [q.name for q in space]
    base = next((r for r in rows if r["trial"] == 0), None)
    best = rows[0]
    print(f"{len(rows)} trials in {args.out}")
    if base is not None:
        print(f"model's own values (trial 0): score {base['score']:.4f}")
    print(f"best: trial {int(best['trial'])}, score {best['score']:.4f}: "
          + ", ".join(f"{n}={best[n]:g}" for n in names))
    sets = " ".join("--set " + o
                    for o in tuned_overrides(args.overrides, {n: best[n] for n in names}))
    print(f"write it: python tools/set_tracking.py {args.model} {sets} --out TUNED.pt "
          f"--note 'tools/tune.py trial {int(best['trial'])}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
