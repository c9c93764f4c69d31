"""Orientation estimation from group-resolved features."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from conftest import record_search_calls

from backbones import build_backbone
from tracker.boxes import polygon_to_xywh, rotated_to_polygon
from tracker.crops import crop_square, to_tensor
from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.errors import ConfigError
from tracker.inference.build import build_tracker
from tracker.inference.orientation import OrientationEstimator
from tracker.inference.siamfc import shrink_to_upright

# a card turning steadily by 2 degrees per frame (80 degrees over the sequence)
TURNING = SequenceSpec(num_frames=41, width=320, height=240, object_size=(60, 40), distractors=0,
                       occlusion=False, rotation_speed=2.0, scale_range=0.05, blur=False,
                       max_speed=2.0)


def angle_error(a, b):
    return np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)


@pytest.fixture(scope="module")
def turning():
    return generate_sequence(TURNING, seed=3)


def test_rotating_the_search_by_90_degrees_adds_90_degrees_and_rotates_the_peak(turning):
    torch.manual_seed(0)
    bb = build_backbone("p4_resnet22", width=0.5).eval()
    est = OrientationEstimator(bb, step=15.0, max_change=180.0)
    img, (cx, cy) = turning.frames[10], turning.rotated[10, :2]
    side = 2.0 * np.sqrt(np.prod(turning.boxes[0, 2:] + 0.5 * turning.boxes[0, 2:].sum()))
    with torch.no_grad():
        est.set_template(to_tensor([crop_square(turning.frames[0], turning.rotated[0, :2],
                                                side * 177 / 125, 177)]), 125)
        x = to_tensor([crop_square(img, (cx, cy), side * 253 / 125, 253)])
        results = []
        for k in range(4):
            s = est.scores(bb.group_features(torch.rot90(x, k, (-2, -1)).contiguous()))
            cell = np.unravel_index(int(s.amax(0).argmax()), s.shape[1:])
            est.angle = 0.0
            results.append((cell, est.update(s, cell)))
    (r0, c0), a0 = results[0]
    n = 17
    for k, (cell, a) in enumerate(results[1:], start=1):
        r, c = r0, c0
        for _ in range(k):  # a quarter turn CCW maps cell (r, c) to (n-1-c, r)
            r, c = n - 1 - c, r
        assert tuple(cell) == (r, c)
        assert angle_error(a, a0 + 90 * k) < 1e-3


@pytest.mark.parametrize("reach", [0, 2])
@pytest.mark.parametrize("cell", [(8, 8), (0, 16), (16, 1)])
def test_scores_near_a_cell_equal_the_whole_maps_scores_there(turning, reach, cell):
    torch.manual_seed(0)
    bb = build_backbone("p4_resnet22", width=0.25).eval()
    est = OrientationEstimator(bb, step=15.0, max_change=180.0, reach=reach)
    with torch.no_grad():
        est.set_template(to_tensor([crop_square(turning.frames[0], turning.rotated[0, :2],
                                                120, 177)]), 125)
        x = bb.group_features(to_tensor([crop_square(turning.frames[5], turning.rotated[5, :2],
                                                     240, 253)]))
        whole = est.scores(x)
        near, (r, c) = est.scores_near(x, cell)
    r0, c0 = cell[0] - r, cell[1] - c
    assert near.shape[1:] == whole[:, r0:cell[0] + reach + 1, c0:cell[1] + reach + 1].shape[1:]
    assert near.shape[1] == min(cell[0] + reach + 1, 17) - max(cell[0] - reach, 0)
    torch.testing.assert_close(near, whole[:, r0:r0 + near.size(1), c0:c0 + near.size(2)],
                               rtol=1e-5, atol=1e-5)


def test_tracker_reports_angle_within_the_motion_constraint_and_a_rotated_box(turning):
    # untrained weights: the angle's accuracy is not under test here (it varies from sequence
    # to sequence without training), only the tracker's contract
    t = build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["model.backbone_args.width=0.5", "tracking.estimate_rotation=true",
                                 "tracking.rotation_max_change=20"])
    t.init(turning.frames[0], turning.boxes[0])
    angles = [t.angle]
    for f in turning.frames[1:12]:
        box = t.update(f)
        angles.append(t.angle)
        assert np.all(np.isfinite(box)) and t.polygon.shape == (8,)
    assert np.all(angle_error(angles[1:], angles[:-1]) <= 20.0 + 1e-6)
    # the rotated box is centred on the tracked centre and keeps the target's own size
    cx, cy, w, h, a = t.rotated_box
    box = polygon_to_xywh(t.polygon)
    assert box[0] + box[2] / 2 == pytest.approx(cx) and box[1] + box[3] / 2 == pytest.approx(cy)
    assert a == t.angle and w / h == pytest.approx(turning.boxes[0, 2] / turning.boxes[0, 3])


def test_rotation_aware_switch_estimates_derotates_and_answers_the_rotated_bounds(turning):
    t = build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["model.backbone_args.width=0.5", "tracking.rotation_aware=true",
                                 "tracking.backend=torch"])
    assert t.orientation is not None and t.derotate
    t.init(turning.frames[0], turning.boxes[0])
    for f in turning.frames[1:6]:
        box = t.update(f)
        assert np.allclose(box, polygon_to_xywh(t.polygon))
    plain = build_tracker("configs/siamfc_p4_resnet22.yaml",
                          overrides=["model.backbone_args.width=0.5", "tracking.backend=torch"])
    assert plain.orientation is None and not plain.derotate


def test_rpn_tracker_refuses_the_rotation_switch():
    with pytest.raises(ConfigError, match="rotation_aware"):
        build_tracker("configs/siamrpn_resnet22.yaml", overrides=["tracking.rotation_aware=true"])


def test_bad_rotation_step_is_a_config_error():
    with pytest.raises(ConfigError, match="rotation_step.*must divide 90"):
        build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["tracking.estimate_rotation=true", "tracking.rotation_step=7"])


def test_motion_constraint_limits_the_change_even_below_the_bank_step():
    est = OrientationEstimator(None, step=15.0, max_change=2.0)
    est.angle = 7.0
    scores = torch.zeros(24, 1, 1)
    scores[6] = 1.0  # the bank says 90 degrees
    new = est.update(scores, (0, 0))
    assert 5.0 - 1e-9 <= new <= 9.0 + 1e-9


def test_gate_keeps_the_angle_when_no_allowed_angle_scores_clearly_better():
    est = OrientationEstimator(None, step=15.0, max_change=30.0, min_gain=0.1)
    scores = torch.ones(24, 1, 1)
    scores[1] = 1.05  # 15 degrees scores 5% above the current angle's 1.0: below the gate
    assert est.update(scores, (0, 0)) == 0.0
    scores[1] = 1.5  # 50% above: the estimate moves towards 15 degrees
    assert 7.5 <= est.update(scores, (0, 0)) <= 22.5
    ungated = OrientationEstimator(None, step=15.0, max_change=30.0)
    scores[1] = 1.05
    assert ungated.update(scores, (0, 0)) > 0.0


def test_upright_hypothesis_returns_a_drifted_estimate_to_zero_only_when_zero_scores_as_well():
    def bank_peaked_at(deg: float, sharpness: float) -> torch.Tensor:
        angles = torch.arange(0.0, 360.0, 15.0, dtype=torch.float64)
        return (1.0 + sharpness * torch.cos(torch.deg2rad(angles - deg))).float().view(-1, 1, 1)

    est = OrientationEstimator(None, step=15.0, max_change=30.0, upright=0.01)
    est.angle = 20.0
    # a search crop turned by the estimate (20) whose target scores almost flat over angles:
    # absolute 0 (residual -20) is within 1% of the residual the bank prefers
    assert est.update(bank_peaked_at(5.0, 0.02), (0, 0), offset=20.0) == 0.0
    # the same drift with a clear peak at residual +5 (absolute 25): 0 scores far lower
    est.angle = 20.0
    kept = est.update(bank_peaked_at(5.0, 1.0), (0, 0), offset=20.0)
    assert 20.0 < kept <= 30.0
    # without the hypothesis the flat curve moves the estimate as before, never to 0
    off = OrientationEstimator(None, step=15.0, max_change=30.0)
    off.angle = 20.0
    assert off.update(bank_peaked_at(5.0, 0.02), (0, 0), offset=20.0) > 0.0


def test_averaged_upright_advantage_survives_one_flat_frame_but_not_persistent_flatness():
    angles = torch.arange(0.0, 360.0, 15.0, dtype=torch.float64)

    def bank_peaked_at(deg: float, sharpness: float) -> torch.Tensor:
        return (1.0 + sharpness * torch.cos(torch.deg2rad(angles - deg))).float().view(-1, 1, 1)

    est = OrientationEstimator(None, step=15.0, max_change=30.0, upright=0.01,
                               upright_rate=0.3)
    est.angle = 40.0
    for _ in range(10):  # a clearly turned target: residual 0 in a crop turned by 40
        assert est.update(bank_peaked_at(0.0, 1.0), (0, 0), offset=40.0) == pytest.approx(40.0)
    # one frame whose curve is flat: the single-frame rule would snap, the average does not
    assert est.update(bank_peaked_at(0.0, 0.001), (0, 0), offset=40.0) == pytest.approx(40.0)
    for _ in range(20):  # flat frame after frame: the average sinks below the margin
        angle = est.update(bank_peaked_at(0.0, 0.001), (0, 0), offset=est.angle)
    assert angle == 0.0


def test_upright_hypothesis_is_refused_with_the_histogram_filter():
    with pytest.raises(ConfigError, match="rotation_upright"):
        build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["tracking.estimate_rotation=true", "tracking.rotation_filter=4",
                                 "tracking.rotation_upright=0.01"])


def test_bank_refresh_blends_towards_the_new_template_and_keeps_the_angle(turning):
    backbone = build_backbone("p4_resnet22", width=0.25).eval()
    est = OrientationEstimator(backbone, step=30.0)
    big = lambda i: to_tensor([crop_square(turning.frames[i], (160.0, 120.0), 180.0, 181,
                                           (0.0, 0.0, 0.0))])
    est.set_template(big(0), 125)
    first = est.bank.clone()
    est.angle = 12.0
    est.refresh(big(10), 125, rate=0.0)
    assert torch.allclose(est.bank, first) and est.angle == 12.0
    est.refresh(big(10), 125, rate=1.0)
    fresh = OrientationEstimator(backbone, step=30.0)
    fresh.set_template(big(10), 125)
    assert torch.allclose(est.bank, fresh.bank, atol=1e-6)
    norms = est.bank.flatten(1).norm(dim=1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5)


def _scores_peaked_at(est, truth_deg: float):
    # a smooth score curve over the bank angles, best at the true angle: [K, 1, 1]
    diff = torch.deg2rad(est.angles - truth_deg)
    return torch.cos(diff).float().view(-1, 1, 1)


def _track_angles(velocity: float, turn: float, frames: int = 40) -> list[float]:
    from tracker.inference.orientation import OrientationEstimator

    est = OrientationEstimator(backbone=None, step=15.0, max_change=12.0, velocity=velocity)
    out = []
    for t in range(1, frames + 1):
        out.append(est.update(_scores_peaked_at(est, turn * t), (0, 0)))
    return out


def test_the_angular_velocity_model_keeps_up_with_a_turn_faster_than_the_window():
    truth = [((20.0 * t + 180) % 360) - 180 for t in range(1, 41)]

    def final_error(angles):
        return abs((angles[-1] - truth[-1] + 180) % 360 - 180)

    # 20 degrees a frame against a 12-degree window: without the model the estimate falls
    # behind for good; with it the window moves with the turn
    assert final_error(_track_angles(0.0, 20.0)) > 60
    assert final_error(_track_angles(0.5, 20.0)) < 5


def test_the_angular_velocity_model_leaves_a_still_target_still():
    assert max(abs(a) for a in _track_angles(0.5, 0.0)) < 1e-6


def _peaked_scores(est, residual_deg: float, height: float = 1.0) -> torch.Tensor:
    # a score curve over the bank angles, best at residual_deg, varying by a few percent as
    # real ones do: [K, 1, 1]
    bump = 0.02 * height * torch.cos(torch.deg2rad(est.angles - residual_deg))
    return (1.0 + bump).float().view(-1, 1, 1)


def _filter(**kw) -> OrientationEstimator:
    return OrientationEstimator(None, step=15.0, **{"filter": 1000.0, "noise": 4.0, **kw})


def test_the_angle_filter_follows_a_turn_through_the_turned_search_crop():
    est = _filter()
    errors = []
    for t in range(1, 121):
        truth = 2.0 * t
        # the tracker turns the search crop by the last estimate: the scores see the residual
        offset = est.angle
        est.update(_peaked_scores(est, truth - offset), (0, 0), offset)
        errors.append(angle_error(est.angle, truth))
    # a random-walk prior lags a steady turn by a bounded amount (a few frames' turn) that
    # does not grow
    assert max(errors[60:]) < 8.0
    assert max(errors[60:]) - min(errors[60:]) < 1.0


def test_the_angle_filter_shrugs_off_one_wrong_frame_that_the_window_follows():
    filt, window = _filter(), OrientationEstimator(None, step=15.0, max_change=180.0)
    for est in (filt, window):
        for _ in range(5):
            est.update(_peaked_scores(est, 0.0), (0, 0))
        est.update(_peaked_scores(est, 90.0), (0, 0))  # one bad frame
    assert angle_error(window.angle, 90.0) < 1.0
    assert angle_error(filt.angle, 0.0) < 0.25 * 90.0  # a fraction of the window's jump


def test_the_angle_filter_lets_persistent_evidence_win_far_from_the_estimate():
    # two peaks: a weaker one at the current angle, a stronger one at 90 degrees; the window
    # holds on to the near one for good, the filter moves once the far one keeps winning
    def bimodal(est):
        near = _peaked_scores(est, 0.0, 0.8)
        far = _peaked_scores(est, 90.0, 1.0)
        return torch.maximum(near, far)

    filt, window = _filter(), OrientationEstimator(None, step=15.0, max_change=30.0)
    for est in (filt, window):
        for _ in range(40):
            est.update(bimodal(est), (0, 0))
    assert angle_error(window.angle, 0.0) < 1.0
    assert angle_error(filt.angle, 90.0) < 5.0


def test_the_angle_filter_leaves_the_angle_still_on_a_flat_score_curve():
    est = _filter()
    for _ in range(20):
        est.update(torch.ones(24, 1, 1), (0, 0))
    assert angle_error(est.angle, 0.0) < 1e-6


def test_the_angle_filter_with_a_gate_is_a_config_error():
    with pytest.raises(ConfigError, match="rotation_filter replaces the gate"):
        build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["tracking.estimate_rotation=true", "tracking.rotation_filter=100",
                                 "tracking.rotation_min_gain=0.01"])


def test_the_angle_filter_with_a_turn_rate_keeps_up_with_a_steady_turn_without_lag():
    def final_lag(max_turn: float) -> float:
        est = _filter(max_turn=max_turn)
        for t in range(1, 121):
            offset = est.angle
            est.update(_peaked_scores(est, 2.0 * t - offset), (0, 0), offset)
        return float(angle_error(est.angle, 240.0))

    # the random-walk filter trails the turn by several degrees; inferring the rate removes it
    assert final_lag(0.0) > 4.0
    assert final_lag(4.0) < 1.0


def test_the_angle_filter_with_a_turn_rate_leaves_a_still_target_still():
    est = _filter(max_turn=4.0)
    for _ in range(60):
        est.update(_peaked_scores(est, 0.0), (0, 0))
    assert angle_error(est.angle, 0.0) < 0.5


def test_periodic_interpolation_passes_through_the_samples_and_peaks_between_them():
    from tracker.inference.orientation import periodic_interpolation

    angles = torch.arange(0.0, 360.0, 15.0, dtype=torch.float64)
    # any samples, with every harmonic up to the Nyquist one, are reproduced exactly
    noise = torch.randn(24, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(periodic_interpolation(noise, angles), noise, atol=1e-12)
    curve = 1.0 + 0.02 * torch.cos(torch.deg2rad(angles - 37.0))  # peak between bank angles
    assert torch.allclose(periodic_interpolation(curve, angles), curve, atol=1e-12)
    fine = torch.arange(-180.0, 180.0, 0.5, dtype=torch.float64)
    values = periodic_interpolation(curve, fine)
    assert abs(float(fine[int(torch.argmax(values))]) - 37.0) <= 0.5


def test_the_angle_filter_stays_finite_when_the_interpolated_curve_overshoots_its_samples():
    est = _filter(filter=3000.0, max_turn=2.0)
    scores = torch.full((24, 1, 1), -0.5)
    scores[0] = scores[1] = 0.001  # a sharp step: the band-limited curve overshoots it
    for _ in range(10):
        angle = est.update(scores, (0, 0))
        assert np.isfinite(angle) and torch.isfinite(est.belief).all()
    assert angle_error(angle, 7.5) < 10.0


def test_too_small_an_angle_noise_is_a_config_error():
    with pytest.raises(ConfigError, match="rotation_noise must be >= 0.5"):
        build_tracker("configs/siamfc_p4_resnet22.yaml",
                      overrides=["tracking.estimate_rotation=true", "tracking.rotation_filter=100",
                                 "tracking.rotation_noise=0.01"])


def _follow_the_card(t, turning):
    """Track the turning card; its true angle per frame (degrees from the first) and the
    tracker's absolute angle error on every frame after the first."""
    t.init(turning.frames[0], turning.boxes[0])
    true = turning.rotated[:, 4] - turning.rotated[0, 4]
    errors = []
    for f, a in zip(turning.frames[1:], true[1:]):
        t.update(f)
        errors.append(float(angle_error(t.angle, a)))
    return true, errors


# the upright hypothesis excludes the shipped default's dead zone
UPRIGHT = ["tracking.turn_filter_upright=0.01", "tracking.turn_filter_upright_rate=0.3",
           "tracking.turn_filter_deadzone=0"]


@pytest.mark.parametrize("upright", [[], UPRIGHT], ids=["alone", "with_upright_hypothesis"])
def test_turn_filter_follows_the_turning_card_without_the_bank(turning, upright):
    # the angle from the turn filter on hand-crafted cells: no template bank is built and no
    # group features are asked of the backbone, and the shipped model's angle follows the turn;
    # the upright hypothesis lets a turn that the template sees through
    t = build_tracker(checkpoint="default",
                      overrides=["tracking.rotation_aware=true",
                                 "tracking.rotation_search=turn_filter", *upright])
    assert t.estimates_angle and t.orientation is None and t.turn_filter is None
    calls = record_search_calls(t)
    true, errors = _follow_the_card(t, turning)
    assert not any(groups for _, groups in calls)
    # 80 degrees over 40 frames: the estimate turns most of the way and never flips
    assert t.angle > 0.6 * true[-1] and max(errors) < 25.0, (t.angle, max(errors))


def _drifted_on_a_still_card(overrides: list[str], drift: float = 20.0):
    """A tracker on the card of ``TURNING`` that does not turn, whose turn filter is made to
    believe, right after the first frame, that the upright card stands at ``drift`` degrees (its
    angle set there and its model refit from samples cut there): the state a wandering estimate
    leaves. Returns the tracker, its answered angles over 30 frames and its last box."""
    still = generate_sequence(dataclasses.replace(TURNING, rotation_speed=0.0), seed=3)
    t = build_tracker(checkpoint="default", overrides=overrides)
    t.init(still.frames[0], still.boxes[0])
    t.turn_track = t.angle = drift
    t.turn_filter.fit(t._turn_samples(still.frames[0]), 1.0)
    answered = []
    for f in still.frames[1:31]:
        box = t.update(f)
        answered.append(t.angle)
    return t, answered, box


def test_the_upright_hypothesis_answers_zero_for_a_turn_the_target_did_not_make():
    # the hypothesis alone: no dead zone, one pass
    base = ["tracking.rotation_search=turn_filter", "tracking.rotation_aware=true",
            "tracking.turn_filter_deadzone=0", "tracking.turn_filter_passes=1"]
    # alone, the turn filter keeps the angle it was made to believe in: nothing in its own
    # online model says the card never turned
    _, alone, _ = _drifted_on_a_still_card(base)
    assert min(abs(a) for a in alone[-10:]) > 10.0, alone
    # a turn must first prove itself to the first frame's template, which sees the card
    # upright frame after frame (a negative advantage): the tracker answers 0, and so the
    # unturned box, throughout, while the filter still holds its own angle
    t, judged, box = _drifted_on_a_still_card(base + UPRIGHT)
    assert all(a == 0.0 for a in judged), judged
    assert abs(t.turn_track) > 10.0 and t.upright_advantage < 0.0
    assert tuple(box[2:]) == pytest.approx(tuple(t.target_sz))


def test_the_dead_zone_leaves_small_angles_near_upright_and_large_turns_unchanged():
    angles = np.linspace(-60.0, 60.0, 241)
    shrunk = np.array([shrink_to_upright(a, 8.0) for a in angles])
    # odd and monotonic: never flips a turn's sign or reorders two turns
    assert np.allclose(shrunk, -shrunk[::-1]) and np.all(np.diff(shrunk) > 0)
    assert abs(shrink_to_upright(3.0, 8.0)) < 0.5 and shrink_to_upright(8.0, 8.0) == pytest.approx(
        8.0 * (1 - np.exp(-1.0)))
    assert shrink_to_upright(20.0, 8.0) == pytest.approx(20.0, abs=0.05)
    assert shrink_to_upright(4.0, 0.0) == 4.0


def test_the_dead_zone_answers_a_small_drift_nearly_upright_while_the_filter_keeps_it():
    # the still card of TURNING tracked from a 4-degree belief (the state a wandering estimate
    # leaves), with a 10-degree dead zone: every frame the tracker searches and answers the
    # filter's angle shrunk towards 0, so its answered bounds are those of a nearly unturned
    # box, smaller than the bounds at the filter's own angle, which it keeps following
    still = generate_sequence(dataclasses.replace(TURNING, rotation_speed=0.0), seed=3)
    t = build_tracker(checkpoint="default", overrides=[
        "tracking.rotation_search=turn_filter", "tracking.rotation_aware=true",
        "tracking.turn_filter_deadzone=10", "tracking.turn_filter_passes=1"])
    t.init(still.frames[0], still.boxes[0])
    t.turn_track, t.angle = 4.0, shrink_to_upright(4.0, 10.0)
    t.turn_filter.fit(t._turn_samples(still.frames[0]), 1.0)
    for f in still.frames[1:21]:
        box = t.update(f)
        assert t.angle == pytest.approx(shrink_to_upright(t.turn_track, 10.0))
        assert box == pytest.approx(polygon_to_xywh(t.polygon))
        at_filter = polygon_to_xywh(rotated_to_polygon(
            np.concatenate([t.center, t.object_sz, [t.turn_track]])))
        assert box[2] * box[3] < at_filter[2] * at_filter[3]
    # the filter still holds a turn the card never made; only what the tracker does with it
    # is shrunk
    assert abs(t.turn_track) > 2.0 and abs(t.angle) < abs(t.turn_track), t.turn_track


def test_the_upright_hypothesis_needs_one_search_crop_a_frame():
    with pytest.raises(ConfigError, match="turn_filter_upright needs tracking.scale_search "
                                          "filter or templates"):
        build_tracker(checkpoint="default", overrides=[
            "tracking.rotation_aware=true", "tracking.rotation_search=turn_filter",
            "tracking.scale_search=pyramid", *UPRIGHT])


def test_a_circle_of_turn_samples_keeps_up_with_a_steady_turn(turning):
    # with samples of the target's own size (context 1), a segment of 31 samples ends near 63
    # of the card's 80 degrees (each estimate pulled towards no turn by the Hann weight over
    # its samples); a periodic set has no such weight and follows the turn to within a few
    # degrees
    t = build_tracker(checkpoint="default", overrides=[
        "tracking.rotation_aware=true", "tracking.rotation_search=turn_filter",
        "tracking.turn_filter_circle=true",
        "tracking.turn_filter_num=72", "tracking.turn_filter_step=5",
        "tracking.turn_filter_context=1.0"])
    true, errors = _follow_the_card(t, turning)
    assert t.angle > 0.85 * true[-1] and max(errors) < 12.0, (t.angle, max(errors))


def test_turn_filter_with_the_angle_head_is_a_config_error():
    with pytest.raises(ConfigError, match="rotation_head needs tracking.rotation_search=bank"):
        build_tracker(checkpoint="default", overrides=[
            "tracking.rotation_search=turn_filter", "tracking.rotation_head=true",
            "tracking.rotation_min_gain=0", "tracking.rotation_upright=0"])


