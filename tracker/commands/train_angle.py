"""Train a learned angle head on a trained tracker (backbone and box head stay frozen).

    python tools/train_angle.py MODEL --out OUT.pt [--steps 3000] [--batch-size 32]
        [--lr 0.001] [--channels 64] [--set train.KEY=VALUE ...] [--resume]

``MODEL`` is a shipped model's name, or a checkpoint. The pairs come from the model's own
``train`` section (its data, its ``train.rotation`` range of turns), changeable with
``--set train.*``. ``OUT.pt`` is a complete checkpoint: the same tracker plus
``model.angle_head``, named ``<name>-angle``, written every 200 steps and at the end. Use its
head with ``--set tracking.rotation_aware=true --set tracking.rotation_head=true``.
``--resume`` continues a killed run from ``OUT.pt`` exactly. With ``train.val_root`` set, the
end reports the mean angle error on 256 pairs from that folder.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tracker.commands.common import entry, int_in, setup_logging
from tracker.errors import InputError

log = logging.getLogger("eqtrack.train_angle")


@entry
def main(argv=None) -> int:
    from tracker.data.sampler import PairSampler, build_sources, make_sampler
    from tracker.model.build import build_model_from
    from tracker.training.angle import AngleTrainer, head_training_config, with_angle_head

    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: eqtrack train-angle default --out runs/angle/default-angle.pt")
    p.add_argument("model", help="shipped model name or checkpoint .pt")
    p.add_argument("--out", required=True, help="checkpoint to write (.pt)")
    p.add_argument("--steps", type=int_in(1, 10_000_000), default=3000)
    p.add_argument("--batch-size", type=int_in(1, 4096), default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's peak learning rate")
    p.add_argument("--channels", type=int_in(1, 4096), default=64, help="head width")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="train.* value of the pairs, e.g. --set train.rotation=60 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    args = p.parse_args(argv)
    setup_logging()
    if not (0 < args.lr < 1):
        raise InputError(f"--lr {args.lr}: must lie in (0, 1)")
    out = Path(args.out)
    if out.suffix != ".pt":
        raise InputError(f"--out '{out}': must end in .pt")
    if args.resume and not out.is_file():
        raise InputError(f"--resume: '{out}' not found (nothing to continue)")
    if not args.resume and out.exists():
        raise InputError(f"--out '{out}' exists; pass --resume to continue it, or another "
                         f"name")
    net, cfg = build_model_from(checkpoint=args.model)
    net, cfg = with_angle_head(net, cfg, args.channels)
    cfg = head_training_config(cfg, args.overrides)
    command = "eqtrack train-angle " + " ".join(argv if argv is not None else sys.argv[1:])
    trainer = AngleTrainer(net, cfg, make_sampler(cfg), out, args.steps, args.batch_size,
                           args.lr, extra={"command": command, "source_model": args.model})
    if args.resume:
        trainer.resume(out)
        log.info("resumed from %s at step %d", out, trainer.step)
    trainer.fit()
    if cfg.train.val_root:
        t, k = cfg.train, cfg.tracking
        sources = build_sources([{"type": "folder", "root": t.val_root, "max_gap": t.max_gap}])
        val = PairSampler(sources, exemplar_size=k.exemplar_size, instance_size=k.instance_size,
                          context=k.context, max_shift=t.max_shift, scale_jitter=t.scale_jitter,
                          rotation=t.rotation, seed=t.seed + 1)
        log.info("validation pairs (%s): mean angle error %.1f deg", t.val_root,
                 trainer.evaluate(val))
    log.info("done: step %d, checkpoint %s", trainer.step, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
