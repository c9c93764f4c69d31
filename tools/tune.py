"""Search a model's tracking hyper-parameters on validation sequences (never on test data).

Runs ``eqtrack tune`` from a checkout; the code and its help live in
tracker/commands/tune.py.
"""
import sys

from tracker.commands.tune import main

if __name__ == "__main__":
    sys.exit(main())
