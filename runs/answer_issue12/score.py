"""Offline answers from recorded state: AUC of variants. usage: score.py RECDIR/SET ..."""
import sys, glob, os, numpy as np
def iou(a, b):
    x1=np.maximum(a[:,0],b[:,0]); y1=np.maximum(a[:,1],b[:,1])
    x2=np.minimum(a[:,0]+a[:,2],b[:,0]+b[:,2]); y2=np.minimum(a[:,1]+a[:,3],b[:,1]+b[:,3])
    inter=np.clip(x2-x1,0,None)*np.clip(y2-y1,0,None)
    return inter/(a[:,2]*a[:,3]+b[:,2]*b[:,3]-inter+1e-12)
TH=np.linspace(0,1,21)
def auc(box, gt):
    ok = np.all(np.isfinite(gt), 1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)
    o = np.where(ok, iou(box, gt), np.nan)[ok]  # got10k folder: skip invalid truth rows? keep simple
    return np.mean([(o > t).mean() for t in TH])
def shrink(a, d):
    return a if d <= 0 else a * (1 - np.exp(-(a / d) ** 2))
def bounds(center, osz, ang):
    r = np.deg2rad(ang); c, s = np.abs(np.cos(r)), np.abs(np.sin(r))
    w = osz[:, 0] * c + osz[:, 1] * s; h = osz[:, 0] * s + osz[:, 1] * c
    return np.stack([center[:, 0] - w / 2, center[:, 1] - h / 2, w, h], 1)
def variants(z):
    c, o, a, tr = z["center"], z["object_sz"], z["angle"], z["track"]
    v = {"answered": z["box"], "upright": np.concatenate([c - z["target_sz"] / 2, z["target_sz"]], 1)}
    for d in (15, 20, 30, 45):
        v[f"ans_dz{d}"] = bounds(c, o, shrink(tr, d))
    v["bounds_of_angle"] = bounds(c, o, a)
    return v
if __name__ == "__main__":
    for sd in sys.argv[1:]:
        res = {}
        for f in sorted(glob.glob(sd + "/*.npz")):
            z = np.load(f); gt = z["gt"]
            for k, b in variants(z).items():
                b = b.copy(); b[0] = gt[0]
                res.setdefault(k, []).append(auc(b, gt))
        print(os.path.basename(sd), " ".join(f"{k}={np.mean(v):.4f}" for k, v in res.items()))
