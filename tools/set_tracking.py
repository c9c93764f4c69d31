"""Write a copy of a checkpoint with a changed tracking section (same weights), e.g. after

Runs ``eqtrack set-tracking`` from a checkout; the code and its help live in
tracker/commands/set_tracking.py.
"""
import sys

from tracker.commands.set_tracking import main

if __name__ == "__main__":
    sys.exit(main())
