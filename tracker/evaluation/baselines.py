"""OpenCV's classical trackers (CSRT, KCF, MIL) behind got10k's ``Tracker`` API, as baselines.

OpenCV 5.0 (opencv-contrib-python) exposes all three in the main namespace as
``cv2.TrackerCSRT.create()``, ``cv2.TrackerKCF.create()`` and ``cv2.TrackerMIL.create()`` (also
as ``cv2.TrackerX_create()``); ``cv2.legacy.TrackerX`` are the old-API copies, not used here.
Their ``init(image, rect)`` returns ``None`` and ``update(image)`` returns ``(ok, rect)``; both take
a BGR uint8 image and an *integer* ``(x, y, w, h)`` rect (floats are rejected).

Behaviour measured with OpenCV 5.0.0 and handled here:

* CSRT rejects boxes with a side below ~4 px or a very thin box (an assertion in ``resize`` /
  ``Mat::operator()``), MIL loops forever on boxes of 4x4 px or less and on 1-px-wide boxes, and
  MIL asserts when the box leaves no room for its positive/negative samples (a box covering the
  whole image width or height). ``init`` therefore clips the box into the image, enforces a
  per-tracker minimum side (:data:`MIN_SIDE`) and, if OpenCV still raises, retries with the box
  shrunk about its centre to fit in a fraction of the image (a warning is logged).
* KCF reports a lost target (``ok == False``, rect ``(0, 0, 0, 0)``); every wrapper then keeps the
  previous box (see :meth:`OpenCVTracker.update`).
* CSRT and KCF give identical boxes on repeated runs; MIL does not (it draws random samples, and
  ``cv2.setRNGSeed`` does not make it repeatable), so only MIL has ``is_deterministic = False``.
"""
from __future__ import annotations

import logging
from typing import Callable

import cv2
import numpy as np
from got10k.trackers import Tracker

from backbones.registry import Registry
from tracker.crops import as_rgb_array
from tracker.errors import ConfigError, InputError

log = logging.getLogger(__name__)

# smallest box side (pixels) each OpenCV tracker is given at init; measured with OpenCV 5.0.0:
# CSRT asserts below ~4 px, MIL hangs at 4x4 px and below, KCF accepts 1 px
MIN_SIDE: dict[str, int] = {"csrt": 4, "kcf": 1, "mil": 5}
# whether repeated runs give identical boxes (measured on a generated sequence)
DETERMINISTIC: dict[str, bool] = {"csrt": True, "kcf": True, "mil": False}
# fractions of the image size the init box is shrunk to when OpenCV rejects it
_FALLBACK_FRACTIONS = (0.9, 0.75, 0.5)


def _factory(kind: str) -> Callable[[], object]:
    """The OpenCV constructor for ``kind`` ('csrt', 'kcf' or 'mil')."""
    cls_name = "Tracker" + kind.upper()
    cls = getattr(cv2, cls_name, None)
    if cls is not None and hasattr(cls, "create"):
        return cls.create
    fn = getattr(cv2, cls_name + "_create", None)
    if fn is not None:
        return fn
    raise ConfigError(f"this OpenCV ({cv2.__version__}) has no {cls_name}; "
                      "install opencv-contrib-python(-headless)")


def to_bgr(image) -> np.ndarray:
    """PIL image or RGB numpy array ``[H, W, 3]`` (or gray ``[H, W]``) -> contiguous BGR uint8
    ``[H, W, 3]``, the layout OpenCV trackers expect."""
    return cv2.cvtColor(as_rgb_array(image), cv2.COLOR_RGB2BGR)


def integer_box(box, width: int, height: int, min_side: int = 1) -> tuple[int, int, int, int]:
    """Round a float ``[x, y, w, h]`` box to the integer ``(x, y, w, h)`` rect OpenCV wants, clipped
    into a ``width`` x ``height`` image and with both sides at least ``min_side`` pixels.

    Corners are rounded (not the size), so the rect covers the pixels the box covers best. A box
    entirely outside the image ends at the nearest border. ``min_side`` is capped by the image size.
    Raises :class:`InputError` for a box that is not 4 finite numbers.
    """
    b = np.asarray(box, dtype=np.float64).reshape(-1)
    if b.shape != (4,) or not np.all(np.isfinite(b)):
        raise InputError(f"expected a finite box [x, y, w, h], got {box!r}")
    x1, y1 = int(round(b[0])), int(round(b[1]))
    x2, y2 = int(round(b[0] + max(b[2], 0.0))), int(round(b[1] + max(b[3], 0.0)))
    return _clip_rect(x1, y1, x2, y2, width, height, min_side)


def _clip_span(lo: int, hi: int, size: int, min_side: int) -> tuple[int, int]:
    """Clip ``[lo, hi)`` into ``[0, size)``, grow it to ``min(min_side, size)`` keeping its centre
    where possible; returns ``(start, length)``."""
    lo, hi = min(max(lo, 0), size), min(max(hi, 0), size)
    need = max(1, min(min_side, size))
    if hi - lo < need:
        c = (lo + hi) / 2.0
        lo = int(np.clip(round(c - need / 2.0), 0, size - need))
        hi = lo + need
    return lo, hi - lo


def _clip_rect(x1: int, y1: int, x2: int, y2: int, width: int, height: int,
               min_side: int) -> tuple[int, int, int, int]:
    x, w = _clip_span(x1, x2, width, min_side)
    y, h = _clip_span(y1, y2, height, min_side)
    return x, y, w, h


def _shrink_into(rect: tuple[int, int, int, int], width: int, height: int, fraction: float,
                 min_side: int) -> tuple[int, int, int, int]:
    """``rect`` shrunk about its centre so each side is at most ``fraction`` of the image side."""
    x, y, w, h = rect
    cx, cy = x + w / 2.0, y + h / 2.0
    w2, h2 = min(w, max(1, int(fraction * width))), min(h, max(1, int(fraction * height)))
    x1, y1 = int(round(cx - w2 / 2.0)), int(round(cy - h2 / 2.0))
    return _clip_rect(x1, y1, x1 + w2, y1 + h2, width, height, min_side)


class OpenCVTracker(Tracker):
    """One of OpenCV's CSRT, KCF or MIL trackers with got10k's ``Tracker`` API.

    ``init(image, box)`` and ``update(image)`` take a PIL image (got10k passes RGB PIL images) or an
    RGB uint8 numpy array ``[H, W, 3]`` (gray ``[H, W]`` is accepted); it is converted to BGR for
    OpenCV. Boxes are ``[x, y, w, h]`` in pixels (top-left corner and size, continuous coordinates
    as in :mod:`tracker.boxes`); ``update`` returns float64 ``[4]``. OpenCV works on integer rects:
    the init box is rounded, clipped into the image and given at least :data:`MIN_SIDE` pixels a
    side (see :func:`integer_box`), so the returned boxes are whole numbers.

    When OpenCV reports the target lost (``ok == False``) ``update`` returns the previous box
    unchanged and sets :attr:`lost` to True; :attr:`lost_frames` counts such frames since ``init``.

    ``kind`` is 'csrt', 'kcf' or 'mil'. ``factory`` replaces OpenCV's default constructor, e.g.
    ``lambda: cv2.TrackerCSRT.create(params)`` for custom parameters; it must return an object
    with OpenCV's ``init(bgr, rect)`` / ``update(bgr) -> (ok, rect)`` methods.
    """

    def __init__(self, kind: str, factory: Callable[[], object] | None = None) -> None:
        kind = kind.lower()
        if kind not in MIN_SIDE:
            raise ConfigError(f"unknown OpenCV tracker {kind!r}; known: {sorted(MIN_SIDE)}")
        super().__init__(name=f"opencv-{kind}", is_deterministic=DETERMINISTIC[kind])
        self.kind = kind
        self._create = factory if factory is not None else _factory(kind)
        self._tracker = None
        self.box = np.zeros(4)
        self.lost = False
        self.lost_frames = 0

    def init(self, image, box) -> None:
        img = to_bgr(image)
        h_img, w_img = img.shape[:2]
        rect = integer_box(box, w_img, h_img, MIN_SIDE[self.kind])
        self._tracker, rect = self._init_opencv(img, rect)
        self.box = np.asarray(rect, dtype=np.float64)
        self.lost = False
        self.lost_frames = 0

    def _init_opencv(self, img: np.ndarray, rect: tuple[int, int, int, int]):
        """Create and initialise an OpenCV tracker, shrinking ``rect`` if OpenCV rejects it."""
        h_img, w_img = img.shape[:2]
        candidates = [rect] + [_shrink_into(rect, w_img, h_img, f, MIN_SIDE[self.kind])
                               for f in _FALLBACK_FRACTIONS]
        # below the minimum side OpenCV may assert or (MIL) never return: only in tiny images
        candidates = [c for c in candidates if min(c[2], c[3]) >= MIN_SIDE[self.kind]]
        if not candidates:
            raise InputError(f"{self.name} needs a box of at least {MIN_SIDE[self.kind]} px a "
                             f"side; the image is {w_img}x{h_img}")
        error = None
        for cand in dict.fromkeys(candidates):  # unique, in order
            tracker = self._create()
            try:
                tracker.init(img, cand)
            except cv2.error as e:
                error = e
                continue
            if cand != rect:
                log.warning("%s rejected init box %s in a %dx%d image; using %s instead",
                            self.name, rect, w_img, h_img, cand)
            return tracker, cand
        msg = str(error).strip().splitlines()[0] if error else "unknown error"
        raise InputError(f"{self.name} cannot start on box {rect} in a {w_img}x{h_img} image: "
                         f"{msg}")

    def update(self, image) -> np.ndarray:
        if self._tracker is None:
            raise RuntimeError(f"{self.name}: call init() before update()")
        ok, rect = self._tracker.update(to_bgr(image))
        rect = np.asarray(rect, dtype=np.float64)
        self.lost = not ok or not np.all(np.isfinite(rect)) or rect[2] <= 0 or rect[3] <= 0
        if self.lost:
            self.lost_frames += 1
        else:
            self.box = rect
        return self.box.copy()


def _csrt() -> OpenCVTracker:
    return OpenCVTracker("csrt")


def _kcf() -> OpenCVTracker:
    return OpenCVTracker("kcf")


def _mil() -> OpenCVTracker:
    return OpenCVTracker("mil")


# got10k tracker name -> constructor
BASELINES = Registry("baseline tracker", {
    "opencv-csrt": _csrt,
    "opencv-kcf": _kcf,
    "opencv-mil": _mil,
}, error=ConfigError)


def build_baseline(name: str) -> OpenCVTracker:
    """A fresh baseline tracker by name ('opencv-csrt', 'opencv-kcf', 'opencv-mil').

    Raises :class:`ConfigError` naming the known baselines for an unknown name."""
    return BASELINES.build(name)
