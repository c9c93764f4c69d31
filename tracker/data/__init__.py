"""Data: synthetic sequences (the embedded default) and dataset readers."""
