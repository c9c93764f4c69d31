"""Training pairs for Siamese trackers: sources, SiamFC crops, augmentation, batches.

Conventions (shared by every function here)
-------------------------------------------
* Images are RGB ``uint8`` ``[H, W, 3]``.
* Boxes are ``[x, y, w, h]`` in 0-based continuous pixel coordinates (:mod:`tracker.boxes`:
  pixel column ``j`` spans ``[j, j+1)``). Files with another origin are converted on reading:
  OTB-layout ground truth is 1-based (``origin=1``: subtract 1 from x and y), GOT-10k is 0-based,
  PASCAL VOC XML corners are 1-based inclusive, COCO and ``boxes.json`` are 0-based.
* Angles are degrees, counter-clockwise as seen on screen (image y points down), like the rotated
  boxes of :mod:`tracker.boxes`.

Sources
-------
A source has ``sample(rng) -> Pair | None``: a template image and box, a search image and box and
the target's in-plane rotation from template to search (``None`` means "an image could not be
decoded, draw again"; the image is skipped with a logging warning).

* :class:`FolderSource`: OTB layout (``<seq>/img/*.jpg`` + ``groundtruth_rect.txt``) or GOT-10k
  layout (``list.txt``, ``<seq>/*.jpg`` + ``groundtruth.txt``, ``absence.label``), detected per
  folder.
* :class:`GOT10kSource`: a GOT-10k root read through ``got10k.datasets.GOT10k``.
* :class:`VOTSource`: VOT layout (``list.txt``, boxes or polygons); :class:`LaSOTSource`: LaSOT
  (``<class>/<class>-<n>/``, its train/test split, occlusion and out-of-view flags).
* :class:`ObjectSource`: pairs synthesized from annotated still images (``boxes.json``, COCO
  JSON or PASCAL VOC XML): the object is cut, scaled, turned, recoloured and pasted at a random
  place onto another picture, with look-alike distractors (the DaSiamRPN way of stretching
  detection data into tracking pairs).
* :class:`SyntheticSource`: pairs of frames of generated sequences (:mod:`tracker.data.synthetic`).

In the video sources a sequence is drawn with probability proportional to its number of usable
frames (so every usable frame is equally likely to be the template), then a template frame
uniformly among them, then a different usable frame at most ``max_gap`` frames away (before or
after it: tracking backwards is as good a lesson). :class:`ObjectSource` draws objects uniformly.

Pairs and batches
-----------------
:class:`PairSampler` mixes sources by weight and crops the pair as SiamFC does: the template
(``exemplar_size``) centred on the template box with side ``z_sz = sqrt((w+p)(h+p))``,
``p = context (w+h)``; the search crop (``instance_size``) with side
``z_sz * instance_size / exemplar_size`` times a scale jitter, placed so that the target sits
off-centre by a random shift and turned by a random angle. Each pair is a pure function of
``(seed, step, rank * batch_size + i)``, so any batch can be rebuilt exactly in any process.
"""
from __future__ import annotations

import json
import logging
import math
import os
import time
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Optional, Sequence as Seq

import cv2
import numpy as np
import torch

from ..boxes import polygon_to_xywh, rotated_to_polygon, xywh_to_cxcywh
from ..crops import crop_square, crop_to_image, mean_color, to_tensor
from ..errors import ConfigError, InputError
from ..evaluation import read_groundtruth
from ..video import image_files, read_image
from .synthetic import SequenceSpec, generate_sequence

log = logging.getLogger(__name__)

DATA_TYPES = ("folder", "got10k", "vot", "lasot", "objects", "synthetic")
# a source that yields nothing decodable this many times in a row is broken, not unlucky
MAX_TRIES = 32
# generated sequences for SyntheticSource(spec=None): small and quick (~0.4 s each to render)
DEFAULT_SYNTHETIC = SequenceSpec(num_frames=40, width=320, height=240, object_size=(48, 36))


class Pair(NamedTuple):
    """What a source returns: template and search image with 0-based ``xywh`` boxes (float64
    ``[4]``); ``angle``: the target's in-plane rotation in the search image relative to the
    template (degrees CCW, 0 where unknown); ``x_rotated``: where known, the target in the
    search image as a rotated box ``[cx, cy, w, h, angle]`` (angle absolute, degrees CCW), which
    gives a tighter extent in a turned crop than ``x_box``."""

    z_image: np.ndarray
    z_box: np.ndarray
    x_image: np.ndarray
    x_box: np.ndarray
    angle: float = 0.0
    x_rotated: Optional[np.ndarray] = None


class CropPair(NamedTuple):
    """One training pair after cropping and augmentation.

    z: uint8 ``[Sz, Sz, 3]``; x: uint8 ``[Sx, Sx, 3]``; target: float64 ``[4]`` ``(cx, cy, w, h)``
    of the target in ``x`` in crop pixels, centre relative to the crop centre (x right, y down),
    size the target's axis-aligned extent in the crop (in a turned crop: of the source's rotated
    box where it gives one, else of its axis-aligned box turned with the crop); angle: degrees
    CCW of the target in ``x`` relative to ``z``, in ``[-180, 180)`` (the source's rotation plus
    the crop's turn); source: index of the source it came from.
    """

    z: np.ndarray
    x: np.ndarray
    target: np.ndarray
    angle: float
    source: int


# ----------------------------------------------------------------------------------------------
# small helpers


def _wrap_angle(angle: float) -> float:
    return (float(angle) + 180.0) % 360.0 - 180.0


def _rotation(angle: float) -> np.ndarray:
    # counter-clockwise on screen with y down: the x axis goes to (cos t, -sin t)
    t = np.deg2rad(angle)
    return np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])


def _valid_boxes(boxes: np.ndarray) -> np.ndarray:
    """``[N]`` bool: finite boxes with positive width and height."""
    return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


def _image_files(folder: Path) -> list[str]:
    return [p.name for p in image_files(folder)]


class _ImageCache:
    """A small per-process LRU of decoded images; remembers undecodable files so each is
    reported once. Dropped when pickled (worker processes start empty)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bad: set[str] = set()

    def get(self, path: str) -> Optional[np.ndarray]:
        if path in self._items:
            self._items.move_to_end(path)
            return self._items[path]
        if path in self._bad:
            return None
        img = read_image(path)  # warns once for a file it cannot decode
        if img is None:
            self._bad.add(path)
            return None
        if self.capacity > 0:
            self._items[path] = img
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return img

    def __getstate__(self) -> dict:
        return {"capacity": self.capacity}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["capacity"])


# ----------------------------------------------------------------------------------------------
# video sources


@dataclass(frozen=True)
class _Track:
    """One annotated sequence: frame files in ``folder``, boxes float64 ``[N, 4]`` (0-based
    xywh) and the sorted indices of usable frames."""

    name: str
    folder: str
    files: tuple[str, ...]
    boxes: np.ndarray
    usable: np.ndarray


def _make_track(name: str, folder: Path, files: list[str], boxes: np.ndarray,
                absent: Optional[np.ndarray] = None) -> _Track:
    ok = _valid_boxes(boxes)
    if absent is not None:
        ok &= ~absent
    return _Track(name, str(folder), tuple(files), boxes, np.flatnonzero(ok))


def _pick_partner(rng: np.random.Generator, usable: np.ndarray, a: int, max_gap: int) -> int:
    """Index into ``usable`` of a frame other than ``usable[a]`` at most ``max_gap`` frames away
    (the nearest usable frame if none is that close)."""
    i = usable[a]
    lo = int(np.searchsorted(usable, i - max_gap, side="left"))
    hi = int(np.searchsorted(usable, i + max_gap, side="right"))
    if hi - lo <= 1:
        if a + 1 >= len(usable):
            return a - 1
        if a == 0:
            return 1
        return a + 1 if usable[a + 1] - i <= i - usable[a - 1] else a - 1
    b = int(rng.integers(lo, hi - 1))
    return b + 1 if b >= a else b


class _VideoSource:
    """Pairs of frames of annotated sequences (see the module docstring for the sampling)."""

    def __init__(self, tracks: list[_Track], max_gap: int, label: str) -> None:
        if int(max_gap) < 1:
            raise InputError(f"{label}: max_gap must be >= 1, got {max_gap}")
        self.max_gap = int(max_gap)
        self.label = label
        short = [t.name for t in tracks if len(t.usable) < 2]
        if short:
            log.warning("%s: %d sequence(s) with fewer than two usable frames ignored (%s)",
                        label, len(short), ", ".join(short[:5]))
        self.tracks = [t for t in tracks if len(t.usable) >= 2]
        if not self.tracks:
            raise InputError(f"{label}: no sequence has two frames with a valid box")
        self._cum = np.cumsum([len(t.usable) for t in self.tracks])
        self._cache = _ImageCache(0)

    def __len__(self) -> int:
        """Number of usable frames."""
        return int(self._cum[-1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r}, {len(self.tracks)} sequences)"

    def sample(self, rng: np.random.Generator) -> Optional[Pair]:
        g = int(rng.integers(len(self)))
        k = int(np.searchsorted(self._cum, g, side="right"))
        track = self.tracks[k]
        a = g - (int(self._cum[k - 1]) if k else 0)
        b = _pick_partner(rng, track.usable, a, self.max_gap)
        i, j = int(track.usable[a]), int(track.usable[b])
        z = self._cache.get(os.path.join(track.folder, track.files[i]))
        x = self._cache.get(os.path.join(track.folder, track.files[j])) if z is not None else None
        if z is None or x is None:
            return None
        return Pair(z, track.boxes[i].copy(), x, track.boxes[j].copy())


def _frames_and_boxes(img_dir: Path, gt: Path, origin: int, polygons: bool = False
                      ) -> tuple[list, np.ndarray]:
    """Frame files of ``img_dir`` and the 0-based boxes of ``gt``, one per frame.

    ``polygons``: ``gt`` may hold 8-value polygons (VOT) instead of boxes; they become
    axis-aligned boxes of the same area (:func:`tracker.boxes.polygon_to_xywh`)."""
    files = _image_files(img_dir)
    boxes = read_groundtruth(gt, _values_per_line(gt) if polygons else 4)
    if boxes.shape[1] == 8:
        boxes = polygon_to_xywh(boxes, keep_area=True)
    if len(files) != len(boxes):
        raise InputError(f"{gt}: {len(boxes)} ground-truth lines but {len(files)} frames in "
                         f"'{img_dir}'")
    boxes[:, :2] -= origin
    return files, boxes


def _otb_track(seq: Path, origin: int) -> _Track:
    img_dir = seq / "img"
    if not img_dir.is_dir():
        raise InputError(f"sequence '{seq}': missing folder 'img'")
    files, boxes = _frames_and_boxes(img_dir, seq / "groundtruth_rect.txt", origin)
    return _make_track(seq.name, img_dir, files, boxes)


def _read_flags(path: Path, count: int) -> Optional[np.ndarray]:
    """Per-frame 0/1 flags (GOT-10k's ``absence.label``: one per line; LaSOT's
    ``full_occlusion.txt`` / ``out_of_view.txt``: comma-separated on one line) as bool ``[count]``;
    None when the file does not exist."""
    if not path.is_file():
        return None
    try:
        flags = np.array([int(float(v)) for v in path.read_text().replace(",", " ").split()],
                         dtype=bool)
    except ValueError:
        raise InputError(f"{path}: not a list of 0/1 values") from None
    if len(flags) != count:
        raise InputError(f"{path}: {len(flags)} values but {count} frames")
    return flags


def _got_track(seq: Path, origin: int) -> _Track:
    files, boxes = _frames_and_boxes(seq, seq / "groundtruth.txt", origin)
    absent = _read_flags(seq / "absence.label", len(files))
    return _make_track(seq.name, seq, files, boxes, absent)


def _values_per_line(gt: Path) -> int:
    """4 or 8: the number of values on the first line of a VOT ground-truth file (the reader
    then holds every line to it)."""
    if not gt.is_file():
        raise InputError(f"ground truth '{gt}' not found")
    with open(gt) as f:
        first = next((line for line in f if line.strip()), "")
    n = len(first.replace(",", " ").split())
    if n not in (4, 8):
        raise InputError(f"{gt}, line 1: expected 4 values (box) or 8 (polygon), got {n}"
                         + (" (VOT 2020+ masks are not supported)" if first.lstrip()
                            .startswith("m") else ""))
    return n


class FolderSource(_VideoSource):
    """Pairs from a folder of sequences, OTB or GOT-10k layout, detected automatically:

    * ``ROOT/list.txt`` present: GOT-10k layout, the sequences it lists,
      ``ROOT/<seq>/*.jpg`` + ``groundtruth.txt`` (+ ``absence.label``: absent frames skipped);
    * otherwise every sub-folder with ``img/`` or ``groundtruth_rect.txt`` (OTB layout:
      ``img/*.jpg`` + ``groundtruth_rect.txt``) or with ``groundtruth.txt`` (GOT-10k layout).

    ``origin``: the coordinate of the first pixel in the ground-truth files; ``None`` means the
    layout's own (1 for OTB, 0 for GOT-10k). Frames without a valid box (NaN, w or h <= 0) are
    never drawn. Raises :class:`InputError` for a missing folder, a folder without sequences,
    or ground truth whose line count differs from the frame count (naming the file).
    """

    def __init__(self, root: str | Path, max_gap: int = 100, origin: Optional[int] = None
                 ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"dataset folder '{root}' not found")
        otb_origin = 1 if origin is None else int(origin)
        got_origin = 0 if origin is None else int(origin)
        tracks = []
        for kind, seq in _find_sequences(root):
            if kind == "otb":
                tracks.append(_otb_track(seq, otb_origin))
            else:
                tracks.append(_got_track(seq, got_origin))
        self.root = str(root)
        super().__init__(tracks, max_gap, str(root))


def _listed_sequences(list_file: Path) -> list[Path]:
    """The sequence folders a ``list.txt`` names (GOT-10k and VOT layouts), each checked."""
    names = [n.strip() for n in list_file.read_text().splitlines() if n.strip()]
    for name in names:
        if not (list_file.parent / name).is_dir():
            raise InputError(f"{list_file} names sequence '{name}' but folder "
                             f"'{list_file.parent / name}' is missing")
    return [list_file.parent / n for n in names]


def _find_sequences(root: Path) -> list[tuple[str, Path]]:
    """``[(layout, folder)]`` with layout ``'otb'`` or ``'got'``; see :class:`FolderSource`."""
    list_file = root / "list.txt"
    if list_file.is_file():
        found = [("got", seq) for seq in _listed_sequences(list_file)]
    else:
        found = []
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            if (d / "img").is_dir() or (d / "groundtruth_rect.txt").exists():
                found.append(("otb", d))
            elif (d / "groundtruth.txt").exists():
                found.append(("got", d))
    if found:
        return found
    if any((root / s / "list.txt").is_file() for s in ("train", "val")):
        raise InputError(f"'{root}' is a GOT-10k root: use got10k:{root} or "
                         f"folder:{root / 'train'}")
    raise InputError(f"no OTB-layout or GOT-10k-layout sequence in {root} "
                     "(<seq>/img/*.jpg + groundtruth_rect.txt, or list.txt and "
                     "<seq>/*.jpg + groundtruth.txt)")


class GOT10kSource(_VideoSource):
    """Pairs from GOT-10k (``root/<subset>/list.txt`` ...) read with ``got10k.datasets.GOT10k``.

    ``root`` is the folder holding ``train/`` and ``val/`` (a subset folder itself is accepted
    too). Boxes are 0-based as GOT-10k writes them; frames flagged in ``absence.label`` (read
    when present; the other meta files are not needed) or without a valid box are never drawn.
    """

    def __init__(self, root: str | Path, subset: str = "train", max_gap: int = 100) -> None:
        from got10k.datasets import GOT10k

        root = Path(root)
        if not root.is_dir():
            raise InputError(f"GOT-10k folder '{root}' not found")
        if subset not in ("train", "val"):
            raise InputError(f"GOT-10k subset '{subset}' has no per-frame ground truth "
                             "(use train or val)")
        if not (root / subset / "list.txt").is_file() and (root / "list.txt").is_file():
            root, subset = root.parent, root.name  # given the subset folder itself
            if subset not in ("train", "val"):
                raise InputError(f"'{root / subset}' is not a GOT-10k train or val folder")
        list_file = root / subset / "list.txt"
        if not list_file.is_file():
            raise InputError(f"GOT-10k folder '{root}' has no {subset}/list.txt")
        dataset = GOT10k(str(root), subset=subset, return_meta=False)
        tracks = [self._track(dataset, k, list_file) for k in range(len(dataset))]
        self.root, self.subset = str(root), subset
        super().__init__(tracks, max_gap, f"got10k {root / subset}")

    @staticmethod
    def _track(dataset, k: int, list_file: Path) -> _Track:
        seq = Path(dataset.seq_dirs[k])
        if not seq.is_dir():
            raise InputError(f"{list_file} names sequence '{dataset.seq_names[k]}' but folder "
                             f"'{seq}' is missing")
        gt = seq / "groundtruth.txt"
        try:
            files, anno = dataset[k]
        except (AssertionError, ValueError, OSError):
            # got10k asserts frame count == line count; say which file and how they differ
            boxes = read_groundtruth(gt)
            raise InputError(f"{gt}: {len(boxes)} ground-truth lines but "
                             f"{len(_image_files(seq))} frames in '{seq}'") from None
        boxes = np.atleast_2d(np.asarray(anno, dtype=np.float64))
        names = [os.path.basename(f) for f in files]
        absent = _read_flags(seq / "absence.label", len(names))
        return _make_track(seq.name, seq, names, boxes, absent)


class VOTSource(_VideoSource):
    """Pairs from a VOT-layout folder (the VOT toolkit's, as got10k reads VOT2013-2018):
    ``ROOT/list.txt`` naming the sequences, frames ``ROOT/<seq>/*.jpg`` (or ``<seq>/color/``)
    and ``<seq>/groundtruth.txt`` with one box (4 values) or polygon (8 values) per frame;
    polygons become axis-aligned boxes of the same area. ``origin``: coordinate of the first
    pixel in the files (0, as got10k and pysot read VOT)."""

    def __init__(self, root: str | Path, max_gap: int = 100, origin: int = 0) -> None:
        root = Path(root)
        list_file = root / "list.txt"
        if not root.is_dir():
            raise InputError(f"VOT folder '{root}' not found")
        if not list_file.is_file():
            raise InputError(f"VOT folder '{root}' has no list.txt")
        tracks = []
        for seq in _listed_sequences(list_file):
            img_dir = seq / "color" if (seq / "color").is_dir() else seq
            files, boxes = _frames_and_boxes(img_dir, seq / "groundtruth.txt", int(origin),
                                             polygons=True)
            tracks.append(_make_track(seq.name, img_dir, files, boxes))
        if not tracks:
            raise InputError(f"{list_file} names no sequence")
        self.root = str(root)
        super().__init__(tracks, max_gap, f"vot {root}")


class LaSOTSource(_VideoSource):
    """Pairs from LaSOT: ``ROOT/<class>/<class>-<n>/img/*.jpg`` + ``groundtruth.txt`` (1-based
    boxes, like OTB). Frames flagged in ``full_occlusion.txt`` or ``out_of_view.txt`` are never
    drawn. ``subset``: ``train`` or ``test`` (LaSOT's official split, as got10k ships it in
    ``lasot.json``; only the sequences present on disk, since LaSOT comes per class) or ``all``
    (every sequence found)."""

    def __init__(self, root: str | Path, subset: str = "train", max_gap: int = 100,
                 origin: int = 1) -> None:
        root = Path(root)
        if not root.is_dir():
            raise InputError(f"LaSOT folder '{root}' not found")
        found = {p.parent.name: p.parent for p in sorted(root.glob("*/*/groundtruth.txt"))}
        if subset == "all":
            names = sorted(found)
        elif subset in ("train", "test"):
            import got10k.datasets

            split = Path(got10k.datasets.__file__).parent / "lasot.json"
            wanted = json.loads(split.read_text())[subset]
            names = [n for n in wanted if n in found]
            if names and len(names) < len(wanted):
                log.info("LaSOT %s: %d of the split's %d sequences on disk", subset,
                         len(names), len(wanted))
        else:
            raise InputError(f"LaSOT subset '{subset}': use train, test or all")
        if not names:
            raise InputError(f"no LaSOT {subset} sequence in '{root}' "
                             "(<class>/<class>-<n>/img/*.jpg + groundtruth.txt)")
        tracks = []
        for name in names:
            seq = found[name]
            files, boxes = _frames_and_boxes(seq / "img", seq / "groundtruth.txt", int(origin))
            absent = np.zeros(len(files), dtype=bool)
            for flag in ("full_occlusion.txt", "out_of_view.txt"):
                f = _read_flags(seq / flag, len(files))
                if f is not None:
                    absent |= f
            tracks.append(_make_track(name, seq / "img", files, boxes, absent))
        self.root, self.subset = str(root), subset
        super().__init__(tracks, max_gap, f"lasot {root}")


class SyntheticSource:
    """Pairs of frames of generated sequences (exact boxes and angles).

    A pool of ``pool`` sequences is rendered lazily (each the first time it is drawn, per
    process) from ``spec`` (default :data:`DEFAULT_SYNTHETIC`) with seeds derived from ``seed``.
    Frames where less than ``min_visible`` of the target shows (occlusion, image border) are
    never drawn. ``angle`` is the exact rotation of the target between the two frames.
    """

    def __init__(self, spec: Optional[SequenceSpec] = None, pool: int = 8, seed: int = 0,
                 max_gap: int = 100, min_visible: float = 0.5) -> None:
        if int(pool) < 1 or int(max_gap) < 1:
            raise InputError(f"synthetic data: pool and max_gap must be >= 1, got {pool}, "
                             f"{max_gap}")
        self.spec = spec or DEFAULT_SYNTHETIC
        if self.spec.num_frames < 2:
            raise InputError("synthetic data: sequences need at least two frames")
        self.pool, self.seed, self.max_gap = int(pool), int(seed), int(max_gap)
        self.min_visible = float(min_visible)
        self._sequences: dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"SyntheticSource(pool={self.pool}, seed={self.seed})"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_sequences"] = {}  # cheaper to render again than to ship frames to workers
        return state

    def _sequence(self, k: int):
        if k not in self._sequences:
            seed = int(np.random.SeedSequence([self.seed, k]).generate_state(1)[0])
            self._sequences[k] = generate_sequence(self.spec, seed=seed, name=f"synthetic_{k}")
        return self._sequences[k]

    def sample(self, rng: np.random.Generator) -> Optional[Pair]:
        seq = self._sequence(int(rng.integers(self.pool)))
        usable = np.flatnonzero(seq.visible >= self.min_visible)
        if len(usable) < 2:  # a very unlucky sequence; visibility is not a property of rng
            usable = np.arange(len(seq.frames))
        a = int(rng.integers(len(usable)))
        b = _pick_partner(rng, usable, a, self.max_gap)
        i, j = int(usable[a]), int(usable[b])
        angle = _wrap_angle(seq.rotated[j, 4] - seq.rotated[i, 4])
        return Pair(seq.frames[i], seq.boxes[i].copy(), seq.frames[j], seq.boxes[j].copy(),
                    angle, seq.rotated[j].copy())


# ----------------------------------------------------------------------------------------------
# annotated still images


def _read_boxes_json(path: Path, data: dict) -> list[tuple[str, np.ndarray]]:
    """``{stem: [[x, y, w, h, class], ...]}`` with images in ``<dir>/images/<stem>.<ext>``."""
    img_dir = path.parent / "images"
    if not img_dir.is_dir():
        raise InputError(f"{path}: image folder '{img_dir}' not found")
    by_stem = {os.path.splitext(f)[0]: f for f in _image_files(img_dir)}
    out, missing = [], 0
    for stem, objs in data.items():
        if stem not in by_stem:
            missing += 1
            continue
        try:
            boxes = np.array([[float(v) for v in o[:4]] for o in objs], dtype=np.float64)
        except (TypeError, ValueError, IndexError):
            raise InputError(f"{path}: entry '{stem}' is not a list of [x, y, w, h, class]") \
                from None
        out.append((str(img_dir / by_stem[stem]), boxes.reshape(-1, 4)))
    if missing:
        log.warning("%s: %d image(s) listed but missing from '%s'; ignored", path, missing, img_dir)
    return out


def _coco_image_dir(path: Path, root: Path, first: str) -> Optional[Path]:
    stem = path.stem.replace("instances_", "")
    for d in (root / "images", root, path.parent, path.parent.parent / "images",
              root / stem, path.parent.parent / stem):
        if (d / first).is_file():
            return d
    return None


def _read_coco(path: Path, data: dict, root: Path) -> list[tuple[str, np.ndarray]]:
    """COCO detection JSON: ``images`` (``id``, ``file_name``) and ``annotations`` (``bbox``
    ``[x, y, w, h]``, 0-based; ``iscrowd`` ones skipped)."""
    try:
        files = {img["id"]: img["file_name"] for img in data["images"]}
        boxes: dict[Any, list] = {}
        for ann in data["annotations"]:
            if not ann.get("iscrowd", 0):
                boxes.setdefault(ann["image_id"], []).append([float(v) for v in ann["bbox"]])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{path}: not a COCO detection file (images with id/file_name, "
                         "annotations with image_id/bbox)") from None
    if not files:
        return []
    img_dir = _coco_image_dir(path, root, next(iter(files.values())))
    if img_dir is None:
        raise InputError(f"{path}: cannot find its images (looked in '{root / 'images'}', "
                         f"'{root}' and next to the file)")
    return [(str(img_dir / files[i]), np.array(b, dtype=np.float64).reshape(-1, 4))
            for i, b in boxes.items() if i in files and (img_dir / files[i]).is_file()]


def _read_voc(root: Path) -> list[tuple[str, np.ndarray]]:
    """PASCAL VOC: ``Annotations/*.xml`` with 1-based inclusive corners, images in
    ``JPEGImages/``; ``difficult`` objects skipped."""
    out = []
    for xml in sorted((root / "Annotations").glob("*.xml")):
        try:
            tree = ElementTree.parse(xml).getroot()
            name = tree.findtext("filename") or (xml.stem + ".jpg")
            boxes = []
            for obj in tree.iter("object"):
                if (obj.findtext("difficult") or "0").strip() == "1":
                    continue
                bb = obj.find("bndbox")
                x1, y1, x2, y2 = (float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
                boxes.append([x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1])
        except (ElementTree.ParseError, AttributeError, TypeError, ValueError):
            raise InputError(f"{xml}: not a PASCAL VOC annotation") from None
        img = root / "JPEGImages" / name
        if not img.is_file():
            img = root / "JPEGImages" / (xml.stem + ".jpg")
        if boxes and img.is_file():
            out.append((str(img), np.array(boxes, dtype=np.float64)))
    return out


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not readable JSON ({e})") from None


def read_object_annotations(root: str | Path) -> list[tuple[str, np.ndarray]]:
    """``[(image_path, boxes float64 [K, 4] xywh 0-based)]`` from ``root``, which may be:

    * a folder with ``boxes.json`` (``{stem: [[x, y, w, h, class], ...]}``, 0-based) and
      ``images/<stem>.<ext>``;
    * a folder with ``Annotations/*.xml`` and ``JPEGImages/`` (PASCAL VOC);
    * a COCO JSON file, or a folder holding such files (``*.json`` or ``annotations/*.json``)
      with the images in ``images/``, the folder itself, or ``<split>/`` for
      ``instances_<split>.json``.
    """
    root = Path(root)
    if root.is_file():
        data = _load_json(root)
        if isinstance(data, dict) and "annotations" in data and "images" in data:
            return _read_coco(root, data, root.parent)
        return _read_boxes_json(root, data)
    if not root.is_dir():
        raise InputError(f"objects folder '{root}' not found")
    if (root / "boxes.json").is_file():
        data = _load_json(root / "boxes.json")
        if not isinstance(data, dict):
            raise InputError(f"{root / 'boxes.json'}: expected {{image: [[x, y, w, h, class]]}}")
        return _read_boxes_json(root / "boxes.json", data)
    if (root / "Annotations").is_dir():
        return _read_voc(root)
    out = []
    for path in sorted(root.glob("*.json")) + sorted(root.glob("annotations/*.json")):
        data = _load_json(path)
        if isinstance(data, dict) and "annotations" in data and "images" in data:
            out += _read_coco(path, data, root)
    if not out:
        raise InputError(f"'{root}' holds no object annotations (boxes.json + images/, COCO "
                         "*.json, or VOC Annotations/*.xml + JPEGImages/)")
    return out


def _coverage(lo: float, size: float, start: int, stop: int) -> np.ndarray:
    """Fraction of each pixel ``start..stop-1`` covered by the interval ``[lo, lo+size)``."""
    px = np.arange(start, stop, dtype=np.float64)
    return np.clip(np.minimum(px + 1, lo + size) - np.maximum(px, lo), 0.0, 1.0)


def _paste(canvas: np.ndarray, image: np.ndarray, box, center, scale: float, angle: float,
           gains: Optional[np.ndarray] = None, sigma: float = 0.0) -> None:
    """Paste the ``box`` region of ``image`` into ``canvas`` (uint8, in place), scaled by
    ``scale`` and turned ``angle`` degrees CCW about its centre, its centre at ``center``
    (continuous coordinates). Edges are anti-aliased by the exact pixel coverage of the box."""
    x, y, w, h = (float(v) for v in box)
    hi, wi = image.shape[:2]
    ix0, iy0 = max(int(np.floor(x)), 0), max(int(np.floor(y)), 0)
    ix1, iy1 = min(int(np.ceil(x + w)), wi), min(int(np.ceil(y + h)), hi)
    if ix1 <= ix0 or iy1 <= iy0:
        return
    sub = image[iy0:iy1, ix0:ix1].astype(np.float32)
    if sigma > 0:
        sub = cv2.GaussianBlur(sub, (0, 0), sigma)
    if gains is not None:
        sub *= gains.astype(np.float32)
    mask = np.outer(_coverage(y, h, iy0, iy1), _coverage(x, w, ix0, ix1)).astype(np.float32)

    poly = rotated_to_polygon([center[0], center[1], w * scale, h * scale, angle]).reshape(4, 2)
    hc, wc = canvas.shape[:2]
    lo = np.floor(poly.min(axis=0)).astype(int) - 1
    hi = np.ceil(poly.max(axis=0)).astype(int) + 1
    rx0, ry0, rx1, ry1 = max(lo[0], 0), max(lo[1], 0), min(hi[0], wc), min(hi[1], hc)
    if rx1 <= rx0 or ry1 <= ry0:
        return
    # continuous q = A (p - c_old) + center; OpenCV maps pixel indices (continuous - 0.5)
    a = scale * _rotation(angle)
    c_old = np.array([x + w / 2.0, y + h / 2.0])
    t = a @ (np.array([ix0 + 0.5, iy0 + 0.5]) - c_old) + np.asarray(center) - 0.5 - [rx0, ry0]
    m = np.hstack([a, t[:, None]])
    size = (rx1 - rx0, ry1 - ry0)
    patch = cv2.warpAffine(sub, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask, m, size, flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)[:, :, None]
    roi = canvas[ry0:ry1, rx0:rx1].astype(np.float32)
    roi = roi * (1.0 - alpha) + patch * alpha
    canvas[ry0:ry1, rx0:rx1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)


def _uniform_within(rng: np.random.Generator, length: float, size: float) -> float:
    """A centre uniform in the middle half of ``[0, length]``, narrowed so that an object of
    ``size`` stays inside where it fits."""
    lo = max(length / 4, min(size / 2, length / 2))
    hi = min(3 * length / 4, max(length - size / 2, length / 2))
    return float(rng.uniform(lo, max(lo, hi)))


def _background(image: np.ndarray, width: int, height: int, rng: np.random.Generator
                ) -> np.ndarray:
    """A random part of ``image``, scaled to cover ``width`` x ``height`` (uint8)."""
    hb, wb = image.shape[:2]
    s = max(width / wb, height / hb) * rng.uniform(1.0, 1.5)
    ox, oy = rng.uniform(0, wb * s - width), rng.uniform(0, hb * s - height)
    m = np.array([[s, 0.0, -ox], [0.0, s, -oy]])
    return cv2.warpAffine(image, m, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)


class ObjectSource:
    """Pairs synthesized from annotated still images (see :func:`read_object_annotations`).

    Objects with a side under ``min_size`` pixels are skipped; the rest are drawn uniformly. The
    template is the original image and box. The search image is a canvas (the size of the
    original image, enlarged up to ``work_size`` px so that it spans five times the object; when
    five times the object exceeds ``work_size``, template image and box are shrunk to fit, both
    images staying at one scale) filled with a random part of a random picture: a photo from
    ``photos_root`` if given, else another annotated image. The object's box region is pasted
    onto it at a random place in the middle half of the canvas, scaled by a
    log-uniform factor in ``[1/max_scale, max_scale]``, turned by a uniform angle in
    ``±max_rotation`` degrees (CCW), blurred with probability ``blur`` and recoloured by
    per-channel gains in ``1 ± recolor``. Up to ``distractors`` other objects, of a similar size,
    are pasted first, away from the target. The search box is the axis-aligned box of the turned
    box; ``angle`` is the turn.
    """

    def __init__(self, objects_root: str | Path, photos_root: str | Path | None = None,
                 max_rotation: float = 0.0, max_scale: float = 1.25, min_size: float = 12.0,
                 distractors: int = 2, blur: float = 0.2, recolor: float = 0.1,
                 work_size: int = 640) -> None:
        if not max_scale >= 1.0 or max_rotation < 0 or distractors < 0:
            raise InputError("objects: need max_scale >= 1, max_rotation >= 0, distractors >= 0")
        entries = read_object_annotations(objects_root)
        self.images = [p for p, _ in entries]
        self.boxes = [b for _, b in entries]
        objects = [(i, k) for i, b in enumerate(self.boxes) for k in range(len(b))
                   if np.isfinite(b[k]).all() and min(b[k, 2], b[k, 3]) >= min_size]
        if not objects:
            raise InputError(f"objects '{objects_root}': no object box of at least "
                             f"{min_size:g} pixels a side")
        self.objects = np.array(objects, dtype=np.int64)
        self.photos: list[str] = []
        if photos_root is not None:
            photos_root = Path(photos_root)
            if not photos_root.is_dir():
                raise InputError(f"photos folder '{photos_root}' not found")
            self.photos = [str(photos_root / f) for f in _image_files(photos_root)]
            if not self.photos:
                raise InputError(f"photos folder '{photos_root}' holds no images")
        self.root = str(objects_root)
        self.max_rotation, self.max_scale = float(max_rotation), float(max_scale)
        self.distractors, self.blur, self.recolor = int(distractors), float(blur), float(recolor)
        self.work_size = int(work_size)
        self._cache = _ImageCache(64)
        self._photo_cache = _ImageCache(64)

    def __len__(self) -> int:
        return len(self.objects)

    def __repr__(self) -> str:
        return f"ObjectSource({self.root!r}, {len(self.objects)} objects)"

    def _look(self, rng: np.random.Generator) -> tuple[Optional[np.ndarray], float]:
        """Per-channel gains and blur sigma for one pasted object."""
        gains = rng.uniform(1 - self.recolor, 1 + self.recolor, 3) if self.recolor > 0 else None
        sigma = float(rng.uniform(0.5, 1.5)) if rng.random() < self.blur else 0.0
        return gains, sigma

    def sample(self, rng: np.random.Generator) -> Optional[Pair]:
        i, k = (int(v) for v in self.objects[int(rng.integers(len(self.objects)))])
        image = self._cache.get(self.images[i])
        if image is None:
            return None
        box = self.boxes[i][k]
        scale = float(np.exp(rng.uniform(-1, 1) * np.log(self.max_scale)))
        angle = float(rng.uniform(-self.max_rotation, self.max_rotation))
        side = float(np.max(polygon_to_xywh(rotated_to_polygon(
            [0, 0, box[2] * scale, box[3] * scale, angle]))[2:]))
        image, box = self._working_scale(image, box, 5.0 * side)
        ow, oh = polygon_to_xywh(rotated_to_polygon([0, 0, box[2] * scale, box[3] * scale,
                                                     angle]))[2:]
        h, w = image.shape[:2]
        width = int(np.ceil(max(w, min(5.0 * max(ow, oh), self.work_size))))
        height = int(np.ceil(max(h, min(5.0 * max(ow, oh), self.work_size))))
        bg = self._pick_background(rng, i)
        if bg is None:
            return None
        canvas = _background(bg, width, height, rng)
        # centre in the middle half of the canvas (the object kept inside where it fits), so
        # that the search crop around it mostly shows the new background
        center = np.array([_uniform_within(rng, width, ow), _uniform_within(rng, height, oh)])
        x_box = np.array([center[0] - ow / 2, center[1] - oh / 2, ow, oh])
        self._paste_distractors(canvas, rng, (i, k), x_box, math.sqrt(ow * oh))
        _paste(canvas, image, box, center, scale, angle, *self._look(rng))
        rotated = np.array([center[0], center[1], box[2] * scale, box[3] * scale, angle])
        return Pair(image, box.copy(), canvas, x_box, angle, rotated)

    def _working_scale(self, image: np.ndarray, box: np.ndarray, need: float
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Shrink the template image (and box) when the canvas would exceed ``work_size``:
        crops are resized to 127/255 pixels anyway, and both images stay at one scale, so the
        pair loses nothing but pasting and warping get much cheaper."""
        r = self.work_size / need
        if r >= 1.0:
            return image, box
        h, w = image.shape[:2]
        nw, nh = max(1, int(round(w * r))), max(1, int(round(h * r)))
        small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        # INTER_AREA maps continuous coordinates exactly by the size ratios
        sx, sy = nw / w, nh / h
        return small, box * np.array([sx, sy, sx, sy])

    def _pick_background(self, rng: np.random.Generator, i: int) -> Optional[np.ndarray]:
        if self.photos:
            return self._photo_cache.get(self.photos[int(rng.integers(len(self.photos)))])
        if len(self.images) == 1:
            return self._cache.get(self.images[0])
        j = int(rng.integers(len(self.images) - 1))  # any annotated image but the template's
        return self._cache.get(self.images[j + 1 if j >= i else j])

    def _paste_distractors(self, canvas: np.ndarray, rng: np.random.Generator,
                           target: tuple[int, int], x_box: np.ndarray, size: float) -> None:
        """Paste up to ``distractors`` other objects of about ``size`` (geometric mean side)
        where they do not touch ``x_box`` grown by 10 %."""
        height, width = canvas.shape[:2]
        keep_out = x_box + np.array([-0.1, -0.1, 0.2, 0.2]) * np.r_[x_box[2:], x_box[2:]]
        for _ in range(int(rng.integers(0, self.distractors + 1))):
            i, k = (int(v) for v in self.objects[int(rng.integers(len(self.objects)))])
            if (i, k) == target:
                continue
            box = self.boxes[i][k]
            scale = float(np.clip(size / math.sqrt(box[2] * box[3]) * rng.uniform(0.7, 1.3),
                                  0.25, 4.0))
            angle = float(rng.uniform(-self.max_rotation, self.max_rotation))
            dw, dh = polygon_to_xywh(rotated_to_polygon([0, 0, box[2] * scale, box[3] * scale,
                                                         angle]))[2:]
            for _ in range(5):
                c = rng.uniform(0, 1, 2) * [width, height]
                if (abs(c[0] - (keep_out[0] + keep_out[2] / 2)) >= (dw + keep_out[2]) / 2 or
                        abs(c[1] - (keep_out[1] + keep_out[3] / 2)) >= (dh + keep_out[3]) / 2):
                    image = self._cache.get(self.images[i])
                    if image is not None:
                        _paste(canvas, image, box, c, scale, angle, *self._look(rng))
                    break


# ----------------------------------------------------------------------------------------------
# spec parsing


# options each type accepts (besides type, root, weight) and how to convert them
_OPTIONS: dict[str, dict[str, type]] = {
    "folder": {"max_gap": int, "origin": int},
    "got10k": {"subset": str, "max_gap": int},
    "vot": {"max_gap": int, "origin": int},
    "lasot": {"subset": str, "max_gap": int, "origin": int},
    "objects": {"photos": str, "max_rotation": float, "max_scale": float, "min_size": float,
                "distractors": int, "blur": float, "recolor": float},
    "synthetic": {"pool": int, "max_gap": int, "seed": int},
}


def _scalar(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_data_spec(text: str) -> dict:
    """Parse a ``--data`` value into a spec dict for :func:`build_sources`.

    Forms: ``folder:ROOT[:WEIGHT]``, ``got10k:ROOT[:WEIGHT]``, ``vot:ROOT[:WEIGHT]``,
    ``lasot:ROOT[:WEIGHT]``, ``objects:ROOT[:WEIGHT]``,
    ``synthetic[:WEIGHT]``, each optionally followed by ``:key=value`` options (see
    :func:`build_sources`), e.g. ``objects:data/objects:2:photos=data/photos:max_rotation=45``.
    Returns ``{"type", "root" (absent for synthetic), "weight", options...}``.
    """
    parts = [p.strip() for p in str(text).split(":")]
    kind = parts[0].lower()
    if kind not in DATA_TYPES:
        raise InputError(f"data '{text}': unknown type '{parts[0]}' (use one of "
                         f"{', '.join(DATA_TYPES)})")
    spec: dict[str, Any] = {"type": kind}
    positional = []
    for p in parts[1:]:
        if "=" in p:
            key, value = p.split("=", 1)
            spec[key.strip()] = _scalar(value.strip())
        elif p:
            positional.append(p)
    if kind != "synthetic":
        if not positional:
            raise InputError(f"data '{text}': {kind} needs a folder ({kind}:ROOT[:WEIGHT])")
        spec["root"] = positional.pop(0)
    if len(positional) > 1:
        raise InputError(f"data '{text}': expected {kind}{'' if kind == 'synthetic' else ':ROOT'}"
                         "[:WEIGHT][:key=value...]")
    spec["weight"] = _weight(positional[0] if positional else 1.0, text)
    return spec


def _weight(value: Any, where: str) -> float:
    try:
        w = float(value)
    except (TypeError, ValueError):
        raise InputError(f"data '{where}': weight '{value}' is not a number") from None
    if not (math.isfinite(w) and w > 0):
        raise InputError(f"data '{where}': weight must be a positive number, got {value}")
    return w


def _options(spec: dict, kind: str, where: str) -> dict:
    known = _OPTIONS[kind]
    out = {}
    for key, value in spec.items():
        if key in ("type", "root", "weight"):
            continue
        if key not in known:
            raise InputError(f"data '{where}': unknown option '{key}' for {kind} (known: "
                             f"{', '.join(sorted(known)) or 'none'})")
        try:
            if known[key] is int and (isinstance(value, bool) or float(value) != int(value)):
                raise ValueError
            out[key] = known[key](value)
        except (TypeError, ValueError):
            raise InputError(f"data '{where}': option {key}={value!r} must be "
                             f"{'an integer' if known[key] is int else 'a number'}") from None
    return out


def build_source(spec: dict):
    """One source from a spec dict ``{"type", "root", "weight", options...}``.

    Options: folder ``max_gap``, ``origin``; got10k ``subset`` (train), ``max_gap``; vot
    ``max_gap``, ``origin`` (0); lasot ``subset`` (train|test|all), ``max_gap``, ``origin`` (1);
    objects ``photos`` (a folder of background pictures; default the ``photos`` folder next to
    ROOT if there is one; ``""`` or ``none`` for none), ``max_rotation``, ``max_scale``, ``min_size``,
    ``distractors``, ``blur``, ``recolor``; synthetic ``pool``, ``max_gap``, ``seed``.
    """
    if not isinstance(spec, dict) or "type" not in spec:
        raise InputError(f"data spec {spec!r} must be a mapping with a 'type'")
    kind = str(spec["type"]).lower()
    where = ":".join(str(spec[k]) for k in ("type", "root") if k in spec)
    if kind not in DATA_TYPES:
        raise InputError(f"data '{where}': unknown type '{spec['type']}' (use one of "
                         f"{', '.join(DATA_TYPES)})")
    opts = _options(spec, kind, where)
    root = spec.get("root")
    if kind == "synthetic":
        if root not in (None, ""):
            raise InputError(f"data '{where}': synthetic data takes no folder")
        return SyntheticSource(**opts)
    if root in (None, ""):
        raise InputError(f"data '{where}': {kind} needs a root folder")
    root = Path(str(root))
    if not root.exists():
        raise InputError(f"data '{where}': {kind} dataset '{root}' not found")
    if kind == "folder":
        return FolderSource(root, **opts)
    if kind == "got10k":
        return GOT10kSource(root, **opts)
    if kind == "vot":
        return VOTSource(root, **opts)
    if kind == "lasot":
        return LaSOTSource(root, **opts)
    photos = opts.pop("photos", None)
    if photos is None:
        sibling = root.parent / "photos" if root.is_dir() else root.parent.parent / "photos"
        photos = str(sibling) if sibling.is_dir() else None
    elif photos.lower() in ("", "none"):
        photos = None
    return ObjectSource(root, photos, **opts)


def build_sources(specs: Seq[dict | str]) -> list[tuple[Any, float]]:
    """``[(source, weight)]`` for spec dicts (as in the config's ``train.data``) or ``--data``
    strings. Raises :class:`InputError` with one line for anything wrong."""
    if not specs:
        raise InputError("no training data given")
    out = []
    for spec in specs:
        spec = parse_data_spec(spec) if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            raise InputError(f"data spec {spec!r} must be a mapping with a 'type'")
        weight = _weight(spec.get("weight", 1.0), spec.get("root", spec.get("type")))
        source = build_source(spec)
        log.info("data: %r, weight %g", source, weight)
        out.append((source, weight))
    return out


# ----------------------------------------------------------------------------------------------
# crops and augmentation


def _grayscale(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def _color_jitter(img: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Saturation (blend with the grey image), contrast (about the mean grey) and brightness,
    each a factor in ``1 ± amount``; uint8 in and out (saturating)."""
    sat, con, bri = (float(v) for v in rng.uniform(1 - amount, 1 + amount, 3))
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    m = cv2.mean(gray)[0]
    # cv2.addWeighted rounds and saturates in one pass, ~5x faster than float numpy here
    out = cv2.addWeighted(img, sat, cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB), 1.0 - sat, 0.0)
    return cv2.addWeighted(out, bri * con, out, 0.0, bri * (1.0 - con) * m)


def _motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A linear blur of random direction and odd length (3 .. ~size/20 pixels), centred so the
    target does not move."""
    half = int(rng.integers(1, max(2, img.shape[0] // 40) + 1))
    n = 2 * half + 1
    t = rng.uniform(0, np.pi)
    dx, dy = half * np.cos(t), half * np.sin(t)
    k = np.zeros((n, n), np.float32)
    cv2.line(k, (int(round(half - dx)), int(round(half - dy))),
             (int(round(half + dx)), int(round(half + dy))), 1.0, 1)
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(f"pair sampler: {message}")


class PairSampler:
    """SiamFC training pairs from weighted sources; see the module docstring.

    ``sources``: ``[(source, weight)]`` (or bare sources, weight 1). Sizes in pixels;
    ``max_shift``: the target centre sits up to this many search-crop pixels off the crop centre
    along each axis (uniform); ``scale_jitter``: the search side is multiplied by a factor
    uniform in ``[1 - j, 1 + j]``; ``rotation``: the search crop is turned so that its content
    rotates by a uniform angle in ``±rotation`` degrees (CCW); ``grayscale``: probability that
    both crops become grey; ``color_jitter``: saturation/contrast/brightness factors in
    ``1 ± color_jitter``, drawn for each crop; ``blur``: probability of a motion blur of the
    search crop. All randomness of pair ``g`` of batch ``step`` comes from
    ``np.random.default_rng([seed, step, g])``.
    """

    def __init__(self, sources, exemplar_size: int = 127, instance_size: int = 255,
                 context: float = 0.5, max_shift: float = 64.0, scale_jitter: float = 0.05,
                 rotation: float = 0.0, grayscale: float = 0.0, color_jitter: float = 0.0,
                 blur: float = 0.0, seed: int = 0) -> None:
        pairs = [s if isinstance(s, tuple) else (s, 1.0) for s in sources]
        _check(len(pairs) > 0, "no sources")
        weights = np.array([float(w) for _, w in pairs])
        _check(bool(np.all(np.isfinite(weights)) and np.all(weights > 0)),
               "source weights must be positive")
        _check(0 < exemplar_size and 0 < instance_size, "crop sizes must be positive")
        _check(context >= 0 and max_shift >= 0 and rotation >= 0, "context, max_shift and "
               "rotation must be >= 0")
        _check(0 <= scale_jitter < 1, "scale_jitter must lie in [0, 1)")
        _check(0 <= color_jitter < 1, "color_jitter must lie in [0, 1)")
        for name, p in (("grayscale", grayscale), ("blur", blur)):
            _check(0 <= p <= 1, f"{name} is a probability in [0, 1], got {p}")
        _check(int(seed) >= 0, "seed must be >= 0")
        self.sources = [s for s, _ in pairs]
        self.weights = weights / weights.sum()
        self._cum = np.cumsum(self.weights)
        self.exemplar_size, self.instance_size = int(exemplar_size), int(instance_size)
        self.context, self.max_shift = float(context), float(max_shift)
        self.scale_jitter, self.rotation = float(scale_jitter), float(rotation)
        self.grayscale, self.color_jitter, self.blur = float(grayscale), float(color_jitter), \
            float(blur)
        self.seed = int(seed)

    # -- one pair ------------------------------------------------------------------------------

    def _draw(self, rng: np.random.Generator) -> tuple[int, Pair]:
        for _ in range(MAX_TRIES):
            k = min(int(np.searchsorted(self._cum, rng.random(), side="right")),
                    len(self.sources) - 1)
            pair = self.sources[k].sample(rng)
            if pair is not None:
                return k, pair
        raise InputError(f"no decodable pair in {MAX_TRIES} tries (last source "
                         f"{self.sources[k]!r}): are its images corrupt?")

    def pair(self, step: int, index: int) -> CropPair:
        """Pair ``index`` (0-based over all ranks) of batch ``step``: a pure function of
        ``(seed, step, index)``."""
        rng = np.random.default_rng([self.seed, int(step), int(index)])
        k, pair = self._draw(rng)
        return self._crop(pair, k, rng)

    def _crop(self, pair: Pair, k: int, rng: np.random.Generator) -> CropPair:
        sz, sx = self.exemplar_size, self.instance_size
        zc = xywh_to_cxcywh(pair.z_box)
        ctx = self.context * (zc[2] + zc[3])
        z_sz = math.sqrt((zc[2] + ctx) * (zc[3] + ctx))
        z = crop_square(pair.z_image, zc[:2], z_sz, sz, mean_color(pair.z_image))

        side = z_sz * sx / sz * rng.uniform(1 - self.scale_jitter, 1 + self.scale_jitter)
        turn = float(rng.uniform(-self.rotation, self.rotation)) if self.rotation > 0 else 0.0
        shift = rng.uniform(-self.max_shift, self.max_shift, 2)
        # crop_square(angle=a) shows content turned by -a; a crop offset d is R(a) d in the image
        xc = xywh_to_cxcywh(pair.x_box)
        center = xc[:2] - crop_to_image(shift, -turn) * side / sx
        x = crop_square(pair.x_image, center, side, sx, mean_color(pair.x_image), -turn)

        if pair.x_rotated is not None:
            w, h, a = pair.x_rotated[2], pair.x_rotated[3], pair.x_rotated[4] + turn
        else:
            w, h, a = xc[2], xc[3], turn
        c, s = abs(math.cos(math.radians(a))), abs(math.sin(math.radians(a)))
        size = np.array([c * w + s * h, s * w + c * h]) * sx / side
        target = np.concatenate([shift, size])

        if rng.random() < self.grayscale:
            z, x = _grayscale(z), _grayscale(x)
        if self.color_jitter > 0:
            z = _color_jitter(z, rng, self.color_jitter)
            x = _color_jitter(x, rng, self.color_jitter)
        if rng.random() < self.blur:
            x = _motion_blur(x, rng)
        return CropPair(z, x, target, _wrap_angle(pair.angle + turn), k)

    # -- batches -------------------------------------------------------------------------------

    def batch(self, step: int, batch_size: int, rank: int = 0, world: int = 1
              ) -> dict[str, torch.Tensor]:
        """Batch ``step`` for process ``rank`` of ``world``; ``batch_size`` pairs per process.

        Pair ``i`` is :meth:`pair` ``(step, rank * batch_size + i)``, so the ranks' batches are
        disjoint and together equal the single-process batch of ``world * batch_size``.
        Returns ``z`` float32 ``[B, 3, Sz, Sz]`` and ``x`` ``[B, 3, Sx, Sx]`` (RGB, 0..255),
        ``target`` float32 ``[B, 4]`` (see :class:`CropPair`), ``angle`` float32 ``[B]``.
        """
        if not (0 <= rank < world) or batch_size < 1 or step < 0:
            raise ValueError(f"bad batch request: step {step}, batch_size {batch_size}, "
                             f"rank {rank} of {world}")
        pairs = [self.pair(step, rank * batch_size + i) for i in range(batch_size)]
        return {
            "z": to_tensor([p.z for p in pairs]),
            "x": to_tensor([p.x for p in pairs]),
            "target": torch.tensor(np.stack([p.target for p in pairs]), dtype=torch.float32),
            "angle": torch.tensor([p.angle for p in pairs], dtype=torch.float32),
        }


class PairBatches(torch.utils.data.Dataset):
    """Batches ``start_step .. start_step + steps - 1`` of ``sampler`` as a map-style dataset,
    for ``DataLoader(PairBatches(...), batch_size=None, num_workers=N)``: item ``k`` is
    ``sampler.batch(start_step + k, batch_size, rank, world)`` whichever worker builds it."""

    def __init__(self, sampler: PairSampler, batch_size: int, start_step: int, steps: int,
                 rank: int = 0, world: int = 1) -> None:
        self.sampler, self.batch_size = sampler, int(batch_size)
        self.start_step, self.steps = int(start_step), max(0, int(steps))
        self.rank, self.world = int(rank), int(world)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        if not 0 <= k < self.steps:
            raise IndexError(k)
        return self.sampler.batch(self.start_step + k, self.batch_size, self.rank, self.world)


def measure_pairs_per_second(sampler: PairSampler, batch_size: int, batches: int) -> float:
    """Pairs per second of :meth:`PairSampler.batch` in this process, over ``batches`` batches
    after one untimed warm-up batch (which pays for lazy loading)."""
    sampler.batch(0, batch_size)
    start = time.perf_counter()
    for step in range(1, batches + 1):
        sampler.batch(step, batch_size)
    return batch_size * batches / max(time.perf_counter() - start, 1e-9)


def make_sampler(config):
    """The pair sampler ``config.train`` and ``config.tracking`` describe."""
    t, k = config.train, config.tracking
    sources = build_sources([{"max_gap": t.max_gap, **spec} if spec.get("type") != "objects"
                             else dict(spec) for spec in t.data])
    return PairSampler(sources, exemplar_size=k.exemplar_size, instance_size=k.instance_size,
                       context=k.context, max_shift=t.max_shift, scale_jitter=t.scale_jitter,
                       rotation=t.rotation, grayscale=t.grayscale, color_jitter=t.color_jitter,
                       blur=t.blur, seed=t.seed)
