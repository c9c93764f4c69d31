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
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            m = re.match(r"(?:OMP_NUM_THREADS=\d+ )?(?:nohup )?(?:\.venv/bin/)?eqtrack (\S+)", line)
            t = re.match(r"(?:OMP_NUM_THREADS=\d+ )?(?:\.venv/bin/)?python tools/(\w+)\.py", line)
            if m:
                out.append((m.group(1), line))
            elif t:
                out.append((TOOL_TO_SUB.get(t.group(1), t.group(1)), line))
    return out


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
