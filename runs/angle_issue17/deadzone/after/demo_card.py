"""The demo scene (seed 0) tracked by the default rotation-aware and with the rotation off:
every tenth frame's answered angle against the true turn since the first frame (mod 360),
the IoU of the answered box and sqrt(answered area / true area)."""
import numpy as np
from tracker.evaluation.demo import demo_sequence
from tracker.inference.build import build_tracker
seq = demo_sequence(150, 0)
for ov in ([], ["tracking.rotation_aware=false"]):
    t = build_tracker(checkpoint="default", overrides=ov)
    t.init(seq.frames[0], seq.boxes[0])
    true = (seq.rotated[:, 4] - seq.rotated[0, 4] + 180.0) % 360.0 - 180.0
    rows=[]
    for i in range(1, len(seq.frames)):
        b = t.update(seq.frames[i]); g = seq.boxes[i]
        x1=max(b[0],g[0]); y1=max(b[1],g[1]); x2=min(b[0]+b[2],g[0]+g[2]); y2=min(b[1]+b[3],g[1]+g[3])
        inter=max(0,x2-x1)*max(0,y2-y1); iou=inter/(b[2]*b[3]+g[2]*g[3]-inter)
        rows.append((i, float(t.angle), float(true[i]), iou, np.sqrt(b[2]*b[3]/(g[2]*g[3]))))
    r=np.array(rows)
    print(ov, "mean IoU", r[:,3].mean())
    for row in r[::10]: print("  %3d est %7.1f true %7.1f iou %.2f size %.2f" % tuple(row))
