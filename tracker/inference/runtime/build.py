"""The runtime a tracker asks for by name (``tracking.backend``)."""
from __future__ import annotations

from tracker.config import BACKENDS
from tracker.errors import ConfigError
from tracker.inference.runtime.base import Runtime, TorchRuntime


def build_runtime(net, backend: str, exemplar_size: int, instance_size: int,
                  head_batches: tuple[int, int]) -> Runtime:
    """The runtime ``backend`` (a key of :data:`BACKENDS`) for ``net`` at these crop sizes;
    ``head_batches`` = (template maps, search maps) the tracker hands the head per frame."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend '{backend}'; known: {', '.join(BACKENDS)}")
    if backend == "torch":
        return TorchRuntime(net, head_batches)
    # imported here: ONNX Runtime loads only when a tracker asks for it
    from tracker.inference.runtime.onnx import OnnxRuntime

    return OnnxRuntime(net, exemplar_size, instance_size, head_batches,
                       quantize=backend == "onnx-int8")
