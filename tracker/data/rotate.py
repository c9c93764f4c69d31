"""Rotated copies of tracking datasets (in the spirit of Rot-OTB100 from RE-SiamNets).

Every frame is rotated about its centre by that frame's angle (degrees, counter-clockwise as seen
on screen, the convention of :func:`tracker.boxes.rotated_to_polygon`) onto a canvas enlarged so
that nothing is cropped; the uncovered border is black. Ground truth goes through the same
affine map exactly: the four corners of each ``x,y,w,h`` box become a polygon.

Coordinates follow :mod:`tracker.boxes`: continuous, pixel column ``j`` spans ``[j, j+1)``. OpenCV
maps pixel *centres* (integer indices), so a continuous point ``p`` maps as
``q = M @ (p - 0.5, 1) + 0.5`` with ``M`` the matrix given to ``cv2.warpAffine``;
:func:`transform_points` is the one place that does this.

Angle schedules (one angle per frame, from a generator seeded by ``seed`` and the sequence name,
so a sequence gets the same angles whatever else is in the dataset):

* ``constant``: one angle drawn uniformly in ``[-max_deg, max_deg]`` for every frame;
* ``progressive``: linear from 0 at the first frame to ``+max_deg`` or ``-max_deg`` (the sign
  drawn per sequence) at the last, so every sequence sweeps the whole range;
* ``random-walk``: starts at 0, each frame adds a Gaussian step of standard deviation
  ``min(2, max_deg / 10)`` degrees, clipped to ``[-max_deg, max_deg]`` after every step;
* ``turn``: a constant turn, every frame ``rate`` degrees more than the last (the sign drawn per
  sequence), with no bound (the held-out rotated benchmark's schedule at 1.5 degrees a frame).

Output written per sequence: the rotated frames (JPEG, quality 95, same names; other formats get
a ``.jpg`` extension), the axis-aligned box of each rotated polygon in the input's rectangle file
(``groundtruth_rect.txt`` or ``groundtruth.txt``, ``x,y,w,h``), ``groundtruth_poly.txt``
(``x1,y1,...,x4,y4``), one line per ground-truth line, and ``angles.txt`` (degrees, one line per
frame). GOT-10k's ``.label`` files are copied unchanged and its ``meta_info.ini`` with the
``resolution`` set to the first rotated frame's size; an input's ``groundtruth_rotated.txt``
(``cx,cy,w,h,angle``) is carried over exactly (centre mapped, frame angle added); other files
(e.g. an input's own ``groundtruth_poly.txt``) are not. ``NaN`` boxes
stay ``NaN`` in all files; boxes with a non-positive width or height (an "absent" marker in some
datasets) are copied unchanged to the rectangle file and written as ``NaN`` polygons.
"""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tracker.boxes import polygon_to_xywh, xywh_to_xyxy
from tracker.data.layouts import OTB_GROUNDTRUTH, OTB_ORIGIN, otb_sequence_names, read_groundtruth
from tracker.errors import InputError
from tracker.video import IMAGE_EXTENSIONS, image_files

log = logging.getLogger(__name__)

MODES = ("constant", "progressive", "random-walk", "turn")
JPEG_QUALITY = 95
GOT10K_SUBSETS = ("train", "val", "test")
# ceil() of a size that is an integer up to rounding (e.g. at 90 degrees) must not add a pixel
_SIZE_EPS = 1e-6


# ----------------------------------------------------------------------------------------------
# geometry


def rotation_matrix(width: int, height: int, angle_deg: float) -> tuple[np.ndarray, int, int]:
    """Rotation of a ``width`` x ``height`` image about its centre onto an enlarged canvas.

    Returns ``(M, new_w, new_h)``: ``M`` float64 ``[2, 3]`` in OpenCV's pixel-index convention
    (ready for ``cv2.warpAffine``), and the canvas size in pixels, just large enough
    (``ceil``) for the rotated image corners. The image centre maps to the canvas centre.
    """
    t = np.deg2rad(float(angle_deg))
    c, s = np.cos(t), np.sin(t)
    # counter-clockwise on screen with y down (same as tracker.boxes.rotated_to_polygon)
    rot = np.array([[c, s], [-s, c]])
    new_w = max(1, int(np.ceil(abs(width * c) + abs(height * s) - _SIZE_EPS)))
    new_h = max(1, int(np.ceil(abs(width * s) + abs(height * c) - _SIZE_EPS)))
    # centres in pixel-index coordinates: continuous centre minus half a pixel
    src_c = np.array([width / 2.0, height / 2.0]) - 0.5
    dst_c = np.array([new_w / 2.0, new_h / 2.0]) - 0.5
    return np.hstack([rot, (dst_c - rot @ src_c)[:, None]]), new_w, new_h


def transform_points(points, m: np.ndarray) -> np.ndarray:
    """Map continuous points ``[..., 2]`` (x, y in pixels) through the pixel-index affine ``m``
    (``[2, 3]``, as for ``cv2.warpAffine``). Returns float64 ``[..., 2]``; NaN stays NaN."""
    p = np.asarray(points, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    # continuous -> pixel index (centres at integers), map, and back
    return (p - 0.5) @ m[:, :2].T + m[:, 2] + 0.5


def rotate_image(image: np.ndarray, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate ``image`` (``[H, W]`` or ``[H, W, C]``, any channel order) by ``angle_deg`` about
    its centre onto the enlarged canvas of :func:`rotation_matrix`, bilinear, black border.

    Returns ``(rotated [new_h, new_w(, C)], M [2, 3])``.
    """
    h, w = image.shape[:2]
    m, new_w, new_h = rotation_matrix(w, h, angle_deg)
    out = cv2.warpAffine(image, m, (new_w, new_h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out, m


def rotate_box(box_xywh, m: np.ndarray, origin: float = 0.0) -> np.ndarray:
    """Corners of ``x,y,w,h`` boxes (``[4]`` or ``[N, 4]``) mapped through ``m`` (``[2, 3]``).

    Returns polygons ``[8]`` or ``[N, 8]`` (``x1,y1,...,x4,y4``, starting at the box's top-left
    corner, clockwise on screen). ``origin`` is the coordinate of the first pixel's left edge in
    the box values: 0 for our convention and GOT-10k, 1 for 1-based files such as OTB's; the
    polygon is returned in the same convention. NaN boxes give NaN polygons.
    """
    x1, y1, x2, y2 = np.moveaxis(xywh_to_xyxy(box_xywh), -1, 0)
    corners = np.stack([np.stack([x1, y1], -1), np.stack([x2, y1], -1),
                        np.stack([x2, y2], -1), np.stack([x1, y2], -1)], axis=-2)
    mapped = transform_points(corners - origin, m) + origin
    return mapped.reshape(mapped.shape[:-2] + (8,))


# ----------------------------------------------------------------------------------------------
# angle schedules


def sequence_rng(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on ``seed`` and the sequence ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return np.random.default_rng([int(seed) & (2**64 - 1), int.from_bytes(digest[:8], "little")])


def angle_schedule(mode: str, num_frames: int, max_deg: float,
                   rng: np.random.Generator, rate: float = 1.5) -> np.ndarray:
    """Per-frame rotation angles in degrees, float64 ``[num_frames]`` (modes: module docstring;
    ``rate``: degrees per frame of ``turn``)."""
    if mode not in MODES:
        raise InputError(f"unknown rotation mode '{mode}' (use one of {', '.join(MODES)})")
    if not (np.isfinite(max_deg) and max_deg >= 0):
        raise InputError(f"--max-deg must be a non-negative number of degrees, got {max_deg}")
    if not (np.isfinite(rate) and 0 <= rate <= 90):
        raise InputError(f"--rate must be 0..90 degrees per frame, got {rate}")
    if num_frames <= 0:
        return np.zeros(0)
    if mode == "turn":
        return rate * rng.choice([-1.0, 1.0]) * np.arange(num_frames, dtype=np.float64)
    if mode == "constant":
        return np.full(num_frames, rng.uniform(-max_deg, max_deg))
    if mode == "progressive":
        end = max_deg * rng.choice([-1.0, 1.0])
        return np.linspace(0.0, end, num_frames) if num_frames > 1 else np.zeros(1)
    # random walk: clipping after every step makes the walk stick to a bound, not reflect
    steps = rng.normal(0.0, min(2.0, max_deg / 10.0), num_frames - 1)
    angles = np.zeros(num_frames)
    for i, step in enumerate(steps, start=1):
        angles[i] = np.clip(angles[i - 1] + step, -max_deg, max_deg)
    return angles


# ----------------------------------------------------------------------------------------------
# dataset layouts


@dataclass
class _Sequence:
    """One input sequence and where its rotated copy goes."""

    name: str
    src: Path
    dst: Path
    frames: list[Path]
    boxes: np.ndarray           # [M, 4] xywh as in the file; M == len(frames) except GOT test
    rect_name: str              # groundtruth_rect.txt (OTB) or groundtruth.txt (GOT-10k)
    frame_dir: str              # "img" (OTB) or "" (GOT-10k)
    copies: list[Path] = field(default_factory=list)
    meta: Path | None = None


@dataclass
class RotateSummary:
    """What :func:`make_rotated` wrote."""

    layout: str
    dst: Path
    sequences: int
    frames: int
    mode: str
    max_deg: float
    seed: int

    def line(self) -> str:
        return (f"wrote {self.sequences} sequences, {self.frames} frames ({self.layout} layout, "
                f"mode {self.mode}, max {self.max_deg:g} deg, seed {self.seed}) to {self.dst}")


def _output_name(path: Path) -> str:
    # JPEG bytes under a .png name would mislead every reader, so only JPEG names are kept
    return path.name if path.suffix.lower() in (".jpg", ".jpeg") else path.stem + ".jpg"


def _check_counts(seq: _Sequence, gt_path: Path, first_frame_only: bool = False) -> None:
    if not seq.frames:
        raise InputError(f"sequence '{seq.src}': no frames ({', '.join(IMAGE_EXTENSIONS)})")
    names = [_output_name(f) for f in seq.frames]
    if len(set(names)) != len(names):
        raise InputError(f"sequence '{seq.src}': two frames would be written under one .jpg name")
    if first_frame_only and len(seq.boxes) == 1:
        return
    if len(seq.boxes) != len(seq.frames):
        raise InputError(f"{gt_path}: {len(seq.boxes)} ground-truth lines but {len(seq.frames)} "
                         f"frames in '{seq.src / seq.frame_dir}'")


def _otb_sequences(src: Path, dst: Path) -> list[_Sequence]:
    names = otb_sequence_names(src)
    seqs = []
    for name in names:
        d = src / name
        if not (d / "img").is_dir():
            raise InputError(f"sequence '{d}': missing folder 'img'")
        gt_path = d / OTB_GROUNDTRUTH
        seq = _Sequence(name, d, dst / name, image_files(d / "img"), read_groundtruth(gt_path),
                        OTB_GROUNDTRUTH, "img")
        _check_counts(seq, gt_path)
        seqs.append(seq)
    return seqs


def _got10k_sequences(src: Path, dst: Path) -> list[_Sequence]:
    """Sequences named in ``src/list.txt`` (one GOT-10k subset folder)."""
    list_file = src / "list.txt"
    names = [n.strip() for n in list_file.read_text().splitlines() if n.strip()]
    if not names:
        raise InputError(f"'{list_file}' names no sequence")
    seqs = []
    for name in names:
        d = src / name
        if not d.is_dir():
            raise InputError(f"sequence '{name}' named in '{list_file}' not found: "
                             f"expected folder '{d}'")
        gt_path = d / "groundtruth.txt"
        meta = d / "meta_info.ini"
        seq = _Sequence(name, d, dst / name, image_files(d), read_groundtruth(gt_path),
                        "groundtruth.txt", "", sorted(d.glob("*.label")),
                        meta if meta.is_file() else None)
        # GOT-10k's test subset gives the first frame's box only
        _check_counts(seq, gt_path, first_frame_only=src.name == "test")
        seqs.append(seq)
    return seqs


def _find_layout(src: Path, dst: Path) -> tuple[str, list[tuple[Path, Path]], list[_Sequence]]:
    """Detect the layout of ``src`` and list its sequences (ground truth read and checked).

    Returns ``(layout, list_files, sequences)``: layout ``"OTB"`` or ``"GOT-10k"``; list_files
    pairs each GOT-10k ``list.txt`` with where its copy goes. Raises :class:`InputError` naming
    what was expected when ``src`` has neither layout.
    """
    if not src.is_dir():
        raise InputError(f"--src '{src}' not found (expected a dataset folder)")
    if (src / "list.txt").is_file():
        return "GOT-10k", [(src / "list.txt", dst / "list.txt")], _got10k_sequences(src, dst)
    subsets = [s for s in GOT10K_SUBSETS if (src / s / "list.txt").is_file()]
    if subsets:
        seqs, lists = [], []
        for s in subsets:
            lists.append((src / s / "list.txt", dst / s / "list.txt"))
            seqs += _got10k_sequences(src / s, dst / s)
        return "GOT-10k", lists, seqs
    seqs = _otb_sequences(src, dst)
    if not seqs:
        raise InputError(f"--src '{src}' has no known layout: expected '{src / 'list.txt'}' or "
                         f"'{src}/<train|val|test>/list.txt' (GOT-10k), or sequence folders "
                         "'<seq>/img/' with '<seq>/groundtruth_rect.txt' (OTB)")
    return "OTB", [], seqs


# ----------------------------------------------------------------------------------------------
# writing


def _format_rows(rows: np.ndarray) -> str:
    lines = [",".join(f"{v:.4f}" if np.isfinite(v) else "nan" for v in row)
             for row in np.atleast_2d(rows)]
    return "\n".join(lines) + "\n"


def _check_destination(src: Path, dst: Path, overwrite: bool) -> None:
    s, d = src.resolve(), dst.resolve()
    if d == s or s in d.parents:
        raise InputError(f"--dst '{dst}' must not be --src or lie inside it ('{src}')")
    if d in s.parents:
        raise InputError(f"--dst '{dst}' must not contain --src '{src}'")
    if dst.exists() and not dst.is_dir():
        raise InputError(f"--dst '{dst}' exists and is not a folder")
    if dst.is_dir() and any(dst.iterdir()) and not overwrite:
        raise InputError(f"--dst '{dst}' is not empty (pass --overwrite to write into it)")


def _rotate_ground_truth(boxes: np.ndarray, matrices: list[np.ndarray],
                         origin: float) -> tuple[np.ndarray, np.ndarray]:
    """``(rects [M, 4], polygons [M, 8])`` for boxes ``[M, 4]`` and one matrix per box."""
    polys = np.stack([rotate_box(b, m, origin) for b, m in zip(boxes, matrices)])
    rects = polygon_to_xywh(polys)
    absent = np.isfinite(boxes).all(1) & ((boxes[:, 2] <= 0) | (boxes[:, 3] <= 0))
    rects[absent] = boxes[absent]
    polys[absent] = np.nan
    return rects, polys


def _write_meta(src: Path, dst: Path, width: int, height: int) -> None:
    text = src.read_text()
    text = re.sub(r"^(\s*resolution\s*[:=]\s*).*$", rf"\g<1>({width}, {height})", text,
                  count=1, flags=re.MULTILINE)
    dst.write_text(text)


def _rotate_rotated_boxes(seq: _Sequence, matrices: list[np.ndarray], angles: np.ndarray,
                          origin: float) -> None:
    """Carry an input's ``groundtruth_rotated.txt`` (``cx,cy,w,h,angle``, e.g. from the
    synthetic writer) over exactly: centre through the map, frame angle added."""
    path = seq.src / "groundtruth_rotated.txt"
    if not path.is_file():
        return
    r = read_groundtruth(path, values=5)
    if len(r) != len(seq.frames):
        raise InputError(f"{path}: {len(r)} lines but {len(seq.frames)} frames")
    centres = np.stack([transform_points(c - origin, m) + origin
                        for c, m in zip(r[:, :2], matrices)])
    out = np.column_stack([centres, r[:, 2:4], r[:, 4] + angles[:len(r)]])
    (seq.dst / "groundtruth_rotated.txt").write_text(_format_rows(out))


def _rotate_sequence(seq: _Sequence, angles: np.ndarray, origin: float) -> None:
    if seq.dst.exists():
        shutil.rmtree(seq.dst)   # --overwrite: no stale frames from an earlier, longer run
    frame_dir = seq.dst / seq.frame_dir
    frame_dir.mkdir(parents=True)
    matrices, first_size = [], None
    for path, angle in zip(seq.frames, angles):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"frame '{path}' cannot be decoded")
        rotated, m = rotate_image(image, angle)
        matrices.append(m)
        first_size = first_size or (rotated.shape[1], rotated.shape[0])
        out = frame_dir / _output_name(path)
        if not cv2.imwrite(str(out), rotated, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
            raise OSError(f"cannot write frame '{out}'")
    rects, polys = _rotate_ground_truth(seq.boxes, matrices[:len(seq.boxes)], origin)
    (seq.dst / seq.rect_name).write_text(_format_rows(rects))
    (seq.dst / "groundtruth_poly.txt").write_text(_format_rows(polys))
    (seq.dst / "angles.txt").write_text("".join(f"{a:.4f}\n" for a in angles))
    _rotate_rotated_boxes(seq, matrices, angles, origin)
    for f in seq.copies:
        shutil.copyfile(f, seq.dst / f.name)
    if seq.meta is not None:
        _write_meta(seq.meta, seq.dst / seq.meta.name, *first_size)


def make_rotated(src: str | Path, dst: str | Path, mode: str = "progressive",
                 max_deg: float = 180.0, seed: int = 0, overwrite: bool = False,
                 origin: float | None = None, rate: float = 1.5) -> RotateSummary:
    """Write a rotated copy of the OTB- or GOT-10k-layout dataset ``src`` to ``dst``.

    ``mode``/``max_deg`` (degrees)/``seed``/``rate`` (degrees per frame, ``turn`` only) choose
    the angles (module docstring). ``origin`` is
    the coordinate of the first pixel's left edge in the ground-truth files: by default 1 for
    OTB layout (1-based, like real OTB and :func:`tracker.data.synthetic.write_otb`) and 0 for
    GOT-10k. Everything is checked (layout, ground truth, frame counts, ``dst``) before anything
    is written, except undecodable frames, found while writing (the error names the frame).
    With ``overwrite``, each sequence folder written replaces any folder of that name in ``dst``.
    GOT-10k's ``test`` subset may give the first frame's box only. Raises :class:`InputError`
    for bad input.
    """
    src, dst = Path(src), Path(dst)
    angle_schedule(mode, 0, max_deg, np.random.default_rng(0), rate)  # validates the schedule
    if not src.is_dir():
        raise InputError(f"--src '{src}' not found (expected a dataset folder)")
    _check_destination(src, dst, overwrite)
    layout, list_files, seqs = _find_layout(src, dst)
    if origin is None:
        origin = OTB_ORIGIN if layout == "OTB" else 0.0
    log.info("%s: %s layout, %d sequences; mode %s, max %g deg, seed %d, origin %g", src, layout,
             len(seqs), mode, max_deg, seed, origin)
    dst.mkdir(parents=True, exist_ok=True)
    frames = 0
    for seq in seqs:
        angles = angle_schedule(mode, len(seq.frames), max_deg, sequence_rng(seed, seq.name),
                                rate)
        _rotate_sequence(seq, angles, origin)
        frames += len(seq.frames)
        log.info("%s: %d frames, angle %.1f .. %.1f deg", seq.name, len(seq.frames),
                 angles.min(), angles.max())
    for list_src, list_dst in list_files:
        list_dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(list_src, list_dst)
    return RotateSummary(layout, dst, len(seqs), frames, mode, float(max_deg), int(seed))
