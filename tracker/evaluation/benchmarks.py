"""The benchmarks ``tools/evaluate.py`` runs: got10k experiments, offline and on numpy 2.

got10k 0.1.3 wants to download what it does not find and warns (instead of failing) about
missing sequences; here a benchmark either finds every sequence on disk or stops with one line
naming the expected folder. Its numpy-2 breakages are mended in :mod:`tracker.evaluation.got10k_compat`.
OTB-protocol benchmarks exclude frames whose ground truth is NaN (absent target) from scoring,
as UAV123's own evaluation does.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from got10k.datasets import OTB, LaSOT, TColor128
from got10k.experiments import (
    ExperimentDTB70,
    ExperimentGOT10k,
    ExperimentNfS,
    ExperimentOTB,
    ExperimentTColor128,
    ExperimentUAV123,
)
from got10k.utils.metrics import center_error, rect_iou

from backbones.registry import Registry
from tracker.errors import InputError
from tracker.evaluation.got10k_compat import ExperimentVOTCompat
from tracker.evaluation.protocol import ExperimentFolder, OneBasedFiles


@dataclass(frozen=True)
class Benchmark:
    """A named benchmark: its protocol family (``otb``, ``got10k``, ``vot``), the layout hint
    shown when the root does not hold it, the factory of its got10k experiment and, for VOT,
    the challenge's year (its EAO interval)."""

    name: str
    family: str
    layout: str
    make: Callable[[str, str, str], object]
    version: int = 0


class _OTBProtocol(OneBasedFiles):
    """Mixin: got10k's OTB metrics with NaN (absent-target) frames left out of the scores, the
    tracker running in 0-based coordinates on the 1-based files (:class:`OneBasedFiles`)."""

    def _calc_metrics(self, boxes, anno):
        valid = ~np.any(np.isnan(anno), axis=1)
        return rect_iou(boxes[valid], anno[valid]), center_error(boxes[valid], anno[valid])


def _otb_init(exp, dataset, name: str, result_dir: str, report_dir: str) -> None:
    # got10k's constructors build (and download) their dataset themselves; set the same fields
    exp.dataset = dataset
    exp.result_dir = os.path.join(result_dir, name)
    exp.report_dir = os.path.join(report_dir, name)
    exp.nbins_iou = 21
    exp.nbins_ce = 51


class OfflineOTB(_OTBProtocol, ExperimentOTB):
    """got10k's OTB experiment on a local copy (never downloads)."""

    def __init__(self, root_dir, version, result_dir="results", report_dir="reports"):
        _otb_init(self, OTB(root_dir, version, download=False), f"OTB{version}", result_dir,
                  report_dir)


class OfflineTColor128(_OTBProtocol, ExperimentTColor128):
    """got10k's TColor-128 experiment on a local copy (never downloads)."""

    def __init__(self, root_dir, result_dir="results", report_dir="reports"):
        _otb_init(self, TColor128(root_dir, download=False), "TColor128", result_dir, report_dir)


class ExperimentLaSOT(_OTBProtocol, ExperimentOTB):
    """LaSOT's test set under the OTB protocol (got10k 0.1.3 has the dataset, no experiment)."""

    def __init__(self, root_dir, result_dir="results", report_dir="reports"):
        _otb_init(self, LaSOT(root_dir, subset="test"), "LaSOT", result_dir, report_dir)


class OneBasedUAV123(OneBasedFiles, ExperimentUAV123):
    """got10k's UAV123 experiment (its own NaN handling), the tracker in 0-based coordinates."""


class NaNAwareFolder(_OTBProtocol, ExperimentFolder):
    """:class:`ExperimentFolder` with NaN ground-truth frames excluded from the scores."""


class NaNAwareDTB70(_OTBProtocol, ExperimentDTB70):
    pass


class NaNAwareNfS(_OTBProtocol, ExperimentNfS):
    pass


_OTB_LAYOUT = "<seq>/img/%04d.jpg and <seq>/groundtruth_rect.txt for every sequence"
BENCHMARKS = Registry("benchmark", {b.name: b for b in [
    Benchmark("folder", "otb", _OTB_LAYOUT,
              lambda r, res, rep: NaNAwareFolder(r, res, rep)),
    *[Benchmark(name, "otb", _OTB_LAYOUT,
                (lambda v: lambda r, res, rep: OfflineOTB(r, v, res, rep))(version))
      for name, version in (("otb2013", 2013), ("otb2015", 2015), ("otb50", "tb50"),
                            ("otb100", "tb100"))],
    Benchmark("uav123", "otb", "data_seq/UAV123/<seq>/*.jpg and anno/UAV123/<seq>.txt",
              lambda r, res, rep: OneBasedUAV123(r, "UAV123", res, rep)),
    Benchmark("dtb70", "otb", "<seq>/img/*.jpg and <seq>/groundtruth_rect.txt",
              lambda r, res, rep: NaNAwareDTB70(r, res, rep)),
    Benchmark("tcolor128", "otb", "<seq>/img/*.jpg and <seq>/<seq>_gt.txt",
              lambda r, res, rep: OfflineTColor128(r, res, rep)),
    Benchmark("nfs30", "otb", "<seq>/30/<seq>/*.jpg and <seq>/30/<seq>.txt",
              lambda r, res, rep: NaNAwareNfS(r, 30, res, rep)),
    Benchmark("nfs240", "otb", "<seq>/240/<seq>/*.jpg and <seq>/240/<seq>.txt",
              lambda r, res, rep: NaNAwareNfS(r, 240, res, rep)),
    Benchmark("lasot", "otb", "<class>/<class>-<n>/img/*.jpg and groundtruth.txt (test split)",
              lambda r, res, rep: ExperimentLaSOT(r, res, rep)),
    Benchmark("got10k-val", "got10k", "val/list.txt, val/<seq>/%08d.jpg, groundtruth.txt, "
              "meta_info.ini and the .label files",
              lambda r, res, rep: ExperimentGOT10k(r, "val", res, rep)),
    Benchmark("got10k-test", "got10k", "test/list.txt, test/<seq>/%08d.jpg, groundtruth.txt "
              "(first line)", lambda r, res, rep: ExperimentGOT10k(r, "test", res, rep)),
    *[Benchmark(f"vot{v}", "vot", "list.txt, <seq>/*.jpg, <seq>/groundtruth.txt (4 or 8 values)",
                (lambda v: lambda r, res, rep: ExperimentVOTCompat(
                    r, v, experiments="supervised", result_dir=res, report_dir=rep))(v), v)
      for v in (2016, 2017, 2018)],
]}, error=InputError)


def benchmark_names() -> list[str]:
    return BENCHMARKS.names()


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name``; an :class:`InputError` listing the known ones."""
    return BENCHMARKS.get(name)


def open_benchmark(name: str, root: str | Path, result_dir: str | Path = "results",
                   report_dir: str | Path = "reports"):
    """The got10k experiment of benchmark ``name`` on the local copy at ``root``.

    Every sequence must be present and readable: a missing one is an :class:`InputError` naming
    the expected folder; ground truth whose line count differs from the frames, or that is not
    numeric, names the file. Nothing is downloaded.
    """
    bench = get_benchmark(name)
    root = str(root)
    if not os.path.isdir(root):
        raise InputError(f"benchmark {name}: root '{root}' not found")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exp = bench.make(root, str(result_dir), str(report_dir))
    except InputError:
        raise
    except Exception as e:  # got10k raises bare Exceptions / AssertionErrors / OSErrors
        raise InputError(f"benchmark {name}: '{root}' does not hold it ({e or type(e).__name__}); "
                         f"expected {bench.layout}") from None
    missing = re.findall(r"Warning: sequence (\S+) not exists", out.getvalue())
    if missing:
        raise InputError(f"benchmark {name}: sequence folder "
                         f"'{os.path.join(root, missing[0])}' not found ({len(missing)} "
                         f"sequences missing; use --benchmark folder for a subset); expected "
                         f"{bench.layout}")
    _check_sequences(name, exp.dataset)
    return exp


def _check_sequences(name: str, dataset) -> None:
    for i, seq in enumerate(dataset.seq_names):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                item = dataset[i]
        except InputError:
            raise
        except Exception as e:
            raise InputError(f"benchmark {name}: sequence '{seq}' cannot be read: "
                             f"{e or type(e).__name__}") from None
        files, anno = item[0], item[1]
        if not files:
            raise InputError(f"benchmark {name}: sequence '{seq}' has no frames")
        if anno.ndim != 2 or anno.shape[1] not in (4, 8):
            raise InputError(f"benchmark {name}: sequence '{seq}': ground truth must have 4 or 8 "
                             f"values per line")
        if name == "got10k-val":  # read only at report time: check before hours of tracking
            for extra in ("meta_info.ini", "cover.label", "absence.label", "cut_by_image.label"):
                path = os.path.join(dataset.seq_dirs[i], extra)
                if not os.path.isfile(path):
                    raise InputError(f"benchmark {name}: '{path}' not found (GOT-10k val needs "
                                     f"it for scoring)")
        if len(anno) != len(files) and not (len(anno) == 1 and name == "got10k-test"):
            raise InputError(f"benchmark {name}: sequence '{seq}': {len(files)} frames but "
                             f"{len(anno)} ground-truth lines")
