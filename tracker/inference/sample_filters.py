"""One-dimensional correlation filters over samples of the target (DSST's scale filter,
Danelljan et al., BMVC 2014, and the same filter over angles), on the hand-crafted cell
features of :mod:`tracker.inference.handcrafted`.

The Siamese template is the first frame's, and a scale pyramid compares every scale with it, so
appearance change biases the scale choice (README "Tune", searches 6 and 7: the pyramid leans
towards growing). A sample filter is learnt online instead: each frame it sees the target cut
at ``num`` values of one parameter around the current one (sizes ``step ** k`` times it for
:class:`ScaleFilter`, angles ``step * k`` degrees from it for :class:`TurnFilter`, k = -(num
// 2) .. num // 2), each resized to one ``cells * 4``-pixel square and described by its cell
features, and it is refit to answer a Gaussian over k peaked at the current value. The peak of
its response on the next frame's samples is the change. It needs no pass of the backbone.
"""
from __future__ import annotations

import numpy as np
from scipy import fft

from tracker.crops import area_square, crop_rects
from tracker.inference.handcrafted import window_features

CELL = 4  # pixels per cell of the samples (DSST's HOG cell)


class SampleFilter:
    """The filter over ``num`` samples of one target; subclasses say how they are cut.

    ``num`` (odd): samples a frame; ``step`` (> 0): the parameter's spacing between
    neighbouring samples; ``cells``: each sample is ``cells x cells`` cells of ``CELL`` pixels;
    ``sigma``: the label's width in samples, as a factor of ``sqrt(num)`` (DSST's 1/4); ``lam``:
    the ridge term relative to the mean feature energy per frequency.

    ``fit(x, rate)`` blends the filter towards the one that maps the samples ``x`` ``[num, D]``
    to the label (the first call sets it); ``response(x)`` is ``[num]``; ``offset(x)`` is the
    response peak's sample index relative to the middle one, refined to a fraction of a step by
    a parabola through the peak and its neighbours (0.0: no change). ``anchor`` in [0, 1): the
    weight of the first call's filter, kept as it was, in the response: the online filter
    follows the target's look and so drifts with its own errors; the first frame's filter
    cannot drift, and pulls the estimate back while the target still looks as it did.

    ``periodic``: the samples close a circle (sample ``num`` would be sample 0 again, as
    ``num`` turns ``360 / num`` degrees apart do), so a change of the parameter by one step is
    exactly a cyclic shift of the samples, which is what the filter's FFT assumes; ``num`` may
    then be even, the label is a Gaussian of the cyclic distance and no Hann weight over k is
    needed. Without it the samples are a segment, weighted by a Hann window over k against the
    FFT's wrap-around, and that weight pulls every peak towards the middle sample: each
    estimate falls short of the change. ``reach`` > 0: ``offset`` looks for the peak only
    within ``reach`` samples of the middle (a motion constraint; 0: all samples).
    ``antialias``: the samples are cut with :func:`tracker.crops.crop_rects`' ``antialias``.
    """

    def __init__(self, num: int, step: float, cells: int, sigma: float, lam: float,
                 anchor: float = 0.0, periodic: bool = False, reach: float = 0.0,
                 antialias: bool = False) -> None:
        for bad, what in ((num < 3, f"num must be >= 3, got {num}"),
                          (num % 2 == 0 and not periodic,
                           f"num must be odd unless the samples are periodic, got {num}"),
                          (step <= 0, f"step must be > 0, got {step}"),
                          (cells < 2, f"cells must be >= 2, got {cells}"),
                          (sigma <= 0 or lam <= 0,
                           f"sigma and lam must be > 0, got {sigma}, {lam}"),
                          (reach < 0, f"reach must be >= 0, got {reach}")):
            if bad:
                raise ValueError(f"sample filter: {what}")
        self.num, self.step, self.cells, self.lam = num, float(step), cells, float(lam)
        self.periodic = bool(periodic)
        self.exponents = np.arange(num) - num // 2
        width = sigma * np.sqrt(num)
        dist = self.exponents
        if self.periodic:
            dist = np.minimum(np.abs(dist), num - np.abs(dist))
        label = np.exp(-0.5 * (dist / width) ** 2)
        # the label's peak sits at index num // 2 (exponent 0): the response's peak index is
        # then the change's exponent, with no shift to undo
        self._label = fft.fft(label)
        if self.periodic:
            self._hann = np.ones(num, np.float32)
        else:
            self._hann = np.hanning(num + 2)[1:-1].astype(np.float32)
        self._allowed = np.ones(num, bool) if reach <= 0 else np.abs(self.exponents) <= reach
        self.num_spec = None  # [num, D] complex
        self.den = None  # [num] real
        if not 0.0 <= anchor < 1.0:
            raise ValueError(f"sample filter: anchor must lie in [0, 1), got {anchor}")
        self.anchor = float(anchor)
        self.first = None  # (num_spec, den) of the first fit, with anchor > 0
        self._space = None  # a weight over each sample's cells ([rows * cols]), or none
        self.grid = (cells, cells)  # each sample's cells, (rows, cols)
        self.antialias = bool(antialias)  # crop_rects' antialias for the samples

    def _cut(self, image: np.ndarray, center, sizes, angles, border) -> np.ndarray:
        """``[num, D]`` features of the samples of ``sizes`` (image pixels, with the features'
        one-pixel margin) and ``angles`` about ``center`` (:func:`tracker.crops.crop_rects`),
        weighted by ``_space`` over the cells and by a Hann weight over k."""
        rows, cols = self.grid
        wins = crop_rects(image, center, sizes, (cols * CELL + 2, rows * CELL + 2), border,
                          angles, self.antialias)
        feats = window_features(wins, self.grid, CELL)  # [num, C, rows, cols]
        if self._space is not None:
            feats = feats.reshape(self.num, feats.shape[1], -1) * self._space
        return feats.reshape(self.num, -1) * self._hann[:, None]

    def fit(self, x: np.ndarray, rate: float) -> None:
        spec = fft.fft(x, axis=0)
        num = np.conj(self._label)[:, None] * spec
        den = (spec.real ** 2 + spec.imag ** 2).sum(axis=1)
        if self.num_spec is None or rate >= 1.0:
            self.num_spec, self.den = num, den
            if self.first is None and self.anchor > 0:
                self.first = (num, den)
        else:
            self.num_spec = (1 - rate) * self.num_spec + rate * num
            self.den = (1 - rate) * self.den + rate * den

    def response(self, x: np.ndarray) -> np.ndarray:
        """The filter's response over the ``num`` samples of ``x``: ``[num]`` float."""
        if self.num_spec is None:
            raise RuntimeError("sample filter: response() before fit()")
        spec = fft.fft(x, axis=0)
        r = self._respond(spec, self.num_spec, self.den)
        if self.first is not None:
            r = (1 - self.anchor) * r + self.anchor * self._respond(spec, *self.first)
        return r

    def _respond(self, spec: np.ndarray, num_spec: np.ndarray, den: np.ndarray) -> np.ndarray:
        reg = self.lam * float(den.mean()) + 1e-12
        return fft.ifft((np.conj(num_spec) * spec).sum(axis=1) / (den + reg)).real

    def offset(self, x: np.ndarray) -> float:
        r = self.response(x)
        k = int(np.argmax(np.where(self._allowed, r, -np.inf)))
        d = float(self.exponents[k])
        if self.periodic or 0 < k < self.num - 1:
            lo, hi = r[(k - 1) % self.num], r[(k + 1) % self.num]
            curve = lo - 2 * r[k] + hi
            if curve < 0:
                d += float(np.clip(0.5 * (lo - hi) / curve, -0.5, 0.5))
        return d


class ScaleFilter(SampleFilter):
    """DSST's scale filter: samples at sizes ``step ** k`` (``step`` > 1) times the target's.

    ``samples(image, center, size, angle, border)`` cuts the samples of a target of ``size =
    (w, h)`` image pixels along its own axes, turned by ``angle`` degrees, centred on ``center``
    (``(cx, cy)``, continuous image coordinates): ``[num, D]`` float32. ``estimate(x)`` is the
    size factor ``step ** offset(x)`` (1.0: no change).

    ``aspect`` (w / h of the target, or None): each sample is a grid of about ``cells ** 2``
    cells shaped like the target, as DSST's scale model keeps the target's aspect, instead of
    ``cells x cells`` cells that squash a tall or wide target into a square (a person of aspect
    0.4 then gets 13 rows of 5 cells, not 8 of 8: 13 cells along its height). ``antialias``:
    the samples are cut by :func:`tracker.crops.crop_rects` with ``antialias``, so a large
    target's bigger samples are not sharper-edged or noisier than its smaller ones.
    """

    def __init__(self, num: int = 17, step: float = 1.03, cells: int = 8,
                 sigma: float = 0.25, lam: float = 0.01, aspect: float | None = None,
                 antialias: bool = False) -> None:
        if step <= 1.0:
            raise ValueError(f"scale filter: step must be > 1, got {step}")
        if aspect is not None and not aspect > 0:
            raise ValueError(f"scale filter: aspect must be > 0, got {aspect}")
        super().__init__(num, step, cells, sigma, lam, antialias=antialias)
        self.factors = self.step ** self.exponents
        if aspect is not None:
            root = float(np.sqrt(aspect))
            # at most 4 x cells along either axis, so a sliver of a target costs little more
            self.grid = tuple(int(np.clip(round(cells * f), 2, 4 * cells))
                              for f in (1.0 / root, root))

    def samples(self, image: np.ndarray, center, size, angle: float = 0.0,
                border=(0.0, 0.0, 0.0)) -> np.ndarray:
        rows, cols = self.grid
        w, h = float(size[0]), float(size[1])
        # one pixel of margin on every side for the features' central differences
        grow_w, grow_h = (cols * CELL + 2) / (cols * CELL), (rows * CELL + 2) / (rows * CELL)
        sizes = np.stack([self.factors * grow_w * w, self.factors * grow_h * h], axis=1)
        return self._cut(image, center, sizes, angle, border)

    def estimate(self, x: np.ndarray) -> float:
        return float(self.step ** self.offset(x))


class TurnFilter(SampleFilter):
    """The same filter over the in-plane angle: samples turned by ``angle + step * k`` degrees.

    ``samples(image, center, size, angle, border)`` cuts squares of side ``sqrt(w * h)`` (the
    target's area, so every turn holds the same amount of it) about ``center``, turned by those
    angles (degrees CCW, :func:`tracker.crops.crop_rects`' convention: a target turned by the
    sample's angle stands upright in it); each sample's cells are weighted by a 2-D Hann window,
    so the corners, which turn in and out of the square, weigh little: ``[num, D]`` float32.
    ``estimate(x)`` is the target's turn since the filter last learnt, ``step * offset(x)``
    degrees CCW. ``circle``: the samples go all the way round (``num * step`` must be 360), a
    periodic sample set whose estimates do not shrink towards no turn; ``reach`` (degrees, 0:
    none): the largest turn a frame it answers. ``context`` (> 0): the squares' side as a factor
    of ``sqrt(w * h)``; above 1 they hold the scene around the target too, which turns with it
    when the camera rolls and stands still when the target turns on its own. ``antialias``:
    the samples are cut with :func:`tracker.crops.crop_rects`' antialias (area averaging
    where a square shrinks the image); with ``once`` too, the disc all samples cover is first
    area-averaged to twice their resolution (:func:`tracker.crops.area_square`), so each
    sample's own averaging shrinks by 2 at most: the cost no longer grows with the target.
    """

    def __init__(self, num: int = 21, step: float = 3.0, cells: int = 8,
                 sigma: float = 0.25, lam: float = 0.01, anchor: float = 0.0,
                 circle: bool = False, reach: float = 0.0, context: float = 1.0,
                 antialias: bool = False, once: bool = False) -> None:
        if circle and abs(num * step - 360.0) > 1e-6:
            raise ValueError(f"turn filter: a circle of samples needs num x step = 360 degrees, "
                             f"got {num} x {step}")
        if context <= 0:
            raise ValueError(f"turn filter: context must be > 0, got {context}")
        if once and not antialias:
            raise ValueError("turn filter: once needs antialias")
        self.context = float(context)
        self.once = bool(once)
        # (image, key, area_square's result) of the last call: a frame's estimate passes cut
        # their samples about one centre and size, so they share one averaged region
        self._region = None
        super().__init__(num, step, cells, sigma, lam, anchor, periodic=circle,
                         reach=reach / step, antialias=antialias)
        hann = np.hanning(cells + 2)[1:-1]
        self._space = np.outer(hann, hann).astype(np.float32).ravel()

    def samples(self, image: np.ndarray, center, size, angle: float = 0.0,
                border=(0.0, 0.0, 0.0)) -> np.ndarray:
        side = self.cells * CELL
        s = self.context * float(np.sqrt(float(size[0]) * float(size[1]))) * (side + 2) / side
        shrink = s / (side + 2)
        if self.once and shrink > 2.0:
            # every sample is the same square at another angle: area-average the disc they
            # cover once, to twice the samples' resolution, and let each sample's own
            # antialiasing do the last factor of 2 (warps of 2x, not of the full shrink)
            half = s * np.sqrt(0.5) + shrink
            key = (float(center[0]), float(center[1]), half, tuple(np.ravel(border)))
            if self._region is None or self._region[0] is not image or self._region[1] != key:
                self._region = (image, key, area_square(image, center, half, shrink / 2.0,
                                                        border))
            image, center, scale = self._region[2]
            s = s / scale
        return self._cut(image, center, [[s, s]], float(angle) + self.step * self.exponents,
                         border)

    def estimate(self, x: np.ndarray) -> float:
        return self.step * self.offset(x)
