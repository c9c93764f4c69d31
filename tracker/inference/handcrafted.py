"""Hand-crafted cell features of a search crop for the second online filter (``online_hog``).

The backbone's features are coarse (8-pixel cells, a tiny network) and were trained offline; a
correlation filter on gradient-orientation histograms and colour, learnt online, sees the
target's edges and colours at twice the resolution, as the HOG and colour-name filters of
KCF, Staple and ECO-HC do, and it fails in other places than the deep features: fused, each
covers the other's mistakes.

Grid: ``2 n x 2 n`` cells of ``stride / 2`` pixels centred on the crop's centre, so that every
2 x 2 block of cells sits exactly on one of the backbone's ``n x n`` feature cells (cell ``i``
of the backbone map is centred ``stride * (i - (n - 1) / 2)`` pixels from the crop's centre,
as the Siamese response). :func:`pool_to_cells` maps a response on the fine grid back to the
backbone's cells.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np

ORIENTATIONS = 9  # unsigned gradient orientations over [0, 180) degrees
CLIP = 0.2  # HOG's clipping of normalized histogram entries
# bin of floor(position) + 1 for positions over two half turns (see cell_features)
_FOLD = (np.arange(-1, 2 * ORIENTATIONS + 1) % ORIENTATIONS).astype(np.intp)


def cell_features(crop: np.ndarray, cells: int, cell: int) -> np.ndarray:
    """``crop`` ``[H, W, 3]`` RGB (0..255) -> ``[ORIENTATIONS + 3, cells, cells]`` float32.

    ``cells`` x ``cells`` square cells of ``cell`` pixels, centred on the crop's centre (the
    crop is edge-padded where the grid reaches past it). Channels: 9 unsigned orientation
    histograms of the gray image's gradient (each pixel votes its magnitude into its two
    nearest bins), normalized by the gradient energy of the cell's 3 x 3 neighbourhood and
    clipped at ``CLIP``; then the cell's mean gray level and two opponent colours (R - G,
    (R + G) / 2 - B), all in [-0.5, 0.5]."""
    span = cells * cell
    h, w = crop.shape[:2]
    # an odd crop (255) has a centre pixel, an even grid none: the grid sits half a pixel up
    # and left of it, the same for every crop
    top, left = (h - span) // 2, (w - span) // 2
    # one pixel of margin around the grid for the central differences
    pad = max(0, 1 - top, 1 - left, top + span + 1 - h, left + span + 1 - w)
    img = np.ascontiguousarray(crop, dtype=np.uint8)
    if pad:
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        top, left = top + pad, left + pad
    win = img[top - 1:top + span + 1, left - 1:left + span + 1]
    return window_features(win[None], cells, cell)[0]


def window_features(wins: np.ndarray, cells, cell: int) -> np.ndarray:
    """The features of :func:`cell_features` for a batch of windows that hold the grid and one
    pixel of margin on every side: ``wins`` uint8 RGB ``[S, rows * cell + 2, cols * cell + 2,
    3]`` -> float32 ``[S, ORIENTATIONS + 3, rows, cols]`` (one pass of each NumPy operation
    for the whole batch, as the scale filter's samples need). ``cells`` is ``rows = cols`` or
    ``(rows, cols)``: a grid that keeps a tall or wide target's aspect."""
    rows, cols = (cells, cells) if np.isscalar(cells) else (int(cells[0]), int(cells[1]))
    s_num, side_h, side_w = wins.shape[:3]
    span_h, span_w = side_h - 2, side_w - 2
    if wins.shape[1:] != (side_h, side_w, 3) or (span_h, span_w) != (rows * cell, cols * cell):
        raise ValueError(f"window_features: windows of {rows} x {cols} cells of {cell} pixels "
                         f"+ 2 expected, got {wins.shape}")
    gray = cv2.cvtColor(np.ascontiguousarray(wins).reshape(s_num * side_h, side_w, 3),
                        cv2.COLOR_RGB2GRAY).astype(np.float32).reshape(s_num, side_h, side_w)
    gray /= 255.0
    gx = 0.5 * (gray[:, 1:-1, 2:] - gray[:, 1:-1, :-2])
    gy = 0.5 * (gray[:, 2:, 1:-1] - gray[:, :-2, 1:-1])
    mag, ang = cv2.cartToPolar(gx.reshape(s_num * span_h, span_w),
                               gy.reshape(s_num * span_h, span_w))
    # bin centres at k + 0.5 over [0, pi); over [0, 2 pi) the position runs to 2 ORIENTATIONS,
    # and a lookup folds the floor (-1 .. 2 ORIENTATIONS - 1) back onto the bins
    pos = ang  # in place: the angles are not needed again
    pos *= np.float32(ORIENTATIONS / np.pi)
    pos -= np.float32(0.5)
    lo = np.floor(pos)
    frac = pos - lo
    lo = lo.astype(np.intp).ravel() + 1
    # one bincount per neighbouring bin (far faster than np.add.at) over each pixel's (window,
    # cell); bins run window-major, then orientation, then cell
    n = rows * cols
    where = _pixel_cells(s_num, rows, cols, cell)
    upper = (mag * frac).ravel()
    total = s_num * ORIENTATIONS * n
    hist = (np.bincount(_FOLD[lo] * n + where, mag.ravel() - upper, total)
            + np.bincount(_FOLD[lo + 1] * n + where, upper, total))
    hist = hist.reshape(s_num, ORIENTATIONS, rows, cols)
    energy = (hist ** 2).sum(axis=1)
    padded = np.pad(energy, ((0, 0), (1, 1), (1, 1)), mode="edge")
    local = sum(padded[:, i:i + rows, j:j + cols] for i in range(3) for j in range(3)) / 9.0
    hist = np.minimum(hist / np.sqrt(local + 1e-6)[:, None], CLIP) / CLIP - 0.5
    # one resize for the batch: cells never straddle two windows stacked on top of each other
    inner = np.ascontiguousarray(wins[:, 1:-1, 1:-1]).reshape(s_num * span_h, span_w, 3)
    colour = cv2.resize(inner, (cols, s_num * rows), interpolation=cv2.INTER_AREA)
    colour = colour.reshape(s_num, rows, cols, 3).astype(np.float32) / 255.0
    r, g, b = colour[..., 0], colour[..., 1], colour[..., 2]
    extra = np.stack([(r + g + b) / 3.0 - 0.5, 0.5 * (r - g), 0.5 * ((r + g) / 2.0 - b)], axis=1)
    return np.concatenate([hist, extra], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _pixel_cells(s_num: int, rows: int, cols: int, cell: int) -> np.ndarray:
    """The histogram bin offset of every pixel of ``s_num`` windows of ``rows x cols`` cells
    (window ``s`` starts at ``s * ORIENTATIONS * rows * cols``), raveled: ``[s_num * rows *
    cell * cols * cell]`` intp, read-only (shared between calls)."""
    n = rows * cols
    where = ((np.arange(rows * cell) // cell)[:, None] * cols
             + (np.arange(cols * cell) // cell)[None, :]).ravel()
    where = (np.arange(s_num)[:, None] * (ORIENTATIONS * n) + where[None, :]).ravel()
    where.flags.writeable = False
    return where


def pool_to_cells(response: np.ndarray) -> np.ndarray:
    """A ``[2 n, 2 n]`` fine-grid response -> ``[n, n]`` on the backbone's cells (the mean of
    each 2 x 2 block, whose centre is that cell's)."""
    m = response.shape[0] // 2
    return response[:2 * m, :2 * m].reshape(m, 2, m, 2).mean(axis=(1, 3))
