"""Size drift per sequence: the median of sqrt(predicted area / true area) in each quarter of
each sequence, from got10k result files of `eqtrack evaluate --benchmark folder --root
data/train_long ... --results DIR` (run from the repository root).

usage: .venv/bin/python runs/tune_issue12/search7/size_drift.py DIR [DIR ...]
"""
import glob
import os
import sys

import numpy as np

for d in sys.argv[1:]:
    print(d)
    for f in sorted(glob.glob(f"{d}/**/*.txt", recursive=True)):
        if "time" in f: continue
        seq = os.path.basename(f)[:-4]
        gt = np.loadtxt(f"data/train_long/{seq}/groundtruth_rect.txt", delimiter=",")
        pr = np.loadtxt(f, delimiter=",")
        ok = (gt[:, 2] > 0) & (gt[:, 3] > 0)
        r = np.log(np.sqrt(pr[ok, 2] * pr[ok, 3] / (gt[ok, 2] * gt[ok, 3])))
        n = len(r)
        print(f"  {seq:14s} size ratio q1 {np.exp(np.median(r[:n//4])):.2f} q2 {np.exp(np.median(r[n//4:n//2])):.2f} q3 {np.exp(np.median(r[n//2:3*n//4])):.2f} q4 {np.exp(np.median(r[3*n//4:])):.2f}")
