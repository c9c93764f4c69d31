#!/bin/bash
# the default, the same with the rotation off, and CSRT on 14 native-rate training sequences
# (diagnosis only) at their own frame rate, at a third of it, and at a third of it cut to 80
# frames (val/'s construction)
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/fr}
OFF=${OFF:-/tmp/fr/off.pt}  # the default with tracking.rotation_aware=false (eqtrack set-tracking)
SEQS="truck4_1 BlurBody person12_1 MountainBike BlurCar2 Boy building4 Skating1 Soccer boat1 Jogging-1 Freeman1 Lemming Suv"
[ -d data/tn1 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn1 1 $SEQS
[ -d data/tn3 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn3 3 $SEQS
[ -d data/tn3_80 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn3_80 3 80 $SEQS
for r in data/tn1 data/tn3 data/tn3_80; do
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --tracker $OFF --tracker opencv-csrt --workers 2 --quiet --results $OUT \
    --reports $OUT/rep_$(basename $r) | grep '^|'
done
