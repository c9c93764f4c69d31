"""Angle error (degrees) of recorded runs over rotated sets: each set pools its frames (1..) as
evaluate-rotation's overall row does; prints the mean over sets of each set's mean and median."""
import sys, glob, os, numpy as np
def true_angles(seq_dir):
    a = np.loadtxt(os.path.join(seq_dir, "angles.txt")).reshape(-1)
    return a - a[0]
def set_angles(rec_set, data_set):
    errs = []
    for f in sorted(glob.glob(rec_set + "/*.npz")):
        z = np.load(f); s = os.path.basename(f)[:-4]
        tr = true_angles(os.path.join(data_set, s))
        e = np.abs((z["angle"][1:] - tr[1:len(z["angle"])] + 180.0) % 360.0 - 180.0)
        errs.append(e)
    e = np.concatenate(errs); return e.mean(), np.median(e)
if __name__ == "__main__":
    R = sys.argv[1]
    rows = {}
    folders = sys.argv[2:] or ["data/suite", "data/suite2"]
    for d in sorted(x for f in folders for x in glob.glob(f + "/val_*")):
        rows[os.path.basename(d)] = set_angles(os.path.join(R, os.path.basename(d)), d)
    m = np.array(list(rows.values()))
    print(f"{R}: {len(rows)} sets; angle mean {m[:,0].mean():.2f} median {m[:,1].mean():.2f}")
