"""Demo: our default tracker and OpenCV's CSRT side by side on a generated scene where the

Runs ``eqtrack demo`` from a checkout; the code and its help live in
tracker/commands/demo.py.
"""
import sys

from tracker.commands.demo import main

if __name__ == "__main__":
    sys.exit(main())
