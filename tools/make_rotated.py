"""Write a rotated copy of an OTB- or GOT-10k-layout tracking dataset (like Rot-OTB100).

Runs ``eqtrack make-rotated`` from a checkout; the code and its help live in
tracker/commands/make_rotated.py.
"""
import sys

from tracker.commands.make_rotated import main

if __name__ == "__main__":
    sys.exit(main())
