#!/bin/bash
# usage: runs/tune_issue12/search7/suite.sh NAME [--set tracking.K=V ...]
# scores the default with the given overrides on data/val_up and the nine rotated val sets
# of data/suite (two at a time), one CSV per set (in $SUITE_OUT, default this folder; the
# tracker in $SUITE_TRACKER, default "default"), then
# prints the search-5 rule's numbers
cd "$(dirname "$0")/../../.."
name=$1; shift
out=${SUITE_OUT:-runs/tune_issue12/search7}  # where the CSVs go
sets="data/val_up $(ls -d data/suite/val_*)"
for s in $sets; do echo $s; done | OMP_NUM_THREADS=1 xargs -P 2 -I{} sh -c \
  ".venv/bin/eqtrack evaluate-rotation --root {} --tracker ${SUITE_TRACKER:-default} $* --csv $out/suite10_${name}_\$(basename {}).csv > /dev/null 2>&1"
.venv/bin/python - "$out" "$name" <<'PY'
import csv, glob, sys
out, name = sys.argv[1:]
rows = {}
for f in glob.glob(f"{out}/suite10_{name}_val_*.csv"):
    for r in csv.DictReader(open(f)):
        if r["sequence"] == "overall":
            rows[f.split(f"suite10_{name}_")[1][:-4]] = r
up = rows.get("val_up"); rot = [r for k, r in rows.items() if k != "val_up"]
m = lambda k: sum(float(r[k]) for r in rot) / len(rot)
print(f"{name}: sets {len(rows)}; val_up box_auc {float(up['box_auc']):.3f} angle {float(up['mean']):.1f}; "
      f"rotated box_auc {m('box_auc'):.3f} angle mean {m('mean'):.1f} median {m('median'):.1f}; "
      f"combined {(float(up['box_auc']) + m('box_auc')) / 2:.3f}; fps {float(up['fps']):.0f}")
PY
