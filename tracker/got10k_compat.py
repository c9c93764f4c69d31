"""got10k 0.1.3 on numpy 2: the two breakages of its VOT experiment, mended without a fork.

1. ``experiments/vot.py`` uses ``np.NaN``, removed in numpy 2: that module alone gets a numpy
   namespace that still has it (numpy itself is left untouched).
2. ``ExperimentVOT._calc_iou`` builds ``np.array`` from a mix of NaN scalars and the length-1
   arrays ``poly_iou`` returns: a ragged array numpy 2 refuses. Overridden to return floats.
"""
from __future__ import annotations

import types

import numpy as np
from got10k.experiments import vot as _vot
from got10k.utils.metrics import poly_iou


class _NumpyWithNaN(types.ModuleType):
    """numpy, plus the ``NaN`` alias numpy 2 dropped."""

    NaN = np.nan

    def __getattr__(self, name):
        return getattr(np, name)


if not hasattr(_vot.np, "NaN"):
    _vot.np = _NumpyWithNaN("numpy")


class ExperimentVOTCompat(_vot.ExperimentVOT):
    """got10k's VOT experiment with the numpy-2-safe IoU (see the module docstring)."""

    def _calc_iou(self, boxes, anno, bound, burnin=False):
        if burnin:
            boxes = list(boxes)
            for i in [i for i, b in enumerate(boxes) if b == [1.0]]:
                end = min(i + self.burnin, len(boxes))
                boxes[i:end] = [[0]] * (end - i)
        return np.array([float(poly_iou(np.array(a), b, bound)[0]) if len(a) > 1 else np.nan
                         for a, b in zip(boxes, anno)], dtype=float)
