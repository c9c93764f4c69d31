"""Tracking hyper-parameter search: seeded trials, scores, resume after a kill, bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracker.errors import InputError
from tracker.evaluation.tuning import (
    Param,
    draw_trial,
    parse_param,
    read_trials,
    search,
    success_auc,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def val_root(tmp_path_factory):
    from tracker.data.synthetic import SequenceSpec, generate_sequence, write_otb

    root = tmp_path_factory.mktemp("val")
    for seed in (1, 2):
        write_otb(generate_sequence(SequenceSpec(num_frames=6, width=160, height=120,
                                                 object_size=(32, 24)), seed=seed,
                                    name=f"s{seed}"), root)
    return root


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "model": {
        "backbone": "alexnet", "backbone_args": {"width": 0.25}},
        "tracking": {"backend": "torch"}}))
    return str(path)


def test_trials_are_a_function_of_seed_and_number_only():
    space = (Param("scale_lr", 0.1, 0.9), Param("window_influence", 0.05, 0.45))
    assert draw_trial(0, 7, space) == {}  # the model's own values
    a = draw_trial(5, 7, space)
    assert a == draw_trial(5, 7, space) != draw_trial(5, 8, space)
    assert 0.1 <= a["scale_lr"] <= 0.9 and 0.05 <= a["window_influence"] <= 0.45


def test_success_auc_is_one_for_perfect_boxes_and_drops_with_offsets():
    anno = np.array([[10, 10, 20, 20]] * 5, float)
    assert success_auc(anno, anno) == pytest.approx(20 / 21)  # IoU 1 passes 20 of 21 thresholds
    shifted = anno + [10, 0, 0, 0]
    assert success_auc(shifted, anno) < 0.4


def test_search_writes_one_row_per_trial_and_resumes_without_rerunning(tmp_path, val_root,
                                                                        tiny_model):
    out = tmp_path / "trials.csv"
    space = (Param("scale_lr", 0.2, 0.8),)
    rows = search(tiny_model, [str(val_root)], out, trials=2, seed=3, space=space)
    assert sorted(int(r["trial"]) for r in rows) == [0, 1]
    assert rows[0]["score"] >= rows[1]["score"]
    base = next(r for r in rows if r["trial"] == 0)
    assert base["scale_lr"] == pytest.approx(0.59)  # the config's own value
    before = out.read_text().splitlines()
    # a kill in the middle of writing trial 2 leaves a cut-off line: dropped, trial 2 reruns
    with open(out, "a") as f:
        f.write("2,0.4")
    rows = search(tiny_model, [str(val_root)], out, trials=3, seed=3, space=space)
    lines = out.read_text().splitlines()
    assert [int(r["trial"]) for r in sorted(rows, key=lambda r: r["trial"])] == [0, 1, 2]
    assert len(lines) == 4 and lines[:3] == before  # trials 0 and 1 were not rerun
    assert read_trials(out, lines[0].split(","))[2]["scale_lr"] == pytest.approx(
        draw_trial(2, 3, space)["scale_lr"])


def test_trial_zero_reports_the_values_it_ran_with_after_fixed_overrides(tmp_path, val_root,
                                                                         tiny_model):
    out = tmp_path / "trials.csv"
    space = (Param("scale_lr", 0.2, 0.8),)
    rows = search(tiny_model, [str(val_root)], out, trials=1, seed=3, space=space,
                  fixed=["tracking.scale_lr=0.3"])
    assert rows[0]["scale_lr"] == pytest.approx(0.3)  # not the config's 0.59


def test_the_tuned_command_puts_the_searched_value_in_place_of_the_fixed_one():
    from tracker.config import apply_overrides, config_from_dict, config_to_dict
    from tracker.evaluation.tuning import tuned_overrides

    fixed = ["tracking.online_filter=0.63", "tracking.rotation_aware=true"]
    out = tuned_overrides(fixed, {"online_filter": 0.65, "scale_lr": 0.4})
    assert out == ["tracking.rotation_aware=true", "tracking.online_filter=0.65",
                   "tracking.scale_lr=0.4"]
    t = config_from_dict(apply_overrides(config_to_dict(config_from_dict({})), out)).tracking
    assert (t.online_filter, t.scale_lr, t.rotation_aware) == (0.65, 0.4, True)


def test_another_search_in_the_same_file_is_refused(tmp_path):
    out = tmp_path / "trials.csv"
    out.write_text("trial,scale_lr,auc_0,score\n0,0.59,0.5,0.5\n")
    with pytest.raises(InputError, match="another search"):
        read_trials(out, ["trial", "context", "auc_0", "score"])
    out.write_text("trial,scale_lr,auc_0,score\nbad,row,x,y\n0,0.59,0.5,0.5\n")
    with pytest.raises(InputError, match="line 2"):
        read_trials(out, ["trial", "scale_lr", "auc_0", "score"])


def test_log_scale_params_draw_inside_their_range():
    p = parse_param("tracking.rotation_min_gain=0.001:0.1:log")
    assert p.name == "rotation_min_gain" and p.log
    rng = np.random.default_rng(0)
    draws = [p.draw(rng) for _ in range(200)]
    assert min(draws) >= 0.001 and max(draws) <= 0.1
    assert np.median(draws) < 0.03  # log-uniform: the median is near the geometric mean 0.01


@pytest.mark.parametrize("text", ["scale_lr", "scale_lr=0.5", "scale_lr=0.9:0.1",
                                  "scale_lr=a:b", "scale_lr=0:inf", "scale_lr=0:1:log",
                                  "scale_lr=0.1:1:lin"])
def test_bad_param_ranges_are_one_line(text):
    with pytest.raises(InputError, match="NAME=LOW:HIGH"):
        parse_param(text)


def test_tune_tool_refuses_model_overrides_and_unknown_parameters(tmp_path, val_root, tiny_model):
    def run(*extra):
        return subprocess.run([sys.executable, str(ROOT / "tools" / "tune.py"), tiny_model,
                               "--val", str(val_root), "--trials", "1",
                               "--out", str(tmp_path / "t.csv"), *extra],
                              capture_output=True, text=True, cwd=ROOT)

    r = run("--set", "model.backbone=resnet22")
    assert r.returncode == 2 and "only tracking.*" in r.stderr
    r = run("--param", "no_such_thing=0:1")
    assert r.returncode == 2 and "no such tracking parameter" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_rotation_search_space_follows_the_angle_estimator_in_use(tmp_path):
    from tracker.commands.set_tracking import main as set_tracking
    from tracker.evaluation.tuning import uses_angle_filter

    assert not uses_angle_filter("default", [])  # the window and gate
    # the filter replaces the default's gate and upright hypothesis, which must then be 0
    no_gate = ["tracking.rotation_min_gain=0", "tracking.rotation_upright=0"]
    assert uses_angle_filter("default", ["tracking.rotation_filter=300", *no_gate])
    assert uses_angle_filter("configs/siamfc_p4_resnet22.yaml", ["tracking.rotation_filter=50"])
    assert not uses_angle_filter("configs/siamfc_p4_resnet22.yaml", [])
    # a checkpoint whose own tracking section holds the filter
    out = tmp_path / "filtered.pt"
    sets = [a for v in ["tracking.rotation_filter=300", *no_gate] for a in ("--set", v)]
    assert set_tracking(["default", *sets, "--out", str(out)]) == 0
    assert uses_angle_filter(str(out), [])
    assert not uses_angle_filter(str(out), ["tracking.rotation_filter=0"])
