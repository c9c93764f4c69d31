"""OpenCV baseline trackers behind got10k's API, and VOT's Expected Average Overlap."""
from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tracker.boxes import iou_xywh, rotated_to_polygon
from tracker.data.synthetic import SequenceSpec, generate_sequence
from tracker.errors import ConfigError, InputError
from tracker.evaluation.baselines import (
    BASELINES,
    OpenCVTracker,
    build_baseline,
    integer_box,
    to_bgr,
)
from tracker.evaluation.eao import (
    BaselineRun,
    eao_curve,
    expected_average_overlap,
    read_vot_baseline,
    region_overlap,
    split_segments,
    vot_interval,
)

SPEC = SequenceSpec(num_frames=20, width=200, height=150, object_size=(40, 30), distractors=0,
                    occlusion=False)
# mean IoU over frames 1..19 measured with OpenCV 5.0.0: CSRT 0.669, KCF 0.657 (lost from frame
# 11 on, previous box kept), MIL 0.70-0.75 over 12 runs; the bounds leave a wide margin but a
# wrong box format or a wrapper that returns OpenCV's (0, 0, 0, 0) on loss falls below them
MIN_MEAN_IOU = {"opencv-csrt": 0.5, "opencv-kcf": 0.45, "opencv-mil": 0.5}


@pytest.fixture(scope="module")
def sequence():
    return generate_sequence(SPEC, seed=1)


@pytest.fixture(scope="module")
def sequence_files(sequence, tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    files = []
    for i, frame in enumerate(sequence.frames):
        path = folder / f"{i:08d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        files.append(str(path))
    return files


# ------------------------------------------------------------------------------- baselines

@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baseline_follows_easy_target_through_got10k_track(name, sequence, sequence_files):
    tracker = build_baseline(name)
    assert tracker.name == name
    boxes, times = tracker.track(sequence_files, sequence.boxes[0])
    assert boxes.shape == (SPEC.num_frames, 4) and np.all(np.isfinite(boxes))
    assert np.all(boxes[:, 2:] > 0)
    assert len(times) == SPEC.num_frames
    ious = iou_xywh(boxes[1:], sequence.boxes[1:])
    assert ious[0] > 0.6  # one frame after init: catches box-format mistakes
    assert ious.mean() > MIN_MEAN_IOU[name]


@pytest.mark.parametrize("name", ["opencv-csrt", "opencv-kcf"])
def test_deterministic_baselines_repeat_exactly_on_numpy_frames(name, sequence):
    runs = []
    for _ in range(2):
        tracker = build_baseline(name)
        tracker.init(sequence.frames[0], sequence.boxes[0])
        out = np.stack([tracker.update(f) for f in sequence.frames[1:8]])
        assert out.shape == (7, 4) and out.dtype == np.float64
        runs.append(out)
    assert tracker.is_deterministic
    np.testing.assert_array_equal(runs[0], runs[1])


def test_only_mil_is_declared_random():
    assert {n: build_baseline(n).is_deterministic for n in BASELINES} == {
        "opencv-csrt": True, "opencv-kcf": True, "opencv-mil": False}


def test_unknown_baseline_name_lists_known_names():
    with pytest.raises(ConfigError) as err:
        build_baseline("opencv-boosting")
    for name in BASELINES:
        assert name in str(err.value)


class _RecordingTracker:
    """Stands in for an OpenCV tracker: records its inputs, reports 'lost' when told to."""

    def __init__(self, results):
        self.results = list(results)
        self.images, self.rects = [], []

    def init(self, image, rect):
        self.images.append(image)
        self.rects.append(rect)

    def update(self, image):
        self.images.append(image)
        return self.results.pop(0)


def test_wrapper_feeds_opencv_bgr_images_and_integer_rects():
    fake = _RecordingTracker([(True, (1, 2, 3, 4))])
    tracker = OpenCVTracker("csrt", factory=lambda: fake)
    red = Image.new("RGB", (40, 30), (255, 0, 0))  # got10k passes PIL RGB images
    tracker.init(red, [10.4, 5.6, 12.2, 8.49])
    assert fake.rects == [(10, 6, 13, 8)]  # corners rounded: x 10.4..22.6 -> 10..23
    assert all(isinstance(v, int) for v in fake.rects[0])
    bgr = fake.images[0]
    assert bgr.dtype == np.uint8 and bgr.shape == (30, 40, 3)
    assert tuple(bgr[0, 0]) == (0, 0, 255)
    np.testing.assert_array_equal(tracker.update(np.asarray(red)), [1, 2, 3, 4])
    assert tuple(fake.images[1][0, 0]) == (0, 0, 255)


def test_lost_target_keeps_previous_box():
    fake = _RecordingTracker([(True, (20, 10, 8, 6)), (False, (0, 0, 0, 0)),
                              (True, (22, 11, 8, 6))])
    tracker = OpenCVTracker("kcf", factory=lambda: fake)
    frame = np.zeros((50, 60, 3), np.uint8)
    tracker.init(frame, [18, 9, 8, 6])
    np.testing.assert_array_equal(tracker.update(frame), [20, 10, 8, 6])
    assert not tracker.lost
    np.testing.assert_array_equal(tracker.update(frame), [20, 10, 8, 6])
    assert tracker.lost and tracker.lost_frames == 1
    np.testing.assert_array_equal(tracker.update(frame), [22, 11, 8, 6])


def test_integer_box_clips_into_image_and_keeps_a_minimum_side():
    assert integer_box([10.4, 10.6, 20.2, 5.3], 200, 150) == (10, 11, 21, 5)
    assert integer_box([-5, -5, 3, 3], 200, 150, min_side=4) == (0, 0, 4, 4)
    assert integer_box([190, 140, 30, 30], 200, 150) == (190, 140, 10, 10)
    assert integer_box([300, 300, 10, 10], 200, 150, min_side=5) == (195, 145, 5, 5)
    assert integer_box([10, 10, 0.2, 0.2], 200, 150, min_side=5) == (8, 8, 5, 5)
    with pytest.raises(InputError):
        integer_box([0, 0, np.nan, 4], 200, 150)


@pytest.mark.parametrize("box", [(-20, -20, 30, 30), (0, 0, 200, 150), (199.5, 149.5, 0.2, 0.2)])
@pytest.mark.parametrize("name", sorted(BASELINES))
def test_awkward_init_boxes_do_not_crash_opencv(name, box, sequence):
    tracker = build_baseline(name)
    tracker.init(sequence.frames[0], box)
    out = tracker.update(sequence.frames[1])
    assert out.shape == (4,) and np.all(np.isfinite(out)) and np.all(out[2:] >= 1)


def test_image_too_small_for_mil_is_an_input_error():
    with pytest.raises(InputError, match="at least 5 px"):
        build_baseline("opencv-mil").init(np.zeros((4, 4, 3), np.uint8), [0, 0, 4, 4])


def test_to_bgr_accepts_gray_arrays():
    gray = np.full((5, 7), 9, np.uint8)
    assert to_bgr(gray).shape == (5, 7, 3)


# ------------------------------------------------------------------------------- EAO

def test_vot_intervals_and_unknown_version():
    assert vot_interval(2016) == (108, 371)
    assert vot_interval("2017") == (100, 356)
    assert vot_interval("VOT2018") == (100, 356)
    for bad in (2014, 2020, "LT2018", "x"):
        with pytest.raises(ValueError):
            vot_interval(bad)


def test_perfect_tracker_has_eao_one():
    runs = [BaselineRun(np.ones(400), inits=[0]), BaselineRun(np.ones(500), inits=[0])]
    low, high = vot_interval(2018)
    assert expected_average_overlap(runs, low, high) == pytest.approx(1.0)


def test_tracker_failing_right_after_every_init_has_eao_zero():
    n = 400
    inits = list(range(0, n, 6))          # init, fail next frame, 4 skipped, re-init
    failures = [i + 1 for i in inits if i + 1 < n]
    overlaps = np.full(n, np.nan)
    run = BaselineRun(overlaps, inits, failures)
    assert all(s.failed and len(s.overlaps) == 0 for s in split_segments(run))
    assert expected_average_overlap([run], *vot_interval(2016)) == pytest.approx(0.0, abs=1e-12)


def _hand_runs() -> list[BaselineRun]:
    nan = np.nan
    # run A: init 0, tracks 0.8, 0.6, fails at 3, skips 4..7, re-init 8, tracks 0.5 to the end
    a = BaselineRun([nan, 0.8, 0.6, nan, nan, nan, nan, nan, nan, 0.5], [0, 8], [3])
    # run B: init 0 and never fails
    b = BaselineRun([nan, 1.0, 1.0, 0.4, 0.4], [0], [])
    return [a, b]


def test_eao_matches_hand_computation():
    # segments: A1 failed [0.8, 0.6] (zeros after), A2 completed [0.5] (L=1),
    #           B completed [1, 1, .4, .4] (L=4)
    # Phi(1) = (0.8 + 0.5 + 1) / 3         = 0.766667
    # Phi(2) = (0.7 + 1) / 2               = 0.85      (A2 too short)
    # Phi(3) = (1.4/3 + 2.4/3) / 2         = 0.633333
    # Phi(4) = (1.4/4 + 2.8/4) / 2         = 0.525
    # Phi(5) = 1.4/5                       = 0.28      (only the failed segment counts)
    # Phi(6) = 1.4/6                       = 0.233333
    # EAO[2, 4] = (0.85 + 0.633333 + 0.525) / 3 = 0.669444
    runs = _hand_runs()
    curve = eao_curve(runs, 6)
    assert math.isnan(curve[0])
    np.testing.assert_allclose(curve[1:], [2.3 / 3, 0.85, 1.9 / 3, 0.525, 0.28, 1.4 / 6])
    assert expected_average_overlap(runs, 2, 4) == pytest.approx((0.85 + 1.9 / 3 + 0.525) / 3)
    assert expected_average_overlap(runs, 1, 6) == pytest.approx(
        (2.3 / 3 + 0.85 + 1.9 / 3 + 0.525 + 0.28 + 1.4 / 6) / 6)


def test_eao_is_nan_when_no_segment_reaches_the_interval(caplog):
    runs = [BaselineRun(np.ones(50), inits=[0])]
    with caplog.at_level(logging.WARNING, logger="tracker.evaluation.eao"):
        assert math.isnan(expected_average_overlap(runs, 100, 356))
    assert "undefined" in caplog.text


def test_inconsistent_runs_are_rejected():
    with pytest.raises(ValueError):
        BaselineRun(np.zeros(10), inits=[], failures=[])
    with pytest.raises(ValueError):
        BaselineRun(np.zeros(10), inits=[2], failures=[1])      # failure before any init
    with pytest.raises(ValueError):
        BaselineRun(np.zeros(10), inits=[0], failures=[3, 5])   # two failures, one init
    with pytest.raises(ValueError):
        BaselineRun(np.zeros(10), inits=[0, 12], failures=[])   # outside the run


def test_region_overlap_of_rotated_polygons_is_exact():
    poly = rotated_to_polygon([50.0, 40.0, 30.0, 12.0, 33.0])
    assert region_overlap(poly, poly) == pytest.approx(1.0)
    far = rotated_to_polygon([150.0, 40.0, 30.0, 12.0, 33.0])
    assert region_overlap(poly, far) == 0.0
    # a square turned 45 degrees against its bounding box: area s^2 over 2 s^2
    diamond = rotated_to_polygon([50.0, 50.0, 20.0, 20.0, 45.0])
    side = 20.0 * math.sqrt(2.0)
    bbox = [50.0 - side / 2, 50.0 - side / 2, side, side]
    assert region_overlap(diamond, bbox) == pytest.approx(0.5)
    # batches of boxes against polygons, and clipping to the image
    boxes = np.array([[90.0, 10, 20, 10], [0, 0, 10, 10]])
    polys = np.array([[90.0, 10, 100, 10, 100, 20, 90, 20], [5, 0, 15, 0, 15, 10, 5, 10]])
    np.testing.assert_allclose(region_overlap(boxes, polys), [0.5, 50 / 150])
    np.testing.assert_allclose(region_overlap(boxes, polys, bound=(100, 80)), [1.0, 50 / 150])


class _TinyDataset:
    """got10k-like: ``seq_names`` and ``dataset[i] -> (img_files, anno, meta)``."""

    def __init__(self, seqs: dict[str, tuple[list[str], np.ndarray]]) -> None:
        self.seqs = seqs
        self.seq_names = list(seqs)

    def __getitem__(self, i):
        img_files, anno = self.seqs[self.seq_names[i]]
        return img_files, anno, {}

    def __len__(self) -> int:
        return len(self.seq_names)


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))  # got10k writes no trailing newline


@pytest.fixture()
def vot_results(tmp_path):
    """Two sequences with records laid out and formatted as got10k's ExperimentVOT writes them."""
    image = tmp_path / "img.png"
    Image.new("RGB", (100, 80)).save(image)
    square = [10, 10, 30, 10, 30, 30, 10, 30]  # the box [10, 10, 20, 20] as a polygon
    anno_a = np.tile(np.array(square, float), (10, 1))
    anno_b = np.tile(np.array([90.0, 10, 20, 10]), (3, 1))  # sticks out of the 100 px image
    base = tmp_path / "results" / "VOT2018" / "opencv-csrt" / "baseline"
    _write(base / "seqA" / "seqA_001.txt",
           ["1", "10.0000,10.0000,20.0000,20.0000", "20.0000,10.0000,20.0000,20.0000", "2",
            "0", "0", "0", "0", "1", "15.0000,10.0000,35.0000,10.0000,35.0000,30.0000,"
            "15.0000,30.0000"])
    _write(base / "seqA" / "seqA_002.txt", ["1"] + ["10.0000,10.0000,20.0000,20.0000"] * 9)
    _write(base / "seqA" / "seqA_time.txt", ["0.0100,0.0100"] * 10)
    _write(base / "seqB" / "seqB_001.txt", ["1", "90.0000,10.0000,10.0000,10.0000",
                                            "90.0000,10.0000,10.0000,10.0000"])
    dataset = _TinyDataset({"seqA": ([str(image)] * 10, anno_a),
                            "seqB": ([str(image)] * 3, anno_b)})
    return tmp_path / "results" / "VOT2018", dataset


def test_reading_got10k_vot_records_reproduces_the_runs(vot_results):
    result_dir, dataset = vot_results
    runs = read_vot_baseline(result_dir, "opencv-csrt", dataset)
    assert [(r.sequence, r.repetition) for r in runs] == [("seqA", 1), ("seqA", 2), ("seqB", 1)]
    a1, a2, b = runs
    assert (a1.inits, a1.failures) == ([0, 8], [3])
    nan = np.nan
    # frame 2: boxes [20,10,20,20] vs [10,10,20,20] -> 200 / 600; frame 9: 8-value polygon
    # [15..35] x [10..30] vs [10..30] x [10..30] -> 300 / 500
    np.testing.assert_allclose(a1.overlaps, [nan, 1, 1 / 3, nan, nan, nan, nan, nan, nan, 0.6])
    assert (a2.inits, a2.failures) == ([0], [])
    np.testing.assert_allclose(a2.overlaps[1:], 1.0)
    # seqB is clipped to the 100 x 80 image: the box covers the visible part of the target
    np.testing.assert_allclose(b.overlaps, [nan, 1.0, 1.0])
    unbounded = read_vot_baseline(result_dir, "opencv-csrt", dataset, bounded=False)
    np.testing.assert_allclose(unbounded[2].overlaps, [nan, 0.5, 0.5])
    # EAO straight from the files equals EAO of the same runs built by hand
    by_hand = [BaselineRun(a1.overlaps, [0, 8], [3]), BaselineRun([nan] + [1.0] * 9, [0]),
               BaselineRun([nan, 1.0, 1.0], [0])]
    np.testing.assert_allclose(eao_curve(runs, 12), eao_curve(by_hand, 12), equal_nan=True)


def test_reading_reports_missing_and_malformed_records(vot_results):
    result_dir, dataset = vot_results
    with pytest.raises(InputError, match="no baseline records"):
        read_vot_baseline(result_dir, "other-tracker", dataset)
    _write(result_dir / "opencv-csrt" / "baseline" / "seqB" / "seqB_001.txt",
           ["1", "3", "90,10,10,10"])
    with pytest.raises(InputError, match="seqB_001.txt, line 2"):
        read_vot_baseline(result_dir, "opencv-csrt", dataset)
    _write(result_dir / "opencv-csrt" / "baseline" / "seqB" / "seqB_001.txt", ["1", "2"])
    with pytest.raises(InputError, match="2 records for 3"):
        read_vot_baseline(result_dir, "opencv-csrt", dataset)
