import cv2
import numpy as np

from tracker.boxes import polygon_to_xywh, rotated_to_polygon
from tracker.data.synthetic import (
    SequenceSpec,
    generate_sequence,
    write_got10k,
    write_otb,
    write_video,
)
from tracker.video import FrameSource

SPEC = SequenceSpec(num_frames=10, width=200, height=150, object_size=(40, 30))


def test_same_seed_same_pixels_other_seed_other_pixels():
    a, b = generate_sequence(SPEC, seed=5), generate_sequence(SPEC, seed=5)
    c = generate_sequence(SPEC, seed=6)
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.frames[3], c.frames[3])


def test_ground_truth_is_consistent_across_forms():
    s = generate_sequence(SPEC, seed=1)
    np.testing.assert_allclose(s.polygons, rotated_to_polygon(s.rotated))
    np.testing.assert_allclose(s.boxes, polygon_to_xywh(s.polygons))
    assert s.boxes.shape == (10, 4) and s.rotated.shape == (10, 5)
    assert len(s.frames) == 10 and s.frames[0].shape == (150, 200, 3)


def test_ground_truth_polygon_matches_the_rendered_target():
    # static camera, no noise, light or distractors: consecutive frames differ only where the
    # target was or is, so the changed pixels must lie inside the two ground-truth polygons
    spec = SequenceSpec(num_frames=4, width=200, height=150, object_size=(50, 30), distractors=0,
                        occlusion=False, illumination=0.0, blur=False, noise=0.0, camera_speed=0.0)
    s = generate_sequence(spec, seed=2)

    def polygon_mask(poly, grow):
        mask = np.zeros((150, 200), np.uint8)
        cv2.fillPoly(mask, [np.round(poly.reshape(4, 2) - 0.5).astype(np.int32)], 1)
        return cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=grow) > 0

    for f in range(3):
        changed = np.abs(s.frames[f + 1].astype(int) - s.frames[f].astype(int)).max(axis=2) > 12
        both = polygon_mask(s.polygons[f], 2) | polygon_mask(s.polygons[f + 1], 2)
        assert changed.sum() > 200
        assert (changed & ~both).sum() <= 0.01 * changed.sum()
        # and the target really fills its polygon: most of the non-overlapping part changed
        only_new = polygon_mask(s.polygons[f + 1], 0) & ~polygon_mask(s.polygons[f], 1)
        if only_new.sum() > 50:
            assert changed[only_new].mean() > 0.5


def test_writes_otb_and_got10k_layouts_and_video(tmp_path):
    s = generate_sequence(SPEC, seed=1, name="seqA")
    d = write_otb(s, tmp_path / "otb")
    assert len(list((d / "img").glob("*.jpg"))) == 10
    assert (d / "img" / "0001.jpg").exists()
    gt = np.loadtxt(d / "groundtruth_rect.txt", delimiter=",")
    np.testing.assert_allclose(gt, s.boxes + [1, 1, 0, 0], atol=1e-3)  # OTB files are 1-based
    assert np.loadtxt(d / "groundtruth_poly.txt", delimiter=",").shape == (10, 8)

    base = write_got10k([s], tmp_path / "got", subset="val")
    seq = base / "seqA"
    assert (base / "list.txt").read_text().split() == ["seqA"]
    for f in ("00000001.jpg", "groundtruth.txt", "meta_info.ini", "absence.label",
              "cover.label", "cut_by_image.label"):
        assert (seq / f).exists(), f
    cover = np.loadtxt(seq / "cover.label")
    assert cover.shape == (10,) and cover.min() >= 0 and cover.max() <= 8

    video = write_video(s, tmp_path / "v.mp4")
    src = FrameSource(video)
    frames = [f for _, f in src]
    assert len(frames) == 10 and frames[0].shape == (150, 200, 3)
