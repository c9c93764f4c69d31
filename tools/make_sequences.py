"""Write generated tracking sequences (exact ground truth, known angles) to disk.

Runs ``eqtrack make-sequences`` from a checkout; the code and its help live in
tracker/commands/make_sequences.py.
"""
import sys

from tracker.commands.make_sequences import main

if __name__ == "__main__":
    sys.exit(main())
