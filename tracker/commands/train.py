"""Train a tracker (backbone + head) with a tracking loss.

    python tools/train.py --config configs/X.yaml [--set k=v ...] [--resume CKPT]
        [--data SPEC ...] [--out DIR] [--device cpu|cuda]
    torchrun --nproc_per_node N tools/train.py ...   (DistributedDataParallel)

``--data type:root[:weight]`` (repeatable) replaces the config's ``train.data``: ``folder`` (any
OTB- or GOT-10k-layout folder), ``got10k`` (GOT-10k train), ``vot`` (VOT layout, boxes or
polygons), ``lasot`` (LaSOT, its train split), ``objects`` (pairs synthesized from
annotated still images: boxes.json, COCO JSON or PASCAL VOC), ``synthetic`` (generated
sequences, no root). Writes OUT/latest.pt (every train.checkpoint_every steps, with the
optimizer state), OUT/final.pt (weights and config only, at the end), OUT/best.pt
(best validation AUC when train.val_root is set) and OUT/log.csv. ``--resume OUT/latest.pt``
continues a killed run exactly where its last checkpoint left it.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from tracker.commands.common import entry, setup_logging
from tracker.config import config_from_dict, config_to_dict, load_config
from tracker.errors import InputError

log = logging.getLogger("eqtrack.train")


@entry
def main(argv=None) -> int:
    from tracker.data.sampler import make_sampler, parse_data_spec
    from tracker.training.engine import Trainer, setup_distributed

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack train --config "
                                        "configs/siamfc_ien_resnet22_w025.yaml --out "
                                        "runs/campaign_w025"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="model + tracking + train YAML")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.steps=500 (repeatable)")
    p.add_argument("--data", action="append", default=[], metavar="TYPE:ROOT[:WEIGHT]",
                   help="training data (repeatable; replaces train.data)")
    p.add_argument("--resume", help="continue from a training checkpoint (latest.pt)")
    p.add_argument("--out", default="runs/train", help="output folder (default runs/train)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    setup_logging()
    config = load_config(args.config, args.overrides)
    if args.data:
        data = config_to_dict(config)
        data["train"]["data"] = [parse_data_spec(s) for s in args.data]
        config = config_from_dict(data)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device here")
    for key in ("val_root", "val_rot_root"):
        root = getattr(config.train, key)
        # checked now, not at the first validation an hour into the run
        if root and config.train.val_every and not Path(root).is_dir():
            hint = (" (make it with tools/make_rotated.py --src VAL --dst DIR)"
                    if key == "val_rot_root" else "")
            raise InputError(f"train.{key}: '{root}' is not a folder{hint}")
    rank, world, device = setup_distributed(args.device)
    if args.resume and not Path(args.resume).is_file():
        raise InputError(f"--resume '{args.resume}' not found")
    trainer = Trainer(config, make_sampler(config), args.out, device, rank, world,
                      resume=args.resume)
    if args.resume:
        log.info("resumed from %s at step %d", args.resume, trainer.step)
    trainer.fit(progress=not args.quiet)
    if rank == 0:
        log.info("done: step %d, checkpoint %s", trainer.step, Path(args.out) / "latest.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
