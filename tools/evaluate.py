"""Evaluate trackers on a benchmark with the got10k toolkit, offline, and write one report.

Runs ``eqtrack evaluate`` from a checkout; the code and its help live in
tracker/commands/evaluate.py.
"""
import sys

from tracker.commands.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
