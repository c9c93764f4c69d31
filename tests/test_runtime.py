"""Inference runtimes: ONNX Runtime computes what PyTorch computes (exactly equivariant for the
group backbones), exports are cached by their weights and rebuilt when stale, and bad choices
are one clear line."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import run_tool

from backbones.gconv import get_group
from tracker.config import config_from_dict
from tracker.crops import to_tensor
from tracker.errors import ConfigError, InputError
from tracker.inference.build import build_tracker
from tracker.inference.runtime import build_runtime
from tracker.inference.runtime.branches import fold_input_normalization
from tracker.inference.runtime.onnx import (
    cache_is_valid,
    compare_with_torch,
    correlate_one,
    export_branches,
    graph_input_type,
    quantize_int8,
    take_uint8_pixels,
)
from tracker.model.build import build_model
from tracker.model.xcorr import xcorr

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EQTRACK_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)


def _config(backbone: str, head: str = "xcorr", **tracking):
    sizes = {"exemplar_size": 125, "instance_size": 253} if backbone != "alexnet" else {}
    model = {"backbone": backbone, "backbone_args": {"width": 0.25}, "head": head}
    if head == "rpn":
        model["head_args"] = {"hidden": 16}
    return config_from_dict({"name": f"tiny-{backbone}-{head}", "model": model,
                             "tracking": {"tracker": "siamrpn" if head == "rpn" else "siamfc",
                                          **({"window_influence": 0.44} if head == "rpn"
                                             else {}), **sizes, **tracking}})


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).detach().norm() / b.detach().norm())


@pytest.mark.parametrize("backbone,head", [("resnet22", "xcorr"), ("p4_att_resnet22", "xcorr"),
                                           ("p4m_resnet22", "xcorr"), ("alexnet", "rpn")])
def test_onnx_graphs_compute_what_pytorch_computes(backbone, head, tmp_path):
    cfg = _config(backbone, head)
    net = build_model(cfg).eval()
    t = cfg.tracking
    batches = (1, 3) if head == "xcorr" else (1, 1)  # SiamFC: one template, three scales
    export_branches(net, t.exemplar_size, t.instance_size, batches, tmp_path / "g")
    diffs = compare_with_torch(net, tmp_path / "g", t.exemplar_size, t.instance_size, batches)
    with torch.no_grad():
        z = torch.rand(1, 3, t.exemplar_size, t.exemplar_size,
                       generator=torch.Generator().manual_seed(1)) * 255
        scale = float(net.backbone(z).abs().max())
    assert set(diffs) == {"template", "search", "group_features", "head"}
    assert max(diffs.values()) < 1e-4 * max(scale, 1.0), diffs


@pytest.mark.parametrize("backbone", ["resnet22", "ien_resnet22", "alexnet"])
def test_input_normalization_folds_exactly_into_the_first_convolution(backbone):
    torch.manual_seed(3)
    net = build_model(_config(backbone)).eval()
    for m in net.backbone.modules():  # non-trivial statistics, so a wrong fold shows
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    size = 253 if backbone != "alexnet" else 255
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0)) * 255
    folded = fold_input_normalization(net.backbone)
    assert folded is not net.backbone and folded.normalization_folded
    assert not net.backbone.normalization_folded  # the training network is left alone
    with torch.no_grad():
        assert rel(folded(x), net.backbone(x)) < 1e-5


def test_networks_with_a_padded_or_group_first_layer_are_not_folded():
    net = build_model(_config("p4_att_resnet22")).eval()
    assert fold_input_normalization(net.backbone) is net.backbone


def test_int8_search_graph_takes_the_crops_as_uint8_and_computes_the_same_bits(tmp_path):
    net = build_model(_config("resnet22")).eval()
    paths = export_branches(net, 125, 253, (1, 3), tmp_path / "g")
    rng = np.random.default_rng(0)
    calib = rng.integers(0, 256, (4, 3, 253, 253)).astype(np.float32)
    quantize_int8(paths["search"], tmp_path / "float_in.onnx", "x", calib)
    (tmp_path / "pixels_in.onnx").write_bytes((tmp_path / "float_in.onnx").read_bytes())
    assert take_uint8_pixels(tmp_path / "pixels_in.onnx", "x")
    assert graph_input_type(tmp_path / "float_in.onnx") == "tensor(float)"
    assert graph_input_type(tmp_path / "pixels_in.onnx") == "tensor(uint8)"
    crops = [rng.integers(0, 256, (253, 253, 3), dtype=np.uint8) for _ in range(3)]
    ref = ort.InferenceSession(str(tmp_path / "float_in.onnx")).run(
        ["features"], {"x": to_tensor(crops).numpy()})[0]
    got = ort.InferenceSession(str(tmp_path / "pixels_in.onnx")).run(
        ["features"], {"x": np.stack(crops)})[0]
    np.testing.assert_array_equal(got, ref)
    # the runtime feeds such a graph crops and tensors alike
    rt = build_runtime(net, "onnx-int8", 125, 253, (1, 3))
    assert graph_input_type(rt.folder / "search.onnx") == "tensor(uint8)"
    a, _ = rt.search_crops(crops)
    b, _ = rt.search(to_tensor(crops))
    assert torch.equal(a, b)


def test_a_graph_whose_input_is_not_quantized_as_pixels_keeps_float_input(tmp_path):
    net = build_model(_config("p4_att_resnet22")).eval()  # normalization not folded
    paths = export_branches(net, 125, 253, (1, 1), tmp_path / "g")
    calib = np.random.default_rng(0).integers(0, 256, (2, 3, 253, 253)).astype(np.float32)
    quantize_int8(paths["search"], tmp_path / "q.onnx", "x", calib, ["Conv"])
    assert not take_uint8_pixels(tmp_path / "q.onnx", "x")
    assert graph_input_type(tmp_path / "q.onnx") == "tensor(float)"


def test_numpy_correlation_equals_the_torch_head():
    g = torch.Generator().manual_seed(0)
    z, x = torch.randn(1, 32, 5, 5, generator=g), torch.randn(3, 32, 21, 21, generator=g)
    ref = xcorr(z, x)
    got = torch.from_numpy(correlate_one(z.numpy(), x.numpy()))
    assert got.shape == ref.shape == (3, 1, 17, 17)
    assert rel(got, ref) < 1e-6


def test_templates_at_several_scales_correlate_with_one_search_like_each_alone():
    g = torch.Generator().manual_seed(1)
    z, x = torch.randn(3, 32, 5, 5, generator=g), torch.randn(1, 32, 21, 21, generator=g)
    each = torch.cat([xcorr(z[i:i + 1], x) for i in range(3)])
    assert each.shape == (3, 1, 17, 17)
    assert rel(xcorr(z, x), each) < 1e-6
    assert rel(torch.from_numpy(correlate_one(z.numpy(), x.numpy())), each) < 1e-6
    with pytest.raises(ValueError):
        correlate_one(z.numpy(), torch.randn(2, 32, 21, 21).numpy())


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_group_backbone_stays_exactly_equivariant_through_the_onnx_runtime(backend):
    torch.manual_seed(5)
    cfg = _config("p4_att_resnet22")
    net = build_model(cfg).eval()
    rt = build_runtime(net, backend, 125, 253, (1, 1))
    group = get_group("p4")
    x = torch.rand(1, 3, 253, 253, generator=torch.Generator().manual_seed(0)) * 255
    feats, groups = rt.search(x, groups=True)
    assert feats.shape == (1, net.backbone.out_channels, 21, 21)
    assert groups.shape == (1, net.backbone.out_channels, 4, 21, 21)
    for g in (1, 2, 3):
        turned, turned_groups = rt.search(group.transform(x, g).contiguous(), groups=True)
        # pooled features rotate with the input; group-resolved ones also cycle the group axis
        assert rel(turned, group.transform(feats, g)) < 1e-5
        assert rel(turned_groups, group.act_regular(groups, g)) < 1e-5


def test_trackers_give_the_same_boxes_in_torch_and_onnx(easy_sequence):
    cfg = _config("resnet22")
    boxes = {}
    for backend in ("torch", "onnx"):
        t = build_tracker(cfg, backend=backend)
        t.init(easy_sequence.frames[0], easy_sequence.boxes[0])
        boxes[backend] = np.stack([t.update(f) for f in easy_sequence.frames[1:12]])
    assert np.abs(boxes["torch"] - boxes["onnx"]).max() < 1e-2


def test_trackers_account_every_update_to_its_stages(easy_sequence):
    for cfg in (_config("resnet22"), _config("alexnet", "rpn")):
        t = build_tracker(cfg, backend="onnx")
        t.init(easy_sequence.frames[0], easy_sequence.boxes[0])
        for f in easy_sequence.frames[1:6]:
            t.update(f)
        assert t.clock.frames == 5
        assert set(t.clock.seconds) == {"crop", "backbone", "head", "post"}
        assert all(v > 0 for v in t.clock.seconds.values()), t.clock.seconds


def test_a_stale_or_damaged_cached_export_is_rebuilt_never_used(tmp_path, caplog):
    cfg = _config("resnet22")
    net = build_model(cfg).eval()
    first = build_runtime(net, "onnx", 125, 253, (1, 3)).folder
    assert cache_is_valid(first, json.loads((first / "manifest.json").read_text())["key"])
    with torch.no_grad():
        net.head.bias.add_(1.0)  # the weights change: a new export, the old one is not reused
    second = build_runtime(net, "onnx", 125, 253, (1, 3))
    assert second.folder != first
    z = torch.rand(1, 3, 125, 125) * 255
    x = torch.rand(3, 3, 253, 253) * 255
    with torch.no_grad():
        ref = net.head(net.backbone(z), net.backbone(x))
    assert rel(second.head(second.template(z), second.search(x)[0]), ref) < 1e-5
    # a damaged file is detected by its hash and the folder rebuilt
    (second.folder / "head.onnx").write_bytes(b"garbage")
    third = build_runtime(net, "onnx", 125, 253, (1, 3))
    assert third.folder == second.folder and "stale or damaged" in caplog.text
    assert rel(third.head(third.template(z), third.search(x)[0]), ref) < 1e-5


def test_unknown_backend_is_one_line_naming_the_known_ones(easy_sequence, tmp_path):
    with pytest.raises(ConfigError, match="known: torch, onnx, onnx-int8"):
        build_tracker(_config("resnet22"), backend="tensorrt")
    with pytest.raises(ConfigError, match="tracking.backend"):
        build_tracker(_config("resnet22"), overrides=["tracking.backend=cuda"])
    r = subprocess.run([sys.executable, "tools/track.py", "missing.mp4", "--box", "1,1,5,5",
                        "--backend", "tensorrt"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("error:")


def test_missing_onnxruntime_names_the_install_command(monkeypatch):
    from tracker.inference.runtime.onnx import require_onnxruntime

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    with pytest.raises(InputError, match="pip install onnxruntime"):
        require_onnxruntime()


def test_export_tool_writes_graphs_that_run_without_eqtrack(tmp_path):
    cfg_file = tmp_path / "tiny.yaml"
    cfg_file.write_text("name: tiny\nmodel: {backbone: resnet22, backbone_args: {width: 0.25}}\n"
                        "tracking: {exemplar_size: 125, instance_size: 253}\n")
    out = tmp_path / "export"
    proc = run_tool("export", cfg_file, "--out", out)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout
    assert "max abs difference vs PyTorch" in printed
    meta = json.loads((out / "tracking.json").read_text())
    assert meta["head_batches"] == {"z_feat": 1, "x_feat": 3}
    assert meta["tracking"]["scale_num"] == 3 and meta["stride"] == 8
    assert max(meta["max_abs_diff_vs_torch"].values()) < 1e-3
    # ONNX Runtime alone, no eqtrack: one template against a three-scale search pyramid
    so = ort.SessionOptions()
    z = np.random.default_rng(0).uniform(0, 255, (1, 3, 125, 125)).astype(np.float32)
    x = np.random.default_rng(1).uniform(0, 255, (3, 3, 253, 253)).astype(np.float32)
    zf = ort.InferenceSession(str(out / "template.onnx"), so).run(None, {"z": z})[0]
    xf = ort.InferenceSession(str(out / "search.onnx"), so).run(["features"], {"x": x})[0]
    score = ort.InferenceSession(str(out / "head.onnx"), so).run(
        None, {"z_feat": zf, "x_feat": xf})[0]
    assert score.shape == (3, 1, 17, 17) and np.all(np.isfinite(score))
