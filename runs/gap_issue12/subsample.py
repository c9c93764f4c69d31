"""Copies of OTB-layout sequences at a lower frame rate: every K-th frame (symlinked) and its
ground-truth line, optionally only the first N kept frames (val/'s construction, SOURCE.json:
"every 3rd frame, first 80 kept").

    python runs/gap_issue12/subsample.py SRC DST K [N] SEQ [SEQ ...]
"""
import os
import sys
from pathlib import Path

from tracker.data.layouts import OTB_GROUNDTRUTH
from tracker.video import image_files


def main(src: str, dst: str, k: int, n: int, names: list[str]) -> None:
    for name in names:
        frames = image_files(Path(src) / name / "img")
        lines = (Path(src) / name / OTB_GROUNDTRUTH).read_text().splitlines()
        if len(lines) != len(frames):
            sys.exit(f"{src}/{name}: {len(frames)} frames but {len(lines)} ground-truth lines")
        keep = list(range(0, len(frames), k))[: n or None]
        out = Path(dst) / name / "img"
        out.mkdir(parents=True, exist_ok=True)
        for j, i in enumerate(keep):
            link = out / f"{j + 1:04d}{frames[i].suffix}"
            if not link.exists():
                os.symlink(frames[i].resolve(), link)
        (Path(dst) / name / OTB_GROUNDTRUTH).write_text("\n".join(lines[i] for i in keep) + "\n")


if __name__ == "__main__":
    a = sys.argv[1:]
    n = int(a[3]) if a[3].isdigit() else 0
    main(a[0], a[1], int(a[2]), n, a[4:] if n else a[3:])
