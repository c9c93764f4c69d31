"""Plot training runs' learning curves: validation AUC (val/ and its rotated copy) against

Runs ``eqtrack plot-curve`` from a checkout; the code and its help live in
tracker/commands/plot_curve.py.
"""
import sys

from tracker.commands.plot_curve import main

if __name__ == "__main__":
    sys.exit(main())
