"""One table of every tracker run on a benchmark (markdown and CSV), per-sequence breakdowns,
and the metrics got10k does not compute: normalized precision (LaSOT's definition) and VOT's
EAO (:mod:`tracker.evaluation.eao`)."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

COLUMNS = ["tracker", "sequence", "attribute", "frames", "success_auc", "precision_20px", "norm_precision", "sr_0.5", "ao",
           "sr_0.75", "accuracy", "robustness", "eao", "fps"]


def normalized_precision(boxes: np.ndarray, anno: np.ndarray) -> float:
    """LaSOT's normalized precision: the area under the curve of the fraction of frames whose
    centre error, divided by the ground-truth width and height, is within thresholds
    0..0.5 (51 steps). Boxes ``[N, 4]`` xywh; NaN ground-truth frames are left out."""
    valid = ~np.any(np.isnan(anno), axis=1)
    b, a = boxes[valid], anno[valid]
    if len(a) == 0:
        return float("nan")
    d = ((b[:, :2] + b[:, 2:] / 2) - (a[:, :2] + a[:, 2:] / 2)) / np.maximum(a[:, 2:], 1e-9)
    dist = np.linalg.norm(d, axis=1)
    thresholds = np.linspace(0, 0.5, 51)
    return float(np.mean(dist[:, None] <= thresholds[None, :]))


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.3f}"


def write_tables(rows: list[dict], out_dir: str | Path, stem: str, title: str) -> list[Path]:
    """Write ``rows`` (dicts keyed by :data:`COLUMNS`-like names; missing = undefined) as
    ``stem.md`` and ``stem.csv`` in ``out_dir``; columns nobody filled are dropped."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cols = _columns(rows)
    md, csv_path = out / f"{stem}.md", out / f"{stem}.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    lines = [f"# {title}", "", "| " + " | ".join(cols) + " |",
             "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |" for r in rows]
    md.write_text("\n".join(lines) + "\n")
    return [md, csv_path]


def otb_rows(exp, names: list[str], performance: dict) -> tuple[list[dict], list[dict]]:
    """Summary and per-sequence rows of an OTB-protocol experiment from got10k's report."""
    summary, per_seq = [], []
    for name in names:
        perf = performance[name]
        nps = []
        for s, seq in enumerate(exp.dataset.seq_names):
            anno = exp.dataset[s][1]
            boxes = np.loadtxt(os.path.join(exp.result_dir, name, f"{seq}.txt"), delimiter=",",
                               ndmin=2)
            boxes[0] = anno[0]
            nps.append(normalized_precision(boxes, anno))
            sw = perf["seq_wise"][seq]
            per_seq.append({"tracker": name, "sequence": seq, "success_auc": sw["success_score"],
                            "precision_20px": sw["precision_score"], "norm_precision": nps[-1],
                            "sr_0.5": sw["success_rate"], "fps": sw["speed_fps"]})
        o = perf["overall"]
        summary.append({"tracker": name, "success_auc": o["success_score"],
                        "precision_20px": o["precision_score"],
                        "norm_precision": float(np.nanmean(nps)), "sr_0.5": o["success_rate"],
                        "fps": o["speed_fps"]})
    return summary, per_seq


def got10k_rows(names: list[str], performance: dict) -> tuple[list[dict], list[dict]]:
    """Summary and per-sequence rows of GOT-10k val from got10k's report."""
    summary, per_seq = [], []
    for name in names:
        o = performance[name]["overall"]
        curve = np.asarray(o["succ_curve"])
        summary.append({"tracker": name, "ao": o["ao"], "sr_0.5": o["sr"],
                        "sr_0.75": float(curve[75]) if len(curve) > 75 else None,
                        "fps": o["speed_fps"]})
        for seq, sw in performance[name]["seq_wise"].items():
            per_seq.append({"tracker": name, "sequence": seq, "ao": sw["ao"], "sr_0.5": sw["sr"],
                            "fps": sw["speed_fps"]})
    return summary, per_seq


def vot_rows(exp, names: list[str], performance: dict, version: int
             ) -> tuple[list[dict], list[dict], list[dict]]:
    """Summary (accuracy, robustness from got10k; EAO from :mod:`tracker.evaluation.eao`), per-sequence
    and per-attribute (VOT's per-frame tags) rows of a VOT baseline experiment."""
    from tracker.evaluation.eao import expected_average_overlap, read_vot_baseline, vot_interval

    low, high = vot_interval(version)
    summary, per_seq, per_tag = [], [], []
    metas = {seq: exp.dataset[s][2] for s, seq in enumerate(exp.dataset.seq_names)}
    for name in names:
        p = performance[name]
        runs = read_vot_baseline(exp.result_dir, name, exp.dataset)
        summary.append({"tracker": name, "accuracy": p["accuracy"],
                        "robustness": p["robustness"],
                        "eao": expected_average_overlap(runs, low, high),
                        "fps": p["speed_fps"]})
        tags: dict[str, list] = {}
        for seq in exp.dataset.seq_names:
            seq_runs = [r for r in runs if r.sequence == seq]
            accs, fails = [], []
            for r in seq_runs:
                tracked = np.isfinite(r.overlaps)
                tracked[r.inits] = False
                tracked[r.failures] = False
                accs.append(r.overlaps[tracked])
                fails.append(len(r.failures))
                for tag, mask in metas[seq].items():
                    if "practical" in tag:
                        continue
                    m = np.asarray(mask, bool)[:len(r.overlaps)]
                    t = tags.setdefault(tag, [[], 0, 0])
                    t[0].append(r.overlaps[tracked & m])
                    t[1] += sum(1 for f in r.failures if m[f]) / len(seq_runs)
                    t[2] += int(m.sum()) / len(seq_runs)
            acc = np.concatenate(accs) if accs else np.zeros(0)
            per_seq.append({"tracker": name, "sequence": seq,
                            "accuracy": float(acc.mean()) if acc.size else None,
                            "failures": float(np.mean(fails)) if fails else None})
        for tag, (ov, f, frames) in sorted(tags.items()):
            ov = np.concatenate(ov) if ov else np.zeros(0)
            per_tag.append({"tracker": name, "attribute": tag, "frames": frames,
                            "accuracy": float(ov.mean()) if ov.size else None,
                            "failures": f})
    return summary, per_seq, per_tag


def write_report(benchmark: str, exp, names: list[str]) -> list[Path]:
    """got10k's report of ``exp`` for trackers ``names`` plus our tables (``summary``,
    ``per_sequence``, ``per_attribute`` for VOT) in the benchmark's report folder; returns the
    files written, the summary's Markdown first (the got10k-test split: the submission
    archives)."""
    from tracker.evaluation.benchmarks import get_benchmark

    spec = get_benchmark(benchmark)
    family = spec.family
    performance = exp.report(names)
    out = Path(exp.report_dir)
    title = f"{benchmark}: {', '.join(names)}"
    per_tag: list[dict] = []
    if family == "otb":
        summary, per_seq = otb_rows(exp, names, performance)
    elif family == "got10k":
        if performance is None:  # the test split: got10k wrote submission archives
            return [Path(exp.result_dir) / f"{n}.zip" for n in names]
        summary, per_seq = got10k_rows(names, performance)
    else:
        summary, per_seq, per_tag = vot_rows(exp, names, performance, spec.version)
    files = write_tables(summary, out, "summary", title)
    if per_seq:
        files += write_tables(per_seq, out, "per_sequence", title)[1:]
    if per_tag:
        files += write_tables(per_tag, out, "per_attribute", title)[1:]
    # got10k draws its plots into <report_dir>/<first tracker>/
    plots = sorted((out / names[0]).glob("*.png")) if names else []
    files.append(write_html(out / "report.html", title,
                            [("Summary", summary), ("Per attribute", per_tag),
                             ("Per sequence", per_seq)], plots))
    return files


def _columns(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    order = [c for c in COLUMNS if c in keys] + [k for k in keys if k not in COLUMNS]
    return [c for c in order if any(r.get(c) is not None for r in rows)]


def write_html(path: str | Path, title: str, sections: list[tuple[str, list[dict]]],
               images: list[Path]) -> Path:
    """One self-contained page a browser opens: ``title``, a table per non-empty section
    (``(heading, rows)``, columns as in :func:`write_tables`) and the ``images`` (got10k's
    plots), linked relative to the page. Returns ``path``."""
    import html

    path = Path(path)
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
             f"<title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:48%;margin:4px}"
             "</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for heading, rows in sections:
        if not rows:
            continue
        cols = _columns(rows)
        parts.append(f"<h2>{html.escape(heading)}</h2><table><tr>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>"
                                          for c in cols) + "</tr>")
        parts.append("</table>")
    if images:
        parts.append("<h2>Plots</h2>")
        for img in images:
            rel = os.path.relpath(img, path.parent)
            parts.append(f"<img src=\"{html.escape(rel)}\" alt=\"{html.escape(img.stem)}\">")
    parts.append("</body></html>")
    path.write_text("\n".join(parts) + "\n")
    return path
