"""A one-dimensional correlation filter over scales (DSST's scale filter, Danelljan et al.,
BMVC 2014), on the hand-crafted cell features of :mod:`tracker.inference.handcrafted`.

The Siamese template is the first frame's, and a scale pyramid compares every scale with it, so
appearance change biases the scale choice (README "Tune", searches 6 and 7: the pyramid leans
towards growing). The scale filter is learnt online instead: each frame it sees the target cut
at ``num`` sizes around the current one, ``step ** (k - num // 2)`` times it, each resized to
one ``cells * 4``-pixel square and described by its cell features, and it is refit to answer a
Gaussian over the scale index peaked at the current size. The peak of its response on the next
frame's samples is the size change. It needs no pass of the backbone, so the search runs one
crop a frame.
"""
from __future__ import annotations

import numpy as np
from scipy import fft

from tracker.crops import crop_rects
from tracker.inference.handcrafted import window_features

CELL = 4  # pixels per cell of the scale samples (DSST's HOG cell)


class ScaleFilter:
    """The scale filter of one target.

    ``num`` (odd): scale samples a frame; ``step`` (> 1): the ratio of neighbouring samples'
    sizes; ``cells``: each sample is ``cells x cells`` cells of ``CELL`` pixels; ``sigma``: the
    label's width in samples, as a factor of ``sqrt(num)`` (DSST's 1/4); ``lam``: the ridge
    term relative to the mean feature energy per frequency.

    ``samples(image, center, size, angle, border)`` cuts the samples of a target of ``size =
    (w, h)`` image pixels along its own axes, turned by ``angle`` degrees, centred on ``center``
    (``(cx, cy)``, continuous image coordinates): ``[num, D]`` float32, each row windowed by a
    Hann weight over the scales. ``fit(x, rate)`` blends the filter towards the one that maps
    ``x`` to the label (the first call sets it); ``estimate(x)`` returns the size factor
    ``step ** d`` the response's peak stands for, ``d`` refined to a fraction of a step by a
    parabola through the peak and its neighbours (``1.0``: no change).
    """

    def __init__(self, num: int = 17, step: float = 1.03, cells: int = 8,
                 sigma: float = 0.25, lam: float = 0.01) -> None:
        if num < 3 or num % 2 == 0 or step <= 1.0 or cells < 2 or sigma <= 0 or lam <= 0:
            raise ValueError(f"scale filter: num must be odd >= 3, step > 1, cells >= 2, sigma "
                             f"and lam > 0; got {num}, {step}, {cells}, {sigma}, {lam}")
        self.num, self.step, self.cells, self.lam = num, float(step), cells, float(lam)
        self.exponents = np.arange(num) - num // 2
        self.factors = self.step ** self.exponents
        width = sigma * np.sqrt(num)
        label = np.exp(-0.5 * (self.exponents / width) ** 2)
        self._label = fft.fft(label)
        self._hann = np.hanning(num + 2)[1:-1].astype(np.float32)
        self.num_spec = None  # [num, D] complex
        self.den = None  # [num] real

    def samples(self, image: np.ndarray, center, size, angle: float = 0.0,
                border=(0.0, 0.0, 0.0)) -> np.ndarray:
        side = self.cells * CELL
        w, h = float(size[0]), float(size[1])
        # one pixel of margin on every side for the features' central differences
        grow = (side + 2) / side
        sizes = np.outer(self.factors * grow, [w, h])
        wins = crop_rects(image, center, sizes, (side + 2, side + 2), border, angle)
        feats = window_features(wins, self.cells, CELL).reshape(self.num, -1)
        return feats * self._hann[:, None]

    def fit(self, x: np.ndarray, rate: float) -> None:
        spec = fft.fft(x, axis=0)
        num = np.conj(self._label)[:, None] * spec
        den = (spec.real ** 2 + spec.imag ** 2).sum(axis=1)
        if self.num_spec is None or rate >= 1.0:
            self.num_spec, self.den = num, den
        else:
            self.num_spec = (1 - rate) * self.num_spec + rate * num
            self.den = (1 - rate) * self.den + rate * den

    def response(self, x: np.ndarray) -> np.ndarray:
        """The filter's response over the ``num`` scale samples of ``x``: ``[num]`` float."""
        if self.num_spec is None:
            raise RuntimeError("scale filter: response() before fit()")
        spec = fft.fft(x, axis=0)
        reg = self.lam * float(self.den.mean()) + 1e-12
        return fft.ifft((np.conj(self.num_spec) * spec).sum(axis=1) / (self.den + reg)).real

    def estimate(self, x: np.ndarray) -> float:
        r = self.response(x)
        k = int(np.argmax(r))
        d = float(self.exponents[k])
        if 0 < k < self.num - 1:
            curve = r[k - 1] - 2 * r[k] + r[k + 1]
            if curve < 0:
                d += float(np.clip(0.5 * (r[k - 1] - r[k + 1]) / curve, -0.5, 0.5))
        return float(self.step ** d)
