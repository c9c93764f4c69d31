#!/bin/bash
# usage: runs/angle_issue17/antialias/batch.sh "NAME:KEY=VALUE KEY=VALUE" ... (keys without
# the tracking. prefix); rule in NOTES.md; the suite's CSVs go to $BATCH_OUT (default this folder)
cd "$(dirname "$0")/../../.."
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  args=""; for kv in $sets; do args="$args --set tracking.$kv"; done
  SUITE_OUT=${BATCH_OUT:-runs/angle_issue17/antialias} runs/tune_issue12/search7/suite.sh $name $args
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root ../shared/data/val \
    --tracker default $args --workers 2 --quiet --results /tmp/aa/$name \
    --reports /tmp/aa/rep_$name | grep '^| eqtrack' | sed "s|^|$name val |"
  .venv/bin/python runs/angle_issue17/upright/card.py $(for kv in $sets; do echo tracking.$kv; done) \
    2>/dev/null | sed "s/^/$name card /"
done
