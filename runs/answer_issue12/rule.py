import sys, glob, os, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score import auc, variants
R = sys.argv[1]
def set_scores(sd):
    res = {}
    for f in sorted(glob.glob(sd + "/*.npz")):
        z = np.load(f); gt = z["gt"]
        for k, b in variants(z).items():
            b = b.copy(); b[0] = gt[0]; res.setdefault(k, []).append(auc(b, gt))
    return {k: np.mean(v) for k, v in res.items()}
up = [set_scores(f"{R}/{s}") for s in ("val", "val_up")]
rot_names = sorted(n for n in os.listdir(R) if n.startswith("val_") and n[4:8] in ("prog", "rand", "turn"))
rot = [set_scores(f"{R}/{s}") for s in rot_names]
print(len(rot), "rotated sets")
keys = list(up[0])
base = None
for k in keys:
    u = np.mean([s[k] for s in up]); r = np.mean([s[k] for s in rot]); S = (u + r) / 2
    if k == "answered": base = (u, r, S)
    print(f"{k:16s} val/ {up[0][k]:.4f} val_up {up[1][k]:.4f} upright {u:.4f} rotated {r:.4f} S {S:.4f}" + (f"  dS {S-base[2]:+.4f} du {u-base[0]:+.4f} dr {r-base[1]:+.4f}" if base else ""))
for m in ("turn", "random-walk", "progressive"):
    sub = [s for n, s in zip(rot_names, rot) if m in n]
    print(m, " ".join(f"{k}={np.mean([s[k] for s in sub]):.4f}" for k in keys))
