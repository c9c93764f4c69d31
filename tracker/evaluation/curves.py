"""Learning curves of training runs: validation AUC against training pairs, read from the
``val.csv`` that :meth:`tracker.training.engine.Trainer.validate` appends to (columns ``step, pairs, val,
val_rot, score``; ``val_rot`` is -1 where no rotated copy was scored)."""
from __future__ import annotations

import csv
from pathlib import Path

from tracker.errors import InputError

COLUMNS = ("step", "pairs", "val", "val_rot", "score")


def read_val_curve(run: str | Path) -> list[dict[str, float]]:
    """Rows of ``RUN/val.csv`` (or the csv file itself), sorted by step, the last row kept where
    a resumed run validated the same step twice."""
    path = Path(run)
    path = path / "val.csv" if path.is_dir() else path
    if not path.is_file():
        raise InputError(f"'{path}' not found (a training run with train.val_every writes it)")
    rows: dict[int, dict[str, float]] = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"'{path}': not a validation curve (no column {missing[0]!r})")
        for line, row in enumerate(reader, start=2):
            try:
                values = {c: float(row[c]) for c in COLUMNS}
            except (TypeError, ValueError):
                raise InputError(f"'{path}', line {line}: not a number in {row}") from None
            rows[int(values["step"])] = values
    if not rows:
        raise InputError(f"'{path}': no validation rows yet")
    return [rows[k] for k in sorted(rows)]


def plot_learning_curves(runs: dict[str, list[dict[str, float]]], out: str | Path,
                         title: str = "validation success AUC") -> None:
    """One PNG: AUC on val/ (solid) and its rotated copy (dashed) against training pairs, one
    colour per run (``{label: rows}``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for i, (label, rows) in enumerate(runs.items()):
        colour = f"C{i}"
        pairs = [r["pairs"] / 1000.0 for r in rows]
        ax.plot(pairs, [r["val"] for r in rows], "-o", color=colour, ms=3,
                label=f"{label}: val")
        rot = [(p, r["val_rot"]) for p, r in zip(pairs, rows) if r["val_rot"] >= 0]
        if rot:
            ax.plot(*zip(*rot), "--s", color=colour, ms=3, label=f"{label}: val rotated")
    ax.set_xlabel("training pairs (thousands)")
    ax.set_ylabel("success AUC")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
