"""Batch 3's numbers for each NAME given: val_up box AUC, and over the eighteen rotated val
sets (suite10_NAME_val_* and suite2_NAME_val_*, or SUITE_NAME:FRESH_NAME) the mean angle
error, median, box AUC, and the combined score (mean of val_up box AUC and that box AUC)."""
import csv
import glob
import sys
from pathlib import Path

here = Path(__file__).parent
for arg in sys.argv[1:]:
    suite, fresh = arg.split(":") if ":" in arg else (arg, arg)
    overall = {}
    for f in glob.glob(str(here / f"suite10_{suite}_val_*.csv")) + glob.glob(str(here / f"suite2_{fresh}_val_*.csv")):
        for r in csv.DictReader(open(f)):
            if r["sequence"] == "overall":
                overall[Path(f).stem] = r
    up = overall.pop(f"suite10_{suite}_val_up")
    m = lambda k: sum(float(r[k]) for r in overall.values()) / len(overall)
    print(f"{arg}: rotated sets {len(overall)}; val_up box {float(up['box_auc']):.3f}; angle mean "
          f"{m('mean'):.2f} median {m('median'):.2f}; box {m('box_auc'):.4f}; combined "
          f"{(float(up['box_auc']) + m('box_auc')) / 2:.4f}")
