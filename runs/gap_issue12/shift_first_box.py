"""Copies of OTB-layout sequences whose first ground-truth box is moved by (DX, DY) pixels
(frames symlinked, every other line as it is): how much a tracker's score owes to its first box.

    python runs/gap_issue12/shift_first_box.py SRC DST DX DY
"""
import os
import re
import sys
from pathlib import Path


def main(src: str, dst: str, dx: float, dy: float) -> None:
    for seq in sorted(p for p in Path(src).iterdir() if (p / "img").is_dir()):
        out = Path(dst) / seq.name
        out.mkdir(parents=True, exist_ok=True)
        if not (out / "img").exists():
            os.symlink((seq / "img").resolve(), out / "img")
        lines = (seq / "groundtruth_rect.txt").read_text().splitlines()
        values = [float(v) for v in re.split(r"[,\s]+", lines[0].strip())]
        values[0] += dx
        values[1] += dy
        lines[0] = ",".join(f"{v:g}" for v in values)
        (out / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
