#!/bin/bash
# one recording per candidate (runs/speed_issue12/NOTES.md) on val/, val_up and the eighteen
# rotated val sets; REC (default /tmp/rec) holds them
cd "$(dirname "$0")/../.."
REC=${REC:-/tmp/rec}
SETS=${SETS:-"../shared/data/val data/val_up data/suite/* data/suite2/*"}
run() { name=$1; shift; OMP_NUM_THREADS=1 .venv/bin/python runs/answer_issue12/record.py $REC/$name $SETS "$@" > $REC/$name.log 2>&1; }
for row in "${@}"; do
  name=${row%%:*}; sets=${row#*:}
  run $name $sets
  echo "== $name ($sets)"
  .venv/bin/python runs/answer_issue12/rule.py $REC/$name 2>&1 | sed -n 1,2p
  .venv/bin/python runs/answer_issue12/angles.py $REC/$name $ANGLE_SETS
done
