#!/bin/bash
# the rotation-aware default after the dead-zone batches' choices (batch 1: turn_filter_deadzone 10; batch 2: turn_filter_passes 2; batch 4: turn samples antialiased once, context 2):
# every set of the README's table, and the angle on otb_rot (evaluation only for otb)
cd "$(dirname "$0")/../../../.."
for r in ../shared/data/val data/val_up data/val_rot ../shared/data/otb data/otb_rot; do
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --tracker opencv-csrt --workers 2 --quiet --results /tmp/dzd3 --reports /tmp/dzd3/rep_$(basename $r)
done
echo "== angle on data/otb_rot"
OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate-rotation --root data/otb_rot --tracker default \
  --csv runs/angle_issue17/deadzone/after/otb_rot_angle.csv | grep -E "overall|^tracker"
