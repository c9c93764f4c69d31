#!/bin/bash
# issue 17: the turn filter (tracking.rotation_search=turn_filter) against the shipped bank,
# on the ten-set suite (suite.sh) and the drift check on data/train_long
# usage: runs/angle_issue17/turn_filter/batch.sh "NAME:KEY=VALUE KEY=VALUE" ...  (keys without
# the tracking. prefix; a NAME starting with "bank" runs without the turn filter)
cd "$(dirname "$0")/../../.."
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  args=""; [[ $name == bank* ]] || args="--set tracking.rotation_search=turn_filter"
  for kv in $sets; do args="$args --set tracking.$kv"; done
  runs/angle_issue17/turn_filter/suite.sh $name $args
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root data/train_long \
    --tracker default $args --workers 2 --quiet --results /tmp/r9/$name \
    --reports /tmp/r9/long_$name | grep '^| eqtrack' | sed "s/^/$name train_long /"
done
