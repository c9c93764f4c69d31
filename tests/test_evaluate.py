"""Benchmark evaluation: every protocol family of got10k offline on generated data, numpy-2
compatibility, oracle trackers scoring the protocol's maximum and minimum, and tools/evaluate.py
as a user runs it."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from got10k.trackers import Tracker

from tracker.data.layouts import file_to_eqtrack
from tracker.data.sources import FolderSource
from tracker.data.synthetic import (
    SequenceSpec,
    generate_sequence,
    write_got10k,
    write_otb,
    write_vot,
)
from tracker.errors import InputError
from tracker.evaluation.benchmarks import open_benchmark
from tracker.evaluation.protocol import OneBasedFiles
from tracker.evaluation.reports import normalized_precision

ROOT = Path(__file__).resolve().parents[1]
# small and simple: the protocols, not the trackers, are under test
STILL = SequenceSpec(num_frames=14, width=96, height=72, object_size=(24, 18), distractors=0,
                     occlusion=False, rotation_speed=0.0, scale_range=0.0, blur=False,
                     max_speed=2.0)


class Oracle(Tracker):
    """Answers the ground truth of the frame it is shown (found by file name)."""

    def __init__(self, truth: dict[str, np.ndarray]) -> None:
        super().__init__("oracle", is_deterministic=True)
        self.truth = truth

    def init(self, image, box) -> None:
        pass

    def update(self, image):
        return self.truth[str(Path(image.filename).resolve())]


class Fixed(Tracker):
    """Answers a 1x1 box in the corner, whatever it is shown."""

    def __init__(self) -> None:
        super().__init__("fixed", is_deterministic=True)

    def init(self, image, box) -> None:
        pass

    def update(self, image):
        return np.array([0.0, 0.0, 1.0, 1.0])


def oracle_for(exp) -> Oracle:
    truth = {}
    # trackers work in 0-based coordinates; OTB-protocol files count pixels from 1
    one_based = isinstance(exp, OneBasedFiles)
    for s in range(len(exp.dataset)):
        files, anno = exp.dataset[s][:2]
        for f, a in zip(files, anno):  # VOT: answers the 8-value polygon itself
            truth[str(Path(f).resolve())] = file_to_eqtrack(a) if one_based else a
    return Oracle(truth)


class Recorder(Tracker):
    """Keeps the box ``init`` is given and answers it unchanged."""

    def __init__(self) -> None:
        super().__init__("recorder", is_deterministic=True)
        self.init_box = None

    def init(self, image, box) -> None:
        self.init_box = np.array(box, dtype=np.float64)

    def update(self, image):
        return self.init_box.copy()


def test_trackers_get_the_box_training_reads_and_results_keep_the_files_convention(
        tmp_path, sequences):
    seq = sequences[0]
    write_otb(seq, tmp_path / "data")  # 1-based, like every OTB-layout file
    training_box = FolderSource(tmp_path / "data").tracks[0].boxes[0]
    exp = open_benchmark("folder", tmp_path / "data", tmp_path / "res", tmp_path / "rep")
    rec = Recorder()
    exp.run(rec)
    # the true 0-based box, to the 3 decimals the file keeps, for training and evaluation alike
    np.testing.assert_allclose(rec.init_box, seq.boxes[0], atol=1e-3)
    np.testing.assert_allclose(training_box, rec.init_box, atol=1e-9)
    written = np.loadtxt(tmp_path / "res" / "data" / "recorder" / f"{seq.name}.txt",
                         delimiter=",")
    np.testing.assert_allclose(written[1], exp.dataset[0][1][0], atol=1e-3)  # file convention


@pytest.fixture(scope="module")
def sequences():
    return [generate_sequence(STILL, seed=s, name=f"still{s}") for s in (1, 2)]


def test_got10k_vot_module_works_on_numpy_2():
    from got10k.experiments import vot

    from tracker.evaluation.got10k_compat import ExperimentVOTCompat

    assert np.isnan(vot.np.NaN) and vot.np.zeros(2).shape == (2,)
    exp = ExperimentVOTCompat.__new__(ExperimentVOTCompat)
    exp.burnin = 10
    ious = exp._calc_iou([[1], [2.0, 2.0, 4.0, 4.0], [0], [2]],
                         np.array([[2.0, 2.0, 4.0, 4.0]] * 4), (20, 20))
    assert ious.dtype == float and np.isnan(ious[0]) and ious[1] == pytest.approx(1.0)


def test_otb_protocol_oracle_scores_the_maximum_and_a_fixed_box_nothing(tmp_path, sequences):
    for seq in sequences:
        write_otb(seq, tmp_path / "data")
    exp = open_benchmark("folder", tmp_path / "data", tmp_path / "res", tmp_path / "rep")
    exp.run(oracle_for(exp))
    exp.run(Fixed())
    perf = exp.report(["oracle", "fixed"])
    # 21 thresholds, strict ">": IoU 1 passes 20 of them
    assert perf["oracle"]["overall"]["success_score"] == pytest.approx(20 / 21)
    assert perf["oracle"]["overall"]["precision_score"] == pytest.approx(1.0)
    assert perf["fixed"]["overall"]["success_score"] < 0.1
    assert (Path(exp.report_dir) / "oracle" / "success_plots.png").is_file()


def test_nan_ground_truth_frames_are_left_out_of_the_scores(tmp_path, sequences):
    d = write_otb(sequences[0], tmp_path / "data")
    gt = np.loadtxt(d / "groundtruth_rect.txt", delimiter=",")
    gt[5:8] = np.nan  # absent target, as UAV123 marks it
    np.savetxt(d / "groundtruth_rect.txt", gt, delimiter=",", fmt="%.3f")
    exp = open_benchmark("folder", tmp_path / "data", tmp_path / "res", tmp_path / "rep")
    exp.run(oracle_for(exp))
    perf = exp.report(["oracle"])
    assert perf["oracle"]["overall"]["success_score"] == pytest.approx(20 / 21)


def test_got10k_val_oracle_and_fixed(tmp_path, sequences):
    write_got10k(sequences, tmp_path / "got")
    exp = open_benchmark("got10k-val", tmp_path / "got", tmp_path / "res", tmp_path / "rep")
    exp.run(oracle_for(exp))
    exp.run(Fixed())
    perf = exp.report(["oracle", "fixed"])
    assert perf["oracle"]["overall"]["ao"] == pytest.approx(1.0)
    assert perf["fixed"]["overall"]["ao"] < 0.05
    (tmp_path / "got" / "val" / "still2" / "cover.label").unlink()
    with pytest.raises(InputError, match="still2/cover.label' not found"):
        open_benchmark("got10k-val", tmp_path / "got")


def test_got10k_test_writes_the_submission_archive(tmp_path, sequences):
    write_got10k(sequences, tmp_path / "got", subset="test")
    exp = open_benchmark("got10k-test", tmp_path / "got", tmp_path / "res", tmp_path / "rep")
    exp.run(Fixed())
    exp.report(["fixed"])
    assert (Path(exp.result_dir) / "fixed.zip").is_file()


def test_a_vot_benchmark_on_a_folder_that_is_no_vot_dataset_never_downloads(tmp_path,
                                                                           sequences,
                                                                           monkeypatch):
    import got10k.datasets.vot as vot_dataset

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(vot_dataset, "download", no_network)
    write_otb(sequences[0], tmp_path / "otb")
    with pytest.raises(InputError, match="vot2018: .* does not hold it"):
        open_benchmark("vot2018", tmp_path / "otb", tmp_path / "res", tmp_path / "rep")


def test_vot_oracle_reaches_eao_near_1_and_a_fixed_box_near_0(tmp_path):
    from tracker.evaluation.eao import expected_average_overlap, read_vot_baseline, vot_interval

    # EAO averages over segment lengths 100..356: sequences must reach 100 frames
    long_seqs = [generate_sequence(dataclasses.replace(STILL, num_frames=110), seed=s,
                                   name=f"long{s}") for s in (1, 2)]
    write_vot(long_seqs, tmp_path / "vot")
    for seq in long_seqs:  # a per-frame attribute on the first half of every sequence
        np.savetxt(tmp_path / "vot" / seq.name / "camera_motion.tag",
                   (np.arange(110) < 55).astype(int), fmt="%d")
    exp = open_benchmark("vot2018", tmp_path / "vot", tmp_path / "res", tmp_path / "rep")
    exp.run(oracle_for(exp))
    exp.run(Fixed())
    perf = exp.report(["oracle", "fixed"])
    assert perf["oracle"]["accuracy"] == pytest.approx(1.0)
    assert perf["oracle"]["robustness"] == 0
    assert perf["fixed"]["robustness"] > 0
    low, high = vot_interval(2018)
    eao = {n: expected_average_overlap(read_vot_baseline(exp.result_dir, n, exp.dataset), low,
                                       high) for n in ("oracle", "fixed")}
    assert eao["oracle"] > 0.95, eao
    assert eao["fixed"] < 0.05, eao
    # the tool's tables: EAO per tracker, per-sequence and per-attribute (VOT's frame tags)
    from tracker.evaluation.reports import write_report

    write_report("vot2018", exp, ["oracle", "fixed"])
    out = Path(exp.report_dir)
    rows = [r.split(",") for r in (out / "summary.csv").read_text().splitlines()]
    assert rows[0] == ["tracker", "accuracy", "robustness", "eao", "fps"]
    assert float(rows[1][3]) == pytest.approx(eao["oracle"])
    tags = (out / "per_attribute.csv").read_text().splitlines()
    assert tags[0].startswith("tracker,attribute,frames,accuracy")
    row = next(r.split(",") for r in tags[1:] if r.startswith("oracle,camera_motion,"))
    assert float(row[2]) == 110 and float(row[3]) == pytest.approx(1.0)
    assert len((out / "per_sequence.csv").read_text().splitlines()) == 1 + 2 * 2


def test_missing_sequences_and_wrong_layouts_are_named(tmp_path, sequences):
    write_otb(sequences[0], tmp_path / "otb")
    (tmp_path / "otb" / "still1").rename(tmp_path / "otb" / "Basketball")
    with pytest.raises(InputError,
                       match=r"otb2015: sequence folder '.*/\w+' not found \(\d+ sequences missing"):
        open_benchmark("otb2015", tmp_path / "otb")
    with pytest.raises(InputError, match="got10k-val: .* does not hold it.*val/list.txt"):
        open_benchmark("got10k-val", tmp_path / "otb")
    with pytest.raises(InputError, match="unknown benchmark 'otb2099'; known benchmarks: folder"):
        open_benchmark("otb2099", tmp_path)
    with pytest.raises(InputError, match="root .* not found"):
        open_benchmark("vot2018", tmp_path / "nowhere")
    d = write_otb(sequences[1], tmp_path / "bad")
    lines = (d / "groundtruth_rect.txt").read_text().splitlines()
    (d / "groundtruth_rect.txt").write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(InputError, match=r"groundtruth_rect.txt: 12 ground-truth lines but 14 "):
        open_benchmark("folder", tmp_path / "bad")
    lines[3] = "1,2,x,4"
    (d / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"groundtruth_rect.txt, line 4: non-numeric"):
        open_benchmark("folder", tmp_path / "bad")


def test_normalized_precision_is_1_for_exact_boxes_and_ignores_nan():
    a = np.array([[10.0, 10, 20, 10], [np.nan] * 4, [30, 30, 10, 10]])
    assert normalized_precision(a.copy(), a) == pytest.approx(1.0)
    far = a + [100, 0, 0, 0]
    assert normalized_precision(far, a) == pytest.approx(0.0)


def run_evaluate(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_evaluate_tool_runs_ours_and_a_baseline_in_parallel_and_resumes(tmp_path, sequences):
    for seq in sequences:
        write_otb(seq, tmp_path / "data")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("name: tiny\nmodel:\n  backbone: alexnet\n  backbone_args: {width: 0.25}\n")
    args = ["--benchmark", "folder", "--root", tmp_path / "data", "--tracker", cfg,
            "--tracker", "opencv-kcf", "--results", tmp_path / "res", "--reports",
            tmp_path / "rep", "--workers", "2"]
    proc = run_evaluate(*args)
    assert proc.returncode == 0, proc.stderr
    summary = (tmp_path / "rep" / "data" / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("tracker,success_auc,precision_20px,norm_precision,sr_0.5")
    assert [r.split(",")[0] for r in summary[1:]] == ["tiny", "opencv-kcf"]
    per_seq = (tmp_path / "rep" / "data" / "per_sequence.csv").read_text().splitlines()
    assert len(per_seq) == 1 + 2 * 2
    perf = json.loads((tmp_path / "rep" / "data" / "tiny" / "performance.json").read_text())
    assert set(perf) == {"tiny", "opencv-kcf"}
    record = tmp_path / "res" / "data" / "tiny" / "still1.txt"
    stamp = record.stat().st_mtime_ns
    assert run_evaluate(*args).returncode == 0
    assert record.stat().st_mtime_ns == stamp  # finished sequences are skipped
    assert run_evaluate(*args, "--overwrite").returncode == 0
    assert record.stat().st_mtime_ns != stamp


def one_sequence_and_a_tiny_tracker(tmp_path, sequences):
    """A one-sequence folder and a quarter-width AlexNet config (eager runtime): the config
    file and the evaluate arguments that run it."""
    write_otb(sequences[0], tmp_path / "data")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("name: tiny\nmodel:\n  backbone: alexnet\n  backbone_args: {width: 0.25}\n"
                   "tracking: {backend: torch}\n")
    return cfg, ["--benchmark", "folder", "--root", tmp_path / "data", "--tracker", cfg,
                 "--results", tmp_path / "res", "--reports", tmp_path / "rep"]


def test_evaluate_tool_set_changes_tracking_and_keeps_results_apart(tmp_path, sequences):
    _, common = one_sequence_and_a_tiny_tracker(tmp_path, sequences)
    assert run_evaluate(*common).returncode == 0
    proc = run_evaluate(*common, "--set", "tracking.scale_lr=0.2")
    assert proc.returncode == 0, proc.stderr
    names = sorted(d.name for d in (tmp_path / "res" / "data").iterdir() if d.name[0] != ".")
    assert len(names) == 2 and names[0] == "tiny" and names[1].startswith("tiny+")
    proc = run_evaluate(*common, "--set", "model.backbone=resnet22")
    assert proc.returncode == 2 and "model.* is fixed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_killed_results_are_redone_and_a_changed_config_never_reuses_old_ones(tmp_path,
                                                                              sequences):
    cfg, common = one_sequence_and_a_tiny_tracker(tmp_path, sequences)
    assert run_evaluate(*common).returncode == 0
    record = next((tmp_path / "res" / "data" / "tiny").glob("*.txt"))
    full = record.read_text()
    record.write_text("".join(full.splitlines(keepends=True)[:3]))  # a run killed mid-sequence
    proc = run_evaluate(*common)
    assert proc.returncode == 0, proc.stderr
    assert record.read_text() == full and "tracking again" in proc.stderr
    cfg.write_text(cfg.read_text().replace("backend: torch", "backend: torch, scale_lr: 0.2"))
    proc = run_evaluate(*common)
    assert proc.returncode == 2 and "another config or weights" in proc.stderr
    assert run_evaluate(*common, "--overwrite").returncode == 0


@pytest.mark.parametrize("benchmark", ["got10k-val", "vot2018"])
def test_killed_got10k_and_vot_results_are_redone_not_reused(tmp_path, sequences, benchmark):
    if benchmark == "vot2018":
        write_vot(sequences, tmp_path / "data")
        record = tmp_path / "res" / "VOT2018" / "opencv-kcf" / "baseline" / "still1"
    else:
        write_got10k(sequences, tmp_path / "data")
        record = tmp_path / "res" / "GOT-10k" / "opencv-kcf" / "still1"
    record = record / "still1_001.txt"
    common = ["--benchmark", benchmark, "--root", tmp_path / "data", "--tracker", "opencv-kcf",
              "--results", tmp_path / "res", "--reports", tmp_path / "rep"]
    assert run_evaluate(*common).returncode == 0
    full = record.read_text()
    for cut in (full[:len(full) // 2], "", full.replace("\n", "\nnan,", 1)):
        record.write_text(cut)  # killed mid-write, before writing, or damaged
        proc = run_evaluate(*common)
        assert proc.returncode == 0, proc.stderr
        assert "tracking again" in proc.stderr and "Traceback" not in proc.stderr
        assert record.read_text() == full  # KCF is deterministic: the same boxes again
    assert "tracking again" not in run_evaluate(*common).stderr  # complete ones are kept


def test_evaluate_killed_at_random_moments_resumes_to_the_uninterrupted_results(tmp_path):
    """Fault drill: SIGKILL ``eqtrack evaluate`` at seeded random moments while it writes
    results, rerun it each time, and the results end equal to an uninterrupted run's."""
    import signal
    import time

    for s in range(4):
        write_otb(generate_sequence(STILL, seed=10 + s, name=f"seq{s}"), tmp_path / "data")
    common = ["--benchmark", "folder", "--root", tmp_path / "data", "--tracker", "opencv-kcf",
              "--reports", tmp_path / "rep"]
    assert run_evaluate(*common, "--results", tmp_path / "clean").returncode == 0
    clean = {p.name: p.read_text() for p in (tmp_path / "clean" / "data" / "opencv-kcf")
             .glob("*.txt")}
    out = tmp_path / "res" / "data" / "opencv-kcf"
    rng = np.random.default_rng(7)
    cmd = [sys.executable, str(ROOT / "tools" / "evaluate.py"), *map(str, common),
           "--results", str(tmp_path / "res")]
    kills = 0
    for _ in range(3):
        before = len(list(out.glob("*.txt"))) if out.is_dir() else 0
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        # kill once this run has written a new results file, a random moment later
        while proc.poll() is None and time.monotonic() < deadline and \
                (len(list(out.glob("*.txt"))) if out.is_dir() else 0) <= before:
            time.sleep(0.02)
        time.sleep(float(rng.uniform(0.0, 0.3)))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=600)
    assert kills >= 1
    final = run_evaluate(*common, "--results", tmp_path / "res")
    assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr
    got = {p.name: p.read_text() for p in out.glob("*.txt")}
    assert got == clean, f"after {kills} kills"
    assert "seq3" in (tmp_path / "rep" / "data" / "per_sequence.csv").read_text()


def test_evaluate_writes_an_html_report_with_every_table_and_plot_and_a_progress_bar(
        tmp_path, sequences):
    from html.parser import HTMLParser

    write_otb(sequences[0], tmp_path / "data")
    common = ["--benchmark", "folder", "--root", tmp_path / "data", "--tracker", "opencv-kcf",
              "--tracker", "opencv-mil", "--results", tmp_path / "res", "--reports",
              tmp_path / "rep"]
    proc = run_evaluate(*common)
    assert proc.returncode == 0, proc.stderr
    assert "frame/s" in proc.stderr and f"{2 * len(sequences[0].frames)}/" in proc.stderr

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self.images, self.tables = [], [], 0

        def handle_starttag(self, tag, attrs):
            self.tables += tag == "table"
            if tag == "img":
                self.images.append(dict(attrs)["src"])

        def handle_data(self, data):
            self.cells.append(data.strip())

    page = Page()
    html_file = tmp_path / "rep" / "data" / "report.html"
    page.feed(html_file.read_text())
    assert page.tables == 2  # summary and per sequence
    assert {"opencv-kcf", "opencv-mil", sequences[0].name} <= set(page.cells)
    plots = sorted(p.name for p in (tmp_path / "rep" / "data" / "opencv-kcf").glob("*.png"))
    assert plots and sorted(Path(src).name for src in page.images) == plots
    assert all((html_file.parent / src).is_file() for src in page.images)
    quiet = run_evaluate(*common, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "| opencv-kcf |" in quiet.stdout


def test_evaluate_tool_bad_input_is_one_line(tmp_path, sequences):
    write_otb(sequences[0], tmp_path / "data")
    for args, fragment in [
        (["--benchmark", "otb2099", "--root", tmp_path, "--tracker", "opencv-kcf"],
         "unknown benchmark"),
        (["--benchmark", "folder", "--root", tmp_path / "data", "--tracker", "opencv-foo"],
         "unknown tracker 'opencv-foo'"),
        (["--benchmark", "vot2018", "--root", tmp_path / "data", "--tracker", "opencv-kcf"],
         "does not hold it"),
    ]:
        proc = run_evaluate(*args, "--results", tmp_path / "r", "--reports", tmp_path / "p")
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and fragment in errors[0], proc.stderr


def test_evaluate_tool_scores_rotated_boxes_on_vot(tmp_path, sequences):
    write_vot(sequences, tmp_path / "vot")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("name: tiny\nmodel:\n  backbone: alexnet\n  backbone_args: {width: 0.25}\n")
    base = ["--benchmark", "vot2018", "--root", tmp_path / "vot", "--tracker", cfg,
            "--results", tmp_path / "res", "--reports", tmp_path / "rep"]
    proc = run_evaluate(*base, "--rotated")
    assert proc.returncode == 0, proc.stderr
    record = tmp_path / "res" / "VOT2018" / "tiny-rotated" / "baseline" / "still1" / "still1_001.txt"
    widths = {len(line.split(",")) for line in record.read_text().splitlines()}
    assert 8 in widths  # tracked frames hold polygons
    summary = (tmp_path / "rep" / "VOT2018" / "summary.csv").read_text().splitlines()
    assert summary[1].startswith("tiny-rotated,")
    proc = run_evaluate(*base[:-6], "--tracker", "opencv-kcf", "--rotated")
    assert proc.returncode == 2 and "axis-aligned boxes only" in proc.stderr


def test_worker_processes_start_with_one_math_thread_and_the_parent_keeps_its_setting(
        monkeypatch):
    import multiprocessing
    import os

    from tracker.evaluation.runs import _single_threaded_children

    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with _single_threaded_children():
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            child = pool.apply(os.getenv, ("OPENBLAS_NUM_THREADS",))
    assert child == "1"
    assert os.environ["OMP_NUM_THREADS"] == "2" and "OPENBLAS_NUM_THREADS" not in os.environ
