"""Train a learned angle head on a trained tracker.

Runs ``eqtrack train-angle`` from a checkout; the code and its help live in
tracker/commands/train_angle.py.
"""
import sys

from tracker.commands.train_angle import main

if __name__ == "__main__":
    sys.exit(main())
