"""The command-line tools, run as a user runs them: real files, real processes, exit codes."""
import csv
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tracker.data.synthetic import write_otb, write_video
from tracker.video import FrameSource

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--set", "model.backbone=alexnet", "--set", "model.backbone_args.width=0.25"]


def run_tool(tool, *args, cwd=None):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / tool), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)
    return proc


def assert_one_line_error(proc, *fragments):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


@pytest.fixture(scope="module")
def video(tmp_path_factory, small_sequences):
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    return write_video(small_sequences[0], path)


def box_arg(seq):
    return ",".join(f"{v:.1f}" for v in seq.boxes[0])


def test_track_writes_a_playable_video_and_one_box_per_frame(tmp_path, video, small_sequences):
    out, boxes = tmp_path / "out.mp4", tmp_path / "boxes.txt"
    proc = run_tool("track.py", video, "--box", box_arg(small_sequences[0]), "--output", out,
                    "--boxes", boxes, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "FPS" in proc.stderr
    assert len(np.loadtxt(boxes, delimiter=",")) == 12
    frames = [f for _, f in FrameSource(out)]
    assert len(frames) == 12 and frames[0].shape == (180, 240, 3)


def test_track_follows_a_stream_url_to_its_end_writing_every_box(tmp_path, video,
                                                                  small_sequences):
    boxes = tmp_path / "boxes.txt"
    proc = run_tool("track.py", video.resolve().as_uri(), "--box", box_arg(small_sequences[0]),
                    "--boxes", boxes, "--output", tmp_path / "live.mp4", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert len(np.loadtxt(boxes, delimiter=",")) == 12
    assert len([f for _, f in FrameSource(tmp_path / "live.mp4")]) == 12
    before = video.read_bytes()
    proc = run_tool("track.py", video.resolve().as_uri(), "--box", box_arg(small_sequences[0]),
                    "--output", video, *FAST)
    assert_one_line_error(proc, "is the input")
    assert video.read_bytes() == before


class FakeCamera:
    """Stands in for ``cv2.VideoCapture(index)``: BGR frames whose blue channel holds the frame
    number, then the end of the stream."""

    frames = 5
    opened = True

    def __init__(self, target) -> None:
        assert isinstance(target, int)
        self.left = self.frames

    def isOpened(self):
        return self.opened

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        if self.left == 0:
            return False, None
        self.left -= 1
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 0] = self.frames - self.left  # blue, in OpenCV's BGR order
        return True, frame

    def release(self):
        pass


def test_a_camera_is_read_until_it_stops_in_rgb_order(monkeypatch):
    import tracker.video as video_module

    monkeypatch.setattr(video_module.cv2, "VideoCapture", FakeCamera)
    source = FrameSource(camera=0)
    assert source.live and source.fps == 30.0 and len(source) == 0
    frames = [f for _, f in source]
    assert len(frames) == 5
    # RGB out: the blue BGR channel is the last one, never silently swapped into red
    assert [int(f[0, 0, 2]) for f in frames] == [1, 2, 3, 4, 5]
    assert all(int(f[0, 0, 0]) == 0 for f in frames)


def test_a_busy_camera_and_an_unreachable_stream_are_one_line(monkeypatch):
    import tracker.video as video_module
    from tracker.errors import InputError

    class Busy(FakeCamera):
        opened = False

    monkeypatch.setattr(video_module.cv2, "VideoCapture", Busy)
    with pytest.raises(InputError, match="camera 3 is busy or missing"):
        FrameSource(camera=3)
    monkeypatch.undo()
    proc = run_tool("track.py", "rtsp://127.0.0.1:9/none", "--box", "1,2,3,4")
    assert_one_line_error(proc, "rtsp://127.0.0.1:9/none cannot be opened")
    assert proc.stderr.count("\n") <= 2, proc.stderr  # no ffmpeg chatter


def test_select_without_a_gui_says_so_in_one_line(video):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "track.py"), str(video),
                           "--select"], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in __import__("os").environ.items()
                               if k not in ("DISPLAY", "WAYLAND_DISPLAY")})
    assert_one_line_error(proc, "--select needs a display")


def test_track_with_rotation_writes_and_draws_the_rotated_box(tmp_path, video, small_sequences):
    out, rotated = tmp_path / "out.avi", tmp_path / "rotated.txt"
    proc = run_tool("track.py", video, "--box", box_arg(small_sequences[0]), "--output", out,
                    "--rotation", "--rotated", rotated, *FAST)
    assert proc.returncode == 0, proc.stderr
    rows = np.loadtxt(rotated, delimiter=",")
    assert rows.shape == (12, 5) and rows[0, 4] == 0.0
    assert np.all(np.abs(rows[:, 4]) <= 180.0)
    assert len([f for _, f in FrameSource(out)]) == 12
    proc = run_tool("track.py", video, "--box", box_arg(small_sequences[0]), "--rotated", rotated,
                    *FAST)
    assert_one_line_error(proc, "estimates the orientation")


def test_track_skips_a_corrupt_frame_in_a_folder_and_keeps_the_box(tmp_path, small_sequences):
    d = write_otb(small_sequences[0], tmp_path)
    (d / "img" / "0005.jpg").write_bytes(b"\xff\xd8 broken jpeg")
    boxes = tmp_path / "b.txt"
    proc = run_tool("track.py", d / "img", "--box", box_arg(small_sequences[0]), "--boxes", boxes,
                    *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "0005.jpg" in proc.stderr and "skipped" in proc.stderr
    b = np.loadtxt(boxes, delimiter=",")
    assert len(b) == 12
    np.testing.assert_allclose(b[4], b[3])


def test_track_accepts_a_glob(tmp_path, small_sequences):
    d = write_otb(small_sequences[0], tmp_path)
    boxes = tmp_path / "b.txt"
    proc = run_tool("track.py", str(d / "img" / "*.jpg"), "--box", box_arg(small_sequences[0]),
                    "--boxes", boxes, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert len(np.loadtxt(boxes, delimiter=",")) == 12


def test_missing_video(tmp_path):
    assert_one_line_error(run_tool("track.py", tmp_path / "nope.mp4", "--box", "1,1,5,5"),
                          "nope.mp4", "does not exist")


def test_unreadable_video(tmp_path):
    fake = tmp_path / "fake.avi"
    fake.write_text("this is not a video")
    assert_one_line_error(run_tool("track.py", fake, "--box", "1,1,5,5"), "fake.avi")


@pytest.mark.parametrize("box,fragment", [
    ("1,2,3", "4 numbers"), ("a,b,c,d", "not a number"), ("10,10,0,5", "positive"),
    ("10,10,-4,5", "positive"), ("5000,10,20,20", "outside"),
])
def test_bad_boxes(video, box, fragment):
    assert_one_line_error(run_tool("track.py", video, "--box", box, *FAST), fragment)


def test_unknown_config_key(tmp_path, video):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model:\n  backbone: alexnet\n  bakbone_args: {}\n")
    assert_one_line_error(run_tool("track.py", video, "--box", "1,1,9,9", "--config", cfg),
                          "model.bakbone_args")
    assert_one_line_error(run_tool("track.py", video, "--box", "1,1,9,9", "--set", "tracking.x=1"),
                          "tracking.x")


def test_checkpoint_that_is_not_ours(tmp_path, video):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    assert_one_line_error(run_tool("track.py", video, "--box", "1,1,9,9", "--checkpoint", foreign),
                          "not an eqtrack checkpoint")


def test_unknown_backbone_lists_known_ones(video):
    assert_one_line_error(run_tool("track.py", video, "--box", "1,1,9,9", "--set",
                                   "model.backbone=vgg"), "vgg", "resnet22")


def test_demo_compares_with_csrt_and_writes_the_video_and_contact_sheet(tmp_path):
    proc = run_tool("demo.py", "--out", tmp_path, "--frames", "12", *FAST)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(l.startswith("opencv-csrt") and "success AUC" in l for l in lines)
    assert sum("success AUC" in l and "FPS" in l for l in lines) == 2
    assert any("beats opencv-csrt" in l or "does NOT beat opencv-csrt" in l for l in lines)
    frames = [f for _, f in FrameSource(tmp_path / "side_by_side.mp4")]
    assert len(frames) == 12 and frames[0].shape[1] == 2 * 480 + 8
    sheet = cv2.imread(str(tmp_path / "contact_sheet.png"))
    assert sheet is not None and sheet.shape[0] == 6 * 180


@pytest.mark.parametrize("tool", ["track.py", "demo.py", "equivariance.py", "benchmark.py",
                                  "attention.py"])
def test_tools_have_help(tool):
    proc = run_tool(tool, "--help")
    assert proc.returncode == 0 and "usage" in proc.stdout


def test_real_street_video_when_shared_data_is_present(tmp_path):
    video = ROOT.parent / "shared" / "data" / "videos" / "vtest.avi"
    if not video.exists():
        pytest.skip("../shared/data not present")
    # track a pedestrian for the first 20 frames via a frame folder cut from the real video
    cap = cv2.VideoCapture(str(video))
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(20):
        ok, frame = cap.read()
        assert ok
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), frame)
    cap.release()
    proc = run_tool("track.py", folder, "--box", "640,238,46,84", "--output", tmp_path / "o.avi",
                    *FAST)
    assert proc.returncode == 0, proc.stderr
    assert len([f for _, f in FrameSource(tmp_path / "o.avi")]) == 20


def test_track_survives_damaged_bytes_inside_a_video(tmp_path, small_sequences):
    path = write_video(small_sequences[0], tmp_path / "clip.avi")
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 2000] = b"\x00" * 2000
    bad = tmp_path / "damaged.avi"
    bad.write_bytes(bytes(data))
    boxes = tmp_path / "b.txt"
    proc = run_tool("track.py", bad, "--box", box_arg(small_sequences[0]), "--boxes", boxes, *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # one box per frame the container announces, whether a frame decoded garbled or not at all
    assert len(np.loadtxt(boxes, delimiter=",")) == len(FrameSource(bad))


def _error_table(stdout):
    rows = [line.split() for line in stdout.splitlines()
            if line.split() and line.split()[0] in ("stem", "layer1", "layer2")]
    return {r[0]: [float(v) for v in r[1:]] for r in rows}


def test_equivariance_tool_reports_exactness_per_stage_and_element(tmp_path):
    proc = run_tool("equivariance.py", "--config", ROOT / "configs/siamfc_p4m_resnet22.yaml",
                    "--group", "p4m", "--count", "2", "--size", "125")
    assert proc.returncode == 0, proc.stderr
    table = _error_table(proc.stdout)
    assert set(table) == {"stem", "layer1", "layer2"}
    assert all(len(v) == 8 and max(v) < 1e-5 for v in table.values()), proc.stdout
    assert "125 is aligned" in proc.stdout
    # real photos from a folder, a plain network: clearly not equivariant
    cv2.imwrite(str(tmp_path / "a.png"), np.random.default_rng(0).integers(0, 255, (90, 120, 3),
                                                                            dtype=np.uint8))
    proc = run_tool("equivariance.py", "--backbone", "resnet22", "--images", tmp_path,
                    "--size", "127")
    assert proc.returncode == 0, proc.stderr
    assert min(min(v) for v in _error_table(proc.stdout).values()) > 1e-2
    assert "127 is NOT aligned" in proc.stdout


def test_equivariance_tool_bad_input(tmp_path):
    assert_one_line_error(run_tool("equivariance.py", "--group", "p5"), "unknown group 'p5'")
    assert_one_line_error(run_tool("equivariance.py", "--images", tmp_path / "none"),
                          "does not exist")
    assert_one_line_error(run_tool("equivariance.py", "--images", tmp_path), "no readable")
    assert_one_line_error(run_tool("equivariance.py", "--backbone", "p4_resnet22", "--set",
                                   "model.backbone_args.width=0.3"), "not a positive multiple")


def test_benchmark_prints_every_requested_backbone_side_by_side():
    proc = run_tool("benchmark.py", "--repeats", "1", "--config", ROOT / "configs/siamfc_alexnet.yaml",
                    "--config", ROOT / "configs/siamfc_p4_att_resnet22.yaml",
                    "--set", "model.backbone_args.width=0.25")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.startswith("siamfc_")]
    assert [r[1] for r in rows] == ["alexnet", "p4_att_resnet22"]
    assert "125->5," in proc.stdout and "253->21" in proc.stdout


def test_attention_tool_saves_one_image_per_attention_module(tmp_path, small_sequences):
    seq = small_sequences[0]
    frame = tmp_path / "frame.png"
    cv2.imwrite(str(frame), cv2.cvtColor(seq.frames[0], cv2.COLOR_RGB2BGR))
    out = tmp_path / "att"
    proc = run_tool("attention.py", frame, "--box", box_arg(seq), "--out", out,
                    "--config", ROOT / "configs/siamfc_p4_att_resnet22.yaml",
                    "--set", "model.backbone_args.width=0.25",
                    "--set", "model.backbone_args.attention=[layer2]")
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"layer2.{i}.attention.png" for i in range(4)]
    img = cv2.imread(str(out / files[0]))
    assert img.shape == (253, 253 * 6, 3)  # crop, mean map, one map per rotation
    assert_one_line_error(run_tool("attention.py", frame, *FAST), "has no attention")
    assert_one_line_error(run_tool("attention.py", tmp_path / "missing.png"), "not found")


def test_benchmark_measures_data_and_training_throughput():
    proc = run_tool("benchmark.py", "--training", "--repeats", "1", "--config",
                    ROOT / "configs/siamrpn_resnet22.yaml", "--set",
                    "model.backbone_args.width=0.25", "--set", "train.batch_size=2",
                    "--data", "synthetic")
    assert proc.returncode == 0, proc.stderr
    row = next(line.split() for line in proc.stdout.splitlines()
               if line.startswith("siamrpn_resnet22"))
    assert row[1] == "resnet22" and row[2] == "2" and len(row) == 7  # data + three options
    assert all(float(v) > 0 for v in row[3:])
    assert_one_line_error(run_tool("benchmark.py", "--training", "--options", "fp32,fp8"),
                          "unknown fp8")


def test_generated_turning_sequences_feed_the_angle_error_tool(tmp_path):
    dst = tmp_path / "turning"
    proc = run_tool("make_sequences.py", "--dst", dst, "--seeds", "3-4", "--spec",
                    "num_frames=6", "--spec", "width=160", "--spec", "height=120", "--spec",
                    "object_size=40x28", "--spec", "rotation_speed=3", "--spec",
                    "occlusion=false")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in dst.iterdir()) == ["seq3", "seq4"]
    angles = np.loadtxt(dst / "seq3" / "groundtruth_rotated.txt", delimiter=",")[:, 4]
    assert len(angles) == 6 and abs(angles[-1] - angles[0]) > 5
    cfg = tmp_path / "p4.yaml"
    cfg.write_text((ROOT / "configs/siamfc_p4_resnet22.yaml").read_text().replace(
        "width: 1.0", "width: 0.25"))
    proc = run_tool("evaluate_rotation.py", "--root", dst, "--tracker", cfg, "--per-sequence",
                    "--csv", tmp_path / "angles.csv", "--backend", "torch",
                    "--plot", tmp_path / "angles.png", "--label", "p4 untrained")
    assert proc.returncode == 0, proc.stderr
    import cv2

    picture = cv2.imread(str(tmp_path / "angles.png"))
    assert picture is not None and picture.shape[0] > 100 and picture.shape[1] > 300
    rows = list(csv.DictReader(open(tmp_path / "angles.csv")))
    assert [r["sequence"] for r in rows] == ["seq3", "seq4", "overall"]
    overall = rows[-1]
    assert int(overall["frames"]) == 10  # 2 sequences x 5 updates
    assert 0 <= float(overall["median"]) <= float(overall["p90"]) <= 180
    assert 0 <= float(overall["under_15"]) <= 1 and 0 <= float(overall["polygon_auc"]) <= 1
    assert_one_line_error(run_tool("make_sequences.py", "--dst", tmp_path / "x", "--spec",
                                   "blur=maybe"), "blur must be true or false")
    assert_one_line_error(run_tool("make_sequences.py", "--dst", dst), "not an empty folder")
    assert_one_line_error(run_tool("evaluate_rotation.py", "--root", ROOT / "configs",
                                   "--tracker", "default"), "configs")
    assert_one_line_error(run_tool("evaluate_rotation.py", "--root", dst, "--tracker", cfg,
                                   "--plot", tmp_path / "a.png", "--label", "a", "--label", "b"),
                          "2 labels for 1 trackers")
    assert_one_line_error(run_tool("evaluate_rotation.py", "--root", dst, "--tracker", cfg,
                                   "--plot", tmp_path / "angles.txt"), "is a .png file")
    assert_one_line_error(run_tool("evaluate_rotation.py", "--root", dst, "--tracker", cfg,
                                   "--tracker", cfg, "--plot", tmp_path / "b.png"),
                          "tell them apart with --label")


def test_track_never_overwrites_its_input(tmp_path, small_sequences):
    import shutil

    src = tmp_path / "clip.avi"
    write_video(small_sequences[0], src)
    size = src.stat().st_size
    proc = run_tool("track.py", src, "--box", box_arg(small_sequences[0]), "--output", src, *FAST)
    assert_one_line_error(proc, "--output", "is the input")
    assert src.stat().st_size == size
    frames = tmp_path / "frames"
    write_otb(small_sequences[0], frames)
    seq_dir = next(frames.iterdir())
    first = sorted((seq_dir / "img").iterdir())[0]
    link = tmp_path / "link.txt"
    link.symlink_to(first)
    before = first.read_bytes()
    for target in (first, link):
        proc = run_tool("track.py", seq_dir / "img", "--box", box_arg(small_sequences[0]),
                        "--boxes", target, *FAST)
        assert_one_line_error(proc, "--boxes", "is the input")
    assert first.read_bytes() == before
    shutil.rmtree(frames)


def test_a_failing_run_leaves_an_existing_boxes_file_alone(tmp_path, video, small_sequences):
    boxes = tmp_path / "boxes.txt"
    boxes.write_text("1,2,3,4\n")
    for extra, fragment in ((["--box", "5000,5000,10,10"], "--box"),
                            (["--box", box_arg(small_sequences[0]), "--output",
                              tmp_path / "x.webm"], "unsupported extension")):
        proc = run_tool("track.py", video, *extra, "--boxes", boxes, *FAST)
        assert_one_line_error(proc, fragment)
        assert boxes.read_text() == "1,2,3,4\n"


@pytest.mark.parametrize("name", ["..", "/tmp/elsewhere", "", ".hidden", "a/../../b"])
def test_evaluate_refuses_tracker_names_that_leave_the_results_folder(tmp_path, small_sequences,
                                                                       name):
    write_otb(small_sequences[0], tmp_path / "data")
    keep = tmp_path / "res" / "data" / "other"
    keep.mkdir(parents=True)
    (keep / "seq.txt").write_text("precious\n")
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"name: {name!r}\nmodel:\n  backbone: alexnet\n  backbone_args: {{width: 0.25}}\n")
    proc = run_tool("evaluate.py", "--benchmark", "folder", "--root", tmp_path / "data",
                    "--tracker", cfg, "--results", tmp_path / "res", "--reports",
                    tmp_path / "rep", "--overwrite")
    assert_one_line_error(proc, "cannot name a results folder")
    assert (keep / "seq.txt").read_text() == "precious\n"


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_terminating_track_leaves_a_playable_mp4_and_every_box_so_far(tmp_path, signame):
    import signal
    import time

    from tracker.data.synthetic import SequenceSpec, generate_sequence

    seq = generate_sequence(SequenceSpec(num_frames=400, width=240, height=180,
                                         object_size=(40, 30)), seed=5)
    src = write_video(seq, tmp_path / "long.avi")
    out, boxes = tmp_path / "out.mp4", tmp_path / "boxes.txt"
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "track.py"), str(src), "--box",
                             box_arg(seq), "--output", str(out), "--boxes", str(boxes),
                             "--quiet", "--backend", "torch", *FAST],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and (not boxes.exists() or
                                      len(boxes.read_text().splitlines()) < 20):
        time.sleep(0.2)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    written = len(boxes.read_text().splitlines())
    frames = [f for _, f in FrameSource(out)]
    assert 20 <= written < 400 and len(frames) >= written - 1  # the writer was closed cleanly


@pytest.mark.parametrize("tool,args,fragment", [
    ("benchmark.py", ["--repeats", "0"], "--repeats"),
    ("benchmark.py", ["--threads", "-1"], "--threads"),
    ("make_sequences.py", ["--seeds", "-1", "--dst", "OUT"], "seeds must be >= 0"),
    ("make_sequences.py", ["--spec", "rotation_speed=inf", "--dst", "OUT"], "finite"),
    ("demo.py", ["--frames", "0", "--out", "OUT"], "--frames"),
])
def test_bad_numbers_are_one_line_not_a_traceback(tmp_path, tool, args, fragment):
    proc = run_tool(tool, *[str(tmp_path / "out") if a == "OUT" else a for a in args])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and fragment in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_eqtrack_command_lists_every_tool_and_runs_each_subcommand():
    from importlib.metadata import entry_points

    from tracker.commands.cli import SUBCOMMANDS

    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts.get("eqtrack") == "tracker.commands.cli:main"  # pip install -e . made it
    cli = [sys.executable, "-m", "tracker.commands.cli"]
    listing = subprocess.run(cli + ["-h"], capture_output=True, text=True, cwd=ROOT)
    assert listing.returncode == 0
    assert all(name in listing.stdout for name in SUBCOMMANDS)
    version = subprocess.run(cli + ["--version"], capture_output=True, text=True, cwd=ROOT)
    assert version.returncode == 0 and version.stdout.startswith("eqtrack ")
    bad = subprocess.run(cli + ["trak"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown subcommand 'trak'")
    for name in SUBCOMMANDS:
        proc = subprocess.run(cli + [name, "-h"], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, (name, proc.stderr)
        assert proc.stdout.startswith(f"usage: eqtrack {name}")
        assert "example:" in proc.stdout, f"eqtrack {name} -h gives no example line"


def test_a_folder_of_mixed_frame_sizes_tracks_with_one_warning(tmp_path, caplog):
    import logging

    folder = tmp_path / "frames"
    folder.mkdir()
    for i, (w, h) in enumerate([(64, 48), (64, 48), (80, 60), (96, 72)]):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), np.full((h, w, 3), 100, np.uint8))
    with caplog.at_level(logging.WARNING, logger="tracker.video"):
        frames = [f for _, f in FrameSource(folder)]
    assert [f.shape[:2] for f in frames] == [(48, 64), (48, 64), (60, 80), (72, 96)]
    warnings = [r for r in caplog.records if "mixed frame sizes" in r.getMessage()]
    assert len(warnings) == 1 and "0002.jpg" in warnings[0].getMessage()


def test_figures_command_draws_the_readme_pictures_from_generated_data(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "figures.py"), "--out",
                           str(tmp_path), "--sequences", "1", "--frames", "12", "--model",
                           "default", "--model", "opencv-kcf"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    for name in ("rotation_strip.jpg", "success_plot.png", "attention.jpg"):
        image = cv2.imread(str(tmp_path / name))
        assert image is not None and min(image.shape[:2]) > 100, name
        assert image.shape[1] <= 1200, name
        assert image.std() > 10, name  # drawn, not blank
    aucs = [line for line in proc.stdout.splitlines() if " AUC " in line]
    assert {line.split()[0] for line in aucs} == {"default", "opencv-kcf"}
    assert all(0.0 <= float(line.split()[-1]) <= 1.0 for line in aucs)
