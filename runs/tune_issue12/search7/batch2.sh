#!/bin/bash
# search 7, block 2: the scale filter (tracking.scale_search=filter), suite + drift check
cd "$(dirname "$0")/../../.."
run() { name=$1; shift
  runs/tune_issue12/search7/suite.sh $name "$@"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root data/train_long --tracker default "$@" \
    --workers 2 --quiet --results /tmp/r8/$name --reports /tmp/r8/long_$name | grep '^| eqtrack' | sed "s/^/$name train_long /"
}
F="--set tracking.scale_search=filter"
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  args=""; for kv in $sets; do args="$args --set tracking.$kv"; done
  run $name $F $args
done
