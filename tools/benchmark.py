"""Benchmark backbones side by side: parameters, FLOPs and forward time at template and search

Runs ``eqtrack benchmark`` from a checkout; the code and its help live in
tracker/commands/benchmark.py.
"""
import sys

from tracker.commands.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
