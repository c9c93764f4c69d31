"""Export a trained model for deployment: ONNX graphs of the template branch, the search branch
and the head, plus the tracking parameters as JSON, checked against PyTorch.

    python tools/export.py MODEL --out DIR [--int8] [--set tracking.KEY=VALUE ...]

    e.g.  python tools/export.py default --out export/default

MODEL: a shipped model's name (``default`` = the best), a checkpoint (.pt) or a config (.yaml).
DIR receives ``template.onnx`` (``z [N,3,Sz,Sz]`` RGB 0..255 -> ``features``), ``search.onnx``
(``x [N,3,Sx,Sx]`` -> ``features``, ``group_features``), ``head.onnx`` (``z_feat``, ``x_feat`` ->
``score``, or ``cls`` and ``loc``) and ``tracking.json`` (crop sizes, stride, the head's input
batches, every tracking parameter, anchors for SiamRPN): enough to run the tracker with ONNX
Runtime alone. Prints the max abs difference of each graph against PyTorch; exit 1 when an
fp32 graph differs by more than 1e-3 relative to its output's scale.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

import torch

from tracker.commands.common import entry, setup_logging
from tracker.errors import InputError

log = logging.getLogger("eqtrack.export")

FP32_TOLERANCE = 1e-3  # relative to the largest |output|: ONNX Runtime reorders float sums


@entry
def main(argv=None) -> int:
    from tracker.evaluation.baselines import BASELINES
    from tracker.evaluation.trackers import tracker_from_spec
    from tracker.inference.runtime.onnx import (
        compare_with_torch,
        export_branches,
        graph_input_type,
        int8_options,
        quantize_branches,
        require_onnxruntime,
    )
    from tracker.model.anchors import DEFAULT_RATIOS, DEFAULT_SCALES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="example: eqtrack export default --out "
                                       "export/default",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="shipped model name, checkpoint .pt or config .yaml")
    p.add_argument("--out", required=True, help="output folder (created; files replaced)")
    p.add_argument("--int8", action="store_true",
                   help="also quantize the template and search graphs to int8 (as --backend "
                        "onnx-int8 does); written as template.int8.onnx, search.int8.onnx")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a tracking value before export (repeatable)")
    args = p.parse_args(argv)
    setup_logging()
    require_onnxruntime()
    if args.model in BASELINES:
        raise InputError(f"'{args.model}' is an OpenCV baseline: there is no network to export")
    tracker = tracker_from_spec(args.model, args.overrides, backend="torch")
    net, cfg = tracker.net, tracker.cfg
    batches = tracker.runtime.head_batches
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}' exists and is not a folder")
    paths = export_branches(net, cfg.exemplar_size, cfg.instance_size, batches, out)
    diffs = compare_with_torch(net, out, cfg.exemplar_size, cfg.instance_size, batches)
    with torch.no_grad():
        z = torch.rand(1, 3, cfg.exemplar_size, cfg.exemplar_size,
                       generator=torch.Generator().manual_seed(0)) * 255
        scale = max(1.0, float(net.backbone(z).abs().max()))
    meta = {
        "format": "eqtrack-onnx", "version": 1, "name": tracker.name,
        "tracker": cfg.tracker, "stride": int(net.backbone.stride),
        "out_channels": int(net.backbone.out_channels),
        "group_order": int(net.backbone.group_order),
        "inputs": "RGB float32 0..255, NCHW; crops as in tracker/crops.py crop_square",
        "head_batches": {"z_feat": batches[0], "x_feat": batches[1]},
        "files": {k: v.name for k, v in paths.items()},
        "tracking": dataclasses.asdict(cfg),
        "max_abs_diff_vs_torch": diffs,
    }
    if cfg.tracker == "siamrpn":
        meta["anchors"] = {"ratios": list(DEFAULT_RATIOS), "scales": list(DEFAULT_SCALES)}
    if args.int8:
        for branch, q in quantize_branches(paths, cfg.exemplar_size, cfg.instance_size,
                                           **int8_options(net)).items():
            meta["files"][f"{branch}_int8"] = q.name
            if graph_input_type(q) == "tensor(uint8)":
                meta[f"{branch}_int8_input"] = "RGB uint8 0..255, NHWC (the crops as cropped)"
    (out / "tracking.json").write_text(json.dumps(meta, indent=1))
    for k, v in diffs.items():
        print(f"{k:<15} max abs difference vs PyTorch {v:.2e}")
    print(f"wrote {', '.join(sorted(meta['files'].values()))} and tracking.json to {out}")
    worst = max(diffs.values()) / scale
    if worst > FP32_TOLERANCE:
        log.error("ONNX graphs differ from PyTorch by %.2e relative (tolerance %.0e)", worst,
                  FP32_TOLERANCE)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
