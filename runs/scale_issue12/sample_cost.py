"""Cost of one call of the scale filter's samples (33 samples, the shipped grid for a target of
aspect 0.5) and of the turn filter's (31 squares, context 2) in a 1920x1080 frame of noise,
for targets of 50 to 800 pixels, with and without antialiasing; one thread.

usage: OMP_NUM_THREADS=1 .venv/bin/python runs/scale_issue12/sample_cost.py
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tracker.inference.sample_filters import ScaleFilter, TurnFilter  # noqa: E402

frame = np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
center = (960.0, 540.0)


def ms(f, size, repeats=10):
    f.samples(frame, center, size)
    t = time.perf_counter()
    for _ in range(repeats):
        f.samples(frame, center, size)
    return 1000 * (time.perf_counter() - t) / repeats


for side in (50, 100, 200, 400, 800):
    size = (0.7 * side, 1.4 * side)  # aspect 0.5, sqrt(w h) = side
    row = [ms(ScaleFilter(33, 1.02, aspect=0.5, antialias=a), size) for a in (False, True)]
    row += [ms(TurnFilter(31, 2.0, context=2.0, antialias=a), size) for a in (False, True)]
    print(f"target {side:4d} px: scale filter {row[0]:.2f} / {row[1]:.2f} ms, "
          f"turn filter {row[2]:.2f} / {row[3]:.2f} ms (plain / antialiased)")
