"""Running trackers over a benchmark's sequences: in parallel worker processes, resumable.

Tasks are (tracker, sequence) pairs, sequence-major with the trackers interleaved; each worker
process opens the benchmark once (:func:`_init_worker`) and keeps the trackers it has built in
its own ``_WORKER`` state (a process-pool initializer's usual home), so every tracker is built
once per process.
"""
from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from tracker.errors import InputError
from tracker.evaluation.protocol import discard_incomplete_records
from tracker.evaluation.trackers import make_tracker

log = logging.getLogger(__name__)


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


# numpy's BLAS and OpenMP read these when a process loads them, before any initializer runs
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_children():
    """Spawned children inherit one thread per math library. Without it each of N workers
    starts math pools as wide as the machine and they oversubscribe the cores: on 2 cores,
    ``--workers 2``, 39 against 83 FPS for the default on OTB-6 (measured while SiamFC's
    matrix products still ran in NumPy's BLAS)."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker(benchmark: str, root: str, results: str, reports: str,
                 narrate: bool = True) -> None:
    import cv2
    import torch

    # one thread per process: N processes share the cores instead of fighting over them
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    from tracker.evaluation.benchmarks import get_benchmark, open_benchmark

    _WORKER["exp"] = open_benchmark(benchmark, root, results, reports)
    _WORKER["family"] = get_benchmark(benchmark).family
    _WORKER["trackers"] = {}
    _WORKER["narration"] = sys.stderr if narrate else open(os.devnull, "w")


def _run_one(task: tuple[str, bool, str | None, tuple, int]) -> tuple[str, str, int]:
    spec, rotated, backend, overrides, index = task
    exp = _WORKER["exp"]
    trackers = _WORKER["trackers"]
    if spec not in trackers:
        trackers[spec] = make_tracker(spec, rotated, backend, overrides)
    full = exp.dataset
    name = trackers[spec].name
    if _WORKER["family"] == "otb":
        # got10k's OTB experiment makes these folders with a check-then-create that two
        # workers finishing their first sequences at once can both lose (EEXIST)
        (Path(exp.result_dir) / name / "times").mkdir(parents=True, exist_ok=True)
    files = full[index][0]  # VOT datasets add a third item (meta)
    discard_incomplete_records(exp.result_dir, _WORKER["family"], name, full.seq_names[index],
                               len(files))
    exp.dataset = SequenceSubset(full, [index])
    try:
        # got10k narrates on stdout; keep stdout for our table (and --quiet silences it)
        with contextlib.redirect_stdout(_WORKER["narration"]):
            exp.run(trackers[spec])
    finally:
        exp.dataset = full
    return name, full.seq_names[index], len(files)


def run_all(benchmark: str, root: str, results: str, reports: str, specs: list[str],
            workers: int, rotated: bool = False, backend: str | None = None,
            overrides: tuple[str, ...] = (), progress: bool = True) -> None:
    """Run every tracker on every sequence, ``workers`` processes at a time (resumable), with
    one progress bar over all frames (``progress``; sequences already done count at once)."""
    from tracker.evaluation.benchmarks import open_benchmark

    dataset = open_benchmark(benchmark, root, results, reports).dataset
    frames = [len(dataset[i][0]) for i in range(len(dataset.seq_names))]
    # sequence-major, trackers interleaved: with N workers every tracker runs beside every
    # other alike, so no tracker's time files are made only while it competes with itself
    tasks = [(spec, rotated, backend, tuple(overrides), i) for i in range(len(frames))
             for spec in specs]
    bar = tqdm(total=sum(frames[t[-1]] for t in tasks), unit="frame", desc=benchmark,
               disable=not progress, file=sys.stderr, smoothing=0.1)
    init = (benchmark, root, results, reports, progress)

    def done(i: int, name: str, seq: str, n: int) -> None:
        bar.update(n)
        bar.set_postfix_str(f"{i + 1}/{len(tasks)} {name} {seq}")

    try:
        if workers <= 1:
            _init_worker(*init)
            for i, t in enumerate(tasks):
                done(i, *_run_one(t))
            return
        ctx = multiprocessing.get_context("spawn")
        with _single_threaded_children(), ctx.Pool(workers, _init_worker, init) as pool:
            for i, result in enumerate(pool.imap_unordered(_run_one, tasks)):
                done(i, *result)
    finally:
        bar.close()


def discard_results(result_dir: str | Path, names: list[str]) -> None:
    """``--overwrite``: delete the results (and identity files) of trackers ``names`` in
    ``result_dir``, never anything outside it."""
    base = Path(result_dir).resolve()
    for name in names:
        target = (base / name).resolve()
        if target.parent != base:  # never reached after check_result_name; kept as a guard
            raise InputError(f"--overwrite: '{target}' lies outside '{base}'")
        shutil.rmtree(target, ignore_errors=True)
        (base / ".eqtrack" / f"{name}.identity").unlink(missing_ok=True)
