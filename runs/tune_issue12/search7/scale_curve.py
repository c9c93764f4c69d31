"""Frame-0 scale curves on val/: for each val sequence's first frame, the scene zoomed about the
target by z (the search crop cut at side x_sz / z), the peak of each scale hypothesis relative to
the middle one's, for the pyramid (three search crops, one template) and the templates search
(one crop, three templates). An unbiased search answers 'bigger' for z > sqrt(step) as readily
as 'smaller' for z < 1/sqrt(step): the two log-ratio curves mirror each other.

usage: .venv/bin/python runs/tune_issue12/search7/scale_curve.py ROOT [tracking.KEY=VALUE ...]
"""
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tracker.crops import crop_square  # noqa: E402
from tracker.inference.build import build_tracker  # noqa: E402

root = Path(sys.argv[1])
over = ["tracking.rotation_aware=false", "tracking.online_filter=0", "tracking.online_hog=0"]
over += sys.argv[2:]
zooms = 1.0375 ** np.arange(-4, 5)
rows = {}
from PIL import Image  # noqa: E402

for seq in sorted(p for p in root.iterdir() if p.is_dir()):
    gt = np.loadtxt(seq / "groundtruth_rect.txt", delimiter=",")
    frames = sorted((seq / "img").glob("*.jpg"))
    for fi in (0, len(frames) // 2):
        img = np.asarray(Image.open(frames[fi]).convert("RGB"))
        t = build_tracker(checkpoint="default", overrides=over)
        t.init(img, gt[fi])
        for z in zooms:
            sides = [1.0] if t.scale_templates else t.scale_factors
            crops = [crop_square(img, t.center, t.x_sz * f / z, t.cfg.instance_size,
                                 t.avg_color) for f in sides]
            with torch.inference_mode():
                feats, _ = t.runtime.search_crops(crops)
                r = t.runtime.head(t.kernel, feats)[:, 0].float().numpy()
            t._prepare_window(r.shape[-1])
            p = t._upsample(r).reshape(3, -1).max(axis=1)
            rows.setdefault(round(float(z), 4), []).append(np.log(p / p[1]))
print("zoom   log(small/mid)  log(big/mid)   (mean over frames)  win-rate small/mid/big at P")
P = float(dict(o.split("=") for o in over).get("tracking.scale_penalty", 0.9745))
for z, v in sorted(rows.items()):
    v = np.array(v)
    m = v.mean(axis=0)
    pen = v + np.log([P, 1, P])
    win = np.bincount(pen.argmax(axis=1), minlength=3) / len(v)
    print(f"{z:6.3f}  {m[0]:+.4f}  {m[2]:+.4f}   {np.round(win, 2).tolist()}")
