"""Evaluate trackers on a benchmark with the got10k toolkit, offline, and write one report.

    python tools/evaluate.py --benchmark B --root PATH --tracker T [--tracker T2 ...]
        [--results DIR] [--reports DIR] [--workers N] [--overwrite] [--rotated]
        [--backend NAME] [--set tracking.KEY=VALUE ...]

B: folder (any directory of OTB-layout sequences), otb2013, otb2015, otb50, otb100, uav123,
dtb70, tcolor128, nfs30, nfs240, lasot, got10k-val, got10k-test (writes the submission
archive), vot2016, vot2017, vot2018. T: a config YAML or a checkpoint of ours, a shipped model
by name (``default`` = the best one), or a baseline (opencv-csrt, opencv-kcf, opencv-mil). Results go to DIR in got10k's layout; a rerun skips the
sequences already done unless --overwrite. ``--set tracking.KEY=VALUE`` changes our trackers'
tracking parameters (a trained model's ``model.*`` cannot change); results are then named
``<tracker>+<hash of the overrides>`` so they never mix with the unchanged tracker's. With --rotated (VOT benchmarks) our trackers estimate
the target's angle and are scored on their rotated boxes (polygon IoU). Reports: got10k's performance.json and plots, plus
summary.md / summary.csv (all trackers), per_sequence.csv and report.html (tables and plots, for a
browser) in the benchmark's report folder. A progress bar counts frames (--quiet: none).
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

log = logging.getLogger("eqtrack.evaluate")

def main_impl(argv=None) -> int:
    from tracker.commands.common import add_backend_argument, setup_logging
    from tracker.errors import InputError
    from tracker.evaluation.benchmarks import benchmark_names, open_benchmark
    from tracker.evaluation.protocol import check_results_identity, tracker_identity
    from tracker.evaluation.runs import discard_results, run_all
    from tracker.evaluation.trackers import check_result_name, make_tracker

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=("example: eqtrack evaluate --benchmark folder --root "
                                        "../shared/data/otb --tracker default --tracker opencv-csrt "
                                        "--workers 2"),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", required=True, help=", ".join(benchmark_names()))
    p.add_argument("--root", required=True, help="the benchmark's local folder")
    p.add_argument("--tracker", action="append", required=True,
                   help="config, checkpoint or baseline name (repeatable)")
    p.add_argument("--results", default="results", help="results folder (default: results)")
    p.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    p.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    p.add_argument("--overwrite", action="store_true", help="redo finished sequences")
    p.add_argument("--rotated", action="store_true",
                   help="VOT benchmarks: our trackers estimate the angle and answer rotated "
                        "boxes, scored by polygon IoU (results named <tracker>-rotated)")
    add_backend_argument(p)
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no got10k narration (the table still prints)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="tracking.KEY=VALUE for our trackers, e.g. --set tracking.scale_lr=0.4 "
                        "(repeatable)")
    args = p.parse_args(argv)
    setup_logging()
    if args.quiet:
        logging.getLogger().setLevel(logging.WARNING)
    for o in args.overrides:
        if not o.partition("=")[0].strip().startswith("tracking."):
            raise InputError(f"--set {o}: only tracking.* can change; a trained model's "
                             f"model.* is fixed by its weights")
    if not 1 <= args.workers <= 64:
        raise InputError(f"--workers must lie in 1..64, got {args.workers}")
    if args.rotated and not args.benchmark.startswith("vot"):
        raise InputError("--rotated needs a VOT benchmark (its protocol scores polygons); "
                         "OTB-style protocols score axis-aligned boxes")
    exp = open_benchmark(args.benchmark, args.root, args.results, args.reports)
    built = [make_tracker(spec, args.rotated, args.backend, tuple(args.overrides))
             for spec in args.tracker]
    names = [t.name for t in built]
    for spec, name in zip(args.tracker, names):
        check_result_name(spec, name)
    if len(set(names)) != len(names):
        raise InputError(f"two trackers share a name ({', '.join(names)}): results would mix; "
                         f"give configs distinct 'name' values")
    if args.overwrite:
        discard_results(exp.result_dir, names)
    for t in built:
        check_results_identity(exp.result_dir, t.name, tracker_identity(t))
    run_all(args.benchmark, args.root, args.results, args.reports, args.tracker, args.workers,
            args.rotated, args.backend, tuple(args.overrides), progress=not args.quiet)
    from tracker.evaluation.reports import write_report

    # got10k narrates its report on stdout
    with open(os.devnull, "w") as sink, \
            contextlib.redirect_stdout(sink if args.quiet else sys.stderr):
        files = write_report(args.benchmark, exp, names)
    if files and files[0].suffix == ".md":
        print(files[0].read_text())
    print("reports: " + ", ".join(str(f) for f in files))
    return 0


def main(argv=None) -> int:
    from tracker.commands.common import entry

    return entry(main_impl)(argv)


if __name__ == "__main__":
    sys.exit(main())
