#!/bin/bash
# the default, the same with the rotation off (OFF: eqtrack set-tracking default --set
# tracking.rotation_aware=false --out off.pt) and CSRT on each OTB-layout folder given
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/fr}
OFF=${OFF:-/tmp/fr/off.pt}
for r in "$@"; do
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --tracker $OFF --tracker opencv-csrt --workers 2 --quiet --results $OUT \
    --reports $OUT/rep_$(basename $r) | grep '^|'
done
