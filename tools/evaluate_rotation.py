"""Measure how well trackers follow the target's in-plane angle on sequences with known angles.

Runs ``eqtrack evaluate-rotation`` from a checkout; the code and its help live in
tracker/commands/evaluate_rotation.py.
"""
import sys

from tracker.commands.evaluate_rotation import main

if __name__ == "__main__":
    sys.exit(main())
