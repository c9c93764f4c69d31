"""The learned angle head: its parts, its training, its checkpoint and its use by the tracker."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import run_tool

from backbones import build_backbone
from tracker.checkpoint import load_checkpoint
from tracker.config import config_from_dict
from tracker.data.sampler import PairSampler, build_sources
from tracker.errors import ConfigError, TrainingError
from tracker.inference.build import build_tracker
from tracker.inference.orientation import OrientationEstimator
from tracker.model.angle_head import AngleHead, angle_loss, target_window, vector_to_degrees
from tracker.model.build import build_model, build_model_from
from tracker.training.angle import (
    AngleTrainer,
    head_training_config,
    local_features,
    target_cells,
    with_angle_head,
)

# the shipped default's geometry (125 / 253) on a quarter-width plain CIResNet-22
SMALL = {"name": "small", "model": {"backbone": "resnet22", "backbone_args": {"width": 0.25}},
         "tracking": {"exemplar_size": 125, "instance_size": 253},
         "train": {"data": [{"type": "synthetic"}], "rotation": 45.0}}


def small_net():
    cfg = config_from_dict(SMALL)
    return with_angle_head(build_model(cfg), cfg, channels=16)


def sampler(cfg, seed=0):
    return PairSampler(build_sources([{"type": "synthetic"}]), exemplar_size=125,
                       instance_size=253, rotation=45.0, seed=seed)


def test_head_maps_two_feature_windows_to_one_vector_and_refuses_other_shapes():
    head = AngleHead(8, 5, channels=4)
    z, x = torch.randn(3, 8, 5, 5), torch.randn(3, 8, 5, 5)
    assert head(z, x).shape == (3, 2)
    with pytest.raises(ValueError, match=r"\[B, 8, 5, 5\]"):
        head(z, torch.randn(3, 8, 6, 6))


def test_vector_to_degrees_and_the_loss_have_no_seam_at_180_degrees():
    deg = torch.tensor([179.0, -179.0, 0.0, 90.0])
    rad = torch.deg2rad(deg)
    v = torch.stack([rad.cos(), rad.sin()], dim=1) * 3.0  # the length does not matter
    assert torch.allclose(vector_to_degrees(v), deg, atol=1e-4)
    # 179 and -179 are 2 degrees apart, so their losses against each other are tiny
    unit = v / 3.0
    assert float(angle_loss(unit[:1], torch.tensor([-179.0]))) < 2e-3
    assert float(angle_loss(unit, deg)) < 1e-10


def test_target_window_is_the_slice_the_response_cell_correlates_with():
    x = torch.randn(2, 3, 21, 21)
    cells = torch.tensor([[0, 16], [7, 3]])
    win = target_window(x, cells, 5)
    assert torch.equal(win[0], x[0, :, 0:5, 16:21])
    assert torch.equal(win[1], x[1, :, 7:12, 3:8])


def test_target_cells_put_a_centred_target_on_the_centre_cell_and_move_one_cell_per_stride():
    target = torch.tensor([[0.0, 0.0, 10, 10], [8.0, -16.0, 10, 10], [500.0, 0.0, 10, 10]])
    cells = target_cells(target, 8, 17).tolist()
    assert cells == [[8, 8], [6, 9], [8, 16]]  # (row, col); the far one clamps to the edge


def test_local_features_hold_for_a_convolutional_backbone_and_not_for_global_attention():
    torch.manual_seed(0)
    assert local_features(build_backbone("resnet22", width=0.25), 125, 253)
    # trained channel attention pools over the whole map, so a cut sees other statistics
    att, _ = build_model_from(checkpoint="eqtrack-p4-att-resnet22-w025")
    assert not local_features(att.backbone, 125, 253)


def test_the_head_learns_the_turn_of_a_fixed_batch():
    torch.manual_seed(0)
    net, cfg = small_net()
    trainer = AngleTrainer(net, cfg, sampler(cfg), "unused.pt", steps=150, batch_size=8,
                           lr=3e-3)
    batch = sampler(cfg).batch(0, 8)
    before = float(trainer.losses(batch)[1].mean())
    for _ in range(150):
        loss, _ = trainer.losses(batch)
        trainer.optimizer.zero_grad()
        loss.backward()
        trainer.optimizer.step()
    after = float(trainer.losses(batch)[1].mean())
    assert before > 10.0 and after < 3.0, (before, after)


def test_training_leaves_the_tracker_untouched_and_resumes_exactly(tmp_path):
    torch.manual_seed(0)
    net, cfg = small_net()
    frozen = {k: v.clone() for k, v in net.state_dict().items() if not k.startswith("angle")}
    whole = AngleTrainer(net, cfg, sampler(cfg), tmp_path / "whole.pt", steps=4, batch_size=2,
                         checkpoint_every=2)
    whole.fit()
    for k, v in net.state_dict().items():
        if not k.startswith("angle"):
            assert torch.equal(v, frozen[k]), k

    net2, _ = small_net()
    half = AngleTrainer(net2, cfg, sampler(cfg), tmp_path / "half.pt", steps=4, batch_size=2,
                        checkpoint_every=2)
    half.fit(until=2)  # killed after its checkpoint at step 2
    net3, _ = small_net()
    rest = AngleTrainer(net3, cfg, sampler(cfg), tmp_path / "half.pt", steps=4, batch_size=2)
    rest.resume(tmp_path / "half.pt")
    assert rest.step == 2
    rest.fit()
    for k, v in net.angle_head.state_dict().items():
        assert torch.allclose(v, net3.angle_head.state_dict()[k], atol=1e-6), k


def test_the_checkpoint_loads_weights_only_and_rebuilds_the_same_head(tmp_path):
    torch.manual_seed(0)
    net, cfg = small_net()
    AngleTrainer(net, cfg, sampler(cfg), tmp_path / "a.pt", steps=1, batch_size=2).fit()
    payload = torch.load(tmp_path / "a.pt", weights_only=True)
    assert payload["config"]["model"]["angle_head"] == {"size": 5, "channels": 16}
    assert payload["config"]["name"] == "small-angle"
    again, _ = build_model_from(checkpoint=tmp_path / "a.pt")
    z, x = torch.randn(1, 128, 5, 5), torch.randn(1, 128, 5, 5)
    assert torch.equal(again.angle_head(z, x), net.angle_head(z, x))
    assert load_checkpoint(tmp_path / "a.pt")[2]["angle_step"] == 1


def constant_head(degrees: float, channels: int, size: int) -> AngleHead:
    """A real head whose weights make it answer ``degrees`` whatever it sees."""
    head = AngleHead(channels, size, channels=2)
    with torch.no_grad():
        head.out.weight.zero_()
        head.out.bias.copy_(torch.tensor([math.cos(math.radians(degrees)),
                                          math.sin(math.radians(degrees))]))
    return head.eval()


def test_the_estimator_moves_by_the_heads_residual_times_the_gain_within_the_motion_limit():
    torch.manual_seed(0)
    bb = build_backbone("resnet22", width=0.25).eval()
    big = torch.rand(1, 3, 177, 177) * 255.0
    x = bb.group_features(torch.rand(1, 3, 253, 253) * 255.0)
    for gain, max_change, expect in ((1.0, 30.0, [10.0, 20.0, 30.0]),
                                     (0.5, 30.0, [5.0, 10.0, 15.0]),
                                     (1.0, 4.0, [4.0, 8.0, 12.0])):
        est = OrientationEstimator(bb, max_change=max_change, head=constant_head(10.0, 128, 5),
                                   head_gain=gain)
        est.set_template(big, 125)
        got = [est.observe(x, (8, 8), offset=est.angle) for _ in range(3)]  # a de-rotated search
        assert np.allclose(got, expect, atol=1e-4), (gain, max_change, got)
    # without de-rotation the head's answer is absolute: the estimate settles on it
    est = OrientationEstimator(bb, head=constant_head(10.0, 128, 5), head_gain=0.5)
    est.set_template(big, 125)
    got = [est.observe(x, (8, 8), offset=0.0) for _ in range(20)]
    assert abs(got[-1] - 10.0) < 1e-3


def test_the_tracker_uses_the_models_head_and_refuses_a_model_without_one(tmp_path,
                                                                         easy_sequence):
    torch.manual_seed(0)
    net, cfg = small_net()
    AngleTrainer(net, cfg, sampler(cfg), tmp_path / "a.pt", steps=1, batch_size=2).fit()
    on = ["tracking.rotation_aware=true", "tracking.rotation_head=true"]
    t = build_tracker(checkpoint=tmp_path / "a.pt", overrides=on, backend="torch")
    assert t.orientation.head is not None
    t.init(easy_sequence.frames[0], easy_sequence.boxes[0])
    boxes = [t.update(f) for f in easy_sequence.frames[1:5]]
    assert np.isfinite(boxes).all() and np.isfinite(t.angle)
    with pytest.raises(ConfigError, match="no learned angle head"):
        build_tracker(config="configs/siamfc_resnet22_w025.yaml", overrides=on,
                      backend="torch")


@pytest.mark.parametrize("overrides, message", [
    (["tracking.rotation_aware=true", "tracking.rotation_head=true",
      "tracking.rotation_filter=100"], "replaces the bank's angle choice"),
    (["tracking.rotation_head_gain=0"], r"rotation_head_gain must lie in \(0, 1\]"),
    (["model.angle_head={size: 5, width: 3}"], "model.angle_head: unknown keys"),
])
def test_bad_angle_head_settings_are_config_errors(overrides, message):
    from tracker.config import apply_overrides

    with pytest.raises(ConfigError, match=message):
        config_from_dict(apply_overrides(SMALL, overrides))


def test_head_training_takes_train_overrides_only():
    cfg = config_from_dict(SMALL)
    assert head_training_config(cfg, ["train.max_gap=20"]).train.max_gap == 20
    with pytest.raises(TrainingError, match="only train"):
        head_training_config(cfg, ["tracking.scale_lr=0.1"])


def test_train_angle_tool_refuses_to_overwrite_a_run_in_one_line(tmp_path):
    out = tmp_path / "a.pt"
    out.write_bytes(b"")
    r = run_tool("train_angle", "default", "--out", out, "--steps", "1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "exists" in r.stderr
    r = run_tool("train_angle", "default", "--out", tmp_path / "b.pt", "--resume")
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
