#!/bin/bash
# issue 17: plain, IEN and attentive p4 CIResNet-22 (the equal-budget runs' best.pt by val),
# each with the shipped default's tracking section, on the ten-set suite with the turn filter
# (its shipped setting) and with the template bank; then the turn filter on data/otb_rot
cd "$(dirname "$0")/../../.."
.venv/bin/python runs/angle_issue17/side/make_side.py
suite=runs/tune_issue12/search7/suite.sh
for m in plain ien p4; do
  SUITE_OUT=runs/angle_issue17/side SUITE_TRACKER=data/side/$m.pt $suite ${m}_tf
  SUITE_OUT=runs/angle_issue17/side SUITE_TRACKER=data/side/$m.pt $suite ${m}_bank \
    --set tracking.rotation_search=bank
done
OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate-rotation --root data/otb_rot --tracker data/side/plain.pt \
  --tracker data/side/ien.pt --tracker data/side/p4.pt --tracker default \
  --csv runs/angle_issue17/side/otb_rot_tf.csv
# issue 17's upright condition for each: upright val with the rotation off
OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root data/val_up \
  --tracker data/side/plain.pt --tracker data/side/ien.pt --tracker data/side/p4.pt \
  --set tracking.rotation_aware=false --workers 2 --quiet --results /tmp/side_off \
  --reports runs/angle_issue17/side/val_up_off | grep '^|'
