"""Train a tracker (backbone + head) with a tracking loss.

Runs ``eqtrack train`` from a checkout; the code and its help live in
tracker/commands/train.py.
"""
import sys

from tracker.commands.train import main

if __name__ == "__main__":
    sys.exit(main())
