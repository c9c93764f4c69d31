"""Benchmark backbones side by side: parameters, FLOPs and forward time at template and search
size, all measured in one run (round-robin, so machine noise hits every model alike).

    python tools/benchmark.py [--config C ...] [--repeats 10] [--threads N] [--set KEY=VALUE]
        [--training [--data SPEC ...] [--options fp32,channels_last,bf16,compile]]
    python tools/benchmark.py --tracking [--tracker T ...] [--root DIR] [--threads 1,2]

    e.g.  python tools/benchmark.py --tracking --root ../shared/data/otb --threads 1

With ``--tracking``: whole trackers (the default model, every ``--tracker`` given, and
``opencv-csrt``) over the same real frames (the first ``--sequences`` sequences of ``--root``,
``--frames`` frames each; generated ones without ``--root``), round-robin ``--repeats`` times at
each thread count: milliseconds per frame for each stage (crop, backbone, head, post-
processing), total FPS, the ratio to CSRT's FPS, GFLOP per frame and parameters. ``--backend``
picks our trackers' runtime; a tracker given as ``T@BACKEND`` (e.g. ``default@torch``) overrides
it for that one.

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

import torch

from tracker.commands.common import add_backend_argument, entry, int_in, setup_logging
from tracker.errors import InputError
from tracker.evaluation.speed import backbone_flops, backbone_seconds
from tracker.model.build import CONFIG_DIR, build_model_from
from tracker.training.speed import TRAIN_OPTIONS, training_rates


def training_benchmark(configs: list[str], args) -> int:
    from tracker.config import config_from_dict, config_to_dict
    from tracker.data.sampler import parse_data_spec

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
        b = cfg.train.batch_size
        data_rate, rates = training_rates(cfg, options, args.repeats)
        print(f"{cfg.name:<26} {cfg.model.backbone:<18} {b:>5} {data_rate:>13.1f} " +
              " ".join(f"{r:>13.2f}" for r in rates))
    return 0


def tracking_benchmark(args) -> int:
    import cv2

    from tracker.evaluation.baselines import BASELINES
    from tracker.evaluation.speed import (
        SpeedRow,
        generated_frames,
        gflop_per_frame,
        load_frames,
        measure,
    )
    from tracker.evaluation.trackers import tracker_from_spec
    from tracker.inference.stages import STAGES

    try:
        threads = [int(t) for t in str(args.threads or "1").split(",")]
    except ValueError:
        raise InputError(f"--threads must be comma-separated integers, got {args.threads!r}") \
            from None
    if any(t < 1 for t in threads):
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    if args.frames < 2 or args.sequences < 1 or args.repeats < 1:
        raise InputError("--frames must be >= 2, --sequences and --repeats >= 1")
    specs = list(dict.fromkeys(["default", *args.tracker, "opencv-csrt"]))
    clips = (load_frames(args.root, args.sequences, args.frames) if args.root
             else generated_frames(args.sequences, args.frames))

    def parse(spec: str) -> tuple[str, str | None]:
        name, _, backend = spec.partition("@")
        return name, (backend or args.backend)

    rows = []
    for n in threads:
        torch.set_num_threads(n)
        cv2.setNumThreads(n)
        trackers = []
        for spec in specs:  # built after setting threads: ONNX sessions take the count then
            name, backend = parse(spec)
            t = tracker_from_spec(name, args.overrides if name not in BASELINES else (),
                                  backend)
            runtime = getattr(t, "runtime", None)
            row = SpeedRow(spec, runtime.name if runtime else "opencv", n)
            if runtime is not None:
                row.params = sum(q.numel() for q in t.net.parameters())
                row.gflop = gflop_per_frame(
                    lambda b, name=name: tracker_from_spec(name, args.overrides, b),
                    clips[0][1][0], clips[0][2][0])
            trackers.append((t, row))
        measure(trackers, clips, args.repeats)
        rows += [r for _, r in trackers]
    frames = sum(len(c[1]) - 1 for c in clips)
    print(f"torch {torch.__version__}; {len(clips)} sequences ({', '.join(c[0] for c in clips)}), "
          f"{frames} updates each, x{args.repeats} round-robin; ms per frame")
    header = (f"{'tracker':<30} {'backend':<10} {'thr':>3} " +
              " ".join(f"{s:>8}" for s in STAGES) +
              f" {'total':>8} {'FPS':>7} {'x CSRT':>7} {'GFLOP':>6} {'params':>7}")
    print(header)
    print("-" * len(header))
    for r in rows:
        csrt = next(c for c in rows if c.name == "opencv-csrt" and c.threads == r.threads)
        ours = r.gflop is not None
        stages = " ".join(f"{r.stage_ms(s):>8.2f}" if ours else f"{'':>8}" for s in STAGES)
        print(f"{r.name:<30} {r.backend:<10} {r.threads:>3} {stages} "
              f"{1000 * r.seconds / r.frames:>8.2f} {r.fps:>7.1f} {r.fps / csrt.fps:>7.2f} "
              + (f"{r.gflop:>6.2f} {r.params / 1e6:>6.2f}M" if ours else f"{'':>6} {'':>7}"))
    return 0


@entry
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack benchmark --tracking --root "
                                        "../shared/data/otb --threads 1"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", action="append", default=[], help="config YAML (repeatable)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every config, e.g. --set model.backbone_args.width=1")
    p.add_argument("--repeats", type=int_in(1, 10000), default=10, help="timed passes per model and size")
    p.add_argument("--threads", default=None,
                   help="torch threads (default: torch's; --tracking: comma-separated counts, "
                        "default 1)")
    p.add_argument("--tracking", action="store_true",
                   help="measure whole trackers against opencv-csrt on the same frames")
    p.add_argument("--tracker", action="append", default=[],
                   help="--tracking: another tracker to measure (repeatable; NAME or NAME@BACKEND)")
    p.add_argument("--root", default=None,
                   help="--tracking: OTB-layout folder of real frames (default: generated)")
    p.add_argument("--sequences", type=int_in(1, 10000), default=2, help="--tracking: sequences (default 2)")
    p.add_argument("--frames", type=int_in(2, 100000), default=120,
                   help="--tracking: frames per sequence (default 120)")
    p.add_argument("--training", action="store_true",
                   help="measure the data pipeline and training steps instead")
    p.add_argument("--data", action="append", default=[], metavar="TYPE:ROOT[:WEIGHT]",
                   help="training data for --training (default: each config's train.data)")
    p.add_argument("--options", default=None,
                   help="--training: comma-separated speed options to compare "
                        f"({', '.join(TRAIN_OPTIONS)}; compile takes minutes to compile on CPU; "
                        "default fp32,channels_last,bf16)")
    add_backend_argument(p)
    args = p.parse_args(argv)
    setup_logging()
    if args.tracking:
        return tracking_benchmark(args)
    if args.threads:
        try:
            threads = int(args.threads)
        except ValueError:
            raise InputError(f"--threads must be an integer, got {args.threads!r}") from None
        if threads < 1:
            raise InputError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
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
            flz, flx = backbone_flops(bb, z), backbone_flops(bb, x)
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
                r["tz"].append(backbone_seconds(r["bb"], r["z"]))
                r["tx"].append(backbone_seconds(r["bb"], r["x"]))
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
