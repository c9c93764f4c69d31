"""Copies of OTB-layout sequences whose first ground-truth box is moved by (DX, DY) pixels
(frames symlinked, every other line as it is): how much a tracker's score owes to its first box.

    python runs/gap_issue12/shift_first_box.py SRC DST DX DY
"""
import os
import sys
from pathlib import Path

from tracker.data.layouts import OTB_GROUNDTRUTH, otb_sequence_names, read_groundtruth


def main(src: str, dst: str, dx: float, dy: float) -> None:
    for name in otb_sequence_names(Path(src)):
        seq, out = Path(src) / name, Path(dst) / name
        out.mkdir(parents=True, exist_ok=True)
        if not (out / "img").exists():
            os.symlink((seq / "img").resolve(), out / "img")
        first = read_groundtruth(seq / OTB_GROUNDTRUTH)[0] + [dx, dy, 0.0, 0.0]
        lines = (seq / OTB_GROUNDTRUTH).read_text().splitlines()
        lines[0] = ",".join(f"{v:g}" for v in first)
        (out / OTB_GROUNDTRUTH).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
