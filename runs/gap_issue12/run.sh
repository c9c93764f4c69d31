#!/bin/bash
# 14 native-rate training sequences (diagnosis only) at their own frame rate, at a third of it,
# and at a third of it cut to 80 frames (val/'s construction), through evaluate.sh
cd "$(dirname "$0")/../.."
SEQS="truck4_1 BlurBody person12_1 MountainBike BlurCar2 Boy building4 Skating1 Soccer boat1 Jogging-1 Freeman1 Lemming Suv"
[ -d data/tn1 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn1 1 $SEQS
[ -d data/tn3 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn3 3 $SEQS
[ -d data/tn3_80 ] || .venv/bin/python runs/gap_issue12/subsample.py ../shared/data/train data/tn3_80 3 80 $SEQS
runs/gap_issue12/evaluate.sh data/tn1 data/tn3 data/tn3_80
