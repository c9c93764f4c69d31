"""Seeded fuzzing of what users type and the files they hand us: box strings, config overrides,
ground-truth files and sequence specs. Every input either parses into finite values or fails
with the tool's own one-line error type; nothing else may escape (no traceback), and each call
returns within a bound (no hang)."""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from tracker.boxes import parse_box
from tracker.commands.common import one_line
from tracker.config import apply_overrides, config_from_dict
from tracker.data.layouts import read_groundtruth
from tracker.errors import ConfigError, InputError

# tokens users and attackers type: numbers in every spelling, YAML specials, junk
TOKENS = ["0", "1", "-1", "3", "40", "1e-3", "1.0e+30", "-1e30", "1e309", ".inf", "-.inf",
          ".nan", "nan", "inf", "0x10", "1_000", "", " ", ",", "abc", "true", "null", "~",
          "[1, 2]", "{a: 1}", "*x", "&a 1", "!!python/object:os.system", "'1'", "\t", "\n",
          "1,2", "255", "100000", "0.5", "-0", "1e", "--", "é", "\x00", "9" * 40]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _junk(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(TOKENS) + rng.choice([",", " ", "", ";"]) for _ in range(n))


def _bounded(fn, *args, seconds: float = 20.0):
    # a hang, not a speed test: legitimate calls take milliseconds, the hangs this caught took
    # minutes, so the bound stays far from either on a loaded machine
    t0 = time.perf_counter()
    try:
        return fn(*args)
    finally:
        assert time.perf_counter() - t0 < seconds, f"{fn.__name__}{args!r} took too long"


def test_box_strings_parse_to_four_finite_numbers_or_say_why():
    rng = _rng(0)
    for _ in range(3000):
        text = _junk(rng, int(rng.integers(0, 7)))
        try:
            box = _bounded(parse_box, text)
        except ValueError as e:  # what the tools turn into "error: --box: ..."
            assert "box" in str(e) and "\n" not in one_line(str(e))
            continue
        assert box.shape == (4,) and np.all(np.isfinite(box))


TRACKING_KEYS = ["exemplar_size", "instance_size", "scale_num", "scale_step", "scale_penalty",
                 "scale_lr", "window_influence", "response_up", "min_size", "context",
                 "rotation_step", "backend", "tracker"]
TRAIN_KEYS = ["lr", "lr_end", "steps", "batch_size", "rotation", "warmup_steps", "workers"]


def test_config_overrides_validate_to_finite_values_or_fail_with_a_config_error():
    rng = _rng(1)
    base = {"name": "fuzz", "model": {"backbone": "resnet22", "backbone_args": {"width": 0.25}}}
    accepted = 0
    for _ in range(1500):
        overrides = []
        for _ in range(int(rng.integers(1, 4))):
            section, keys = [("tracking", TRACKING_KEYS), ("train", TRAIN_KEYS),
                             ("model", ["init_seed", "head"])][int(rng.integers(0, 3))]
            overrides.append(f"{section}.{rng.choice(keys)}={rng.choice(TOKENS)}")
        try:
            cfg = _bounded(lambda o: config_from_dict(apply_overrides(base, o)), overrides)
        except ConfigError as e:
            assert str(e).strip() and "\n" not in one_line(str(e)), (overrides, str(e))
            continue
        accepted += 1
        for section in (cfg.tracking, cfg.train):
            for value in vars(section).values():
                if isinstance(value, float):
                    assert np.isfinite(value), (overrides, section)
    assert accepted > 0  # the fuzzer also reaches valid configs, not only errors


def test_ground_truth_files_read_as_finite_or_nan_boxes_or_name_file_and_line(tmp_path):
    rng = _rng(2)
    path = tmp_path / "groundtruth_rect.txt"
    for i in range(600):
        lines = []
        for _ in range(int(rng.integers(0, 5))):
            if rng.random() < 0.5:  # mostly well-formed lines, so both outcomes are reached
                lines.append(",".join(str(v) for v in rng.integers(-5, 500, 4)))
            else:
                lines.append(_junk(rng, int(rng.integers(0, 6))))
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
        try:
            boxes = _bounded(read_groundtruth, path)
        except InputError as e:
            assert str(path) in str(e), str(e)
            continue
        assert boxes.ndim == 2 and boxes.shape[1] == 4
        assert not np.any(np.isinf(boxes))  # NaN marks absent targets; infinity is refused


def test_sequence_specs_give_finite_ground_truth_or_an_input_error():
    from tracker.commands.make_sequences import parse_spec
    from tracker.data.synthetic import generate_sequence

    rng = _rng(3)
    fields = ["num_frames", "width", "height", "max_speed", "rotation_speed", "scale_range",
              "camera_speed", "distractors", "noise", "illumination", "occlusion"]
    made = 0
    for _ in range(400):
        small = ["num_frames=3", "width=64", "height=48", "object_size=20x14"]
        items = small + [f"{rng.choice(fields)}={rng.choice(TOKENS)}"
                         for _ in range(int(rng.integers(1, 3)))]
        try:
            spec = _bounded(parse_spec, items)
        except InputError as e:
            assert "--spec" in str(e)
            continue
        if spec.num_frames * spec.width * spec.height > 3 * 64 * 64 * 40:
            continue  # valid but big: rendering cost, not robustness, is all it would test
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow inside the renderer is a failure too
            seq = _bounded(generate_sequence, spec, 0, seconds=30.0)
        assert np.all(np.isfinite(seq.boxes)) and np.all(np.isfinite(seq.rotated))
        made += 1
    assert made > 0


@pytest.mark.parametrize("text", ["1e-3", "1.0e-3", "1E-3"])
def test_exponent_numbers_users_write_are_numbers(text):
    cfg = config_from_dict(apply_overrides({"name": "x"}, [f"train.lr_end={text}"]))
    assert cfg.train.lr_end == pytest.approx(1e-3)
