#!/bin/bash
# search 7, block 1: the calibrated templates (tie gains) with search 6's best neighbours
cd "$(dirname "$0")/../../.."
T="--set tracking.scale_search=templates --set tracking.instance_size=285 --set tracking.scale_lr=0.35"
run() { name=$1; shift
  runs/tune_issue12/search7/suite.sh $name $T "$@"
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root data/train_long --tracker default $T "$@" \
    --workers 2 --quiet --results /tmp/r7/$name --reports runs/tune_issue12/search7/long_$name | grep '^| eqtrack' | sed "s/^/$name train_long /"
}
run gT_sp096_up001 --set tracking.scale_penalty=0.96 --set tracking.rotation_upright=0.01
run gT_up001 --set tracking.rotation_upright=0.01
run gT_sp0985 --set tracking.scale_penalty=0.985
