"""Training: schedule, targets, learning on generated data, exact resume, checkpoints, DDP,
and bad input through tools/train.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tracker.config import config_from_dict, config_to_dict
from tracker.errors import ConfigError
from tracker.model.xcorr import siamfc_targets
from tracker.training.engine import Trainer, learning_rate

ROOT = Path(__file__).resolve().parents[1]
TINY = {"name": "tiny", "model": {"backbone": "alexnet", "backbone_args": {"width": 0.25}},
        "train": {"data": [{"type": "synthetic", "weight": 1.0}], "batch_size": 4, "steps": 6,
                  "lr": 0.01, "warmup_steps": 2, "workers": 0, "checkpoint_every": 3,
                  "log_every": 1}}


def tiny_config(**train):
    data = {**TINY, "train": {**TINY["train"], **train}}
    return config_from_dict(data)


def sampler_for(config):
    from tracker.data.sampler import make_sampler

    return make_sampler(config)


def test_learning_rate_warms_up_then_decays_to_lr_end():
    cfg = tiny_config(steps=100, warmup_steps=10, lr=0.01, lr_end=0.0001).train
    assert learning_rate(0, cfg) == pytest.approx(0.001)
    assert learning_rate(10, cfg) == pytest.approx(0.01)
    assert learning_rate(99, cfg) == pytest.approx(0.0001)
    lrs = [learning_rate(s, cfg) for s in range(10, 100)]
    assert all(a > b for a, b in zip(lrs, lrs[1:]))


def test_siamfc_targets_follow_the_target_offset():
    labels, weights = siamfc_targets(torch.tensor([[0.0, 0, 10, 10], [16.0, -8, 10, 10]]),
                                     17, 8, 16.0)
    assert labels.shape == (2, 1, 17, 17)
    assert labels[0, 0, 8, 8] == 1 and labels[0, 0, 8, 11] == 0
    assert labels[1, 0, 7, 10] == 1 and labels[1, 0, 8, 8] == 0  # 2 cells right, 1 cell up
    assert weights.sum(dim=(1, 2, 3)).allclose(torch.ones(2))


def test_a_few_steps_on_generated_data_lower_the_loss(tmp_path):
    config = tiny_config(steps=40, lr=0.02, warmup_steps=5, checkpoint_every=40)
    sampler = sampler_for(config)
    trainer = Trainer(config, sampler, tmp_path)
    held_out = sampler.batch(10_000, 8)
    with torch.no_grad():
        before = trainer.losses(held_out)[1]["loss"]
    trainer.fit(progress=False)
    with torch.no_grad():
        after = trainer.losses(held_out)[1]["loss"]
    assert after < 0.8 * before, (before, after)
    assert (tmp_path / "log.csv").read_text().count("\n") == 1 + 40
    final = torch.load(tmp_path / "final.pt", weights_only=True)
    assert final["step"] == 40 and "optimizer" not in final
    from tracker.inference.build import build_tracker

    build_tracker(checkpoint=tmp_path / "final.pt")  # ready to track


def test_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    config = tiny_config()
    full = Trainer(config, sampler_for(config), tmp_path / "full")
    full.fit(progress=False)
    half_cfg = tiny_config(steps=3)
    half = Trainer(half_cfg, sampler_for(half_cfg), tmp_path / "half")
    half.fit(progress=False)
    resumed = Trainer(config, sampler_for(config), tmp_path / "half")
    resumed.resume(tmp_path / "half" / "latest.pt")
    assert resumed.step == 3
    resumed.fit(progress=False)
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k
    payload = torch.load(tmp_path / "half" / "latest.pt", weights_only=True)
    assert payload["step"] == 6 and "optimizer" in payload


def run_train(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "train.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd)


def write_tiny(tmp_path, **train):
    import yaml

    path = tmp_path / "tiny.yaml"
    data = {**TINY, "train": {**TINY["train"], **train}}
    path.write_text(yaml.safe_dump(data))
    return path


def test_distributed_training_with_two_cpu_processes(tmp_path):
    cfg = write_tiny(tmp_path, steps=3)
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", "29731", str(ROOT / "tools" / "train.py"),
                           "--config", str(cfg), "--out", str(tmp_path / "ddp"), "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = torch.load(tmp_path / "ddp" / "latest.pt", weights_only=True)
    assert payload["step"] == 3
    assert (tmp_path / "ddp" / "log.csv").read_text().count("\n") == 1 + 3  # rank 0 only


def test_train_tool_bad_input_is_one_line(tmp_path):
    cfg = write_tiny(tmp_path, steps=2)
    other = tmp_path / "other.pt"
    from tracker.checkpoint import save_checkpoint
    from tracker.model.build import build_model

    plain = config_from_dict({"model": {"backbone": "resnet22", "backbone_args": {"width": 0.25}}})
    save_checkpoint(other, build_model(plain), plain, step=1, optimizer={})
    for args, fragment in [
        (["--resume", other], "checkpoint of another model"),
        (["--resume", tmp_path / "missing.pt"], "not found"),
        (["--data", f"folder:{tmp_path / 'nowhere'}"], "nowhere"),
        (["--set", "train.steps=0"], "train.steps"),
        (["--set", f"train.init={other}"], "does not fit this model's (alexnet"),
        (["--set", "train.init=no-such-model"], "no such checkpoint"),
    ]:
        proc = run_train("--config", cfg, "--out", tmp_path / "o", "--quiet", *args)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and fragment in errors[0], proc.stderr[-2000:]


def test_train_init_loads_the_backbone_and_keeps_the_seeded_head(tmp_path):
    from tracker.checkpoint import save_checkpoint
    from tracker.model.build import build_model

    model = {"backbone": "resnet22", "backbone_args": {"width": 0.25}}
    fc = config_from_dict({"model": {**model, "init_seed": 5}})
    source = build_model(fc)
    save_checkpoint(tmp_path / "fc.pt", source, fc)
    rpn = config_from_dict({"model": {**model, "head": "rpn", "head_args": {"hidden": 32}},
                            "tracking": {"tracker": "siamrpn"},
                            "train": {**TINY["train"], "init": str(tmp_path / "fc.pt")}})
    trainer = Trainer(rpn, None, tmp_path / "out")
    fresh = build_model(rpn)
    for (k, a), b in zip(trainer.model.backbone.state_dict().items(),
                         source.backbone.state_dict().values()):
        assert torch.equal(a, b), k
    assert any(not torch.equal(a, b) for a, b in zip(trainer.model.backbone.state_dict().values(),
                                                     fresh.backbone.state_dict().values()))
    for (k, a), b in zip(trainer.model.head.state_dict().items(),
                         fresh.head.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize("backbone", ["alexnet", "p4_resnet22"])
def test_channels_last_and_bf16_change_the_arithmetic_not_the_step(tmp_path, backbone):
    def config(**train):
        data = {**TINY, "model": {"backbone": backbone, "backbone_args": {"width": 0.25}},
                "train": {**TINY["train"], "lr": 0.05, "warmup_steps": 0, **train}}
        return config_from_dict(data)

    batch = sampler_for(config()).batch(0, 4)
    reference = Trainer(config(), None, tmp_path / "a")
    start = {k: v.clone() for k, v in reference.model.state_dict().items()}
    base = reference.train_step(batch)["loss"]
    moved = {k: v - start[k] for k, v in reference.model.state_dict().items()
             if v.is_floating_point()}
    largest = max(float(d.abs().max()) for d in moved.values())
    assert largest > 1e-3  # the step did something
    for option, tol in [({"channels_last": True}, 1e-3), ({"amp": "bf16"}, 5e-2),
                        ({"channels_last": True, "amp": "bf16"}, 5e-2)]:
        trainer = Trainer(config(**option), None, tmp_path / "b")
        assert trainer.train_step(batch)["loss"] == pytest.approx(base, rel=tol), option
        for k, v in trainer.model.state_dict().items():
            if k in moved:
                assert v.dtype == torch.float32  # weights stay fp32 under autocast
                delta = v - start[k]
                scale = float(moved[k].abs().max())
                # each tensor moves as in fp32, up to 10% of its move (or of the largest, for
                # tensors that hardly move, like biases in front of batch norm)
                error = float((delta - moved[k]).abs().max())
                assert error <= 0.1 * scale + 0.01 * largest, (option, k, error, scale)
    with pytest.raises(ConfigError, match="train.amp"):
        config(amp="fp16")


def test_tensorboard_log_has_the_csv_terms_or_a_clear_error(tmp_path):
    trainer = Trainer(tiny_config(steps=2, tensorboard=True), sampler_for(tiny_config()),
                      tmp_path)
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="needs the tensorboard package"):
            trainer.fit(progress=False)
        return
    trainer.fit(progress=False)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {"train/loss", "train/siamfc", "train/lr"} <= set(tags)
    assert [e.step for e in events.Scalars("train/loss")] == [1, 2]


def test_freeze_backbone_trains_the_head_only(tmp_path):
    config = config_from_dict({"model": {"backbone": "resnet22", "backbone_args": {"width": 0.25},
                                         "head": "rpn", "head_args": {"hidden": 32}},
                               "tracking": {"tracker": "siamrpn"},
                               "train": {**TINY["train"], "freeze_backbone": True}})
    trainer = Trainer(config, sampler_for(tiny_config()), tmp_path)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train_step(sampler_for(tiny_config()).batch(0, 4))
    after = trainer.model.state_dict()
    for k, v in before.items():
        if k.startswith("backbone."):  # weights and batch-norm statistics
            assert torch.equal(v, after[k]), k
    assert any(not torch.equal(v, after[k]) for k, v in before.items() if k.startswith("head."))
    # then unfrozen: the run resumes with the weights (the optimizer state cannot carry over)
    trainer.save(tmp_path / "latest.pt")
    unfrozen = config_from_dict({**config_to_dict(config), "train": {
        **config_to_dict(config)["train"], "freeze_backbone": False}})
    resumed = Trainer(unfrozen, None, tmp_path, resume=tmp_path / "latest.pt")
    assert resumed.step == 1
    for k, v in resumed.model.state_dict().items():
        assert torch.equal(v, after[k]), k
    with pytest.raises(ConfigError, match="freeze_backbone needs a head"):
        tiny_config(freeze_backbone=True)


def test_validation_keeps_the_best_checkpoint(tmp_path):
    from tracker.data.synthetic import SequenceSpec, generate_sequence, write_otb

    write_otb(generate_sequence(SequenceSpec(num_frames=8, width=160, height=120,
                                             object_size=(32, 24)), seed=2, name="v"),
              tmp_path / "val")
    config = tiny_config(steps=4, val_every=2, val_root=str(tmp_path / "val"))
    trainer = Trainer(config, sampler_for(config), tmp_path / "out")
    trainer.fit(progress=False)
    best = torch.load(tmp_path / "out" / "best.pt", weights_only=True)
    assert 0.0 <= best["val_auc"] <= 1.0 and best["val_auc"] == pytest.approx(trainer.best_auc)
    assert best["step"] in (2, 4)


def test_validation_scores_the_rotated_copy_and_writes_the_learning_curve(tmp_path):
    import csv

    from tracker.data.synthetic import SequenceSpec, generate_sequence, write_otb

    for name, seed in (("val", 2), ("val_rot", 3)):
        write_otb(generate_sequence(SequenceSpec(num_frames=8, width=160, height=120,
                                                 object_size=(32, 24)), seed=seed, name="v"),
                  tmp_path / name)
    config = tiny_config(steps=4, val_every=2, val_root=str(tmp_path / "val"),
                         val_rot_root=str(tmp_path / "val_rot"))
    trainer = Trainer(config, sampler_for(config), tmp_path / "out")
    trainer.fit(progress=False)
    rows = list(csv.DictReader(open(tmp_path / "out" / "val.csv")))
    assert [int(r["step"]) for r in rows] == [2, 4]
    assert [int(r["pairs"]) for r in rows] == [2 * config.train.batch_size,
                                              4 * config.train.batch_size]
    for r in rows:
        assert float(r["score"]) == pytest.approx((float(r["val"]) + float(r["val_rot"])) / 2,
                                                  abs=2e-4)
    best = torch.load(tmp_path / "out" / "best.pt", weights_only=True)
    assert best["val_auc"] == pytest.approx(max(float(r["score"]) for r in rows), abs=2e-4)


def test_a_second_run_into_a_used_out_is_refused_unless_it_resumes(tmp_path):
    cfg = write_tiny(tmp_path, steps=2, checkpoint_every=1)
    assert run_train("--config", cfg, "--out", tmp_path / "run", "--quiet").returncode == 0
    before = (tmp_path / "run" / "latest.pt").read_bytes()
    log_before = (tmp_path / "run" / "log.csv").read_text()
    proc = run_train("--config", cfg, "--out", tmp_path / "run", "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "already holds a run" in errors[0] and "--resume" in errors[0]
    assert (tmp_path / "run" / "latest.pt").read_bytes() == before
    assert (tmp_path / "run" / "log.csv").read_text() == log_before
    proc = run_train("--config", cfg, "--out", tmp_path / "run", "--quiet",
                     "--resume", tmp_path / "run" / "latest.pt")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_saves_the_last_whole_step_and_resume_matches_an_uninterrupted_run(
        tmp_path, sig):
    import signal
    import time

    steps = 40
    cfg = write_tiny(tmp_path, steps=steps, checkpoint_every=1000, log_every=1)
    assert run_train("--config", cfg, "--out", tmp_path / "full", "--quiet").returncode == 0
    log = tmp_path / "run" / "log.csv"
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "train.py"), "--config", str(cfg),
                          "--out", str(tmp_path / "run"), "--quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while p.poll() is None and time.time() < deadline and \
            (not log.exists() or len(log.read_text().splitlines()) < 4):
        time.sleep(0.02)
    p.send_signal(getattr(signal, sig))
    err = p.communicate(timeout=120)[1]
    assert p.returncode == 130 and "Traceback" not in err, err
    saved = torch.load(tmp_path / "run" / "latest.pt", weights_only=True)["step"]
    rows = log.read_text().splitlines()[1:]
    assert 3 <= saved < steps and int(rows[-1].split(",")[0]) == saved  # no step lost
    proc = run_train("--config", cfg, "--out", tmp_path / "run", "--quiet",
                     "--resume", tmp_path / "run" / "latest.pt")
    assert proc.returncode == 0, proc.stderr
    a = torch.load(tmp_path / "full" / "final.pt", weights_only=True)
    b = torch.load(tmp_path / "run" / "final.pt", weights_only=True)
    for k, v in a["model"].items():
        assert torch.equal(v, b["model"][k]), k


def test_a_diverging_run_stops_with_one_line_and_keeps_its_last_good_checkpoint(tmp_path):
    from tracker.checkpoint import load_checkpoint
    from tracker.errors import TrainingError

    config = tiny_config(steps=6, checkpoint_every=1, lr=1.0e+30, lr_end=1.0e+30,
                         warmup_steps=0, grad_clip=0.0)
    trainer = Trainer(config, sampler_for(config), tmp_path / "out")
    with pytest.raises(TrainingError, match="non-finite|the loss is"):
        trainer.fit(progress=False)
    if (tmp_path / "out" / "latest.pt").exists():
        _, state, _ = load_checkpoint(tmp_path / "out" / "latest.pt")
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    assert not (tmp_path / "out" / "final.pt").exists()


def test_resume_of_a_run_killed_before_its_final_checkpoint_writes_it(tmp_path):
    # a kill can land after the last latest.pt and before final.pt; the resume finds no step
    # left and must still write final.pt, with the same weights
    cfg = write_tiny(tmp_path, steps=4, checkpoint_every=2)
    out = tmp_path / "run"
    assert run_train("--config", cfg, "--out", out, "--quiet").returncode == 0
    want = torch.load(out / "final.pt", weights_only=True)["model"]
    (out / "final.pt").unlink()
    proc = run_train("--config", cfg, "--out", out, "--quiet", "--resume", out / "latest.pt")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = torch.load(out / "final.pt", weights_only=True)
    assert got["step"] == 4
    for k in want:
        assert torch.equal(want[k], got["model"][k]), k


def test_fault_drill_sigkill_at_random_points_then_resume_loses_nothing(tmp_path):
    """Kill training with SIGKILL at seeded random moments (some land while a checkpoint is
    written), resume each time from what is on disk, and end with the weights and log of an
    uninterrupted run; no kill may cost more than one checkpoint interval."""
    import random
    import signal
    import time

    import numpy as np

    steps, every = 14, 2
    cfg = write_tiny(tmp_path, steps=steps, checkpoint_every=every)
    proc = run_train("--config", cfg, "--out", tmp_path / "full", "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    drill = tmp_path / "drill"
    rng = random.Random(7)
    kills = 0
    for _ in range(12):
        latest = drill / "latest.pt"
        before = torch.load(latest, weights_only=True)["step"] if latest.exists() else 0
        args = [sys.executable, str(ROOT / "tools" / "train.py"), "--config", str(cfg),
                "--out", str(drill), "--quiet"]
        if latest.exists():
            args += ["--resume", str(latest)]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        # wait until this run has saved a new checkpoint, then kill at a random moment after it
        while p.poll() is None and time.time() < deadline:
            if latest.exists():
                try:
                    if torch.load(latest, weights_only=True)["step"] > before:
                        break
                except Exception:  # caught mid-rename on a slow disk: look again
                    pass
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=60)
        after = torch.load(latest, weights_only=True)["step"]  # always loadable
        assert after >= before
        if (drill / "final.pt").exists():
            break
    assert kills >= 2, "the drill never caught training running"
    assert (drill / "final.pt").exists(), "training did not finish after the kills"
    a = torch.load(tmp_path / "full" / "final.pt", weights_only=True)["model"]
    b = torch.load(drill / "final.pt", weights_only=True)["model"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    rows = [line.split(",")[0] for line in (drill / "log.csv").read_text().splitlines()[1:]]
    assert rows == [str(s) for s in range(1, steps + 1)], rows  # every step once, in order
    assert not list(drill.glob("*.tmp")), "a kill left a temporary file behind"
    assert np.isfinite(float(a[next(iter(a))].float().sum()))
