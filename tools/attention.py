"""Save the attention maps of an attentive group backbone for one frame, as images.

Runs ``eqtrack attention`` from a checkout; the code and its help live in
tracker/commands/attention.py.
"""
import sys

from tracker.commands.attention import main

if __name__ == "__main__":
    sys.exit(main())
