"""Rotated datasets: exact coordinate mapping, angle schedules, both layouts, bad input."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import run_tool

from tracker.boxes import polygon_to_xywh
from tracker.data.layouts import FolderDataset
from tracker.data.rotate import (
    angle_schedule,
    make_rotated,
    rotate_box,
    rotate_image,
    rotation_matrix,
    sequence_rng,
    transform_points,
)
from tracker.data.synthetic import SequenceSpec, generate_sequence, write_got10k, write_otb
from tracker.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SPEC = SequenceSpec(num_frames=6, width=160, height=120, object_size=(30, 20))


@pytest.fixture(scope="module")
def seqs():
    return [generate_sequence(SPEC, seed=s, name=f"rot{s}") for s in (1, 2)]


@pytest.fixture
def otb(tmp_path, seqs):
    for s in seqs:
        write_otb(s, tmp_path / "otb")
    return tmp_path / "otb"


def run_cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "make_rotated.py"),
                           *map(str, args)], capture_output=True, text=True, timeout=120)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_one_error(capsys, argv, *fragments):
    proc = run_tool("make_rotated", *argv)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert "Traceback" not in err, err
    errors = error_lines(err)
    assert len(errors) == 1, err
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


# ---------------------------------------------------------------------------------------------
# geometry


@pytest.mark.parametrize("angle", [17.0, 90.0, 137.5, -61.0])
def test_a_bright_square_lands_where_transform_points_says(angle):
    image = np.zeros((120, 160), np.float32)
    image[29:32, 39:42] = 1.0                 # 3x3 square centred on pixel (40, 30)
    rotated, m = rotate_image(image, angle)
    ys, xs = np.mgrid[:rotated.shape[0], :rotated.shape[1]]
    w = rotated / rotated.sum()
    # continuous coordinates: pixel centres at index + 0.5
    centroid = np.array([(w * (xs + 0.5)).sum(), (w * (ys + 0.5)).sum()])
    np.testing.assert_allclose(centroid, transform_points([40.5, 30.5], m), atol=0.05)


def test_quarter_and_half_turns_are_exact_pixel_permutations():
    image = np.random.default_rng(0).integers(0, 256, (7, 10, 3), dtype=np.uint8)
    quarter, _ = rotate_image(image, 90.0)
    assert quarter.shape == (10, 7, 3)
    np.testing.assert_array_equal(quarter, np.rot90(image, 1))   # counter-clockwise on screen
    half, _ = rotate_image(image, 180.0)
    np.testing.assert_array_equal(half, image[::-1, ::-1])


def test_90_degrees_swaps_the_canvas_and_45_degrees_holds_every_corner():
    _, w, h = rotation_matrix(160, 120, 90.0)
    assert (w, h) == (120, 160)
    m, w, h = rotation_matrix(160, 120, 45.0)
    assert (w, h) == (198, 198)            # ceil((160 + 120) / sqrt(2)) = ceil(197.99)
    corners = transform_points([[0, 0], [160, 0], [160, 120], [0, 120]], m)
    assert corners[:, 0].min() >= -1e-9 and corners[:, 0].max() <= w + 1e-9
    assert corners[:, 1].min() >= -1e-9 and corners[:, 1].max() <= h + 1e-9
    rotated, _ = rotate_image(np.full((120, 160), 255, np.uint8), 45.0)
    assert rotated[h // 2, w // 2] == 255 and rotated[0, 0] == 0 and rotated[-1, -1] == 0


def test_the_image_top_moves_left_under_a_positive_angle():
    # counter-clockwise on screen, like tracker.boxes.rotated_to_polygon
    m, w, h = rotation_matrix(100, 100, 90.0)
    np.testing.assert_allclose(transform_points([50, 0], m), [0, 50], atol=1e-9)


def test_rotated_box_contains_the_rotated_target_polygon(seqs):
    s = seqs[0]
    for box, poly, angle in zip(s.boxes, s.polygons, (10.0, 45.0, -120.0, 170.0, 0.0, 90.0)):
        m, _, _ = rotation_matrix(160, 120, angle)
        rect = polygon_to_xywh(rotate_box(box, m))
        card = transform_points(poly.reshape(4, 2), m)
        assert np.all(card >= rect[:2] - 1e-6) and np.all(card <= rect[:2] + rect[2:] + 1e-6)
    # with no rotation the box comes back unchanged, in 0- and 1-based files alike
    m, _, _ = rotation_matrix(160, 120, 0.0)
    np.testing.assert_allclose(polygon_to_xywh(rotate_box(s.boxes, m, origin=1)), s.boxes,
                               atol=1e-9)


def test_a_nan_box_gives_a_nan_polygon():
    m, _, _ = rotation_matrix(160, 120, 30.0)
    assert np.isnan(rotate_box([np.nan] * 4, m)).all()


# ---------------------------------------------------------------------------------------------
# angle schedules


def test_constant_schedule_is_one_angle_within_range():
    a = angle_schedule("constant", 50, 30.0, sequence_rng(0, "x"))
    assert np.all(a == a[0]) and abs(a[0]) <= 30.0


def test_progressive_schedule_goes_monotonically_from_zero_to_max_deg():
    a = angle_schedule("progressive", 50, 60.0, sequence_rng(0, "x"))
    assert a[0] == 0.0 and abs(a[-1]) == 60.0
    d = np.diff(a)
    assert np.all(d >= 0) or np.all(d <= 0)



def test_turn_mode_turns_the_same_amount_every_frame_either_way():
    signs = set()
    for name in ("a", "b", "c", "d", "e", "f"):
        a = angle_schedule("turn", 40, 180.0, sequence_rng(0, name), rate=1.5)
        assert a[0] == 0.0
        np.testing.assert_allclose(np.abs(np.diff(a)), 1.5)
        assert abs(a[-1]) == 58.5  # no bound: the held-out schedule keeps turning
        signs.add(np.sign(a[-1]))
    assert signs == {-1.0, 1.0}
    with pytest.raises(InputError, match="--rate"):
        angle_schedule("turn", 5, 180.0, sequence_rng(0, "x"), rate=float("nan"))

def test_random_walk_starts_at_zero_and_stays_within_max_deg():
    a = angle_schedule("random-walk", 2000, 5.0, sequence_rng(0, "x"))
    assert a[0] == 0.0 and np.abs(a).max() <= 5.0
    assert np.abs(a).max() == 5.0                 # a long walk reaches the bound and is clipped
    assert np.abs(np.diff(a)).max() < 5 * 0.5     # steps of std min(2, max_deg / 10)


@pytest.mark.parametrize("mode", ["constant", "random-walk"])
def test_same_seed_and_name_same_angles_other_name_or_seed_other_angles(mode):
    def angles(seed, name):
        return angle_schedule(mode, 20, 90.0, sequence_rng(seed, name))

    np.testing.assert_array_equal(angles(3, "a"), angles(3, "a"))
    assert not np.array_equal(angles(3, "a"), angles(3, "b"))
    assert not np.array_equal(angles(3, "a"), angles(4, "a"))


def test_progressive_end_sign_varies_between_sequences():
    ends = {angle_schedule("progressive", 5, 90.0, sequence_rng(0, f"s{i}"))[-1] for i in range(20)}
    assert ends == {-90.0, 90.0}


# ---------------------------------------------------------------------------------------------
# end to end


def test_otb_layout_through_the_cli(tmp_path, otb, seqs):
    dst = tmp_path / "rot"
    proc = run_cli("--src", otb, "--dst", dst, "--mode", "random-walk", "--max-deg", "40",
                   "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    assert "OTB layout" in proc.stderr and "wrote 2 sequences, 12 frames" in proc.stdout
    data = FolderDataset(dst)
    assert data.seq_names == ["rot1", "rot2"]
    for s in seqs:
        files, anno = data[s.name]
        assert [Path(f).name for f in files] == [f"{i:04d}.jpg" for i in range(1, 7)]
        angles = np.loadtxt(dst / s.name / "angles.txt")
        np.testing.assert_array_equal(
            np.round(angles, 4),
            np.round(angle_schedule("random-walk", 6, 40.0, sequence_rng(7, s.name)), 4))
        polys = np.loadtxt(dst / s.name / "groundtruth_poly.txt", delimiter=",")
        src_polys = np.loadtxt(otb / s.name / "groundtruth_poly.txt", delimiter=",")
        for k, (f, angle) in enumerate(zip(files, angles)):
            m, w, h = rotation_matrix(160, 120, angle)
            frame = cv2.imread(f)
            assert frame.shape == (h, w, 3)
            # the files are 1-based like OTB: our exact 0-based boxes, rotated, plus one
            expected = rotate_box(s.boxes[k], m) + 1
            np.testing.assert_allclose(polys[k], expected, atol=2e-3)
            np.testing.assert_allclose(anno[k], polygon_to_xywh(expected), atol=2e-3)
            # the rotated card (the writer's exact polygon) lies inside the rotated box
            card = transform_points(src_polys[k].reshape(4, 2) - 1, m) + 1
            assert np.all(card >= anno[k, :2] - 2e-3)
            assert np.all(card <= anno[k, :2] + anno[k, 2:] + 2e-3)
            # and the pixels are the input frame rotated by the same angle (JPEG aside)
            src = cv2.imread(str(otb / s.name / "img" / Path(f).name))
            diff = np.abs(frame.astype(int) - rotate_image(src, angle)[0].astype(int))
            assert diff.mean() < 4


def test_got10k_layout_through_the_cli_keeps_the_subset_structure(tmp_path, seqs):
    src = tmp_path / "got"
    write_got10k(seqs, src, subset="val")
    dst = tmp_path / "rot"
    proc = run_cli("--src", src, "--dst", dst, "--mode", "constant", "--max-deg", "90")
    assert proc.returncode == 0, proc.stderr
    assert "GOT-10k layout" in proc.stderr
    from got10k.datasets import GOT10k

    data = GOT10k(str(dst), subset="val")
    assert data.seq_names == ["rot1", "rot2"]
    for s in seqs:
        files, anno = data[s.name]
        assert len(files) == 6 and anno.shape == (6, 4)
        d = dst / "val" / s.name
        angle = float(np.loadtxt(d / "angles.txt")[0])
        m, w, h = rotation_matrix(160, 120, angle)
        np.testing.assert_allclose(anno, polygon_to_xywh(rotate_box(s.boxes, m)), atol=2e-3)
        assert cv2.imread(files[0]).shape == (h, w, 3)
        assert f"resolution: ({w}, {h})" in (d / "meta_info.ini").read_text()
        assert "object_class: card" in (d / "meta_info.ini").read_text()
        for label in ("absence.label", "cover.label", "cut_by_image.label"):
            assert (d / label).read_bytes() == (src / "val" / s.name / label).read_bytes()


def test_a_got10k_subset_folder_is_copied_as_a_subset_folder(tmp_path, seqs):
    write_got10k(seqs[:1], tmp_path / "got", subset="val")
    summary = make_rotated(tmp_path / "got" / "val", tmp_path / "rot", mode="progressive")
    assert summary.layout == "GOT-10k" and summary.frames == 6
    assert (tmp_path / "rot" / "list.txt").read_text().split() == ["rot1"]
    assert len(list((tmp_path / "rot" / "rot1").glob("*.jpg"))) == 6


def test_got10k_test_subset_may_give_the_first_box_only(tmp_path, seqs):
    write_got10k(seqs, tmp_path / "got", subset="test")
    make_rotated(tmp_path / "got", tmp_path / "rot", mode="constant")
    d = tmp_path / "rot" / "test" / "rot1"
    assert len(np.loadtxt(d / "angles.txt")) == 6 and len(list(d.glob("*.jpg"))) == 6
    assert np.loadtxt(d / "groundtruth.txt", delimiter=",").shape == (4,)
    assert np.loadtxt(d / "groundtruth_poly.txt", delimiter=",").shape == (8,)


def test_nan_and_empty_boxes_survive(tmp_path, otb):
    gt = otb / "rot1" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    lines[2], lines[4] = "NaN,NaN,NaN,NaN", "0,0,0,0"
    gt.write_text("\n".join(lines) + "\n")
    make_rotated(otb, tmp_path / "rot", mode="constant", max_deg=30)
    d = tmp_path / "rot" / "rot1"
    rect = np.loadtxt(d / "groundtruth_rect.txt", delimiter=",")
    poly = np.loadtxt(d / "groundtruth_poly.txt", delimiter=",")
    assert rect.shape == (6, 4) and poly.shape == (6, 8)
    assert np.isnan(rect[2]).all() and np.isnan(poly[2]).all()
    np.testing.assert_array_equal(rect[4], [0, 0, 0, 0])   # an absence marker stays one
    assert np.isfinite(rect[[0, 1, 3, 5]]).all() and np.isfinite(poly[[0, 1, 3, 5]]).all()


def test_same_seed_same_output_whatever_the_other_sequences(tmp_path, seqs):
    write_otb(seqs[0], tmp_path / "one")
    for s in seqs:
        write_otb(s, tmp_path / "two")
    make_rotated(tmp_path / "one", tmp_path / "r1", mode="constant", seed=5)
    make_rotated(tmp_path / "two", tmp_path / "r2", mode="constant", seed=5)
    a, b = (np.loadtxt(tmp_path / r / "rot1" / "angles.txt") for r in ("r1", "r2"))
    np.testing.assert_array_equal(a, b)


def test_overwrite_replaces_a_sequence_folder(tmp_path, otb, capsys):
    dst = tmp_path / "rot"
    (dst / "rot1" / "img").mkdir(parents=True)
    (dst / "rot1" / "img" / "9999.jpg").write_bytes(b"stale")
    assert_one_error(capsys, ["--src", otb, "--dst", dst], "not empty", "--overwrite")
    assert run_tool("make_rotated", "--src", otb, "--dst", dst, "--overwrite").returncode == 0
    assert len(FolderDataset(dst)["rot1"][0]) == 6


# ---------------------------------------------------------------------------------------------
# bad input


def test_missing_src_is_one_error_line(tmp_path, capsys):
    assert_one_error(capsys, ["--src", tmp_path / "nope", "--dst", tmp_path / "out"],
                     "nope", "not found")


def test_src_with_neither_layout_says_what_was_expected(tmp_path, capsys):
    (tmp_path / "src" / "something").mkdir(parents=True)
    assert_one_error(capsys, ["--src", tmp_path / "src", "--dst", tmp_path / "out"],
                     "list.txt", "groundtruth_rect.txt")


def test_frame_count_mismatch_names_the_ground_truth_file(tmp_path, otb, capsys):
    (otb / "rot2" / "img" / "0006.jpg").unlink()
    assert_one_error(capsys, ["--src", otb, "--dst", tmp_path / "out"],
                     str(otb / "rot2" / "groundtruth_rect.txt"), "6 ground-truth lines", "5 frames")
    assert not (tmp_path / "out").exists()     # checked before anything is written


def test_malformed_ground_truth_names_file_and_line(tmp_path, otb, capsys):
    gt = otb / "rot1" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    lines[3] = "1,2,3"
    gt.write_text("\n".join(lines) + "\n")
    assert_one_error(capsys, ["--src", otb, "--dst", tmp_path / "out"], str(gt), "line 4")


def test_undecodable_frame_names_the_file(tmp_path, otb, capsys):
    bad = otb / "rot1" / "img" / "0003.jpg"
    bad.write_bytes(b"not a jpeg")
    assert_one_error(capsys, ["--src", otb, "--dst", tmp_path / "out"], str(bad), "decoded")


def test_missing_got10k_sequence_names_list_and_folder(tmp_path, seqs, capsys):
    base = write_got10k(seqs[:1], tmp_path / "got", subset="val")
    (base / "list.txt").write_text("rot1\nghost\n")
    assert_one_error(capsys, ["--src", tmp_path / "got", "--dst", tmp_path / "out"],
                     "ghost", "list.txt")


@pytest.mark.parametrize("where", ["same", "inside"])
def test_dst_must_not_be_or_lie_inside_src(otb, capsys, where):
    dst = otb if where == "same" else otb / "rot1" / "out"
    assert_one_error(capsys, ["--src", otb, "--dst", dst], "--dst", "--src")


def test_negative_max_deg_is_refused(tmp_path, otb, capsys):
    assert_one_error(capsys, ["--src", otb, "--dst", tmp_path / "out", "--max-deg", "-5"],
                     "--max-deg")


def test_unknown_mode_is_refused_by_argparse(tmp_path, otb, capsys):
    proc = run_tool("make_rotated", "--src", otb, "--dst", tmp_path / "out", "--mode", "spin")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_rotated_box_ground_truth_is_carried_over_exactly(tmp_path):
    from tracker.boxes import rotated_to_polygon
    from tracker.data.rotate import rotation_matrix, transform_points

    seq = generate_sequence(SequenceSpec(num_frames=5, width=160, height=120,
                                         object_size=(30, 20)), seed=4, name="turn")
    src = write_otb(seq, tmp_path / "src")
    make_rotated(tmp_path / "src", tmp_path / "dst", mode="constant", max_deg=90, seed=1)
    d = tmp_path / "dst" / "turn"
    rot = np.loadtxt(d / "groundtruth_rotated.txt", delimiter=",")
    angles = np.loadtxt(d / "angles.txt")
    assert np.allclose(rot[:, 4], seq.rotated[:, 4] + angles)
    # the object's own polygon (1-based, as written) through the frame's map = the carried box
    src_poly = np.loadtxt(src / "groundtruth_poly.txt", delimiter=",")
    for r, p, a in zip(rot, src_poly, angles):
        m, _, _ = rotation_matrix(160, 120, a)
        want = transform_points(p.reshape(4, 2) - 1.0, m) + 1.0
        got = rotated_to_polygon(r).reshape(4, 2)
        assert np.allclose(got, want, atol=1e-3), (got, want)


class _Oracle:
    """Answers the rotated copy's own ground truth (0-based, as eqtrack's trackers answer), with
    the true angle: what a perfect tracker would report."""

    name = "oracle"

    def __init__(self, root: Path, seq: str) -> None:
        from tracker.data.layouts import file_to_eqtrack, read_groundtruth
        from tracker.evaluation.angles import true_angles

        rects = read_groundtruth(root / seq / "groundtruth_rect.txt")
        self.rects = [file_to_eqtrack(r) for r in rects]
        self.angles = true_angles(root / seq)
        self.estimates_angle, self.i = True, 0

    def init(self, image, box) -> None:
        self.i, self.angle = 0, 0.0

    def update(self, image):
        self.i += 1
        self.angle = float(self.angles[self.i])
        return self.rects[self.i]

    @property
    def polygon(self):
        return np.array([0, 0, 1, 0, 1, 1, 0, 1], float)


def test_angle_scores_give_a_perfect_box_tracker_the_box_auc_of_the_ground_truth(tmp_path, otb):
    from tracker.data.rotate import make_rotated
    from tracker.evaluation.angles import score_angles
    from tracker.evaluation.protocol import success_auc
    make_rotated(otb, tmp_path / "rot", mode="turn", rate=3.0, seed=0)
    root = tmp_path / "rot"
    seq = sorted(p.name for p in root.iterdir() if p.is_dir())[0]
    (root / "only").mkdir()
    (root / seq).rename(root / "only" / seq)
    scores = score_angles(_Oracle(root / "only", seq), root / "only")
    truth = np.loadtxt(root / "only" / seq / "groundtruth_rect.txt", delimiter=",")
    assert scores[0].box_auc == pytest.approx(success_auc(truth, truth))
    assert scores[0].errors.max() == pytest.approx(0.0, abs=1e-9)
    assert scores[-1].box_auc == pytest.approx(scores[0].box_auc)
