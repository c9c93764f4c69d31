"""An offline vot-toolkit workspace for our trackers, and the toolkit's analysis read back.

Layout written by :func:`write_workspace` (vot-toolkit 0.9.0; no ``dataset:`` key in the stack,
so the toolkit never downloads)::

    WS/config.yaml        registry: [./trackers.ini], stack: ./stack.yaml
    WS/stack.yaml         one reset-based experiment "baseline" and its analyses
    WS/trackers.ini       [<name>] protocol = trax, command = <python> -m tracker.commands...
    WS/sequences/list.txt, WS/sequences/<seq>/sequence, groundtruth.txt, color/%08d.jpg

Ground truth is ``x,y,w,h`` per frame in 0-based pixel coordinates, as the toolkit reads it
(and as eqtrack's boxes are); frame files count from 1.
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import cv2
import numpy as np

from tracker.errors import InputError

EXPERIMENT = "baseline"
# the experiment class the toolkit's process imports (PYTHONPATH: the repository root)
EXPERIMENT_TYPE = "tracker.evaluation.vot_toolkit.supervised.ResetExperiment"


def server_command(spec: str = "default", rotated: bool = False, python: str | None = None,
                   extra: tuple[str, ...] = ()) -> str:
    """The ``command`` line of a ``trackers.ini`` entry serving tracker ``spec`` over TraX."""
    args = [python or sys.executable, "-m", "tracker.commands.vot_server", "--tracker", spec,
            *(["--rotated"] if rotated else []), *extra]
    return " ".join(shlex.quote(str(a)) for a in args)


def trackers_ini(name: str, command: str, label: str | None = None) -> str:
    """One ``trackers.ini`` section: tracker ``name`` (the toolkit's identifier) run by
    ``command`` over TraX."""
    if not name.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"VOT tracker name {name!r}: use letters, digits, - and _")
    # timeout: a first start may export and calibrate the ONNX graphs (cached afterwards)
    return (f"[{name}]\nlabel = {label or name}\nprotocol = trax\ncommand = {command}\n"
            f"timeout = 300\n")


def write_workspace(root: str | Path, sequences: list, name: str, command: str,
                    burnin: int = 10, eao_interval: tuple[int, int] = (100, 356),
                    skip_initialize: int = 5, repetitions: int = 1) -> Path:
    """Write the workspace ``root`` (see the module docstring) for ``sequences`` (each with
    ``name``, RGB ``frames`` and 0-based ``boxes [N, 4]``, as generated sequences have) and one
    tracker ``name`` run by ``command``. The analyses: ``ar`` (accuracy and robustness with
    ``burnin``), ``failures``, ``eao`` over ``eao_interval`` (both ends included)."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise InputError(f"VOT workspace '{root}' is not empty")
    seq_root = root / "sequences"
    for seq in sequences:
        d = seq_root / seq.name
        (d / "color").mkdir(parents=True)
        for i, frame in enumerate(seq.frames, start=1):
            path = d / "color" / f"{i:08d}.jpg"
            if not cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f"cannot write '{path}'")
        np.savetxt(d / "groundtruth.txt", np.asarray(seq.boxes, dtype=np.float64), fmt="%.3f",
                   delimiter=",")
        h, w = seq.frames[0].shape[:2]
        (d / "sequence").write_text(f"name={seq.name}\nfps=30\nformat=default\n"
                                    f"channels.color=color/%08d.jpg\nwidth={w}\nheight={h}\n"
                                    f"length={len(seq.frames)}\n")
    (seq_root / "list.txt").write_text("".join(f"{s.name}\n" for s in sequences))
    low, high = eao_interval
    (root / "stack.yaml").write_text(f"""title: eqtrack offline reset-based stack
experiments:
  {EXPERIMENT}:
    type: {EXPERIMENT_TYPE}
    repetitions: {repetitions}
    skip_initialize: {skip_initialize}
    failure_overlap: 0
    analyses:
      - {{type: supervised_average_ar, name: ar, sensitivity: 30, burnin: {burnin}}}
      - {{type: cumulative_failures, name: failures}}
      - {{type: supervised_eao_score, name: eao, low: {low}, high: {high}}}
""")
    (root / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: ./stack.yaml\n")
    (root / "trackers.ini").write_text(trackers_ini(name, command))
    return root


def read_analysis(path: str | Path, tracker: str) -> dict[str, float]:
    """``{"accuracy", "robustness" (failures per sequence, length-weighted), "failures"
    (total), "eao"}`` of ``tracker`` from a ``vot analysis --format json`` file of a workspace
    :func:`write_workspace` made (its results are positional: one entry per analysis, one
    tuple per tracker)."""
    data = json.loads(Path(path).read_text())
    trackers = list(data["trackers"])
    if tracker not in trackers:
        raise InputError(f"{path}: no results for tracker {tracker!r} (has: {trackers})")
    k = trackers.index(tracker)
    exp = data["results"][EXPERIMENT]
    by_name = {a["name"]: r for a, r in zip(exp["parameters"]["analyses"], exp["results"])}
    ar = by_name["ar"][k]
    return {"accuracy": float(ar[0]), "robustness": float(ar[1]),
            "failures": float(by_name["failures"][k][0]), "eao": float(by_name["eao"][k][0])}
