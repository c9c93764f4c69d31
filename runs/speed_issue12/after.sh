#!/bin/bash
# the default after a choice of runs/speed_issue12 (batch 1: B + R, after.log; batch 2: B alone,
# after_b.log): every set of the README's table with CSRT, the angle on otb_rot (evaluation only
# for otb), and train/ (diagnosis only)
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/sp9}
for r in ../shared/data/val data/val_up data/val_rot ../shared/data/otb data/otb_rot; do
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --tracker opencv-csrt --workers 2 --quiet --results $OUT --reports $OUT/rep_$(basename $r) | grep '^|'
done
echo "== angle on data/otb_rot"
OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate-rotation --root data/otb_rot --tracker default \
  --csv runs/speed_issue12/otb_rot_angle.csv | grep -E "overall|^tracker"
echo "== train/ (diagnosis)"
OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root ../shared/data/train \
  --tracker default --workers 2 --quiet --results $OUT --reports $OUT/rep_train | grep '^|'
