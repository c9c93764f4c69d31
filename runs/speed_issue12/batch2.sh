#!/bin/bash
# batch 2 of NOTES.md: T, S and T + S on val/, val_up and all 27 rotated val sets; B and B + R
# have their 18-set rows from batch 1 and their fresh-set rows from suite3.sh (fresh_B,
# fresh_new), linked in here
cd "$(dirname "$0")/../.."
REC=${REC:-/tmp/rec}
for s in data/suite3/*; do
  ln -sfn $REC/fresh_B/$(basename $s) $REC/B/$(basename $s)
  ln -sfn $REC/fresh_new/$(basename $s) $REC/BR/$(basename $s)
  ln -sfn $REC/fresh_prev/$(basename $s) $REC/def/$(basename $s)
done
export SETS="../shared/data/val data/val_up data/suite/* data/suite2/* data/suite3/*"
export ANGLE_SETS="data/suite data/suite2 data/suite3"
runs/speed_issue12/rows.sh "T:tracking.turn_filter_reuse_shift=true" \
  "S:tracking.turn_filter_reuse=false tracking.scale_filter_reuse=true" \
  "TS:tracking.turn_filter_reuse_shift=true tracking.scale_filter_reuse=true"
for n in def B BR; do
  echo "== $n"
  .venv/bin/python runs/answer_issue12/rule.py $REC/$n 2>&1 | sed -n 1,2p
  .venv/bin/python runs/answer_issue12/angles.py $REC/$n $ANGLE_SETS
done
