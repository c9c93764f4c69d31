"""Generated tracking sequences with exact ground truth: the project's embedded default data.

A textured, rectangular target moves over a textured, cluttered background with smooth
translation, in-plane rotation and scale change, under a panning camera. Look-alike distractors
(the target's texture with shifted colours) wander behind it, an occluder crosses it once,
illumination drifts and motion blur follows fast motion. Everything is drawn from one seed, so a
sequence is reproducible bit for bit.

Ground truth is exact because the target is a rectangle rendered by a known affine map: the
rotated box (``[cx, cy, w, h, angle]``), its polygon and its axis-aligned bounding box are all
derived from that map. Coordinates follow :mod:`tracker.boxes` (0-based, continuous).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tracker.boxes import polygon_to_xywh, rotated_to_polygon
from tracker.data.layouts import OTB_GROUNDTRUTH, eqtrack_to_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SequenceSpec:
    """What a generated sequence looks like. Speeds are per frame, angles in degrees."""

    num_frames: int = 100
    width: int = 480
    height: int = 360
    object_size: tuple[int, int] = (72, 52)   # target width, height at scale 1 (pixels)
    max_speed: float = 6.0                     # target speed (pixels / frame)
    rotation_speed: float = 1.5                # mean in-plane angular speed (degrees / frame)
    scale_range: float = 0.25                  # scale varies in [1/(1+r), 1+r]
    camera_speed: float = 1.0                  # background pan speed (pixels / frame)
    distractors: int = 2
    occlusion: bool = True
    illumination: float = 0.25                 # amplitude of the global gain change
    blur: bool = True
    noise: float = 3.0                         # std of sensor noise (grey levels)


@dataclass
class Sequence:
    """A generated sequence.

    frames: list of RGB uint8 ``[H, W, 3]``; boxes: ``[N, 4]`` xywh; rotated: ``[N, 5]``
    ``[cx, cy, w, h, angle_deg]``; polygons: ``[N, 8]``; visible: ``[N]`` visible fraction of the
    target in 0..1 (occlusion and image border); cut_by_image: ``[N]`` bool.
    """

    name: str
    frames: list
    boxes: np.ndarray
    rotated: np.ndarray
    polygons: np.ndarray
    visible: np.ndarray
    cut_by_image: np.ndarray


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    small = rng.random((max(2, h // cell + 2), max(2, w // cell + 2), 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _texture(rng: np.random.Generator, h: int, w: int, octaves=(64, 16, 4)) -> np.ndarray:
    """Coloured multi-octave value noise in 0..255, float32 ``[h, w, 3]``."""
    t = np.zeros((h, w, 3), np.float32)
    weight = 1.0
    for cell in octaves:
        t += weight * _smooth_noise(rng, h, w, cell)
        weight *= 0.5
    t = (t - t.min()) / (np.ptp(t) + 1e-6)
    base = rng.random(3) * 255
    return np.clip(base * 0.4 + t * 255 * 0.8 - 40, 0, 255).astype(np.float32)


def _clutter(rng: np.random.Generator, img: np.ndarray, count: int) -> None:
    h, w = img.shape[:2]
    for _ in range(count):
        color = tuple(float(c) for c in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.integers(6, max(8, min(h, w) // 6)))
        if kind == 0:
            cv2.ellipse(img, (cx, cy), (size, int(size * rng.uniform(0.3, 1))),
                        float(rng.uniform(0, 180)), 0, 360, color, -1, cv2.LINE_AA)
        elif kind == 1:
            pts = rng.integers(-size, size, (int(rng.integers(3, 6)), 2)) + [cx, cy]
            cv2.fillPoly(img, [pts.astype(np.int32)], color, cv2.LINE_AA)
        else:
            p2 = (cx + int(rng.integers(-3 * size, 3 * size)), cy + int(rng.integers(-size, size)))
            cv2.line(img, (cx, cy), p2, color, int(rng.integers(1, 5)), cv2.LINE_AA)


def _object_patch(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A distinctive, asymmetric textured card: coloured texture, stripes, a blob and a corner
    marker, so its orientation is observable."""
    patch = _texture(rng, h, w, octaves=(16, 6, 3))
    c1 = tuple(float(c) for c in rng.integers(0, 256, 3))
    c2 = tuple(float(c) for c in rng.integers(0, 256, 3))
    for i in range(int(rng.integers(2, 4))):
        y = int((i + 1) * h / 4)
        cv2.line(patch, (0, y), (w, y + int(rng.integers(-h // 4, h // 4))), c1, 3, cv2.LINE_AA)
    cv2.circle(patch, (int(w * 0.65), int(h * 0.55)), max(3, min(w, h) // 5), c2, -1, cv2.LINE_AA)
    tri = np.array([[0, 0], [w // 3, 0], [0, h // 2]], np.int32)
    cv2.fillPoly(patch, [tri], (255.0 - c2[0], 255.0 - c2[1], 255.0 - c2[2]), cv2.LINE_AA)
    cv2.rectangle(patch, (0, 0), (w - 1, h - 1), c1, 2)
    return patch


def _affine(center, angle_deg: float, scale: float, patch_w: int, patch_h: int) -> np.ndarray:
    """2x3 map from patch pixel-centre coordinates to frame pixel-centre coordinates."""
    t = np.deg2rad(angle_deg)
    c, s = np.cos(t) * scale, np.sin(t) * scale
    # screen-counter-clockwise rotation with y down, about the patch centre
    rot = np.array([[c, s], [-s, c]])
    pc = np.array([(patch_w - 1) / 2.0, (patch_h - 1) / 2.0])
    # frame pixel centres sit at integer + 0.5 in continuous coordinates
    fc = np.asarray(center, float) - 0.5
    return np.hstack([rot, (fc - rot @ pc)[:, None]])


def _render(frame: np.ndarray, patch: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Alpha-composite ``patch`` into ``frame`` (float32, in place); returns the coverage mask."""
    h, w = frame.shape[:2]
    warped = cv2.warpAffine(patch, m, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpAffine(np.ones(patch.shape[:2], np.float32), m, (w, h),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    frame *= 1.0 - mask[:, :, None]
    frame += warped * mask[:, :, None]
    return mask


class _Mover:
    """A point with smoothly varying velocity that bounces inside a rectangle."""

    def __init__(self, rng, lo, hi, speed: float) -> None:
        self.rng, self.lo, self.hi, self.speed = rng, np.asarray(lo, float), np.asarray(hi, float), speed
        self.pos = rng.uniform(self.lo, self.hi)
        a = rng.uniform(0, 2 * np.pi)
        self.vel = speed * rng.uniform(0.3, 1.0) * np.array([np.cos(a), np.sin(a)])

    def step(self) -> np.ndarray:
        self.vel += self.rng.normal(0, 0.25 * self.speed + 1e-6, 2)
        norm = np.linalg.norm(self.vel)
        if norm > self.speed:
            self.vel *= self.speed / norm
        self.pos = self.pos + self.vel
        for i in range(2):
            if self.pos[i] < self.lo[i] or self.pos[i] > self.hi[i]:
                self.vel[i] = -self.vel[i]
                self.pos[i] = np.clip(self.pos[i], self.lo[i], self.hi[i])
        return self.pos.copy()


def _motion_blur(img: np.ndarray, vel: np.ndarray) -> np.ndarray:
    length = int(round(float(np.linalg.norm(vel))))
    if length < 2:
        return img
    k = np.zeros((length, length), np.float32)
    d = vel / (np.linalg.norm(vel) + 1e-9)
    c = (length - 1) / 2.0
    for t in np.linspace(-c, c, 2 * length):
        x, y = int(round(c + t * d[0])), int(round(c + t * d[1]))
        k[min(max(y, 0), length - 1), min(max(x, 0), length - 1)] = 1.0
    return cv2.filter2D(img, -1, k / k.sum())


def check_spec(spec: SequenceSpec) -> None:
    """Raise ValueError naming the field when ``spec`` cannot be rendered, or not in bounded
    time: no frames or too many, an empty object, a frame too small to hold the target at its
    largest scale or too large, too many distractors, speeds, light changes or noise past any
    sensible scene."""
    if not 1 <= spec.num_frames <= 100_000:
        raise ValueError(f"num_frames must be 1..100000, got {spec.num_frames}")
    if max(spec.width, spec.height) > 4096:
        raise ValueError(f"width and height must be <= 4096, got {spec.width}x{spec.height}")
    if spec.illumination > 1 or spec.noise > 255:  # beyond: negative gains, overflowing pixels
        raise ValueError(f"illumination must be <= 1 and noise <= 255 grey levels, got "
                         f"{spec.illumination} and {spec.noise}")
    if spec.camera_speed > 64 or spec.max_speed > 256:
        raise ValueError(f"camera_speed must be <= 64 and max_speed <= 256 pixels a frame, got "
                         f"{spec.camera_speed} and {spec.max_speed}")
    if spec.distractors > 64:  # each is drawn on every frame: thousands would hang the run
        raise ValueError(f"distractors must be <= 64, got {spec.distractors}")
    if min(spec.object_size) < 1:
        raise ValueError(f"object_size must be at least 1x1, got {spec.object_size}")
    need = int(np.ceil(max(spec.object_size) * (1 + spec.scale_range))) + 1
    if min(spec.width, spec.height) < need:
        raise ValueError(f"a {spec.width}x{spec.height} frame cannot hold the target "
                         f"(object_size {spec.object_size}, scale_range {spec.scale_range}): "
                         f"width and height must be at least {need}")


def generate_sequence(spec: SequenceSpec = SequenceSpec(), seed: int = 0,
                      name: str | None = None) -> Sequence:
    """Render a sequence from ``spec`` and ``seed`` (same inputs, same pixels); ValueError for
    a spec :func:`check_spec` refuses."""
    check_spec(spec)
    rng = np.random.default_rng(seed)
    W, H, N = spec.width, spec.height, spec.num_frames
    ow, oh = spec.object_size
    # the camera pans (bouncing) inside this margin; capped, so a fast or long pan cannot ask
    # for a background of gigabytes (unchanged for every pan under 1,024 pixels)
    margin = min(int(spec.camera_speed * N), 1024) + 8
    background = _texture(rng, H + 2 * margin, W + 2 * margin)
    _clutter(rng, background, count=int(W * H / 2500))
    patch = _object_patch(rng, ow, oh)

    # distractors: the target's layout with rotated colour channels and a different gain
    distractors = []
    for i in range(spec.distractors):
        d_patch = np.roll(patch, shift=i + 1, axis=2) * rng.uniform(0.8, 1.1)
        distractors.append((np.clip(d_patch, 0, 255).astype(np.float32),
                            _Mover(rng, (0, 0), (W, H), spec.max_speed),
                            rng.uniform(0, 360), rng.uniform(-2, 2)))

    r = max(ow, oh) * (1 + spec.scale_range) / 2
    target = _Mover(rng, (r, r), (W - r, H - r), spec.max_speed)
    cam = _Mover(rng, (0, 0), (2 * margin, 2 * margin), spec.camera_speed)
    cam.pos = np.array([margin, margin], float)
    angle = rng.uniform(0, 360)
    spin = spec.rotation_speed * rng.choice([-1.0, 1.0])
    scale_phase, scale_period = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.5) * max(N, 100)
    light_phase = rng.uniform(0, 2 * np.pi)
    occ_start = int(rng.integers(N // 4, max(N // 4 + 1, N // 2))) if spec.occlusion else -1
    occ_len = max(8, N // 6)
    occ_width = int(max(ow, oh) * 0.45)
    occluder = _texture(rng, 2 * H, occ_width)

    # a left-to-right light gradient, fixed for the sequence; the global gain varies per frame
    ramp = np.linspace(1 - spec.illumination / 2, 1 + spec.illumination / 2, W, dtype=np.float32)
    frames, rotated, visible = [], [], []
    prev_center = target.pos.copy()
    for f in range(N):
        center = target.step() if f > 0 else target.pos.copy()
        cam_xy = cam.step() if f > 0 else cam.pos.copy()
        angle += spin + rng.normal(0, 0.3)
        scale = (1 + spec.scale_range) ** np.sin(2 * np.pi * f / scale_period + scale_phase)
        x0, y0 = int(round(cam_xy[0])), int(round(cam_xy[1]))
        frame = background[y0:y0 + H, x0:x0 + W].copy()

        for d_patch, mover, d_angle, d_spin in distractors:
            pos = mover.step()
            _render(frame, d_patch, _affine(pos, d_angle + d_spin * f, scale, ow, oh))
        mask = _render(frame, patch, _affine(center, angle, scale, ow, oh))
        full_area = ow * oh * scale * scale

        if spec.occlusion and occ_start <= f < occ_start + occ_len:
            # a vertical bar sweeping across the target's path, drawn in front of it
            t = (f - occ_start) / occ_len
            ox = int(center[0] - r + t * 2 * r - occ_width / 2)
            x1, x2 = max(ox, 0), min(ox + occ_width, W)
            if x2 > x1:
                frame[:, x1:x2] = occluder[:H, x1 - ox:x2 - ox]
                mask = mask.copy()
                mask[:, x1:x2] = 0

        gain = 1 + spec.illumination * np.sin(2 * np.pi * f / max(N, 100) * 1.5 + light_phase)
        frame *= gain * ramp[None, :, None]
        if spec.blur:
            frame = _motion_blur(frame, center - prev_center)
        if spec.noise > 0:
            frame += rng.normal(0, spec.noise, frame.shape).astype(np.float32)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))

        rotated.append([center[0], center[1], ow * scale, oh * scale, angle % 360.0])
        visible.append(float(np.clip(mask.sum() / full_area, 0, 1)))
        prev_center = center

    rotated = np.array(rotated)
    polygons = rotated_to_polygon(rotated)
    boxes = polygon_to_xywh(polygons)
    xs, ys = polygons[:, 0::2], polygons[:, 1::2]
    cut = (xs.min(1) < 0) | (ys.min(1) < 0) | (xs.max(1) > W) | (ys.max(1) > H)
    return Sequence(name or f"synthetic_{seed:04d}", frames, boxes, rotated, polygons,
                    np.array(visible), cut)


def _write_frames(frames, folder: Path, pattern: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames, start=1):
        path = folder / (pattern % i)
        if not cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f"cannot write frame '{path}'")


def _save_rows(path: Path, rows: np.ndarray, fmt: str = "%.3f") -> None:
    np.savetxt(path, np.atleast_2d(rows), fmt=fmt, delimiter=",")


def write_otb(seq: Sequence, root: str | Path) -> Path:
    """Write ``root/<name>/img/%04d.jpg``, ``groundtruth_rect.txt`` (x,y,w,h), and the extras
    ``groundtruth_poly.txt`` (8 values) and ``groundtruth_rotated.txt`` (cx,cy,w,h,angle).

    Like real OTB files, coordinates are 1-based (:func:`tracker.data.layouts.eqtrack_to_file`).
    """
    d = Path(root) / seq.name
    _write_frames(seq.frames, d / "img", "%04d.jpg")
    _save_rows(d / OTB_GROUNDTRUTH, eqtrack_to_file(seq.boxes))
    _save_rows(d / "groundtruth_poly.txt", eqtrack_to_file(seq.polygons))
    _save_rows(d / "groundtruth_rotated.txt", eqtrack_to_file(seq.rotated))
    return d


def write_got10k(seqs: list[Sequence], root: str | Path, subset: str = "val") -> Path:
    """Write GOT-10k layout: ``root/<subset>/list.txt`` and per sequence ``%08d.jpg``,
    ``groundtruth.txt``, ``meta_info.ini``, ``absence.label``, ``cover.label`` (0 = fully
    occluded .. 8 = fully visible) and ``cut_by_image.label``. Coordinates are 0-based."""
    base = Path(root) / subset
    base.mkdir(parents=True, exist_ok=True)
    for seq in seqs:
        d = base / seq.name
        _write_frames(seq.frames, d, "%08d.jpg")
        _save_rows(d / "groundtruth.txt", seq.boxes if subset != "test" else seq.boxes[:1])
        h, w = seq.frames[0].shape[:2]
        meta = ["[METAINFO]", "url: generated", "begin_time: 0", "end_time: 0",
                "object_class: card", "motion_class: synthetic", "major_class: object",
                "root_class: object", "motion_adverb: smoothly", f"resolution: ({w}, {h})"]
        (d / "meta_info.ini").write_text("\n".join(meta) + "\n")
        cover = np.where(seq.visible > 0, np.clip(np.ceil(seq.visible * 8), 1, 8), 0)
        np.savetxt(d / "cover.label", cover, fmt="%d")
        np.savetxt(d / "absence.label", (seq.visible <= 0).astype(int), fmt="%d")
        np.savetxt(d / "cut_by_image.label", seq.cut_by_image.astype(int), fmt="%d")
    (base / "list.txt").write_text("\n".join(s.name for s in seqs) + "\n")
    return base


def write_vot(seqs: list[Sequence], root: str | Path) -> Path:
    """Write VOT layout: ``root/list.txt`` and per sequence ``%08d.jpg`` plus
    ``groundtruth.txt`` with the rotated box as 8 values (x1,y1,...,x4,y4; 0-based) and an
    ``occlusion.tag`` per-frame attribute (target less than half visible)."""
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    for seq in seqs:
        d = base / seq.name
        _write_frames(seq.frames, d, "%08d.jpg")
        _save_rows(d / "groundtruth.txt", seq.polygons)
        np.savetxt(d / "occlusion.tag", (seq.visible < 0.5).astype(int), fmt="%d")
    (base / "list.txt").write_text("\n".join(s.name for s in seqs) + "\n")
    return base


def write_video(seq: Sequence, path: str | Path, fps: float = 25.0) -> Path:
    """Write the frames as a video (``.mp4`` with mp4v, or ``.avi`` with MJPG)."""
    from tracker.video import VideoWriter

    path = Path(path)
    with VideoWriter(path, fps, seq.frames[0].shape[1], seq.frames[0].shape[0]) as writer:
        for frame in seq.frames:
            writer.write(frame)
    return path
