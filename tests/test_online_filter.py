"""The online correlation filter fused with SiamFC's response (tracking.online_filter)."""
from __future__ import annotations

import numpy as np
import pytest

from tracker.boxes import iou_xywh
from tracker.config import config_from_dict
from tracker.errors import ConfigError
from tracker.inference.build import build_tracker
from tracker.inference.online_filter import OnlineFilter


def _features(seed: int = 0, c: int = 16, n: int = 21) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(c, n, n)).astype(np.float32)


def _peak(r: np.ndarray) -> tuple[int, int]:
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(r)), r.shape))


def test_filter_answers_its_label_peak_on_the_frame_it_was_fit_on():
    f = OnlineFilter(sigma=1.0, lam=0.01)
    feat = _features()
    f.fit(f.spectrum(feat), (3.0, -2.0), 1.0)
    r = f.respond(f.spectrum(feat))
    assert r.shape == (21, 21) and r.dtype == np.float32
    assert _peak(r) == (10 + 3, 10 - 2)


def test_filter_response_follows_the_target_when_it_moves():
    # the target is a pattern on a weak random background; moving the pattern by (4, -3) cells
    # must move the response's peak by the same amount
    n, c = 21, 16
    rng = np.random.default_rng(1)
    pattern = rng.normal(size=(c, 5, 5)).astype(np.float32) * 3
    def frame(row, col):
        f = rng.normal(size=(c, n, n)).astype(np.float32) * 0.3
        f[:, row - 2:row + 3, col - 2:col + 3] += pattern
        return f
    flt = OnlineFilter(sigma=1.0, lam=0.1)
    flt.fit(flt.spectrum(frame(10, 10)), (0.0, 0.0), 1.0)
    assert _peak(flt.respond(flt.spectrum(frame(14, 7)))) == (14, 7)


def test_filter_update_is_a_running_average_of_frames():
    a, b = _features(2), _features(3)
    f = OnlineFilter(sigma=1.0, lam=0.01)
    f.fit(f.spectrum(a), (0.0, 0.0), 1.0)
    num, den = f.num.copy(), f.den.copy()
    f.fit(f.spectrum(b), (0.0, 0.0), 0.25)
    g = OnlineFilter(sigma=1.0, lam=0.01)
    g.fit(g.spectrum(b), (0.0, 0.0), 1.0)
    np.testing.assert_allclose(f.num, 0.75 * num + 0.25 * g.num, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(f.den, 0.75 * den + 0.25 * g.den, rtol=1e-5)


def test_filter_refuses_bad_settings_and_responding_before_fitting():
    with pytest.raises(ValueError, match="sigma and lambda"):
        OnlineFilter(sigma=0.0, lam=0.1)
    f = OnlineFilter(sigma=1.0, lam=0.1)
    with pytest.raises(RuntimeError, match="before fit"):
        f.respond(f.spectrum(_features()))


@pytest.mark.parametrize("key,value", [("online_filter", 1.5), ("online_filter_rate", 0.0),
                                       ("online_filter_lambda", 0.0),
                                       ("online_filter_sigma", -1.0),
                                       ("online_filter_gate", 1.0)])
def test_online_filter_settings_are_checked(key, value):
    with pytest.raises(ConfigError, match=f"tracking.{key}"):
        config_from_dict({"tracking": {key: value}})


def test_siamrpn_refuses_the_online_filter():
    with pytest.raises(ConfigError, match="does not support tracking.online_filter"):
        build_tracker("configs/siamrpn_resnet22_w025.yaml",
                      overrides=["tracking.online_filter=0.5"])


def test_default_model_with_the_filter_tracks_a_generated_target_deterministically(
        easy_sequence):
    seq = easy_sequence
    runs = []
    for _ in range(2):
        t = build_tracker(checkpoint="default", overrides=["tracking.online_filter=0.5"])
        t.init(seq.frames[0], seq.boxes[0])
        runs.append(np.array([t.update(f) for f in seq.frames[1:]]))
    assert t.filter is not None
    np.testing.assert_array_equal(runs[0], runs[1])
    assert iou_xywh(runs[0], seq.boxes[1:]).mean() > 0.5


def test_gated_filter_does_not_learn_from_a_frame_without_the_target(easy_sequence):
    seq = easy_sequence
    blank = np.full_like(np.asarray(seq.frames[1]), 127)
    kept = {}
    for gate in (0.0, 0.9):
        t = build_tracker(checkpoint="default", overrides=[
            "tracking.online_filter=0.5", f"tracking.online_filter_gate={gate}"])
        t.init(seq.frames[0], seq.boxes[0])
        for f in seq.frames[1:6]:
            t.update(f)
        before = t.filter.num.copy()
        t.update(blank)  # a flat frame: the fused response has no clear peak
        kept[gate] = np.array_equal(before, t.filter.num)
    assert kept == {0.0: False, 0.9: True}
