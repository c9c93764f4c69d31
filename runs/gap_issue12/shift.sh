#!/bin/bash
# OTB-6 (evaluation only: nothing is chosen on it) with the first box moved one pixel right,
# left, down, up: the default, the same with the rotation off, and CSRT
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/fs}
OFF=${OFF:-/tmp/fr/off.pt}
for s in "1 0 r" "-1 0 l" "0 1 d" "0 -1 u"; do
  set -- $s
  [ -d data/otb_shift_$3 ] || .venv/bin/python runs/gap_issue12/shift_first_box.py \
    ../shared/data/otb data/otb_shift_$3 $1 $2
done
for d in r l d u; do
  r=data/otb_shift_$d
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --tracker $OFF --tracker opencv-csrt --workers 2 --quiet --results $OUT \
    --reports $OUT/rep_$(basename $r) | grep '^|'
done
