import pytest

from tracker.errors import InputError
from tracker.evaluation.curves import plot_learning_curves, read_val_curve


def write(path, text):
    path.write_text(text)
    return path


def test_learning_curve_keeps_the_last_row_of_a_revalidated_step_and_plots(tmp_path):
    write(tmp_path / "val.csv", "step,pairs,val,val_rot,score\n"
          "2000,16000,0.50,0.30,0.40\n1000,8000,0.45,0.25,0.35\n2000,16000,0.52,0.32,0.42\n")
    rows = read_val_curve(tmp_path)
    assert [r["step"] for r in rows] == [1000, 2000]
    assert rows[1]["val"] == pytest.approx(0.52)
    plot_learning_curves({"run": rows}, tmp_path / "out" / "curve.png")
    assert (tmp_path / "out" / "curve.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_learning_curve_files_name_the_file_and_line(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_val_curve(tmp_path / "missing")
    bad = write(tmp_path / "bad.csv", "step,pairs,val,val_rot,score\n1000,8000,x,0.2,0.3\n")
    with pytest.raises(InputError, match="line 2"):
        read_val_curve(bad)
    other = write(tmp_path / "log.csv", "step,loss\n1,0.5\n")
    with pytest.raises(InputError, match="not a validation curve"):
        read_val_curve(other)
