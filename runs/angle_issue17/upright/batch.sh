#!/bin/bash
# issue 12 item 4 / issue 17: the turn filter's upright hypothesis (turn_filter_upright), rule
# in NOTES.md. Per row: the ten-set suite (../turn_filter/suite.sh), val/ itself, the drift
# check on data/train_long and the generated turning card.
# usage: runs/angle_issue17/upright/batch.sh "NAME:KEY=VALUE KEY=VALUE" ...  (keys without the
# tracking. prefix; NAME "ref" with no keys is the shipped default)
cd "$(dirname "$0")/../../.."
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  args=""; for kv in $sets; do args="$args --set tracking.$kv"; done
  SUITE_OUT=runs/angle_issue17/upright runs/tune_issue12/search7/suite.sh $name $args
  for root in ../shared/data/val data/train_long; do
    OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root $root \
      --tracker default $args --workers 2 --quiet --results /tmp/up/$name \
      --reports /tmp/up/rep_$name | grep '^| eqtrack' | sed "s|^|$name $(basename $root) |"
  done
  .venv/bin/python runs/angle_issue17/upright/card.py ${sets:+$(for kv in $sets; do echo tracking.$kv; done)} \
    2>/dev/null | sed "s/^/$name card /"
done
