"""The README's commands still match the code: every tool it runs exists and takes every flag
the README gives it (a README that drifts from the code is a bug)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.commands.cli import SUBCOMMANDS

ROOT = Path(__file__).resolve().parents[1]
TOOL_TO_SUB = {module: name for name, (module, _) in SUBCOMMANDS.items()}


def readme_commands() -> list[tuple[str, str]]:
    """``(subcommand, command line)`` of every eqtrack command in the README's code blocks
    (``eqtrack SUB ...``, ``.venv/bin/eqtrack SUB ...`` or ``python tools/X.py ...``, with
    backslash continuations joined)."""
    out = []
    for block in shell_blocks((ROOT / "README.md").read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            m = re.match(r"(?:OMP_NUM_THREADS=\d+ )?(?:nohup )?(?:\.venv/bin/)?eqtrack (\S+)", line)
            t = re.match(r"(?:OMP_NUM_THREADS=\d+ )?(?:\.venv/bin/)?python tools/(\w+)\.py", line)
            if m:
                out.append((m.group(1), line))
            elif t:
                out.append((TOOL_TO_SUB.get(t.group(1), t.group(1)), line))
    return out


def shell_blocks(text: str) -> list[str]:
    """The bodies of the README's fenced code blocks in bash, sh or no language (fences are
    paired in order, so a Python block never shifts the others)."""
    blocks, body, lang = [], None, None
    for line in text.splitlines():
        if line.startswith("```"):
            if body is None:
                body, lang = [], line[3:].strip()
            else:
                if lang in ("", "bash", "sh"):
                    blocks.append("\n".join(body) + "\n")
                body = None
        elif body is not None:
            body.append(line)
    return blocks


COMMANDS = readme_commands()


def test_the_readme_shows_commands_for_the_main_tasks():
    subs = {s for s, _ in COMMANDS}
    assert {"track", "evaluate", "train", "tune", "benchmark"} <= subs, subs
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text


_HELP: dict[str, str] = {}


def help_text(sub: str) -> str:
    if sub not in _HELP:
        proc = subprocess.run([sys.executable, "-m", "tracker.commands.cli", sub, "-h"],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, f"README runs 'eqtrack {sub}', which fails: {proc.stderr}"
        _HELP[sub] = proc.stdout
    return _HELP[sub]


@pytest.mark.parametrize("sub,line", COMMANDS, ids=[f"{s}:{i}" for i, (s, _) in
                                                    enumerate(COMMANDS)])
def test_every_readme_command_names_a_tool_and_flags_it_has(sub, line):
    assert sub in SUBCOMMANDS, f"README runs unknown subcommand '{sub}': {line}"
    known = set(re.findall(r"--[a-z][\w-]*", help_text(sub)))
    for flag in re.findall(r"(?<![\w-])--[a-z][\w-]*", line):
        assert flag in known, f"README: '{line}' uses {flag}, which eqtrack {sub} lacks"


# The README's cheap commands, run as written on tiny generated stand-ins for ../shared/data
# (a fresh machine has none) in a scratch copy of the layout the README assumes. Commands that
# train, tune or time many models are left to the flag check above.
CHEAP = ("track", "make-rotated", "evaluate", "evaluate-rotation", "equivariance")


@pytest.fixture(scope="module")
def readme_workspace(tmp_path_factory):
    from tracker.data.synthetic import SequenceSpec, generate_sequence, write_otb, write_video

    top = tmp_path_factory.mktemp("readme")
    data = top / "shared" / "data"
    small = SequenceSpec(num_frames=6, width=160, height=120, object_size=(36, 28),
                         distractors=0, occlusion=False, blur=False)
    for split in ("otb", "val"):
        for s in (0, 1):
            write_otb(generate_sequence(small, seed=s, name=f"gen{s}"), data / split)
    # the README's video box (640,238,46,84) must fit: a frame of vtest.avi's size
    video = SequenceSpec(num_frames=5, width=768, height=576, distractors=0, occlusion=False)
    (data / "videos").mkdir(parents=True)
    write_video(generate_sequence(video, seed=3), data / "videos" / "vtest.avi")
    photos = data / "photos"
    photos.mkdir()
    import cv2

    for s in (0, 1):
        cv2.imwrite(str(photos / f"p{s}.jpg"), generate_sequence(small, seed=s).frames[0][..., ::-1])
    work = top / "main"
    work.mkdir()
    (work / "configs").symlink_to(ROOT / "configs")
    return work


def _cheap_commands():
    out, seen = [], set()
    for sub, line in COMMANDS:
        if sub in CHEAP and line not in seen:
            seen.add(line)
            out.append((sub, line))
    return out


def test_the_readme_cheap_commands_run_as_written_on_generated_data(readme_workspace):
    import os
    import shlex

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ran = []
    for sub, line in _cheap_commands():  # in README order: make-rotated comes before its users
        args = shlex.split(line)
        args = args[args.index("eqtrack") + 1:] if "eqtrack" in args else args
        proc = subprocess.run([sys.executable, "-m", "tracker.commands.cli", *args],
                              capture_output=True, text=True, cwd=readme_workspace, env=env,
                              timeout=600)
        assert proc.returncode == 0, f"README command failed: {line}\n{proc.stderr[-2000:]}"
        ran.append(sub)
    assert set(ran) == set(CHEAP), ran
    assert (readme_workspace / "tracked.mp4").stat().st_size > 0
    assert len((readme_workspace / "boxes.txt").read_text().splitlines()) == 5


def test_the_readme_python_example_runs_on_a_generated_video(readme_workspace):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks, "the README shows no Python example"
    video = readme_workspace.parent / "shared" / "data" / "videos" / "vtest.avi"
    code = blocks[0].replace('"video.mp4"', repr(str(video)))
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README
    box = scope["box"]
    assert len(box) == 4 and all(v == v for v in box)  # ran through every frame, finite
