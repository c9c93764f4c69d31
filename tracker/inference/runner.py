"""Run a tracker over a frame source, writing boxes and an annotated video as it goes."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from tqdm import tqdm

from tracker.boxes import check_box_in_image
from tracker.errors import InputError
from tracker.video import FrameSource, VideoWriter, display_available, draw_box, draw_polygon

log = logging.getLogger(__name__)


@dataclass
class TrackResult:
    """boxes: ``[N, 4]`` xywh, one per input frame (a skipped frame repeats the last box);
    fps: tracker updates per second (init and I/O excluded); skipped: indices of undecodable
    frames."""

    boxes: np.ndarray
    fps: float
    skipped: list
    rotated: np.ndarray | None = None  # [N, 5] cx,cy,w,h,angle when the tracker estimates it


def _open_window() -> bool:
    if not display_available():
        log.warning("--show: no display ($DISPLAY unset); running headless")
        return False
    try:
        cv2.namedWindow("eqtrack", cv2.WINDOW_NORMAL)
        return True
    except cv2.error:
        log.warning("--show: this OpenCV build has no GUI support; running headless")
        return False


def check_outputs(source: FrameSource, outputs: dict[str, Optional[str | Path]]) -> None:
    """Refuse, before anything is written, outputs (``{option: path}``, None = not asked for)
    that would overwrite the input (the video, the folder or any of its frames, also through a
    link) or each other, and an output video with an unsupported extension."""
    inputs = {os.path.realpath(source.spec)}
    if source.live:  # a camera or remote stream has no file to protect, a file:// URL has
        from urllib.parse import unquote, urlparse

        url = urlparse(source.spec)
        inputs = {os.path.realpath(unquote(url.path))} if url.scheme == "file" else set()
    if source.files is not None:
        inputs |= {os.path.realpath(f) for f in source.files}
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if not path:
            continue
        real = os.path.realpath(path)
        if real in inputs:
            raise InputError(f"{option} '{path}' is the input ('{source.spec}'): it would be "
                             f"overwritten; write somewhere else")
        if os.path.isdir(real):
            raise InputError(f"{option} '{path}' is a folder; name a file")
        if real in seen:
            raise InputError(f"{option} '{path}' is also {seen[real]}: one file per output")
        seen[real] = option
    if outputs.get("--output"):
        VideoWriter.check_path(outputs["--output"])


def track_source(tracker, source: FrameSource, box, output: Optional[str | Path] = None,
                 boxes_path: Optional[str | Path] = None, show: bool = False,
                 progress: bool = True, rotated_path: Optional[str | Path] = None
                 ) -> TrackResult:
    """Track from ``box`` (xywh in the first frame) through ``source``.

    Boxes are appended to ``boxes_path`` (``x,y,w,h`` per line) and frames to ``output`` while
    tracking, so an interrupted run keeps everything done so far. A tracker that estimates the
    target's orientation (``estimates_angle``, e.g. with ``tracking.estimate_rotation``) also
    has its rotated box drawn and written to ``rotated_path`` (``cx,cy,w,h,angle`` per line,
    degrees counter-clockwise). Raises :class:`InputError` when the first frame is unreadable or
    ``box`` does not fit it.
    """
    boxes, skipped, times, rotated = [], [], [], []
    writer = None
    orient = getattr(tracker, "estimates_angle", False)
    if rotated_path and not orient:
        raise InputError("a rotated-box output needs a tracker that estimates the orientation "
                         "(--set tracking.estimate_rotation=true)")
    check_outputs(source, {"--output": output, "--boxes": boxes_path, "--rotated": rotated_path})
    # text outputs are opened only once the first frame and the box are known to be good, so a
    # bad run never empties an existing file
    box_file = rot_file = None
    window = _open_window() if show else False
    current = np.asarray(box, dtype=np.float64)
    try:
        for index, frame in tqdm(source, total=len(source) or None, disable=not progress,
                                 unit="frame",
                                 desc="tracking", leave=False):
            if index == 0:
                if frame is None:
                    raise InputError(f"first frame of '{source.spec}' cannot be decoded")
                h, w = frame.shape[:2]
                try:
                    check_box_in_image(current, w, h)
                except ValueError as e:
                    raise InputError(f"--box: {e}") from None
                tracker.init(frame, current)
                if output:
                    writer = VideoWriter(output, source.fps, w, h)
                box_file = open(boxes_path, "w") if boxes_path else None
                rot_file = open(rotated_path, "w") if rotated_path else None
            elif frame is None:
                skipped.append(index)
            else:
                start = time.perf_counter()
                current = np.asarray(tracker.update(frame), dtype=np.float64)
                times.append(time.perf_counter() - start)
            boxes.append(current.copy())
            if box_file:
                box_file.write(",".join(f"{v:.2f}" for v in current) + "\n")
                box_file.flush()
            if orient:
                rotated.append(tracker.rotated_box)
                if rot_file:
                    rot_file.write(",".join(f"{v:.2f}" for v in rotated[-1]) + "\n")
                    rot_file.flush()
            if frame is not None and (writer or window):
                canvas = draw_box(frame.copy(), current, (0, 255, 0), 2, f"#{index}")
                if orient:
                    draw_polygon(canvas, tracker.polygon)
                if writer:
                    writer.write(canvas)
                if window:
                    cv2.imshow("eqtrack", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
                    cv2.waitKey(1)
    finally:
        for f in (box_file, rot_file):
            if f:
                f.close()
        if writer:
            writer.close()
        if window:
            cv2.destroyAllWindows()
    if not boxes:
        raise InputError(f"'{source.spec}' yielded no frames")
    fps = len(times) / sum(times) if times and sum(times) > 0 else float("nan")
    return TrackResult(np.array(boxes), fps, skipped, np.array(rotated) if orient else None)
