"""An online discriminative correlation filter on the backbone's search features.

The Siamese template is fixed at the first frame and only says "what looks like the target";
it never learns what the surrounding background and distractors look like. A correlation
filter learnt online on the same search features (the multi-channel closed form of DSST,
Danelljan et al. BMVC 2014, on deep features as in CFNet / DeepSRDCF) adds exactly that: each
frame it is refit, by a running average of its numerator and denominator, to answer a
Gaussian at the target's position and zero on the rest of the search region. Its response is
fused with the Siamese one before the cosine window.

Coordinates: the search crop is centred on the previous position, so a feature cell
``(row, col)`` is a displacement of ``(row - c, col - c)`` cells from that centre
(``c = (h - 1) / 2``); the Siamese response cell ``i`` of an ``s``-cell response sits on feature
cell ``i + (h - s) / 2``. The filter's response is cropped to the same cells.
"""
from __future__ import annotations

import numpy as np
from scipy import fft


class OnlineFilter:
    """Multi-channel correlation filter on ``[C, h, w]`` float32 feature maps.

    ``spectrum(feat)`` transforms one frame's search features (windowed, 2-D FFT per channel);
    both other methods take that spectrum, so a frame is transformed once.
    ``fit(spec, disp, rate)`` blends the filter towards one that maps the frame to a Gaussian
    of ``sigma`` cells at the target, which sits ``disp = (drow, dcol)`` feature cells from the
    map's centre; the first call (or ``rate=1``) sets it. ``respond(spec)`` returns the
    filter's ``[h, w]`` response (float32, unnormalized, peak near the target's cell). ``lam``
    is the ridge term relative to the mean feature energy per frequency, so it does not depend
    on the features' scale.
    """

    def __init__(self, sigma: float, lam: float) -> None:
        if sigma <= 0 or lam <= 0:
            raise ValueError(f"online filter: sigma and lambda must be positive, got {sigma}, {lam}")
        self.sigma, self.lam = float(sigma), float(lam)
        self.shape = None  # (h, w) of the feature maps
        self.num = None  # [C, h, w//2+1] complex
        self.den = None  # [h, w//2+1] real
        self._hann = None

    def spectrum(self, feat: np.ndarray) -> np.ndarray:
        """``feat [C, h, w]`` -> its windowed spectrum ``[C, h, w // 2 + 1]`` (complex)."""
        c, h, w = feat.shape
        self.shape = (h, w)
        if self._hann is None or self._hann.shape != (h, w):
            # the window keeps the FFT's circular wrap from pairing opposite borders
            self._hann = np.outer(np.hanning(h + 2)[1:-1], np.hanning(w + 2)[1:-1]).astype(np.float32)
        return fft.rfft2(feat.astype(np.float32, copy=False) * self._hann)

    def _label(self, h: int, w: int, disp: tuple[float, float]) -> np.ndarray:
        rows = np.arange(h) - (h - 1) / 2.0 - disp[0]
        cols = np.arange(w) - (w - 1) / 2.0 - disp[1]
        g = np.exp(-(rows[:, None] ** 2 + cols[None, :] ** 2) / (2 * self.sigma ** 2))
        return fft.rfft2(g.astype(np.float32))

    def fit(self, x: np.ndarray, disp: tuple[float, float], rate: float) -> None:
        y = self._label(*self.shape, disp)
        num = np.conj(y)[None] * x
        den = (x.real ** 2 + x.imag ** 2).sum(axis=0)
        if self.num is None or rate >= 1.0 or self.num.shape != num.shape:
            self.num, self.den = num, den
        else:
            self.num = (1 - rate) * self.num + rate * num
            self.den = (1 - rate) * self.den + rate * den

    def respond(self, z: np.ndarray) -> np.ndarray:
        if self.num is None:
            raise RuntimeError("online filter: respond() before fit()")
        reg = self.lam * float(self.den.mean()) + 1e-12
        r = (np.conj(self.num) * z).sum(axis=0) / (self.den + reg)
        return fft.irfft2(r, s=self.shape).astype(np.float32)
