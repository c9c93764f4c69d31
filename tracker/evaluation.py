"""got10k experiments on local data, offline.

got10k's ``ExperimentOTB`` only knows the official sequence lists and downloads what is missing;
:class:`ExperimentFolder` runs the same protocol (success/precision, got10k result layout) on any
folder of OTB-layout sequences and never touches the network.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from got10k.experiments import ExperimentOTB
from got10k.trackers import Tracker

from .errors import InputError
from .video import image_files

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


def read_groundtruth(path: str | Path, values: int = 4) -> np.ndarray:
    """Read a ground-truth file of ``values`` numbers per line (comma, tab or space separated).

    Returns float64 ``[N, values]``; ``NaN`` entries are kept (some benchmarks mark absent
    targets that way). Raises :class:`InputError` naming file and line for malformed lines.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"ground truth '{path}' not found")
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace(",", " ").replace("\t", " ").split()
        if len(parts) != values:
            raise InputError(f"{path}, line {lineno}: expected {values} values, got {len(parts)}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise InputError(f"{path}, line {lineno}: non-numeric value in '{line.strip()}'") \
                from None
    if not rows:
        raise InputError(f"ground truth '{path}' is empty")
    return np.array(rows)


# Every OTB-protocol dataset (OTB, UAV123, DTB70, NfS, TColor-128, LaSOT, and the folders
# tracker.data writes) counts pixels from 1, as MATLAB does; eqtrack's boxes, crops and training
# pairs count from 0 (tracker.boxes). So trackers are handed 0-based boxes, and answers go back
# into the files' convention, which results files and scores keep.
OTB_ORIGIN = 1.0


def file_to_eqtrack(boxes, origin: float = OTB_ORIGIN) -> np.ndarray:
    """Boxes ``[..., 4]`` xywh (or polygons ``[..., 8]``) of a file counting pixels from
    ``origin``, in eqtrack's 0-based coordinates (a copy)."""
    return _shift(boxes, -origin)


def eqtrack_to_file(boxes, origin: float = OTB_ORIGIN) -> np.ndarray:
    """Inverse of :func:`file_to_eqtrack`."""
    return _shift(boxes, origin)


def _shift(boxes, d: float) -> np.ndarray:
    b = np.array(boxes, dtype=np.float64)
    if b.shape[-1] == 4:
        b[..., :2] += d
    elif b.shape[-1] == 8:
        b += d
    else:
        raise ValueError(f"expected boxes [..., 4] or polygons [..., 8], got {b.shape}")
    return b


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


class FolderDataset:
    """OTB-layout sequences in ``root``: ``<seq>/img/*.jpg`` and ``<seq>/groundtruth_rect.txt``.

    Indexing returns ``(img_files, anno)`` like got10k datasets (``anno`` float ``[N, 4]`` xywh,
    as written in the file). The frame count must equal the number of ground-truth lines.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"dataset folder '{root}' not found")
        self.seq_names = sorted(d.name for d in self.root.iterdir()
                                if (d / "img").is_dir() or (d / "groundtruth_rect.txt").exists())
        if not self.seq_names:
            raise InputError(f"'{root}' holds no OTB-layout sequence "
                             "(<seq>/img/*.jpg and <seq>/groundtruth_rect.txt)")

    def __len__(self) -> int:
        return len(self.seq_names)

    def __getitem__(self, index):
        name = self.seq_names[index] if isinstance(index, int) else index
        seq = self.root / name
        img_dir = seq / "img"
        if not img_dir.is_dir():
            raise InputError(f"sequence '{seq}': missing folder 'img'")
        files = [str(p) for p in image_files(img_dir)]
        gt = seq / "groundtruth_rect.txt"
        anno = read_groundtruth(gt)
        if len(files) != len(anno):
            raise InputError(f"{gt}: {len(anno)} ground-truth lines but {len(files)} frames in "
                             f"'{img_dir}'")
        return files, anno

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


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


# ----------------------------------------------------------------------------------------------
# results integrity: what a rerun may reuse


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
        from .checkpoint import weights_digest

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
