"""ONNX export of the three branches and the ONNX Runtime runtime, with a weight-keyed cache.

``export_branches`` writes ``template.onnx`` (``z [N,3,Sz,Sz]`` -> ``features``),
``search.onnx`` (``x [N,3,Sx,Sx]`` -> ``features``, ``group_features``) and ``head.onnx``
(``z_feat [Kz,...]``, ``x_feat [Kx,...]`` -> ``score`` or ``cls``, ``loc``; batches fixed),
the crops RGB 0..255 float32, all traced from :mod:`tracker.inference.runtime.branches`. Group
backbones export their expanded filter banks as ordinary convolution weights (constant-folded
at export), so any ONNX runtime runs them.

:class:`OnnxRuntime` exports into a cache folder named by a hash of the weights, the
modules' plain settings, the crop sizes and the library versions (``$EQTRACK_CACHE``, default
``~/.cache/eqtrack``). A cached folder is used only when its manifest names the same key and
every file still has the hash recorded at export; otherwise it is rebuilt, never used.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from tracker.errors import InputError
from tracker.inference.runtime.base import Runtime
from tracker.inference.runtime.branches import (
    HeadBranch,
    SearchBranch,
    TemplateBranch,
    fold_input_normalization,
)

log = logging.getLogger(__name__)

# bump when the exported graphs change (3: group batch norm as a cached 4-D batch norm; 4: int8
# quantizes initializer biases, convolutions only for group backbones; 5: input normalization
# folded into the first convolution, plain networks' group axis squeezed, not reduced, int8
# search graphs take uint8 HWC crops; 6: group backbones' int8 weights are 7-bit, see
# quantize_int8)
EXPORT_FORMAT = 6
OPSET = 17
INSTALL_HINT = "pip install onnxruntime onnx (both are dependencies of eqtrack: pip install -e .)"


def require_onnxruntime():
    """The ``onnxruntime`` module, or an :class:`InputError` naming the install command."""
    try:
        import onnxruntime
    except ImportError:
        raise InputError(f"the ONNX backends need onnxruntime, which is not installed: "
                         f"{INSTALL_HINT}; or use --backend torch") from None
    return onnxruntime


def cache_root() -> Path:
    """Where exported graphs are cached: ``$EQTRACK_CACHE`` or ``~/.cache/eqtrack``."""
    return Path(os.environ.get("EQTRACK_CACHE") or Path.home() / ".cache" / "eqtrack") / "onnx"


def _plain_settings(module) -> dict:
    # constructor values kept as attributes (out_scale, anchor_num, pool_mode, ...): they shape
    # the exported graph without being tensors of the state dict
    return {f"{name}.{k}": v for name, m in module.named_modules() for k, v in vars(m).items()
            if not k.startswith("_") and k != "training"
            and isinstance(v, (bool, int, float, str, tuple))}


def weights_key(net, extra: dict) -> str:
    """sha256 over every tensor of ``net``'s state dict (names, dtypes, shapes, bytes), the
    modules' plain settings and the JSON of ``extra``: changes whenever the weights or the
    export settings do."""
    h = hashlib.sha256()
    h.update(json.dumps(_plain_settings(net), sort_keys=True, default=str).encode())
    for name, t in sorted(net.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _export(module, args, path: Path, inputs, outputs, dynamic: dict | None) -> None:
    # the exporter restores the wrapper's own train/eval flag afterwards, recursively: a wrapper
    # left in train mode would switch the live network's batch norm to batch statistics
    module.eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # tracer warnings about Python-side shape checks
        torch.onnx.export(module, args, str(path), dynamo=False, opset_version=OPSET,
                          input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          do_constant_folding=True)


def head_outputs(net) -> list[str]:
    """Output names of the head graph: ``["score"]`` or ``["cls", "loc"]``."""
    return ["cls", "loc"] if hasattr(net.head, "anchor_num") else ["score"]


@torch.no_grad()
def export_branches(net, exemplar_size: int, instance_size: int, head_batches: tuple[int, int],
                    out_dir: str | Path) -> dict[str, Path]:
    """Write ``template.onnx``, ``search.onnx`` and ``head.onnx`` of ``net`` (eval mode) into
    ``out_dir``; returns their paths by branch name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net.eval()
    z = torch.rand(1, 3, exemplar_size, exemplar_size) * 255
    x = torch.rand(1, 3, instance_size, instance_size) * 255
    # this forward pass also fills the group convolutions' caches of expanded filter banks, so
    # the tracer records each bank as one constant weight (rot90 has no ONNX operator)
    zf = net.backbone(z).expand(head_batches[0], -1, -1, -1).contiguous()
    xf = net.backbone(x).expand(head_batches[1], -1, -1, -1).contiguous()
    paths = {k: out / f"{k}.onnx" for k in ("template", "search", "head")}
    backbone = fold_input_normalization(net.backbone)
    _export(TemplateBranch(backbone), (z,), paths["template"], ["z"], ["features"],
            {"z": {0: "n"}, "features": {0: "n"}})
    _export(SearchBranch(backbone), (x,), paths["search"], ["x"],
            ["features", "group_features"],
            {"x": {0: "n"}, "features": {0: "n"}, "group_features": {0: "n"}})
    _export(HeadBranch(net.head), (zf, xf), paths["head"], ["z_feat", "x_feat"],
            head_outputs(net), None)
    return paths


def calibration_crops(exemplar_size: int, instance_size: int, count: int = 16
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Template and search crops ``[count, 3, S, S]`` float32 0..255 from generated sequences
    (training-style pairs, fixed seed): the int8 calibration set, the same on every machine."""
    from tracker.data.sampler import PairSampler, build_sources

    sampler = PairSampler(build_sources([{"type": "synthetic", "weight": 1.0}]),
                          exemplar_size=exemplar_size, instance_size=instance_size,
                          max_shift=32.0, scale_jitter=0.1, seed=12345)
    b = sampler.batch(0, count)
    return b["z"].numpy(), b["x"].numpy()


def _constants_to_initializers(src: Path, dst: Path) -> None:
    """Copy of ``src`` with every ``Constant`` node turned into an initializer: the quantizer
    quantizes only weights and biases that are initializers (cached group filter banks and
    batch-norm statistics enter the export as constants)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    keep = []
    for node in graph.node:
        value = next((a for a in node.attribute if a.name == "value"), None)
        if node.op_type == "Constant" and value is not None and len(node.output) == 1:
            tensor = numpy_helper.from_array(numpy_helper.to_array(value.t), node.output[0])
            graph.initializer.append(tensor)
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    onnx.save(model, str(dst))


def quantize_int8(src: Path, dst: Path, name: str, samples: np.ndarray,
                  op_types: list[str] | None = None, reduce_range: bool = False) -> None:
    """Static int8 quantization of ``src`` (QDQ, per-channel int8 weights, uint8 activations,
    min-max calibration on ``samples`` fed one at a time as input ``name``) into ``dst``;
    ``op_types``: the ONNX op types to quantize (None: every kind the quantizer knows).
    ``reduce_range``: 7-bit weights. On x86 CPUs without VNNI (AVX2 only) ONNX Runtime's
    uint8 x int8 kernels add products in pairs into saturating 16-bit sums; which products
    pair up depends on the layout, so a rotated input saturates elsewhere and an exactly
    equivariant network stops being so (measured: 2.8% relative error for the attentive p4
    network on an AMD EPYC with AVX2). 7-bit weights cannot saturate those sums."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{name: s[None]} for s in samples])

        def get_next(self):
            return next(self._it, None)

    pre = dst.with_suffix(".pre.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _constants_to_initializers(src, pre)
        quant_pre_process(str(pre), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(dst), _Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, reduce_range=reduce_range,
                        **({} if op_types is None else {"op_types_to_quantize": op_types}))
    pre.unlink()


def int8_options(net) -> dict:
    """How to quantize ``net``'s graphs: the keyword arguments ``op_types`` and
    ``reduce_range`` of :func:`quantize_branches`. What to quantize, as measured on one thread
    here: everything for plain backbones (31 vs 33 ms for convolutions only, width-0.25 IEN
    search), convolutions only for group backbones, whose attention, pooling and residual ops
    run faster in fp32 than wrapped in quantize/dequantize pairs (41 vs 48 ms, width-0.25
    attentive p4). Group backbones promise exact equivariance, which 8-bit weights break on
    CPUs without VNNI, so theirs are 7-bit; plain ones keep the full range their accuracy was
    measured with."""
    group = net.backbone.group_order > 1
    return {"op_types": ["Conv"] if group else None, "reduce_range": group}


def quantize_branches(paths: dict[str, Path], exemplar_size: int, instance_size: int,
                      op_types: list[str] | None = None,
                      reduce_range: bool = False) -> dict[str, Path]:
    """int8 copies ``<branch>.int8.onnx`` of the template and search graphs in ``paths`` (from
    :func:`export_branches`), calibrated on :func:`calibration_crops`, quantizing ``op_types``
    with 7-bit weights if ``reduce_range`` (:func:`quantize_int8`; both from
    :func:`int8_options`); their paths by branch."""
    z, x = calibration_crops(exemplar_size, instance_size)
    out = {}
    for branch, name, data in (("template", "z", z), ("search", "x", x)):
        out[branch] = paths[branch].with_name(f"{branch}.int8.onnx")
        quantize_int8(paths[branch], out[branch], name, data, op_types, reduce_range)
    take_uint8_pixels(out["search"], "x")
    return out


def graph_input_type(path: Path) -> str:
    """ONNX Runtime's type string of the first input of the graph at ``path``, e.g.
    ``tensor(float)`` or ``tensor(uint8)``."""
    ort = require_onnxruntime()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"]) \
        .get_inputs()[0].type


def take_uint8_pixels(path: Path, name: str) -> bool:
    """Rewrite the int8 graph at ``path`` in place to take its input ``name`` as the crops
    themselves, uint8 ``[N, S, S, 3]`` (RGB, HWC as cropped), when its first operation
    quantizes that input with scale 1 and zero point 0, which is exactly the identity on
    integer pixels 0..255 (graphs whose input normalization folded into the first convolution
    calibrate to that). Saves the float conversion and NCHW transposition of every crop and
    the graph's own quantization pass: the same outputs, bit for bit. Returns whether it
    rewrote the graph."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    quant = [n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == name]
    users = [n for n in g.node if n.input and n.input[0] == name]
    if len(quant) != 1 or len(users) != 1 or not all(i in inits for i in quant[0].input[1:3]):
        return False
    scale = numpy_helper.to_array(inits[quant[0].input[1]])
    zero = numpy_helper.to_array(inits[quant[0].input[2]])
    if scale.size != 1 or float(scale) != 1.0 or zero.dtype != np.uint8 or int(zero) != 0:
        return False
    index = list(g.node).index(quant[0])
    g.node.remove(quant[0])
    g.node.insert(index, helper.make_node("Transpose", [name], [quant[0].output[0]],
                                          perm=[0, 3, 1, 2], name=f"{name}_hwc_to_chw"))
    tensor = g.input[[i.name for i in g.input].index(name)].type.tensor_type
    tensor.elem_type = TensorProto.UINT8
    dims = tensor.shape.dim
    c, h, w = (dims[k].dim_value for k in (1, 2, 3))
    for k, v in zip((1, 2, 3), (h, w, c)):
        dims[k].dim_value = v
    onnx.save(model, str(path))
    return True


def _build_cache(net, folder: Path, exemplar_size: int, instance_size: int,
                 head_batches: tuple[int, int], quantize: bool, key: str) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        paths = export_branches(net, exemplar_size, instance_size, head_batches, tmp)
        if quantize:
            for branch, q in quantize_branches(paths, exemplar_size, instance_size,
                                               **int8_options(net)).items():
                os.replace(q, paths[branch])
        manifest = {"key": key, "files": {p.name: _file_hash(p) for p in paths.values()}}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished the same export first: use theirs
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cache_is_valid(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a complete export made for ``key``, every file unchanged."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        return manifest.get("key") == key and all(
            _file_hash(folder / name) == digest for name, digest in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def cached_export(net, exemplar_size: int, instance_size: int, head_batches: tuple[int, int],
                  quantize: bool) -> Path:
    """The cache folder holding ``net``'s exported graphs for these settings, exporting (or
    re-exporting a stale or damaged folder) first when needed."""
    ort = require_onnxruntime()
    extra = {"format": EXPORT_FORMAT, "opset": OPSET, "sizes": [exemplar_size, instance_size],
             "head_batches": list(head_batches), "quantize": quantize,
             "torch": torch.__version__, "onnxruntime": ort.__version__,
             "backbone": type(net.backbone).__name__, "head": type(net.head).__name__}
    key = weights_key(net, extra)
    folder = cache_root() / f"{'int8' if quantize else 'fp32'}-{key[:20]}"
    if not cache_is_valid(folder, key):
        if folder.exists():
            log.warning("cached ONNX export %s is stale or damaged: rebuilding it", folder)
        else:
            log.info("exporting the network to ONNX (%s) into %s",
                     "int8" if quantize else "fp32", folder)
        _build_cache(net, folder, exemplar_size, instance_size, head_batches, quantize, key)
        if not cache_is_valid(folder, key):
            raise InputError(f"ONNX export into '{folder}' failed its own check")
    return folder


def make_session(path: Path):
    """An ONNX Runtime CPU session on ``path`` using ``torch.get_num_threads()`` threads (the
    one thread setting the tools expose), all graph optimizations on."""
    ort = require_onnxruntime()
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, torch.get_num_threads())
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # no busy-waiting between runs: the idle pool would take the cores from the crops and the
    # PyTorch head between two backbone calls (measured: 2 threads slower than 1 with it)
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class OnnxRuntime(Runtime):
    """ONNX Runtime on the cached export of ``net`` (fp32, or int8 backbone with
    ``quantize``) for the template and search branches and SiamRPN's head; SiamFC's
    correlation head runs in PyTorch. Same interface and, in fp32, the same outputs as the
    torch runtime (to ~1e-5 relative)."""

    def __init__(self, net, exemplar_size: int, instance_size: int, head_batches: tuple[int, int],
                 quantize: bool = False) -> None:
        super().__init__(net, head_batches)
        self.name = "onnx-int8" if quantize else "onnx"
        self.folder = cached_export(net, exemplar_size, instance_size, head_batches, quantize)
        self._template = make_session(self.folder / "template.onnx")
        self._search = make_session(self.folder / "search.onnx")
        self._pixels_in = self._search.get_inputs()[0].type == "tensor(uint8)"
        # SiamFC's head is a bare correlation whose weight is an input (the template): ONNX
        # Runtime repacks it every call and measured slower than PyTorch (3.7 vs 2.0 ms a frame),
        # so it runs in NumPy (head.onnx is still exported, for deployment). SiamRPN's head
        # has learnt convolutions and is faster in ONNX Runtime (5.0 vs 7.0 ms).
        self._head_outputs = head_outputs(net)
        self._head_session = make_session(self.folder / "head.onnx") \
            if len(self._head_outputs) > 1 else None
        self._head = HeadBranch(net.head).eval()
        self._xcorr = (float(net.head.out_scale), float(net.head.bias.detach())) \
            if self._head_session is None and hasattr(net.head, "out_scale") else None

    @staticmethod
    def _array(t: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32)

    def template(self, z: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self._template.run(None, {"z": self._array(z)})[0])

    def search(self, x: torch.Tensor, groups: bool = False):
        if self._pixels_in:  # the graph takes HWC uint8 crops: 0..255 floats convert exactly
            x = x.detach().round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
            return self._run_search(np.ascontiguousarray(x.numpy()), groups)
        return self._run_search(self._array(x), groups)

    def search_crops(self, crops: list[np.ndarray], groups: bool = False):
        if self._pixels_in:
            return self._run_search(np.stack(crops), groups)
        return super().search_crops(crops, groups)

    def _run_search(self, x: np.ndarray, groups: bool):
        names = ["features", "group_features"] if groups else ["features"]
        out = self._search.run(names, {"x": x})
        return torch.from_numpy(out[0]), (torch.from_numpy(out[1]) if groups else None)

    @torch.inference_mode()
    def head(self, z_feat: torch.Tensor, x_feat: torch.Tensor):
        if self._xcorr is not None and 1 in (z_feat.size(0), x_feat.size(0)):
            scale, bias = self._xcorr
            score = correlate_one(z_feat.numpy(), x_feat.numpy())
            return torch.from_numpy(score * np.float32(scale) + np.float32(bias))
        if self._head_session is None:
            return self._head(z_feat, x_feat)
        out = self._head_session.run(None, {"z_feat": self._array(z_feat),
                                            "x_feat": self._array(x_feat)})
        return tuple(torch.from_numpy(o) for o in out)


def correlate_one(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """SiamFC's cross-correlation of templates ``z [Kz, C, k, l]`` with search maps
    ``x [Kx, C, H, W]`` (float32), one of ``Kz``, ``Kx`` being 1 (one template against a scale
    pyramid, or templates at several scales against one search): ``[max(Kz, Kx), 1, H-k+1,
    W-l+1]``, equal to :func:`tracker.model.xcorr.xcorr` to float rounding. One
    ``[Kz*k*l, C] @ [C, H*W]`` product, then ``k*l`` shifted in-place sums: the PyTorch version
    of the same sums spends most of its 0.6 ms a frame dispatching 36 small operators."""
    kz, c, k, l = z.shape
    b, _, h, w = x.shape
    if 1 not in (kz, b):
        raise ValueError(f"correlate_one: {kz} templates against {b} searches")
    oh, ow = h - k + 1, w - l + 1
    # the product in torch, on the threads the rest of the tracker uses: NumPy's BLAS keeps a
    # pool of its own whose threads go on spinning after the call, and next to torch's (the
    # angle estimate) that made a 2-thread frame 3x slower than a 1-thread one
    zt = torch.from_numpy(np.ascontiguousarray(
        z.reshape(kz, c, k * l).transpose(0, 2, 1).reshape(kz * k * l, c)))
    taps = (zt @ torch.from_numpy(np.ascontiguousarray(x).reshape(b, c, h * w))).numpy()
    taps = taps.reshape(b * kz, k * l, h, w)
    out = taps[:, 0, :oh, :ow].copy()
    for u in range(k):
        for v in range(l):
            if u or v:
                out += taps[:, u * l + v, u:u + oh, v:v + ow]
    return out[:, None]


@torch.no_grad()
def compare_with_torch(net, folder: str | Path, exemplar_size: int, instance_size: int,
                       head_batches: tuple[int, int], seed: int = 0) -> dict[str, float]:
    """Max absolute difference between the ONNX graphs in ``folder`` (run by ONNX Runtime) and
    the same branches in eager PyTorch, on seeded random crops: ``{"template", "search",
    "group_features", "head"}`` (the head fed the torch features, so each graph is judged
    alone)."""
    folder = Path(folder)
    net.eval()
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(head_batches[0], 3, exemplar_size, exemplar_size, generator=g) * 255
    x = torch.rand(head_batches[1], 3, instance_size, instance_size, generator=g) * 255
    zt = TemplateBranch(net.backbone)(z)
    xt, gt = SearchBranch(net.backbone)(x)
    ht = HeadBranch(net.head)(zt, xt)
    ht = list(ht) if isinstance(ht, (tuple, list)) else [ht]
    zo = make_session(folder / "template.onnx").run(None, {"z": z.numpy()})[0]
    xo, go = make_session(folder / "search.onnx").run(None, {"x": x.numpy()})
    ho = make_session(folder / "head.onnx").run(None, {"z_feat": zt.numpy(),
                                                       "x_feat": xt.numpy()})

    def diff(a, b) -> float:
        return float(np.abs(np.asarray(a) - b.numpy()).max())

    return {"template": diff(zo, zt), "search": diff(xo, xt), "group_features": diff(go, gt),
            "head": max(diff(a, b) for a, b in zip(ho, ht))}
