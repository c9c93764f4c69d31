"""Hand-crafted cell features and the second online filter on them (tracking.online_hog)."""
from __future__ import annotations

import numpy as np
import pytest

from tracker.boxes import iou_xywh
from tracker.errors import ConfigError
from tracker.inference.build import build_tracker
from tracker.inference.handcrafted import ORIENTATIONS, cell_features, pool_to_cells
from tracker.inference.online_filter import OnlineFilter


def _peak(r: np.ndarray) -> tuple[int, int]:
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(r)), r.shape))


def test_a_horizontal_edge_votes_into_the_vertical_gradient_bin_only():
    crop = np.zeros((64, 64, 3), np.uint8)
    crop[32:] = 200  # an edge between rows 31 and 32: the gradient points down (90 degrees)
    f = cell_features(crop, cells=8, cell=8)
    assert f.shape == (ORIENTATIONS + 3, 8, 8) and f.dtype == np.float32
    assert f.min() >= -0.5 and f.max() <= 0.5
    hist = f[:ORIENTATIONS]
    on_edge = hist[:, 3, 4]  # cell rows 24..31 hold the upper side of the edge
    assert int(np.argmax(on_edge)) == 4 and on_edge[4] > -0.5  # 80..100 degrees
    assert np.all(np.delete(on_edge, 4) == -0.5)
    assert np.all(hist[:, 0, :] == -0.5)  # flat cells have no gradient
    # the gray channel is dark above the edge and bright below
    assert f[ORIENTATIONS, 0, 0] < 0 < f[ORIENTATIONS, 7, 0]


def test_the_grid_is_centred_on_the_crop_and_pooling_lands_on_the_coarse_cells():
    crop = np.zeros((255, 255, 3), np.uint8)
    # a red patch 8..16 pixels right of and 0..8 below the centre pixel 127 (the grid is
    # centred on it to half a pixel: span 176, pixels 39 to 214)
    crop[127:135, 135:143, 0] = 255
    f = cell_features(crop, cells=44, cell=4)
    red = f[ORIENTATIONS + 1]  # R - G
    rows, cols = np.nonzero(red > 0)
    assert set(rows) == {22, 23} and set(cols) == {24, 25}
    coarse = pool_to_cells(red)
    assert coarse.shape == (22, 22) and _peak(coarse) == (11, 12)


def test_a_filter_on_cell_features_follows_a_moving_textured_patch():
    rng = np.random.default_rng(0)
    patch = rng.integers(0, 255, size=(24, 24, 3), dtype=np.uint8)

    def frame(dy, dx):
        crop = np.full((255, 255, 3), 90, np.uint8)
        crop[115 + dy:139 + dy, 115 + dx:139 + dx] = patch
        return cell_features(crop, cells=44, cell=4)

    f = OnlineFilter(sigma=2.0, lam=0.01)
    f.fit(f.spectrum(frame(0, 0)), (0.0, 0.0), 1.0)
    r0 = f.respond(f.spectrum(frame(0, 0)))
    r1 = f.respond(f.spectrum(frame(16, -8)))  # 4 and -2 cells of 4 pixels
    p0, p1 = _peak(r0), _peak(r1)
    # the window on the features pulls a moved peak up to a cell towards the centre
    assert 3 <= p1[0] - p0[0] <= 4 and -2 <= p1[1] - p0[1] <= -1


@pytest.fixture(scope="module")
def sequence():
    from tracker.data.synthetic import SequenceSpec, generate_sequence

    return generate_sequence(SequenceSpec(num_frames=20, width=160, height=120,
                                          object_size=(30, 20)), seed=3, name="hog")


def _track(tracker, seq) -> list[np.ndarray]:
    tracker.init(seq.frames[0], seq.boxes[0])
    return [tracker.update(f) for f in seq.frames[1:]]


def test_the_second_filter_changes_the_answer_and_keeps_it_deterministic(sequence):
    cfg = "configs/siamfc_resnet22_w025.yaml"
    base = build_tracker(cfg, backend="torch")
    hog = build_tracker(cfg, backend="torch", overrides=["tracking.online_hog=0.5"])
    again = build_tracker(cfg, backend="torch", overrides=["tracking.online_hog=0.5"])
    a, b, c = _track(base, sequence), _track(hog, sequence), _track(again, sequence)
    assert hog.hog is not None and base.hog is None
    assert np.array_equal(np.array(b), np.array(c))
    assert not np.allclose(np.array(a), np.array(b))
    ious = [iou_xywh(p, t) for p, t in zip(b, sequence.boxes[1:])]
    assert np.all(np.isfinite(np.array(b)))
    assert np.mean(ious) > 0.0


def test_online_hog_is_validated_and_refused_by_siamrpn():
    with pytest.raises(ConfigError, match="online_hog must lie in"):
        build_tracker("configs/siamfc_resnet22.yaml", overrides=["tracking.online_hog=1.5"])
    with pytest.raises(ConfigError, match="online_hog"):
        build_tracker("configs/siamrpn_resnet22.yaml", overrides=["tracking.online_hog=0.3"])
