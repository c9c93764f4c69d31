"""Reading frames from videos, frame folders or globs, and writing annotated videos.

Frames come out as RGB uint8 ``[H, W, 3]`` arrays. A frame that cannot be decoded in the middle
of an input is reported as ``None`` (with a warning) so callers can keep their state and carry on.
"""
from __future__ import annotations

import glob
import logging
import os
import re
from pathlib import Path
from typing import Iterator, Optional

import cv2
import numpy as np

from tracker.errors import InputError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def is_image_file(path) -> bool:
    """Whether ``path`` names an image by its extension (:data:`IMAGE_EXTENSIONS`, any case):
    the one test every frame folder, dataset layout and photo folder uses."""
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def display_available() -> bool:
    """Whether a window could open: a display to draw on (``$DISPLAY`` outside Windows). A GUI
    build of OpenCV is the other half, which only trying tells."""
    return bool(os.environ.get("DISPLAY")) or os.name == "nt"


def image_files(folder) -> list[Path]:
    """The image files directly in ``folder``, sorted by name (frame order)."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and is_image_file(p.name))
_FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".avi": "MJPG", ".mkv": "MJPG", ".mov": "mp4v"}


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_stream_url(spec: str) -> bool:
    """Whether ``spec`` is a URL (``rtsp://``, ``http://``, ``file://`` ...) OpenCV opens as a
    live stream."""
    return bool(_URL.match(str(spec)))


class FrameSource:
    """Frames of ``spec``: a video file, a folder of images, a glob pattern of images, a stream
    URL (``rtsp://``, ``http(s)://``, ``file://``...), or with ``camera=N`` the camera device N.

    Iterating yields ``(index, frame)`` with ``frame`` RGB uint8 ``[H,W,3]`` or ``None`` for a
    frame that could not be decoded. ``len()`` is the number of frames (a video's header count,
    which some containers only estimate; 0 for live input, whose end is unknown: it ends when
    the stream does, or at Ctrl-C); ``fps`` is the video's rate, or 25 for image inputs.
    Raises :class:`InputError` at construction for a missing or unusable input (a busy or
    missing camera, an unreachable stream).
    """

    live = False

    def __init__(self, spec: str | Path | None = None, camera: Optional[int] = None) -> None:
        self.files: Optional[list[str]] = None
        self.fps = 25.0
        if camera is not None:
            self._open_live(int(camera), f"camera {int(camera)}")
            return
        spec = str(spec)
        self.spec = spec
        if is_stream_url(spec):
            self._open_live(spec, spec)
            return
        if any(ch in spec for ch in "*?["):
            self.files = sorted(f for f in glob.glob(spec) if is_image_file(f))
            if not self.files:
                raise InputError(f"no image files match '{spec}'")
        elif os.path.isdir(spec):
            self.files = [str(p) for p in image_files(spec)]
            if not self.files:
                raise InputError(f"folder '{spec}' holds no image files "
                                 f"({', '.join(IMAGE_EXTENSIONS)})")
        elif not os.path.exists(spec):
            raise InputError(f"input '{spec}' does not exist")
        elif not os.access(spec, os.R_OK):
            raise InputError(f"input '{spec}' is not readable")
        else:
            cap = cv2.VideoCapture(spec)
            ok = cap.isOpened()
            self.count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if ok else 0
            fps = cap.get(cv2.CAP_PROP_FPS) if ok else 0
            cap.release()
            if not ok or self.count <= 0:
                raise InputError(f"cannot open video '{spec}' (not a video, or a codec OpenCV "
                                 "lacks)")
            self.fps = fps if fps and np.isfinite(fps) and fps > 0 else 25.0
        if self.files is not None:
            self.count = len(self.files)

    def _open_live(self, target, label: str) -> None:
        self.spec, self.live, self.count = label, True, 0
        quiet = getattr(getattr(cv2, "utils", None), "logging", None)
        level = quiet.getLogLevel() if quiet else None
        if quiet:  # OpenCV's own multi-line warnings about a missing device: ours says it once
            quiet.setLogLevel(quiet.LOG_LEVEL_ERROR)
        # ffmpeg prints its own connection errors unless told not to (read at its first use)
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        try:
            self._cap = cv2.VideoCapture(target)
        finally:
            if quiet:
                quiet.setLogLevel(level)
        if not self._cap.isOpened():
            self._cap.release()
            what = "is busy or missing" if isinstance(target, int) else "cannot be opened"
            raise InputError(f"{label} {what} (OpenCV could not start it)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and np.isfinite(fps) and 0 < fps <= 1000 else 25.0

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[int, Optional[np.ndarray]]]:
        if self.live:
            # one pass over the device opened at construction: cameras and streams cannot
            # be rewound; a read that fails ends the stream
            cap, i = self._cap, 0
            try:
                while True:
                    ok, frame = cap.read()
                    if not ok or frame is None:
                        return
                    yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                    i += 1
            finally:
                cap.release()
        if self.files is not None:
            first, warned = None, False
            for i, path in enumerate(self.files):
                img = read_image(path)
                if img is not None:
                    first = img.shape[:2] if first is None else first
                    if img.shape[:2] != first and not warned:
                        # a tracker's box lives in pixels of one frame size: say so once
                        log.warning("%s: %dx%d, but the frames before it are %dx%d; a folder "
                                    "of mixed frame sizes tracks in each frame's own pixels",
                                    path, img.shape[1], img.shape[0], first[1], first[0])
                        warned = True
                yield i, img
            return
        cap = cv2.VideoCapture(self.spec)
        try:
            i, failures = 0, 0
            while True:
                ok, frame = cap.read()
                if ok and frame is not None:
                    failures = 0
                    yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                elif i < self.count - 1 and failures < 10:
                    # a damaged frame inside the stream: report it and try the next one
                    failures += 1
                    log.warning("%s: frame %d cannot be decoded; skipped", self.spec, i)
                    yield i, None
                else:
                    return
                i += 1
        finally:
            cap.release()


def read_image(path: str | Path) -> Optional[np.ndarray]:
    """RGB uint8 image at ``path``, or ``None`` (with a warning) if it cannot be decoded."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        log.warning("frame '%s' cannot be decoded; skipped", path)
        return None
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class VideoWriter:
    """Write RGB frames to ``path``; the codec follows the extension (mp4v for .mp4, MJPG for
    .avi). A context manager; raises :class:`InputError` if OpenCV cannot open the file."""

    @staticmethod
    def check_path(path: str | Path) -> None:
        """Raise :class:`InputError` unless ``path``'s extension names a codec we write."""
        ext = Path(path).suffix.lower()
        if ext not in _FOURCC:
            raise InputError(f"output video '{path}': unsupported extension '{ext}' "
                             f"(use one of {', '.join(sorted(_FOURCC))})")

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        path = Path(path)
        ext = path.suffix.lower()
        self.check_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.size = (int(width), int(height))
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*_FOURCC[ext]),
                                       float(fps), self.size)
        if not self._writer.isOpened():
            raise InputError(f"cannot open '{path}' for writing a video")

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        self._writer.release()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def draw_box(frame: np.ndarray, box, color=(0, 255, 0), thickness: int = 2,
             label: str | None = None) -> np.ndarray:
    """Draw an xywh box (and an optional label) on an RGB frame in place; returns the frame."""
    x, y, w, h = (float(v) for v in box)
    p1 = (int(round(x)), int(round(y)))
    p2 = (int(round(x + w)) - 1, int(round(y + h)) - 1)
    cv2.rectangle(frame, p1, p2, color, thickness, cv2.LINE_AA)
    if label:
        cv2.putText(frame, label, (p1[0], max(12, p1[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    color, 1, cv2.LINE_AA)
    return frame


def draw_polygon(frame: np.ndarray, polygon, color=(255, 160, 0), thickness: int = 2
                 ) -> np.ndarray:
    """Draw a closed polygon (8 values ``x1, y1, ..., x4, y4``, continuous pixel coordinates) on
    an RGB frame in place; returns the frame."""
    pts = np.round(np.asarray(polygon, dtype=np.float64).reshape(-1, 2) - 0.5).astype(np.int32)
    cv2.polylines(frame, [pts], True, color, thickness, cv2.LINE_AA)
    return frame
