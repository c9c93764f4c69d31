"""Photometric augmentation of uint8 RGB crops ``[S, S, 3]`` (values saturate at 0 and 255)."""
from __future__ import annotations

import cv2
import numpy as np


def grayscale(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def color_jitter(img: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Saturation (blend with the grey image), contrast (about the mean grey) and brightness,
    each a factor in ``1 ± amount``; uint8 in and out (saturating)."""
    sat, con, bri = (float(v) for v in rng.uniform(1 - amount, 1 + amount, 3))
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    m = cv2.mean(gray)[0]
    # cv2.addWeighted rounds and saturates in one pass, ~5x faster than float numpy here
    out = cv2.addWeighted(img, sat, cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB), 1.0 - sat, 0.0)
    return cv2.addWeighted(out, bri * con, out, 0.0, bri * (1.0 - con) * m)


def motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A linear blur of random direction and odd length (3 .. ~size/20 pixels), centred so the
    target does not move."""
    half = int(rng.integers(1, max(2, img.shape[0] // 40) + 1))
    n = 2 * half + 1
    t = rng.uniform(0, np.pi)
    dx, dy = half * np.cos(t), half * np.sin(t)
    k = np.zeros((n, n), np.float32)
    cv2.line(k, (int(round(half - dx)), int(round(half - dy))),
             (int(round(half + dx)), int(round(half + dy))), 1.0, 1)
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)
