"""Shared fixtures: small generated sequences and datasets (no external data needed)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker.data.synthetic import SequenceSpec, generate_sequence

ROOT = Path(__file__).resolve().parents[1]


def run_tool(tool: str, *args, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``tools/<tool>.py`` with ``args`` in a fresh process, as a user would."""
    return subprocess.run([sys.executable, str(ROOT / "tools" / f"{tool}.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)

# an easy, fast sequence: a distinctive card drifting over clutter
EASY = SequenceSpec(num_frames=30, width=320, height=240, object_size=(48, 36), distractors=0,
                    occlusion=False, rotation_speed=0.5, scale_range=0.1, blur=False,
                    max_speed=4.0)
# the defaults with every difficulty turned on, but short
SMALL = SequenceSpec(num_frames=12, width=240, height=180, object_size=(40, 30))


@pytest.fixture(scope="session")
def easy_sequence():
    return generate_sequence(EASY, seed=3)


@pytest.fixture(scope="session")
def small_sequences():
    return [generate_sequence(SMALL, seed=s, name=f"seq{s}") for s in (1, 2)]


@pytest.fixture(scope="session")
def tiny_tracker_config():
    """A fast model for protocol tests (quarter-width AlexNet)."""
    from tracker.config import config_from_dict

    return config_from_dict({"name": "tiny", "model": {"backbone": "alexnet",
                                                      "backbone_args": {"width": 0.25}}})


def record_search_calls(tracker) -> list[tuple[int, bool]]:
    """Wrap ``tracker.runtime.search_crops`` so that every later call appends ``(number of
    crops, groups asked for)`` to the returned list (the list is the record; clear it to
    start over)."""
    calls = []
    search_crops = tracker.runtime.search_crops

    def recorded(crops, groups=False):
        calls.append((len(crops), bool(groups)))
        return search_crops(crops, groups)

    tracker.runtime.search_crops = recorded
    return calls
