"""Inference runtimes: how a tracker runs its network on fixed-size crops.

A tracker never calls the network directly; it holds a :class:`~tracker.runtime.base.Runtime`
with three calls, ``template``, ``search`` and ``head`` (shapes in their docstrings), so the
same tracking code runs eager PyTorch (``torch``: training, tests, reference), ONNX Runtime in
fp32 (``onnx``) or ONNX Runtime with int8 post-training quantization of the backbone
(``onnx-int8``). The ONNX graphs are exported from the live weights when a tracker is built and
cached by a hash of those weights (:mod:`tracker.runtime.onnx`).
"""
from __future__ import annotations

from .base import BACKENDS, Runtime, build_runtime

__all__ = ["BACKENDS", "Runtime", "build_runtime"]
