#!/bin/bash
# nine fresh rotated copies of val (seeds 6-8, never used for a choice) and the confirmation
# rows of NOTES.md: the shipped default and the eighth session's, recorded and scored
cd "$(dirname "$0")/../.."
REC=${REC:-/tmp/rec}
for mode in turn random-walk progressive; do
  for s in 6 7 8; do
    d=data/suite3/val_${mode}_s$s
    if [ ! -d $d ]; then
      if [ $mode = turn ]; then extra="--rate 1.5"; else extra="--max-deg 180"; fi
      .venv/bin/eqtrack make-rotated --src ../shared/data/val --dst $d --mode $mode $extra --seed $s > /dev/null
    fi
  done
done
[ -f $REC/prev.pt ] || git show 66690b1:tracker/weights/eqtrack-ien-resnet22-w025.pt > $REC/prev.pt
OMP_NUM_THREADS=1 .venv/bin/python runs/answer_issue12/record.py $REC/fresh_new data/suite3/* > /dev/null
OMP_NUM_THREADS=1 .venv/bin/python runs/answer_issue12/record.py $REC/fresh_prev data/suite3/* tracker=$REC/prev.pt > /dev/null
for n in fresh_new fresh_prev; do
  .venv/bin/python runs/answer_issue12/angles.py $REC/$n data/suite3
done
