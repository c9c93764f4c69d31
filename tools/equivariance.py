"""Measure how equivariant a backbone is: relative error per stage and per group element.

Runs ``eqtrack equivariance`` from a checkout; the code and its help live in
tracker/commands/equivariance.py.
"""
import sys

from tracker.commands.equivariance import main

if __name__ == "__main__":
    sys.exit(main())
