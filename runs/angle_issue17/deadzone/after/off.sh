#!/bin/bash
# the same weights with the rotation off (the seventh session's default), this session's
# machine, for the README's table beside the rotation-aware default
cd "$(dirname "$0")/../../../.."
for r in ../shared/data/val data/val_up data/val_rot ../shared/data/otb data/otb_rot; do
  echo "== $r"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $r --tracker default \
    --set tracking.rotation_aware=false --workers 2 --quiet --results /tmp/dzoff \
    --reports /tmp/dzoff/rep_$(basename $r) | grep '^| eqtrack'
done
