"""Write generated tracking sequences (exact ground truth, known angles) to disk.

    python tools/make_sequences.py --dst DIR [--seeds 10-15] [--layout otb|got10k|vot]
                                   [--spec FIELD=VALUE ...] [--overwrite]

One sequence per seed, named ``seq<seed>``, rendered by tracker.data.synthetic (a textured card
over a cluttered, panning background). ``--spec`` sets a field of SequenceSpec, e.g.
``--spec num_frames=41 --spec rotation_speed=2 --spec distractors=0 --spec occlusion=false
--spec object_size=60x40``. OTB layout writes groundtruth_rotated.txt too, which
tools/evaluate_rotation.py reads for the angle error.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

from tracker.commands.common import entry, setup_logging
from tracker.data.synthetic import (
    SequenceSpec,
    check_spec,
    generate_sequence,
    write_got10k,
    write_otb,
    write_vot,
)
from tracker.errors import InputError


def parse_seeds(text: str) -> list[int]:
    """``"10-15"`` -> 10..15, ``"1,4,7"`` -> [1, 4, 7]."""
    try:
        if "-" in text.strip("-"):
            lo, hi = text.split("-", 1)
            seeds = list(range(int(lo), int(hi) + 1))
        else:
            seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds '{text}': use A-B or a comma-separated list of integers") \
            from None
    if not seeds:
        raise InputError(f"--seeds '{text}': no seed")
    if min(seeds) < 0:
        raise InputError(f"--seeds '{text}': seeds must be >= 0")
    return seeds


def parse_spec(items: list[str]) -> SequenceSpec:
    """A SequenceSpec with ``FIELD=VALUE`` overrides (types follow the defaults)."""
    fields = {f.name: f for f in dataclasses.fields(SequenceSpec)}
    base, values = SequenceSpec(), {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise InputError(f"--spec '{item}': expected FIELD=VALUE with FIELD one of "
                             f"{', '.join(fields)}")
        default = getattr(base, key)
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false"):
                    raise ValueError
                values[key] = text.lower() == "true"
            elif isinstance(default, tuple):
                values[key] = tuple(int(v) for v in text.lower().split("x"))
                if len(values[key]) != 2:
                    raise ValueError
            else:
                values[key] = type(default)(text)
                if not math.isfinite(values[key]) or values[key] < 0:
                    raise ValueError
        except ValueError:
            kind = {bool: "true or false", tuple: "WxH", int: "an integer >= 0"}.get(
                type(default), "a finite number >= 0")
            raise InputError(f"--spec '{item}': {key} must be {kind}") from None
    spec = dataclasses.replace(base, **values)
    try:
        check_spec(spec)
    except ValueError as e:
        raise InputError(f"--spec: {e}") from None
    return spec


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack make-sequences --dst data/gen --seeds 0-3",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dst", required=True, help="output folder")
    p.add_argument("--seeds", default="0-3", help="seeds, A-B or a,b,c (default 0-3)")
    p.add_argument("--layout", choices=("otb", "got10k", "vot"), default="otb")
    p.add_argument("--spec", action="append", default=[], metavar="FIELD=VALUE",
                   help="a SequenceSpec field (repeatable)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty --dst")
    args = p.parse_args(argv)
    setup_logging()
    seeds, spec = parse_seeds(args.seeds), parse_spec(args.spec)
    dst = Path(args.dst)
    if dst.is_file() or (dst.is_dir() and any(dst.iterdir()) and not args.overwrite):
        raise InputError(f"--dst '{dst}' is not an empty folder (add --overwrite)")
    seqs = [generate_sequence(spec, seed=s, name=f"seq{s}") for s in seeds]
    if args.layout == "otb":
        for seq in seqs:
            write_otb(seq, dst)
    elif args.layout == "got10k":
        write_got10k(seqs, dst, subset="val")
    else:
        write_vot(seqs, dst)
    print(f"{len(seqs)} sequences x {spec.num_frames} frames ({args.layout} layout) in {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
