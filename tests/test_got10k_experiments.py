"""got10k's own experiment classes on generated data, with no network."""
import json

import pytest
from got10k.experiments import ExperimentGOT10k

from tracker.data.layouts import FolderDataset
from tracker.data.synthetic import write_got10k, write_otb
from tracker.errors import InputError
from tracker.evaluation.protocol import ExperimentFolder
from tracker.inference.build import build_tracker


def test_experiment_otb_protocol_on_a_generated_folder(tmp_path, small_sequences,
                                                       tiny_tracker_config):
    root = tmp_path / "otb"
    for s in small_sequences:
        write_otb(s, root)
    exp = ExperimentFolder(root, result_dir=tmp_path / "results", report_dir=tmp_path / "reports")
    tracker = build_tracker(tiny_tracker_config)
    exp.run(tracker)
    perf = exp.report([tracker.name])
    overall = perf[tracker.name]["overall"]
    assert 0.0 <= overall["success_score"] <= 1.0
    assert set(perf[tracker.name]["seq_wise"]) == {"seq1", "seq2"}
    assert (tmp_path / "results" / "otb" / tracker.name / "seq1.txt").exists()
    report = tmp_path / "reports" / "otb" / tracker.name / "performance.json"
    assert json.loads(report.read_text())[tracker.name]["overall"]["success_score"] == \
        pytest.approx(overall["success_score"])


def test_experiment_got10k_val_on_generated_layout(tmp_path, small_sequences,
                                                   tiny_tracker_config):
    write_got10k(small_sequences, tmp_path / "got10k", subset="val")
    exp = ExperimentGOT10k(str(tmp_path / "got10k"), subset="val",
                           result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))
    tracker = build_tracker(tiny_tracker_config)
    exp.run(tracker)
    perf = exp.report([tracker.name])
    assert 0.0 <= perf[tracker.name]["overall"]["ao"] <= 1.0


def test_folder_dataset_reports_bad_ground_truth(tmp_path, small_sequences):
    d = write_otb(small_sequences[0], tmp_path)
    gt = d / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InputError, match="groundtruth_rect.txt: 11 ground-truth lines but 12 frames"):
        FolderDataset(tmp_path)[0]
    lines[3] = "1,2,x,4"
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 4"):
        FolderDataset(tmp_path)[0]
    with pytest.raises(InputError, match="not found"):
        FolderDataset(tmp_path / "nope")
