"""Tracking hyper-parameter search on validation sequences (``tools/tune.py``).

Random search, seeded per trial: trial ``i`` of seed ``s`` always draws the same values, so a
search killed and resumed, or run with another number of workers, tries the same points.
Trial 0 is the model's own values (the baseline every other trial is compared with). Each
finished trial is one CSV row, written whole and flushed, so a kill loses at most the trials
in flight.

Scores are got10k's OTB success AUC (mean over sequences of the success curve's mean over 21
IoU thresholds, first frame included, as :class:`tracker.evaluation.protocol.ExperimentFolder`
reports), on every validation root; the trial's score is their mean.
"""
from __future__ import annotations

import csv
import logging
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tracker.errors import InputError
from tracker.evaluation.protocol import FileCoordinates, success_auc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Param:
    """One searched ``tracking.*`` value: uniform in ``[low, high]`` (``log``: uniform in log
    space), rounded to ``digits`` decimals."""

    name: str
    low: float
    high: float
    digits: int = 4
    log: bool = False

    def draw(self, rng: np.random.Generator) -> float:
        if self.log:
            v = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            v = rng.uniform(self.low, self.high)
        return round(float(v), self.digits)


# SiamFC's tracking parameters, ranges around the published values (SiamFC / SiamDW)
SIAMFC_SPACE = (
    Param("window_influence", 0.05, 0.45),
    Param("scale_step", 1.01, 1.08),
    Param("scale_penalty", 0.93, 1.0),
    Param("scale_lr", 0.15, 0.9),
    Param("context", 0.35, 0.65),
)
# searched as well when the tracker estimates the angle
ROTATION_SPACE = (
    Param("rotation_max_change", 5.0, 45.0, digits=1),
    Param("rotation_min_gain", 0.0005, 0.03, log=True),  # measured gains are a few percent
)
# instead, when the angle comes from the histogram filter (tracking.rotation_filter > 0)
FILTER_SPACE = (
    Param("rotation_filter", 30.0, 3000.0, log=True),
    Param("rotation_noise", 0.5, 8.0, log=True),
)


def _tracking(model: str, overrides):
    """The ``TrackingConfig`` of ``model`` (a shipped name, checkpoint or config file) with
    ``tracking.*`` ``overrides`` applied; None for an unknown model."""
    from tracker.checkpoint import load_checkpoint
    from tracker.config import apply_overrides, config_from_dict, config_to_dict, load_config
    from tracker.shipped import resolve_checkpoint

    path = resolve_checkpoint(model)
    if path is not None:
        cfg = load_checkpoint(path)[0]
    elif Path(model).is_file():
        cfg = load_config(model)
    else:
        return None
    return config_from_dict(apply_overrides(config_to_dict(cfg), list(overrides))).tracking


def uses_angle_filter(model: str, overrides) -> bool:
    """Whether ``model`` with ``tracking.*`` ``overrides`` estimates its angle with the
    histogram filter."""
    tracking = _tracking(model, overrides)
    # an unknown model is named by the search itself
    return tracking is not None and tracking.rotation_filter > 0


def parse_param(text: str) -> Param:
    """``NAME=LOW:HIGH`` or ``NAME=LOW:HIGH:log`` (uniform in log space; ``tracking.`` prefix
    optional) -> :class:`Param`."""
    name, sep, rng = text.partition("=")
    parts = rng.split(":")
    name = name.strip().removeprefix("tracking.")
    log_scale = len(parts) == 3 and parts[2].strip() == "log"
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        lo = hi = float("nan")
    if not (sep and name and len(parts) in (2, 3) and (len(parts) == 2 or log_scale)
            and math.isfinite(lo) and math.isfinite(hi) and lo < hi
            and (lo > 0 or not log_scale)):
        raise InputError(f"--param '{text}': expected NAME=LOW:HIGH (or NAME=LOW:HIGH:log, "
                         f"LOW > 0) with finite LOW < HIGH")
    return Param(name, lo, hi, log=log_scale)


def draw_trial(trial: int, seed: int, space: tuple[Param, ...]) -> dict[str, float]:
    """The values trial ``trial`` of search ``seed`` tries (``{}`` for trial 0: the model's)."""
    if trial == 0:
        return {}
    rng = np.random.default_rng([seed, trial])
    return {p.name: p.draw(rng) for p in space}


_FRAMES: dict[str, list] = {}


def _sequences(root: str):
    """Decoded frames and ground truth of every sequence of ``root`` (cached per process)."""
    if root not in _FRAMES:
        from PIL import Image

        from tracker.data.layouts import FolderDataset

        ds = FolderDataset(root)
        seqs = []
        for name in ds.seq_names:
            files, anno = ds[name]
            seqs.append((name, [Image.open(f).convert("RGB") for f in files], anno))
        _FRAMES[root] = seqs
    return _FRAMES[root]


def score_tracker(model: str, overrides: list[str], roots: list[str],
                  backend: str | None) -> dict[str, float]:
    """Mean success AUC of ``model`` with ``tracking.*`` ``overrides`` on each of ``roots``."""
    from tracker.evaluation.trackers import tracker_from_spec

    # init resets all its state; OTB-layout files are 1-based, our trackers 0-based
    tracker = FileCoordinates(tracker_from_spec(model, overrides, backend))
    out = {}
    for root in roots:
        aucs = []
        for _, frames, anno in _sequences(root):
            tracker.init(frames[0], anno[0])
            boxes = [anno[0]] + [tracker.update(f) for f in frames[1:]]
            aucs.append(success_auc(np.asarray(boxes), anno))
        out[root] = float(np.mean(aucs))
    return out


def _run_trial(args) -> tuple[int, dict, dict]:
    trial, values, model, fixed, roots, backend = args
    overrides = list(fixed) + [f"tracking.{k}={v}" for k, v in values.items()]
    return trial, values, score_tracker(model, overrides, roots, backend)


def read_trials(path: Path, columns: list[str]) -> list[dict]:
    """Finished trials of a previous run of the same search (rows of ``path``). A last line cut
    off by a kill is dropped (and the file rewritten without it); a file of another search (other
    columns) is an error, never silently mixed."""
    if not path.exists():
        return []
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    if not lines:
        return []
    header = lines[0].split(",")
    if header != columns:
        raise InputError(f"'{path}' holds another search (columns {','.join(header)}); "
                         f"pass another --out or the same search settings")
    rows, good = [], [lines[0]]
    for number, line in enumerate(lines[1:], start=2):
        values = line.split(",")
        try:
            if len(values) != len(columns):
                raise ValueError
            row = {c: float(v) for c, v in zip(columns, values)}
        except ValueError:
            if number == len(lines):
                log.warning("%s, line %d: cut off by a kill; the trial runs again", path, number)
                continue
            raise InputError(f"'{path}', line {number}: not a trial row: {line!r}") from None
        rows.append(row)
        good.append(line)
    if len(good) != len(lines):
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(good) + "\n")
        os.replace(tmp, path)
    return rows


def search(model: str, roots: list[str], out: str | Path, trials: int, seed: int = 0,
           space: tuple[Param, ...] = SIAMFC_SPACE, fixed: list[str] = (),
           workers: int = 1, backend: str | None = None) -> list[dict]:
    """Run trials ``0 .. trials-1`` not yet in ``out`` (CSV: ``trial``, each parameter, one AUC
    column per root, ``score`` = their mean); returns every row, best first."""
    out = Path(out)
    names = [p.name for p in space]
    columns = ["trial", *names, *[f"auc_{i}" for i in range(len(roots))], "score"]
    done = read_trials(out, columns)
    finished = {int(r["trial"]) for r in done}
    todo = [(t, draw_trial(t, seed, space), model, list(fixed), list(roots), backend)
            for t in range(trials) if t not in finished]
    log.info("%d of %d trials done; %d to run on %d worker(s)", len(finished), trials,
             len(todo), workers)
    out.parent.mkdir(parents=True, exist_ok=True)
    new_file = not out.exists() or out.stat().st_size == 0
    baseline = _model_values(model, names, fixed)
    with open(out, "a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(columns)
            f.flush()

        def record(result) -> None:
            trial, values, scores = result
            values = {**baseline, **values}
            aucs = [scores[r] for r in roots]
            row = [trial, *[values[n] for n in names], *[round(a, 4) for a in aucs],
                   round(float(np.mean(aucs)), 4)]
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
            done.append(dict(zip(columns, [float(v) for v in row])))
            log.info("trial %d: %s -> score %.4f", trial,
                     ", ".join(f"{k}={values[k]}" for k in names), row[-1])

        if workers <= 1:
            for job in todo:
                record(_run_trial(job))
        else:
            with ProcessPoolExecutor(workers, initializer=_worker_init) as pool:
                # recorded as each finishes: a kill loses only the trials still running
                for future in as_completed([pool.submit(_run_trial, job) for job in todo]):
                    record(future.result())
    return sorted(done, key=lambda r: -r["score"])


def tuned_overrides(fixed, values: dict[str, float]) -> list[str]:
    """The ``tracking.*`` overrides that reproduce a trial: the fixed ``--set`` ones it ran
    with, less those the search varied, then the trial's searched ``values``."""
    names = {f"tracking.{n}" for n in values}
    kept = [o for o in fixed if o.partition("=")[0].strip() not in names]
    return kept + [f"tracking.{n}={v:g}" for n, v in values.items()]


def _model_values(model: str, names: list[str], fixed=()) -> dict[str, float]:
    """The values trial 0 runs with: the model's own, after the fixed ``--set`` overrides."""
    tracking = _tracking(model, fixed)
    if tracking is None:
        raise InputError(f"{model}: no such model, checkpoint or config file")
    missing = [n for n in names if not hasattr(tracking, n)]
    if missing:
        raise InputError(f"--param {missing[0]}: no such tracking parameter")
    return {n: getattr(tracking, n) for n in names}


def _worker_init() -> None:
    import torch

    # one thread per worker: workers, not threads, use the cores
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
