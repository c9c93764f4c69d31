"""got10k's OTB protocol for eqtrack: success AUC, the box-origin adapter for 1-based
results files, the folder experiment, and the identity that keeps stale results from being
reused."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from got10k.experiments import ExperimentOTB
from got10k.trackers import Tracker

from tracker.data.layouts import OTB_ORIGIN, FolderDataset, eqtrack_to_file, file_to_eqtrack
from tracker.errors import InputError

log = logging.getLogger(__name__)


# got10k's OTB protocol: the success curve at 21 IoU thresholds (its nbins_iou), AUC = its mean
SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)


def success_from_iou(iou: np.ndarray) -> float:
    """Success AUC of per-frame overlaps ``iou [N]`` (boxes or polygons), as got10k's OTB
    protocol computes it for one sequence."""
    iou = np.asarray(iou, dtype=np.float64)
    return float(np.mean([np.mean(iou > t) for t in SUCCESS_THRESHOLDS]))


def success_auc(boxes: np.ndarray, anno: np.ndarray) -> float:
    """got10k's OTB success score of one sequence: ``boxes`` and ``anno`` ``[N, 4]`` xywh."""
    from got10k.utils.metrics import rect_iou

    return success_from_iou(rect_iou(np.asarray(boxes, float), np.asarray(anno, float)))


class FileCoordinates(Tracker):
    """A got10k tracker in a dataset's own coordinates: ``init(image, box)`` hands ``inner``
    the box in 0-based coordinates, ``update`` answers the inner box (``[x, y, w, h]``) or
    polygon (8 values) back in the file's. Same name, so results files do not move."""

    def __init__(self, inner, origin: float = OTB_ORIGIN) -> None:
        super().__init__(inner.name, inner.is_deterministic)
        self.inner = inner
        self.origin = float(origin)

    def init(self, image, box) -> None:
        self.inner.init(image, file_to_eqtrack(box, self.origin))

    def update(self, image) -> np.ndarray:
        return eqtrack_to_file(self.inner.update(image), self.origin)


class OneBasedFiles:
    """Mixin for got10k's OTB-protocol experiments: the tracker runs in 0-based coordinates
    (:class:`FileCoordinates`) while results and scores stay in the dataset's 1-based ones."""

    def run(self, tracker, visualize: bool = False):
        if not isinstance(tracker, FileCoordinates):
            tracker = FileCoordinates(tracker, OTB_ORIGIN)
        return super().run(tracker, visualize=visualize)


class ExperimentFolder(OneBasedFiles, ExperimentOTB):
    """got10k's OTB protocol (21-bin success AUC, 20 px precision) on a :class:`FolderDataset`.

    Results go to ``result_dir/<name>/<tracker>/<seq>.txt``, reports to
    ``report_dir/<name>/<tracker>/performance.json``, as got10k lays them out.
    """

    def __init__(self, root_dir: str | Path, result_dir: str | Path = "results",
                 report_dir: str | Path = "reports", name: str | None = None) -> None:
        # deliberately not calling ExperimentOTB.__init__: it would build (and download) OTB
        self.dataset = FolderDataset(root_dir)
        name = name or Path(root_dir).resolve().name
        self.result_dir = os.path.join(str(result_dir), name)
        self.report_dir = os.path.join(str(report_dir), name)
        self.nbins_iou = 21
        self.nbins_ce = 51


def tracker_identity(tracker) -> str:
    """A hash of everything that decides a tracker's boxes: for ours, the tracking config, the
    weights and the runtime; for baselines, the name and the OpenCV version."""
    import dataclasses
    import hashlib
    import json

    h = hashlib.sha256(tracker.name.encode())
    # our box convention is part of every tracker's identity: results written before the
    # trackers ran in 0-based coordinates (FileCoordinates) are never reused
    h.update(b"boxes: 0-based inside, files' origin outside")
    inner = tracker
    while hasattr(inner, "inner"):  # RotatedOutput and FileCoordinates wrap one of ours
        inner = inner.inner
    cfg, net = getattr(inner, "cfg", None), getattr(inner, "net", None)
    if cfg is not None and net is not None:
        from tracker.checkpoint import weights_digest

        h.update(json.dumps(dataclasses.asdict(cfg), sort_keys=True).encode())
        h.update(weights_digest(net.state_dict()).encode())
        h.update(type(inner.runtime).__name__.encode())
    else:
        import cv2

        h.update(cv2.__version__.encode())
    return h.hexdigest()


def check_results_identity(result_dir: str | Path, name: str, identity: str) -> None:
    """Refuse to reuse results under ``result_dir/name`` written by a tracker of the same name
    but another config or weights (recorded in ``result_dir/.eqtrack/<name>.identity``); record
    the identity when there is none yet."""
    record = Path(result_dir) / ".eqtrack" / f"{name}.identity"
    if record.is_file():
        if record.read_text().strip() != identity:
            raise InputError(f"results of '{name}' in '{Path(result_dir) / name}' were written "
                             f"by a tracker of the same name with another config or weights; "
                             f"pass --overwrite, or give this one another name")
        return
    if (Path(result_dir) / name).is_dir() and any((Path(result_dir) / name).iterdir()):
        log.warning("results of '%s' predate identity records; reusing them as they are", name)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(identity + "\n")


def discard_incomplete_record(record_file: str | Path, frames: int) -> bool:
    """Delete an OTB-protocol results file that a killed run left short, empty, cut off or with
    non-finite boxes (anything but ``frames`` lines of four finite numbers), so the sequence is
    tracked again. Returns True when it was discarded."""
    path = Path(record_file)
    if not path.is_file():
        return False
    try:
        boxes = np.loadtxt(path, delimiter=",", ndmin=2)
        ok = boxes.shape == (frames, 4) and np.isfinite(boxes).all()
    except ValueError:
        ok = False
    if not ok:
        log.warning("%s: incomplete or damaged results (expected %d boxes); tracking again",
                    path, frames)
        path.unlink()
    return not ok


def _vot_line_ok(line: str) -> bool:
    # a VOT supervised record line: a state code (0 skipped, 1 init, 2 failure) or a region of
    # 4 or 8 finite numbers
    parts = line.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return False
    if len(values) == 1:
        return values[0] in (0.0, 1.0, 2.0)
    return len(values) in (4, 8) and all(np.isfinite(values))


def discard_incomplete_records(result_dir: str | Path, family: str, tracker: str, sequence: str,
                               frames: int) -> int:
    """Before a (re)run of ``tracker`` on ``sequence``: delete every results file a killed run
    left incomplete, so that got10k tracks that sequence again instead of reusing it. OTB
    family: ``<tracker>/<seq>.txt`` (``frames`` lines of 4 finite numbers); GOT-10k:
    ``<tracker>/<seq>/<seq>_NNN.txt`` (the same) with its ``_time.txt``; VOT (supervised):
    ``<tracker>/baseline/<seq>/<seq>_NNN.txt`` (``frames`` lines, each a state code 0/1/2 or a
    4- or 8-value region) with its ``_time.txt``. Returns how many runs were discarded."""
    base = Path(result_dir) / tracker
    if family == "otb":
        return int(discard_incomplete_record(base / f"{sequence}.txt", frames))
    folder = base / sequence if family == "got10k" else base / "baseline" / sequence
    records = sorted(folder.glob(f"{sequence}_[0-9][0-9][0-9].txt"))
    bad = []
    for path in records:
        if family == "got10k":
            ok = not discard_incomplete_record(path, frames)
        else:
            lines = path.read_text(errors="replace").strip().split("\n")
            ok = len(lines) == frames and all(_vot_line_ok(x) for x in lines)
            if not ok:
                log.warning("%s: incomplete or damaged results (expected %d lines); tracking "
                            "again", path, frames)
                path.unlink()
        if not ok:
            bad.append(path)
    if bad:
        # the time file holds one column per repetition; it no longer matches the records
        (folder / f"{sequence}_time.txt").unlink(missing_ok=True)
        for path in records:  # later repetitions would append their times to a wrong file
            path.unlink(missing_ok=True)
    return len(bad)
