"""Record a tracker's (tracker=SPEC, default: the shipped default) per-frame state on OTB-layout folders (one run per sequence):
center, target_sz, object_sz, angle (answered), turn_track, answered box. Saves npz per seq."""
import sys, os, glob, numpy as np, cv2
from PIL import Image
from multiprocessing import Pool
os.environ.setdefault("OMP_NUM_THREADS", "1")
OUT = sys.argv[1]
SPEC = next((a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("tracker=")), "default")
OVR = [a for a in sys.argv[2:] if "=" in a and not a.startswith("tracker=")]
ROOTS = [a for a in sys.argv[2:] if "=" not in a]
def job(arg):
    root, seq = arg
    tag = os.path.basename(root.rstrip('/'))
    out = os.path.join(OUT, tag, seq + ".npz")
    if os.path.exists(out): return out
    import torch; torch.set_num_threads(1)
    from tracker.evaluation.trackers import tracker_from_spec
    from tracker.data.layouts import file_to_eqtrack, eqtrack_to_file
    t = tracker_from_spec(SPEC, OVR)
    d = os.path.join(root, seq)
    frames = sorted(glob.glob(os.path.join(d, "img", "*.jpg")))
    gtf = os.path.join(d, "groundtruth_rect.txt")
    gt = np.loadtxt(gtf, delimiter=',') if ',' in open(gtf).readline() else np.loadtxt(gtf)
    rec = {k: [] for k in ("center", "target_sz", "object_sz", "angle", "track", "box")}
    for i, f in enumerate(frames[:len(gt)]):
        img = Image.open(f)
        if not img.mode == "RGB": img = img.convert("RGB")
        if i == 0:
            t.init(img, file_to_eqtrack(gt[0])); box = gt[0]
        else:
            box = eqtrack_to_file(t.update(img))
        rec["center"].append(np.array(t.center) + 1.0); rec["target_sz"].append(np.array(t.target_sz))
        rec["object_sz"].append(np.array(getattr(t, "object_sz", t.target_sz)))
        rec["angle"].append(float(getattr(t, "angle", 0.0))); rec["track"].append(float(getattr(t, "turn_track", 0.0)))
        rec["box"].append(np.array(box, dtype=float))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    np.savez(out, gt=gt, **{k: np.array(v) for k, v in rec.items()})
    return out
if __name__ == "__main__":
    jobs = [(r, s) for r in ROOTS for s in sorted(os.listdir(r)) if os.path.isdir(os.path.join(r, s))]
    jobs.sort(key=lambda j: -len(os.listdir(os.path.join(*j, "img"))))
    with Pool(2) as p:
        for o in p.imap_unordered(job, jobs): pass
    print("done", len(jobs))
