"""got10k 0.1.3 on numpy 2: the two breakages of its VOT experiment, mended without a fork.

1. ``experiments/vot.py`` uses ``np.NaN``, removed in numpy 2: that module alone gets a numpy
   namespace that still has it (numpy itself is left untouched).
2. ``ExperimentVOT._calc_iou`` builds ``np.array`` from a mix of NaN scalars and the length-1
   arrays ``poly_iou`` returns: a ragged array numpy 2 refuses. Overridden to return floats.
"""
from __future__ import annotations

import os
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
    """got10k's VOT experiment with the numpy-2-safe IoU (see the module docstring), on a local
    copy only: got10k's constructor would download the challenge's data when ``root_dir`` does
    not hold it, so the same fields are set here with ``download=False`` (a missing dataset
    raises got10k's "Dataset not found or corrupted")."""

    def __init__(self, root_dir, version=2017, read_image=True,
                 experiments=("supervised", "unsupervised", "realtime"),
                 result_dir="results", report_dir="reports"):
        if isinstance(experiments, str):
            experiments = (experiments,)
        if not all(e in ("supervised", "unsupervised", "realtime") for e in experiments):
            raise ValueError(f"unknown VOT experiments {experiments}")
        self.dataset = _vot.VOT(root_dir, version, anno_type="default", download=False,
                                return_meta=True)
        self.experiments = experiments
        self.read_image = read_image
        name = "VOT" + ("-" + version if version == "LT2018" else str(version))
        self.result_dir = os.path.join(result_dir, name)
        self.report_dir = os.path.join(report_dir, name)
        # got10k's protocol constants (ExperimentVOT.__init__, 0.1.3)
        self.skip_initialize = 5
        self.burnin = 10
        self.repetitions = 15
        self.sensitive = 100
        self.nbins_eao = 1500
        self.tags = ["camera_motion", "illum_change", "occlusion", "size_change",
                     "motion_change", "empty"]

    def _calc_iou(self, boxes, anno, bound, burnin=False):
        if burnin:
            boxes = list(boxes)
            for i in [i for i, b in enumerate(boxes) if b == [1.0]]:
                end = min(i + self.burnin, len(boxes))
                boxes[i:end] = [[0]] * (end - i)
        return np.array([float(poly_iou(np.array(a), b, bound)[0]) if len(a) > 1 else np.nan
                         for a, b in zip(boxes, anno)], dtype=float)
