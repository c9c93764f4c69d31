#!/bin/bash
# usage: runs/scale_issue12/batch.sh "NAME:KEY=VALUE KEY=VALUE" ...  (keys without the
# tracking. prefix; "ref:" is the shipped default); rule in NOTES.md; results under $RESULTS
# (default /tmp/scale)
cd "$(dirname "$0")/../.."
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  args=""; for kv in $sets; do args="$args --set tracking.$kv"; done
  for root in ../shared/data/val data/val_up data/val_rot data/train_long; do
    OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $root \
      --tracker default $args --workers 2 --quiet --results ${RESULTS:-/tmp/scale}/$name \
      --reports ${RESULTS:-/tmp/scale}/rep_$name | grep '^| eqtrack' | sed "s|^|$name $(basename $root) |"
  done
done
