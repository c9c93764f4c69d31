"""Make the README's pictures from generated data.

Runs ``eqtrack figures`` from a checkout; the code and its help live in
tracker/commands/figures.py.
"""
import sys

from tracker.commands.figures import main

if __name__ == "__main__":
    sys.exit(main())
