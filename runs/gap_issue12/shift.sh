#!/bin/bash
# OTB-6 (evaluation only: nothing is chosen on it) with the first box moved one pixel right,
# left, down, up, through evaluate.sh (OUT defaults to /tmp/fr; the logged run used /tmp/fs)
cd "$(dirname "$0")/../.."
for s in "1 0 r" "-1 0 l" "0 1 d" "0 -1 u"; do
  set -- $s
  [ -d data/otb_shift_$3 ] || .venv/bin/python runs/gap_issue12/shift_first_box.py \
    ../shared/data/otb data/otb_shift_$3 $1 $2
done
runs/gap_issue12/evaluate.sh data/otb_shift_r data/otb_shift_l data/otb_shift_d data/otb_shift_u
