"""Export a trained model for deployment: ONNX graphs of the template branch, the search branch

Runs ``eqtrack export`` from a checkout; the code and its help live in
tracker/commands/export.py.
"""
import sys

from tracker.commands.export import main

if __name__ == "__main__":
    sys.exit(main())
