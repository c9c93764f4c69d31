"""Dataset layouts on disk, read (and the OTB layout written) in one place.

Every reader returns 0-based continuous ``[x, y, w, h]`` boxes (:mod:`tracker.boxes`); the
file origin of each layout is decided here once: OTB-layout ground truth (OTB, UAV123, DTB70,
LaSOT, NfS, TColor) is 1-based, GOT-10k and VOT 0-based, PASCAL VOC corners 1-based inclusive,
COCO and ``boxes.json`` 0-based.
"""
from __future__ import annotations

import json
import logging
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from tracker.boxes import polygon_to_xywh
from tracker.errors import InputError
from tracker.video import image_files

log = logging.getLogger(__name__)


def image_names(folder: Path) -> list[str]:
    """File names of the frames in ``folder``, in frame order (:func:`tracker.video.image_files`)."""
    return [p.name for p in image_files(folder)]


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
OTB_GROUNDTRUTH = "groundtruth_rect.txt"


def is_otb_sequence(folder: Path) -> bool:
    """Whether ``folder`` is an OTB-layout sequence (``img/`` or ``groundtruth_rect.txt``)."""
    return (folder / "img").is_dir() or (folder / OTB_GROUNDTRUTH).exists()


def otb_sequence_names(root: Path) -> list[str]:
    """Sorted names of the OTB-layout sequences in ``root``."""
    return sorted(d.name for d in root.iterdir() if d.is_dir() and is_otb_sequence(d))


def file_to_eqtrack(boxes, origin: float = OTB_ORIGIN) -> np.ndarray:
    """Boxes ``[..., 4]`` xywh (polygons ``[..., 8]``, rotated boxes ``[..., 5]`` cx, cy, w, h,
    angle) of a file counting pixels from ``origin``, in eqtrack's 0-based coordinates (a
    copy)."""
    return _shift(boxes, -origin)


def eqtrack_to_file(boxes, origin: float = OTB_ORIGIN) -> np.ndarray:
    """Inverse of :func:`file_to_eqtrack`."""
    return _shift(boxes, origin)


def _shift(boxes, d: float) -> np.ndarray:
    b = np.array(boxes, dtype=np.float64)
    if b.shape[-1] in (4, 5):
        b[..., :2] += d
    elif b.shape[-1] == 8:
        b += d
    else:
        raise ValueError(f"expected boxes [..., 4], rotated boxes [..., 5] or polygons [..., 8], "
                         f"got {b.shape}")
    return b


class FolderDataset:
    """OTB-layout sequences in ``root``: ``<seq>/img/*.jpg`` and ``<seq>/groundtruth_rect.txt``.

    Indexing returns ``(img_files, anno)`` like got10k datasets (``anno`` float ``[N, 4]`` xywh,
    as written in the file). The frame count must equal the number of ground-truth lines.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"dataset folder '{root}' not found")
        self.seq_names = otb_sequence_names(self.root)
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
        gt = seq / OTB_GROUNDTRUTH
        anno = read_groundtruth(gt)
        if len(files) != len(anno):
            raise InputError(f"{gt}: {len(anno)} ground-truth lines but {len(files)} frames in "
                             f"'{img_dir}'")
        return files, anno

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def _valid_boxes(boxes: np.ndarray) -> np.ndarray:
    """``[N]`` bool: finite boxes with positive width and height."""
    return np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)


@dataclass(frozen=True)
class Track:
    """One annotated sequence: frame files in ``folder``, boxes float64 ``[N, 4]`` (0-based
    xywh) and the sorted indices of usable frames."""

    name: str
    folder: str
    files: tuple[str, ...]
    boxes: np.ndarray
    usable: np.ndarray


def make_track(name: str, folder: Path, files: list[str], boxes: np.ndarray,
                absent: Optional[np.ndarray] = None) -> Track:
    ok = _valid_boxes(boxes)
    if absent is not None:
        ok &= ~absent
    return Track(name, str(folder), tuple(files), boxes, np.flatnonzero(ok))


def frames_and_boxes(img_dir: Path, gt: Path, origin: int, polygons: bool = False
                      ) -> tuple[list, np.ndarray]:
    """Frame files of ``img_dir`` and the 0-based boxes of ``gt``, one per frame.

    ``polygons``: ``gt`` may hold 8-value polygons (VOT) instead of boxes; they become
    axis-aligned boxes of the same area (:func:`tracker.boxes.polygon_to_xywh`)."""
    files = image_names(img_dir)
    boxes = read_groundtruth(gt, _values_per_line(gt) if polygons else 4)
    if boxes.shape[1] == 8:
        boxes = polygon_to_xywh(boxes, keep_area=True)
    if len(files) != len(boxes):
        raise InputError(f"{gt}: {len(boxes)} ground-truth lines but {len(files)} frames in "
                         f"'{img_dir}'")
    return files, file_to_eqtrack(boxes, origin)


def otb_track(seq: Path, origin: int) -> Track:
    img_dir = seq / "img"
    if not img_dir.is_dir():
        raise InputError(f"sequence '{seq}': missing folder 'img'")
    files, boxes = frames_and_boxes(img_dir, seq / OTB_GROUNDTRUTH, origin)
    return make_track(seq.name, img_dir, files, boxes)


def read_flags(path: Path, count: int) -> Optional[np.ndarray]:
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


def got_track(seq: Path, origin: int) -> Track:
    files, boxes = frames_and_boxes(seq, seq / "groundtruth.txt", origin)
    absent = read_flags(seq / "absence.label", len(files))
    return make_track(seq.name, seq, files, boxes, absent)


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


def listed_sequences(list_file: Path) -> list[Path]:
    """The sequence folders a ``list.txt`` names (GOT-10k and VOT layouts), each checked."""
    names = [n.strip() for n in list_file.read_text().splitlines() if n.strip()]
    for name in names:
        if not (list_file.parent / name).is_dir():
            raise InputError(f"{list_file} names sequence '{name}' but folder "
                             f"'{list_file.parent / name}' is missing")
    return [list_file.parent / n for n in names]


def find_sequences(root: Path) -> list[tuple[str, Path]]:
    """``[(layout, folder)]`` with layout ``'otb'`` or ``'got'``; see :class:`FolderSource`."""
    list_file = root / "list.txt"
    if list_file.is_file():
        found = [("got", seq) for seq in listed_sequences(list_file)]
    else:
        found = []
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            if is_otb_sequence(d):
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


def _read_boxes_json(path: Path, data: dict) -> list[tuple[str, np.ndarray]]:
    """``{stem: [[x, y, w, h, class], ...]}`` with images in ``<dir>/images/<stem>.<ext>``."""
    img_dir = path.parent / "images"
    if not img_dir.is_dir():
        raise InputError(f"{path}: image folder '{img_dir}' not found")
    by_stem = {os.path.splitext(f)[0]: f for f in image_names(img_dir)}
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
