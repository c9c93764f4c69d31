"""Inference runtimes: how a tracker runs its network on fixed-size crops.

A tracker never calls the network directly; it holds a :class:`~tracker.inference.runtime.base.Runtime`
with three calls, ``template``, ``search`` and ``head`` (shapes in their docstrings), so the
same tracking code runs eager PyTorch (``torch``: training, tests, reference), ONNX Runtime in
fp32 (``onnx``) or ONNX Runtime with int8 post-training quantization of the backbone
(``onnx-int8``). The ONNX graphs are exported from the live weights when a tracker is built and
cached by a hash of those weights (:mod:`tracker.inference.runtime.onnx`).
"""
from __future__ import annotations

from tracker.config import BACKENDS
from tracker.inference.runtime.base import Runtime
from tracker.inference.runtime.build import build_runtime

__all__ = ["BACKENDS", "Runtime", "build_runtime"]
