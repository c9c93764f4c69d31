"""Expected Average Overlap (EAO), the VOT challenge's measure for the reset-based 'baseline'
experiment (Kristan et al., VOT2015-VOT2018 reports), independent of got10k's ``report``.

Conventions (they follow the VOT toolkit, ``vot/analysis/supervised.py`` of votchallenge/toolkit):

* A *run* is one pass of a tracker over one sequence of ``N`` frames (frame indices ``0..N-1``)
  with re-initialisation: the tracker is (re)initialised at the frames in ``inits``, it fails at
  the frames in ``failures`` (overlap with the ground truth dropped to 0), and the frames between a
  failure and the next initialisation (5 in VOT and got10k) are skipped.
* Each initialisation starts a *segment*. It ends at the first failure after it (a *failed*
  segment) or at the end of the sequence (a *completed* segment). The initialisation frame itself
  is not scored; the tracked frames are ``init+1 .. end-1``, so a segment's length ``L`` is the
  number of tracked frames (a failed segment's failure frame is not counted in ``L``).
* For a sequence length ``Ns >= 1`` a segment contributes the average overlap of its first ``Ns``
  tracked frames. A failed segment is padded with zeros after its last tracked frame (the failure
  frame included), so it contributes for every ``Ns``. A completed segment contributes only for
  ``Ns <= L``: the tracker did not fail, but there is no evidence beyond the sequence end.
* ``Phi(Ns)`` is the mean of those contributions over all segments of all runs (each segment
  weighs the same, as in the VOT toolkit; repetitions of a stochastic tracker add segments).
  EAO is the mean of ``Phi(Ns)`` over ``Ns`` in ``[low, high]`` (both ends included).
  ``Phi(Ns)`` is undefined (NaN) when no segment contributes, i.e. when every segment is completed
  and shorter than ``Ns``; :func:`expected_average_overlap` averages the defined values only
  (as pysot's ``EAOBenchmark`` does) and returns NaN if none is defined.
* A tracked frame whose overlap is unknown (NaN, e.g. a skipped ``0`` record inside a segment or
  a non-finite ground truth) counts as overlap 0, as VOT counts special regions.

Overlaps are region IoU in continuous pixel coordinates (see :mod:`tracker.boxes`): boxes
``[x, y, w, h]`` and polygons ``[x1, y1, ..., x4, y4]`` are intersected exactly as polygons
(shapely), optionally after clipping both to the image ``[0, W] x [0, H]`` as VOT does
(``bounded``). The VOT toolkit rasterises regions instead, so its overlaps can differ from these
by a pixel-discretisation error.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from PIL import Image

from tracker.errors import InputError

log = logging.getLogger(__name__)

# [Nlo, Nhi] of each VOT short-term challenge's EAO score, from the EAOScore `low`/`high` values
# of the official VOT toolkit stacks (votchallenge/toolkit, vot/stack/vot2015.yaml .. vot2019.yaml)
# and matching pysot's toolkit/evaluation/eao_benchmark.py for 2016-2019.
VOT_EAO_INTERVALS: dict[int, tuple[int, int]] = {
    2015: (108, 371),
    2016: (108, 371),
    2017: (100, 356),
    2018: (100, 356),
    2019: (46, 291),
}

# record codes of a got10k / VOT baseline result file
INIT, FAILURE, SKIPPED = 1, 2, 0


def vot_interval(version: int | str) -> tuple[int, int]:
    """The ``(low, high)`` sequence-length interval over which VOT ``version`` averages the EAO
    curve: 2015 and 2016 ``(108, 371)``, 2017 and 2018 ``(100, 356)``, 2019 ``(46, 291)``.

    ``version`` is a year (``2018``, ``"2018"`` or ``"VOT2018"``); any other raises ValueError.
    """
    text = str(version).strip().upper()
    text = text[3:] if text.startswith("VOT") else text
    try:
        year = int(text)
    except ValueError:
        year = None
    if year not in VOT_EAO_INTERVALS:
        raise ValueError(f"no EAO interval for VOT version {version!r}; known: "
                         f"{sorted(VOT_EAO_INTERVALS)}")
    return VOT_EAO_INTERVALS[year]


@dataclass
class BaselineRun:
    """One run of the reset-based experiment on one sequence.

    overlaps: float ``[N]``, the overlap of frame ``f`` with the ground truth in 0..1. Values at
        initialisation, failure and skipped frames are ignored (NaN is customary there); NaN at a
        tracked frame counts as 0.
    inits: ascending frame indices of the (re)initialisations (got10k/VOT record ``1``).
    failures: ascending frame indices of the failures (record ``2``); between two consecutive
        initialisations (or after the last one) there is at most one failure, and none precedes
        the first initialisation.
    sequence, repetition: where the run comes from (informative only).
    """

    overlaps: np.ndarray
    inits: list[int]
    failures: list[int] = field(default_factory=list)
    sequence: str = ""
    repetition: int = 1

    def __post_init__(self) -> None:
        self.overlaps = np.asarray(self.overlaps, dtype=np.float64).reshape(-1)
        self.inits = [int(i) for i in self.inits]
        self.failures = [int(f) for f in self.failures]
        _check_events(len(self.overlaps), self.inits, self.failures)

    @property
    def num_frames(self) -> int:
        return len(self.overlaps)


@dataclass
class Segment:
    """Tracked frames from one initialisation: ``overlaps`` float ``[L]`` (NaN replaced by 0) of
    the frames after the initialisation, up to the failure (excluded) or the sequence end; and
    whether it ended with a ``failed`` tracker."""

    overlaps: np.ndarray
    failed: bool


def _check_events(n: int, inits: list[int], failures: list[int]) -> None:
    """Raise ValueError unless inits/failures are sorted frame indices in ``[0, n)`` that
    alternate as a reset-based run produces them."""
    if not inits:
        raise ValueError("a baseline run needs at least one initialisation")
    for what, idx in (("inits", inits), ("failures", failures)):
        if any(b <= a for a, b in zip(idx, idx[1:])):
            raise ValueError(f"{what} must be strictly increasing, got {idx}")
        if idx and (idx[0] < 0 or idx[-1] >= n):
            raise ValueError(f"{what} {idx} outside the run's {n} frames")
    owners = []  # index of the initialisation each failure follows
    for f in failures:
        k = int(np.searchsorted(inits, f, side="right")) - 1
        if k < 0 or f == inits[k]:
            raise ValueError(f"failure at frame {f} does not follow an initialisation")
        owners.append(k)
    if len(set(owners)) != len(owners):
        raise ValueError(f"more than one failure between initialisations: inits {inits}, "
                         f"failures {failures}")


def split_segments(run: BaselineRun) -> list[Segment]:
    """The segments of a run, one per initialisation, in frame order."""
    segments = []
    n = run.num_frames
    for k, start in enumerate(run.inits):
        nxt = run.inits[k + 1] if k + 1 < len(run.inits) else n
        fails = [f for f in run.failures if start < f < nxt]
        end = fails[0] if fails else nxt
        if not fails and k + 1 < len(run.inits):
            log.warning("%s: re-initialised at frame %d without a failure; segment from %d "
                        "treated as completed", run.sequence or "run", nxt, start)
        ov = np.nan_to_num(run.overlaps[start + 1:end], nan=0.0)
        segments.append(Segment(overlaps=ov, failed=bool(fails)))
    return segments


def eao_curve(runs: list[BaselineRun], max_len: int) -> np.ndarray:
    """The expected average overlap curve ``Phi``: float64 ``[max_len + 1]`` indexed by the
    sequence length ``Ns``; ``Phi[0]`` is NaN (no frames), ``Phi[Ns]`` is NaN where no segment
    contributes (see the module docstring for the rules)."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    segments = [s for run in runs for s in split_segments(run)]
    curve = np.full(max_len + 1, np.nan)
    if not segments:
        return curve
    values = np.zeros((len(segments), max_len))
    counted = np.zeros((len(segments), max_len), dtype=bool)
    for i, seg in enumerate(segments):
        m = min(len(seg.overlaps), max_len)
        values[i, :m] = seg.overlaps[:m]
        counted[i, :] = True if seg.failed else np.arange(max_len) < len(seg.overlaps)
    # average overlap over the first Ns tracked frames, zeros padded after a failure
    averages = np.cumsum(values, axis=1) / np.arange(1, max_len + 1)
    num = (averages * counted).sum(axis=0)
    den = counted.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        curve[1:] = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    return curve


def expected_average_overlap(runs: list[BaselineRun], low: int, high: int) -> float:
    """EAO: the mean of ``Phi(Ns)`` over ``Ns`` in ``[low, high]`` (inclusive), skipping ``Ns``
    where ``Phi`` is undefined; NaN (with a warning) when it is undefined on the whole interval.
    Use :func:`vot_interval` for the official intervals."""
    if not 1 <= low <= high:
        raise ValueError(f"need 1 <= low <= high, got low={low}, high={high}")
    window = eao_curve(runs, high)[low:high + 1]
    valid = np.isfinite(window)
    if not valid.any():
        log.warning("EAO undefined on [%d, %d]: no segment is that long and none failed",
                    low, high)
        return float("nan")
    if not valid.all():
        log.info("EAO: Phi(Ns) undefined for %d of %d lengths in [%d, %d]; averaging the rest",
                 int((~valid).sum()), len(window), low, high)
    return float(window[valid].mean())


# ---------------------------------------------------------------------------------------------
# region overlaps

def accuracy_robustness(runs: list[BaselineRun], burnin: int = 10) -> tuple[float, float]:
    """VOT's accuracy and robustness of reset-based runs (the toolkit's
    ``supervised_average_ar``): per run, accuracy is the mean overlap of its tracked frames but
    the first ``burnin`` frames from each initialisation (the initialisation included); per
    sequence, accuracy and failure count are averaged over its repetitions; both are then
    averaged over sequences weighted by their length. Returns ``(accuracy, robustness)``,
    robustness in failures per sequence (0 = never failed)."""
    by_sequence: dict[str, list[BaselineRun]] = {}
    for run in runs:
        by_sequence.setdefault(run.sequence, []).append(run)
    accuracy = failures = weight = 0.0
    for seq_runs in by_sequence.values():
        per_run = []
        for run in seq_runs:
            keep = np.isfinite(run.overlaps)
            for start in run.inits:
                keep[start:start + max(burnin, 1)] = False
            per_run.append(float(run.overlaps[keep].mean()) if keep.any() else 0.0)
        w = seq_runs[0].num_frames
        accuracy += w * float(np.mean(per_run))
        failures += w * float(np.mean([len(r.failures) for r in seq_runs]))
        weight += w
    if not weight:
        raise ValueError("no runs")
    return accuracy / weight, failures / weight


def _regions(values: np.ndarray) -> np.ndarray:
    """Shapely polygons from ``[N, 4]`` xywh boxes or ``[N, 2K]`` polygons (K >= 3); rows with
    non-finite values become empty polygons."""
    a = np.asarray(values, dtype=np.float64)
    n, k = a.shape
    finite = np.all(np.isfinite(a), axis=1)
    out = np.array([shapely.Polygon()] * n, dtype=object)
    if not finite.any():
        return out
    b = a[finite]
    if k == 4:
        geoms = shapely.box(b[:, 0], b[:, 1], b[:, 0] + np.maximum(b[:, 2], 0),
                            b[:, 1] + np.maximum(b[:, 3], 0))
    elif k >= 6 and k % 2 == 0:
        geoms = shapely.polygons(b.reshape(len(b), k // 2, 2))
        bad = ~shapely.is_valid(geoms)
        if bad.any():  # self-intersecting corner orders: take the valid parts
            geoms[bad] = shapely.make_valid(geoms[bad])
    else:
        raise ValueError(f"a region is 4 values (x, y, w, h) or an even number >= 6 of polygon "
                         f"coordinates, got {k}")
    out[finite] = geoms
    return out


def region_overlap(a, b, bound: tuple[float, float] | None = None) -> np.ndarray:
    """Exact IoU of regions ``a`` and ``b``: each ``[N, 4]`` boxes ``[x, y, w, h]`` or ``[N, 8]``
    polygons ``[x1, y1, ..., x4, y4]`` (the two may differ in kind), or a single region ``[K]``.

    ``bound = (W, H)`` clips both regions to the image ``[0, W] x [0, H]`` first (VOT's bounded
    overlap). Empty or degenerate unions give 0. Returns float64 ``[N]`` (a float for single
    regions)."""
    a_arr, b_arr = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    single = a_arr.ndim == 1 and b_arr.ndim == 1
    a_arr, b_arr = np.atleast_2d(a_arr), np.atleast_2d(b_arr)
    if len(a_arr) != len(b_arr):
        raise ValueError(f"region counts differ: {len(a_arr)} and {len(b_arr)}")
    ga, gb = _regions(a_arr), _regions(b_arr)
    if bound is not None:
        frame = shapely.box(0.0, 0.0, float(bound[0]), float(bound[1]))
        ga, gb = shapely.intersection(ga, frame), shapely.intersection(gb, frame)
    inter = shapely.area(shapely.intersection(ga, gb))
    union = shapely.area(ga) + shapely.area(gb) - inter
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    iou = np.clip(iou, 0.0, 1.0)
    return float(iou[0]) if single else iou


# ---------------------------------------------------------------------------------------------
# got10k / VOT result files

def parse_record_line(line: str) -> tuple[int, np.ndarray | None]:
    """One line of a baseline record: ``(code, None)`` for ``1`` (init), ``2`` (failure), ``0``
    (skipped); ``(-1, region)`` for a box ``x,y,w,h`` or a polygon ``x1,y1,...,x4,y4`` (float64).
    Raises ValueError for anything else."""
    parts = [p for p in re.split(r"[,\s]+", line.strip()) if p]
    values = np.array([float(p) for p in parts], dtype=np.float64)
    if len(values) == 1:
        code = int(values[0])
        if code != values[0] or code not in (INIT, FAILURE, SKIPPED):
            raise ValueError(f"unknown record code {line.strip()!r}")
        return code, None
    if len(values) == 4 or (len(values) >= 6 and len(values) % 2 == 0):
        return -1, values
    raise ValueError(f"a record line is 1, 4 or an even number >= 6 of values, got {line!r}")


def read_record(path: str | Path, anno: np.ndarray, bound: tuple[float, float] | None = None,
                sequence: str = "", repetition: int = 1) -> BaselineRun:
    """Read one got10k/VOT baseline record file (one line per frame) into a :class:`BaselineRun`
    with per-frame overlaps against ``anno`` (``[N, 4]`` boxes or ``[N, 8]`` polygons)."""
    path = Path(path)
    lines = path.read_text().strip().splitlines()
    anno = np.asarray(anno, dtype=np.float64)
    if len(lines) != len(anno):
        raise InputError(f"{path}: {len(lines)} records for {len(anno)} ground-truth frames")
    overlaps = np.full(len(lines), np.nan)
    inits, failures, tracked, regions = [], [], [], []
    for f, line in enumerate(lines):
        try:
            code, region = parse_record_line(line)
        except ValueError as e:
            raise InputError(f"{path}, line {f + 1}: {e}") from None
        if code == INIT:
            inits.append(f)
        elif code == FAILURE:
            failures.append(f)
        elif region is not None:
            tracked.append(f)
            regions.append(region)
    for k in {len(r) for r in regions}:  # boxes and polygons may be mixed in one file
        idx = [i for i, r in enumerate(regions) if len(r) == k]
        frames = np.array([tracked[i] for i in idx], dtype=int)
        pred = np.stack([regions[i] for i in idx])
        overlaps[frames] = region_overlap(pred, anno[frames], bound)
    try:
        return BaselineRun(overlaps, inits, failures, sequence=sequence, repetition=repetition)
    except ValueError as e:
        raise InputError(f"{path}: {e}") from None


def _record_files(seq_dir: Path, seq_name: str) -> list[tuple[int, Path]]:
    """``(repetition, path)`` of ``<seq>_<rep>.txt`` files (not ``<seq>_time.txt``), by rep."""
    pattern = re.compile(re.escape(seq_name) + r"_(\d+)\.txt$")
    found = []
    if seq_dir.is_dir():
        for p in seq_dir.iterdir():
            m = pattern.fullmatch(p.name)
            if m:
                found.append((int(m.group(1)), p))
    return sorted(found)


def read_vot_baseline(result_dir: str | Path, tracker_name: str, dataset,
                      bounded: bool = True) -> list[BaselineRun]:
    """All runs of ``tracker_name`` in got10k's VOT baseline layout
    ``result_dir/<tracker_name>/baseline/<seq>/<seq>_<rep:03d>.txt``.

    ``result_dir`` is the experiment's result folder (got10k's ``ExperimentVOT.result_dir``, e.g.
    ``results/VOT2018``). ``dataset`` is got10k-like: ``dataset.seq_names`` and ``dataset[i]`` ->
    ``(img_files, anno, ...)`` with ``anno`` ``[N, 8]`` polygons or ``[N, 4]`` boxes. With
    ``bounded`` the overlaps are clipped to the image, whose size is read from the header of the
    sequence's first image. Runs come out by sequence, then repetition. Raises
    :class:`InputError` when a sequence has no record or a record is malformed.
    """
    root = Path(result_dir) / tracker_name / "baseline"
    runs: list[BaselineRun] = []
    for s, seq_name in enumerate(dataset.seq_names):
        item = dataset[s]
        img_files, anno = item[0], item[1]
        files = _record_files(root / seq_name, seq_name)
        if not files:
            raise InputError(f"no baseline records for sequence {seq_name!r} in {root / seq_name}")
        bound = _image_size(img_files[0]) if bounded else None
        for rep, path in files:
            runs.append(read_record(path, anno, bound, sequence=seq_name, repetition=rep))
    log.info("read %d baseline runs of %s over %d sequences", len(runs), tracker_name,
             len(dataset.seq_names))
    return runs


def _image_size(img_file) -> tuple[int, int]:
    """``(width, height)`` of an image file (header only)."""
    try:
        with Image.open(img_file) as im:
            return im.size
    except OSError as e:
        raise InputError(f"cannot read image {img_file}: {e}") from None
