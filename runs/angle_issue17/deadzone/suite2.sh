#!/bin/bash
# usage: runs/angle_issue17/deadzone/suite2.sh NAME [--set tracking.K=V ...]
# the confirmation of NOTES.md: the default with the given overrides on the nine fresh rotated
# val sets of data/suite2 (made here if missing), one CSV per set, then the means
cd "$(dirname "$0")/../../.."
name=$1; shift
out=runs/angle_issue17/deadzone
for mode in turn random-walk progressive; do
  for s in 3 4 5; do
    d=data/suite2/val_${mode}_s$s
    if [ ! -d $d ]; then
      if [ $mode = turn ]; then extra="--rate 1.5"; else extra="--max-deg 180"; fi
      .venv/bin/eqtrack make-rotated --src ../shared/data/val --dst $d --mode $mode $extra --seed $s > /dev/null
    fi
  done
done
ls -d data/suite2/val_* | OMP_NUM_THREADS=1 xargs -P 2 -I{} sh -c \
  ".venv/bin/eqtrack evaluate-rotation --root {} --tracker default $* --csv $out/suite2_${name}_\$(basename {}).csv > /dev/null 2>&1"
.venv/bin/python - "$out" "$name" <<'PY'
import csv, glob, sys
out, name = sys.argv[1:]
rows = [r for f in sorted(glob.glob(f"{out}/suite2_{name}_val_*.csv"))
        for r in csv.DictReader(open(f)) if r["sequence"] == "overall"]
m = lambda k: sum(float(r[k]) for r in rows) / len(rows)
print(f"{name}: sets {len(rows)}; angle mean {m('mean'):.2f} median {m('median'):.2f} "
      f"p90 {m('p90'):.1f} under_15 {m('under_15'):.3f}; box_auc {m('box_auc'):.3f}")
PY
