#!/bin/bash
# usage: runs/angle_issue17/turn_filter/suite.sh NAME [--set tracking.K=V ...]
# search 7's ten-set suite (runs/tune_issue12/search7/suite.sh), its CSVs in this folder
cd "$(dirname "$0")/../../.."
SUITE_OUT=runs/angle_issue17/turn_filter exec runs/tune_issue12/search7/suite.sh "$@"
