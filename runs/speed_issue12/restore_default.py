"""How the tenth session wrote the shipped default after batch 2 (NOTES.md), kept as run.

The eighth session's weights and tracking section (`git show 66690b1:tracker/weights/
eqtrack-ien-resnet22-w025.pt > /tmp/rec/prev.pt`) with the current file's extra fields and
tracking history, plus one entry saying why reuse went. `eqtrack set-tracking` cannot do
this: the reuse key it would drop is no longer a config key.
usage: python runs/speed_issue12/restore_default.py /tmp/rec/prev.pt
"""
import sys
from pathlib import Path

import torch

from tracker.checkpoint import save_checkpoint
from tracker.model.build import load_model

CURRENT = "tracker/weights/eqtrack-ien-resnet22-w025.pt"
raw = torch.load(CURRENT, weights_only=True)
model, config = load_model(sys.argv[1])
extra = {k: v for k, v in raw.items()
         if k not in ("format", "version", "config", "model", "digest")}
extra["tracking_history"] = list(raw["tracking_history"]) + [{
    "set": ["tracking.turn_filter_reuse (removed)"],
    "note": "issue 12 speed (tenth session): by batch 2 of runs/speed_issue12/NOTES.md, over 27 "
            "rotated val sets, reuse is not eligible (angle 15.23 / 6.57); B alone (the rounded-down "
            "region, code) is the one eligible row: val/ 0.622, val_up 0.616, angle 13.55 / 6.48, "
            "rotated AUC 0.508; reuse and its option are gone"}]
save_checkpoint(Path(CURRENT), model, config, **extra)
