#!/bin/bash
# diagnosis only (training data): the rotation-aware default against the same weights with the
# rotation off and CSRT on the 44 train/ sequences
cd "$(dirname "$0")/../../../.."
for set in "" "--set tracking.rotation_aware=false"; do
  OMP_NUM_THREADS=1 .venv/bin/eqtrack evaluate --benchmark folder --root ../shared/data/train \
    --tracker default $set --workers 2 --quiet --results /tmp/trdz3 --reports /tmp/trdz3/rep | grep '^| eqtrack'
done
