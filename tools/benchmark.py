"""Benchmark backbones side by side: parameters, FLOPs and forward time at template and search
size, all measured in one run (round-robin, so machine noise hits every model alike).

    python tools/benchmark.py [--config C ...] [--repeats 10] [--threads N] [--set KEY=VALUE]
        [--training [--data SPEC ...] [--options fp32,channels_last,bf16,compile]]

Without ``--config`` every YAML in configs/ is measured. Sizes and the search batch (the number
of scales) come from each config's ``tracking`` section. Times are medians over ``--repeats``
forward passes under ``torch.inference_mode`` after two warm-up passes. With ``--training``:
pairs per second of the data pipeline alone (``train.data``, or ``--data``) and of full training
steps (forward, losses, backward, SGD step) at ``train.batch_size``, median over ``--repeats``,
for each speed option in ``--options`` (``train.channels_last``, ``train.amp=bf16``,
``train.compile``), all measured round-robin in one run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from tracker.build import CONFIG_DIR, build_model_from
from tracker.cli import entry, setup_logging
from tracker.errors import InputError


def _flops(backbone, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        backbone(x)
    return counter.get_total_flops()


def _time(backbone, x: torch.Tensor) -> float:
    t0 = time.perf_counter()
    backbone(x)
    return time.perf_counter() - t0


def training_benchmark(configs: list[str], args) -> int:
    from tracker.config import config_from_dict, config_to_dict
    from tracker.data.pairs import measure_pairs_per_second, parse_data_spec
    from tracker.engine import Trainer
    from train import make_sampler

    options = [o.strip() for o in (args.options or "fp32,channels_last,bf16").split(",")
               if o.strip()]
    unknown = sorted(set(options) - set(TRAIN_OPTIONS))
    if unknown:
        raise InputError(f"--options: unknown {', '.join(unknown)} (known: "
                         f"{', '.join(TRAIN_OPTIONS)})")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of "
          f"{args.repeats}; train pairs/s per option (compile: after its first, compiling step)")
    header = f"{'config':<26} {'backbone':<18} {'batch':>5} {'data pairs/s':>13} " + \
        " ".join(f"{o:>13}" for o in options)
    print(header)
    print("-" * len(header))
    for c in configs:
        _, cfg = build_model_from(config=c, overrides=args.overrides)
        if args.data:
            d = config_to_dict(cfg)
            d["train"]["data"] = [parse_data_spec(s) for s in args.data]
            cfg = config_from_dict(d)
        sampler = make_sampler(cfg)
        b = cfg.train.batch_size
        data_rate = measure_pairs_per_second(sampler, b, args.repeats)
        batch = sampler.batch(0, b)
        trainers = []
        for o in options:
            d = config_to_dict(cfg)
            d["train"].update({**_PLAIN, **TRAIN_OPTIONS[o]})  # nothing else from the config
            trainer = Trainer(config_from_dict(d), sampler, "/nonexistent-unused")
            trainer.train_step(batch)  # warm-up (and compilation)
            trainers.append(trainer)
        times = [[] for _ in options]
        for _ in range(args.repeats):  # round-robin: noise hits every option alike
            for trainer, t in zip(trainers, times):
                t0 = time.perf_counter()
                trainer.train_step(batch)
                t.append(time.perf_counter() - t0)
        print(f"{cfg.name:<26} {cfg.model.backbone:<18} {b:>5} {data_rate:>13.1f} " +
              " ".join(f"{b / statistics.median(t):>13.2f}" for t in times))
    return 0


# training speed options (train.* config keys) --options can compare
_PLAIN = {"channels_last": False, "amp": "fp32", "compile": False}
TRAIN_OPTIONS = {
    "fp32": {},
    "channels_last": {"channels_last": True},
    "bf16": {"amp": "bf16"},
    "channels_last+bf16": {"channels_last": True, "amp": "bf16"},
    "compile": {"compile": True},
}


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", action="append", default=[], help="config YAML (repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every config, e.g. --set model.backbone_args.width=1")
    p.add_argument("--repeats", type=int, default=10, help="timed passes per model and size")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--training", action="store_true",
                   help="measure the data pipeline and training steps instead")
    p.add_argument("--data", action="append", default=[], metavar="TYPE:ROOT[:WEIGHT]",
                   help="training data for --training (default: each config's train.data)")
    p.add_argument("--options", default=None,
                   help="--training: comma-separated speed options to compare "
                        f"({', '.join(TRAIN_OPTIONS)}; compile takes minutes to compile on CPU; "
                        "default fp32,channels_last,bf16)")
    args = p.parse_args(argv)
    setup_logging()
    if args.threads:
        torch.set_num_threads(args.threads)
    configs = args.config or sorted(str(c) for c in CONFIG_DIR.glob("*.yaml"))
    if args.training:
        return training_benchmark(configs, args)
    if args.options is not None:
        raise InputError("--options compares training speed options: add --training")
    rows = []
    for c in configs:
        model, cfg = build_model_from(config=c, overrides=args.overrides)
        bb = model.backbone.eval()
        t = cfg.tracking
        z = torch.rand(1, 3, t.exemplar_size, t.exemplar_size) * 255
        x = torch.rand(t.scale_num, 3, t.instance_size, t.instance_size) * 255
        with torch.inference_mode():
            outz, outx = bb(z), bb(x)
            flz, flx = _flops(bb, z), _flops(bb, x)
            for _ in range(2):
                bb(z), bb(x)
        params = sum(q.numel() for q in bb.parameters())
        rows.append({"name": cfg.name, "backbone": cfg.model.backbone, "bb": bb, "z": z, "x": x,
                     "params": params, "flz": flz, "flx": flx, "tz": [], "tx": [],
                     "shapes": f"{t.exemplar_size}->{outz.shape[-1]}, "
                               f"{t.instance_size}->{outx.shape[-1]}"})
    with torch.inference_mode():
        for _ in range(args.repeats):
            for r in rows:
                r["tz"].append(_time(r["bb"], r["z"]))
                r["tx"].append(_time(r["bb"], r["x"]))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32, "
          f"median of {args.repeats}")
    header = (f"{'config':<26} {'backbone':<18} {'params':>8} {'sizes (in->map)':<18} "
              f"{'GFLOP z':>8} {'GFLOP x':>8} {'ms z (b=1)':>11} {'ms x (b=S)':>11}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<26} {r['backbone']:<18} {r['params'] / 1e6:>7.2f}M {r['shapes']:<18} "
              f"{r['flz'] / 1e9:>8.2f} {r['flx'] / 1e9:>8.2f} "
              f"{1000 * statistics.median(r['tz']):>11.1f} "
              f"{1000 * statistics.median(r['tx']):>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
