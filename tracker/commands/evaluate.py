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
summary.md / summary.csv (all trackers) and per_sequence.csv in the benchmark's report folder.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import shutil
import sys
from pathlib import Path

from got10k.trackers import Tracker

log = logging.getLogger("eqtrack.evaluate")

_WORKER: dict = {}


class SequenceSubset:
    """A view of a got10k dataset restricted to some sequence indices (for parallel runs)."""

    def __init__(self, dataset, indices: list[int]) -> None:
        self._dataset, self._indices = dataset, list(indices)
        self.seq_names = [dataset.seq_names[i] for i in self._indices]

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, k):
        return self._dataset[self._indices[k]]

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def __getattr__(self, name):
        return getattr(self._dataset, name)


class RotatedOutput(Tracker):
    """Wraps one of our trackers so that ``update`` answers the rotated box as a VOT polygon
    (8 values), which got10k's VOT protocol scores with polygon IoU. Named ``<name>-rotated``
    so its results never mix with the axis-aligned ones."""

    def __init__(self, tracker) -> None:
        super().__init__(f"{tracker.name}-rotated", tracker.is_deterministic)
        self.inner = tracker

    def init(self, image, box) -> None:
        self.inner.init(image, box)

    def update(self, image):
        self.inner.update(image)
        return self.inner.polygon


def check_result_name(spec: str, name: str) -> None:
    """A tracker's name becomes its results folder: only one plain path component (letters,
    digits and ``._+@=-``, not starting with a dot) may, so no name reaches outside
    ``--results`` or onto another tracker's results."""
    import re

    from tracker.errors import InputError

    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._+@=-]{0,127}", name):
        raise InputError(f"--tracker {spec}: its name {name!r} cannot name a results folder "
                         f"(use letters, digits and ._+@=-, not starting with a dot; set the "
                         f"config's 'name' or rename the checkpoint)")


def make_tracker(spec: str, rotated: bool = False, backend: str | None = None,
                 overrides: tuple[str, ...] = ()):
    """A got10k tracker from a baseline name, a shipped model, a checkpoint (.pt) or a config
    (.yaml), running in ``backend`` with ``tracking.*`` ``overrides``; with ``rotated``, one of
    ours estimating the angle and answering polygons."""
    import hashlib

    from tracker.errors import InputError
    from tracker.evaluation.baselines import BASELINES
    from tracker.evaluation.trackers import tracker_from_spec

    if rotated and spec in BASELINES:
        raise InputError(f"--rotated: baseline '{spec}' answers axis-aligned boxes only")
    if overrides and spec in BASELINES:
        return tracker_from_spec(spec)  # --set applies to our trackers only
    extra = ["tracking.estimate_rotation=true"] if rotated else []
    t = tracker_from_spec(spec, [*overrides, *extra], backend)
    if overrides and spec not in BASELINES:
        tag = hashlib.sha256("\n".join(overrides).encode()).hexdigest()[:8]
        t.name = f"{t.name}+{tag}"  # changed parameters never reuse the unchanged results
    if backend is not None and spec not in BASELINES:
        t.name = f"{t.name}@{backend}"  # results of another runtime never mix with the default's
    return RotatedOutput(t) if rotated else t


def _init_worker(benchmark: str, root: str, results: str, reports: str) -> None:
    import cv2
    import torch

    # one thread per process: N processes share the cores instead of fighting over them
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from tracker.evaluation.benchmarks import get_benchmark, open_benchmark

    _WORKER["exp"] = open_benchmark(benchmark, root, results, reports)
    _WORKER["family"] = get_benchmark(benchmark).family
    _WORKER["trackers"] = {}


def _run_one(task: tuple[str, bool, str | None, tuple, int]) -> tuple[str, str]:
    spec, rotated, backend, overrides, index = task
    exp = _WORKER["exp"]
    trackers = _WORKER["trackers"]
    if spec not in trackers:
        trackers[spec] = make_tracker(spec, rotated, backend, overrides)
    full = exp.dataset
    if _WORKER["family"] == "otb":
        from tracker.evaluation.protocol import discard_incomplete_record

        record_dir = Path(exp.result_dir) / trackers[spec].name
        # got10k's OTB experiment makes these folders with a check-then-create that two
        # workers finishing their first sequences at once can both lose (EEXIST)
        (record_dir / "times").mkdir(parents=True, exist_ok=True)
        files, _ = full[index]
        discard_incomplete_record(record_dir / f"{full.seq_names[index]}.txt", len(files))
    exp.dataset = SequenceSubset(full, [index])
    try:
        # got10k narrates on stdout; keep stdout for our table
        with contextlib.redirect_stdout(sys.stderr):
            exp.run(trackers[spec])
    finally:
        exp.dataset = full
    return trackers[spec].name, full.seq_names[index]


def run_all(benchmark: str, root: str, results: str, reports: str, specs: list[str],
            workers: int, rotated: bool = False, backend: str | None = None,
            overrides: tuple[str, ...] = ()) -> None:
    """Run every tracker on every sequence, ``workers`` processes at a time (resumable)."""
    from tracker.evaluation.benchmarks import open_benchmark

    n = len(open_benchmark(benchmark, root, results, reports).dataset.seq_names)
    # sequence-major, trackers interleaved: with N workers every tracker runs beside every
    # other alike, so no tracker's time files are made only while it competes with itself
    tasks = [(spec, rotated, backend, tuple(overrides), i) for i in range(n) for spec in specs]
    if workers <= 1:
        _init_worker(benchmark, root, results, reports)
        for t in tasks:
            name, seq = _run_one(t)
            log.info("%s: %s done", name, seq)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, _init_worker, (benchmark, root, results, reports)) as pool:
        for name, seq in pool.imap_unordered(_run_one, tasks):
            log.info("%s: %s done", name, seq)


def main_impl(argv=None) -> int:
    from tracker.commands.common import add_backend_argument, setup_logging
    from tracker.errors import InputError
    from tracker.evaluation.benchmarks import benchmark_names, open_benchmark
    from tracker.evaluation.protocol import check_results_identity, tracker_identity

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
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="tracking.KEY=VALUE for our trackers, e.g. --set tracking.scale_lr=0.4 "
                        "(repeatable)")
    args = p.parse_args(argv)
    setup_logging()
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
        base = Path(exp.result_dir).resolve()
        for name in names:
            target = (base / name).resolve()
            if target.parent != base:  # never reached after check_result_name; kept as a guard
                raise InputError(f"--overwrite: '{target}' lies outside '{base}'")
            shutil.rmtree(target, ignore_errors=True)
            (base / ".eqtrack" / f"{name}.identity").unlink(missing_ok=True)
    for t in built:
        check_results_identity(exp.result_dir, t.name, tracker_identity(t))
    run_all(args.benchmark, args.root, args.results, args.reports, args.tracker, args.workers,
            args.rotated, args.backend, tuple(args.overrides))
    from tracker.evaluation.reports import write_report

    with contextlib.redirect_stdout(sys.stderr):  # got10k narrates its report on stdout
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
