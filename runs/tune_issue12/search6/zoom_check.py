"""The zoom check of search 6: the shipped default (rotation off) on the generated card of
tests/conftest.py's EASY (seed 3), the scene zoomed about the target and held for ten frames;
prints the tracked size relative to the first box after each frame.

usage: .venv/bin/python runs/tune_issue12/search6/zoom_check.py [tracking.KEY=VALUE ...]
e.g.   ... tracking.scale_search=templates tracking.instance_size=285 tracking.scale_lr=0.35
       tracking.scale_penalty=0.96
"""
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.conftest import EASY  # noqa: E402
from tracker.data.synthetic import generate_sequence  # noqa: E402
from tracker.inference.build import build_tracker  # noqa: E402

seq = generate_sequence(EASY, seed=3)
frame = seq.frames[0]
cx, cy = seq.boxes[0][:2] + seq.boxes[0][2:] / 2
for zoom in (1.1, 1 / 1.1, 1.2, 1 / 1.2):
    zoomed = cv2.warpAffine(frame, cv2.getRotationMatrix2D((cx, cy), 0.0, zoom),
                            frame.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    t = build_tracker(checkpoint="default",
                      overrides=["tracking.rotation_aware=false"] + sys.argv[1:])
    t.init(frame, seq.boxes[0])
    first = t.target_sz.copy()
    sizes = []
    for _ in range(10):
        t.update(zoomed)
        sizes.append(float(np.sqrt(np.prod(t.target_sz / first))))
    print(f"zoom {zoom:.3f}: size x{np.round(sizes, 3).tolist()}")
