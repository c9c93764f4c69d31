"""Pair sources: ``sample(rng) -> Pair | None`` from annotated videos or generated sequences.

In the video sources a sequence is drawn with probability proportional to its number of usable
frames (so every usable frame is equally likely to be the template), then a template frame
uniformly among them, then a different usable frame at most ``max_gap`` frames away (before or
after it: tracking backwards is as good a lesson). ``None`` means "an image could not be
decoded, draw again" (the image is skipped with a logging warning).

* :class:`FolderSource`: OTB layout (``<seq>/img/*.jpg`` + ``groundtruth_rect.txt``) or GOT-10k
  layout (``list.txt``, ``<seq>/*.jpg`` + ``groundtruth.txt``, ``absence.label``), detected per
  folder.
* :class:`GOT10kSource`: a GOT-10k root read through ``got10k.datasets.GOT10k``.
* :class:`VOTSource`: VOT layout (``list.txt``, boxes or polygons); :class:`LaSOTSource`: LaSOT
  (``<class>/<class>-<n>/``, its train/test split, occlusion and out-of-view flags).
* :class:`SyntheticSource`: pairs of frames of generated sequences (:mod:`tracker.data.synthetic`).
* :class:`tracker.data.stills.ObjectSource`: pairs synthesized from annotated still images.
"""
from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, NamedTuple, Optional

import numpy as np

from tracker.data.layouts import (
    Track,
    find_sequences,
    frames_and_boxes,
    got_track,
    image_names,
    listed_sequences,
    make_track,
    otb_track,
    read_flags,
    read_groundtruth,
)
from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.errors import InputError
from tracker.video import read_image

log = logging.getLogger(__name__)


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


def wrap_angle(angle: float) -> float:
    return (float(angle) + 180.0) % 360.0 - 180.0


class ImageCache:
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

    def __init__(self, tracks: list[Track], max_gap: int, label: str) -> None:
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
        self._cache = ImageCache(0)

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
        for kind, seq in find_sequences(root):
            if kind == "otb":
                tracks.append(otb_track(seq, otb_origin))
            else:
                tracks.append(got_track(seq, got_origin))
        self.root = str(root)
        super().__init__(tracks, max_gap, str(root))


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
    def _track(dataset, k: int, list_file: Path) -> Track:
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
                             f"{len(image_names(seq))} frames in '{seq}'") from None
        boxes = np.atleast_2d(np.asarray(anno, dtype=np.float64))
        names = [os.path.basename(f) for f in files]
        absent = read_flags(seq / "absence.label", len(names))
        return make_track(seq.name, seq, names, boxes, absent)


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
        for seq in listed_sequences(list_file):
            img_dir = seq / "color" if (seq / "color").is_dir() else seq
            files, boxes = frames_and_boxes(img_dir, seq / "groundtruth.txt", int(origin),
                                             polygons=True)
            tracks.append(make_track(seq.name, img_dir, files, boxes))
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
            files, boxes = frames_and_boxes(seq / "img", seq / "groundtruth.txt", int(origin))
            absent = np.zeros(len(files), dtype=bool)
            for flag in ("full_occlusion.txt", "out_of_view.txt"):
                f = read_flags(seq / flag, len(files))
                if f is not None:
                    absent |= f
            tracks.append(make_track(name, seq / "img", files, boxes, absent))
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
        angle = wrap_angle(seq.rotated[j, 4] - seq.rotated[i, 4])
        return Pair(seq.frames[i], seq.boxes[i].copy(), seq.frames[j], seq.boxes[j].copy(),
                    angle, seq.rotated[j].copy())
