"""The runtime interface trackers use, the eager PyTorch runtime, and the backend registry."""
from __future__ import annotations

import logging

import numpy as np
import torch

from tracker.crops import to_tensor
from tracker.inference.runtime.branches import HeadBranch, SearchBranch, TemplateBranch

log = logging.getLogger(__name__)

# name -> what it runs; "onnx" is the default of every tracker (tracking.backend)


class Runtime:
    """What a tracker needs from its network, on fixed-size crops.

    All inputs and outputs are CPU float32 tensors. ``template(z [N,3,Sz,Sz])`` and
    ``search(x [N,3,Sx,Sx])`` take RGB 0..255 crops; ``template`` returns ``[N, C, hz, wz]``,
    ``search`` returns ``(features [N, C, h, w], group_features [N, C, G, h, w] or None)``
    (the second only with ``groups=True``); ``head(z_feat [Kz,C,hz,wz], x_feat [Kx,C,h,w])``
    with ``(Kz, Kx) = head_batches`` (equal, or one of them 1) returns the head's output for
    ``K = max(Kz, Kx)`` pairs (score map ``[K, 1, s, s]``, or ``(cls, loc)``). ``stride`` and
    ``group_order`` are the backbone's.
    """

    name = "runtime"

    def __init__(self, net, head_batches: tuple[int, int]) -> None:
        self.stride = int(net.backbone.stride)
        self.group_order = int(net.backbone.group_order)
        self.head_batches = (int(head_batches[0]), int(head_batches[1]))
        self.device = next(net.parameters()).device

    def template(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def search(self, x: torch.Tensor, groups: bool = False):  # pragma: no cover - abstract
        raise NotImplementedError

    def search_crops(self, crops: list[np.ndarray], groups: bool = False):
        """:meth:`search` on RGB uint8 crops ``[S, S, 3]`` as cropped (runtimes that take
        pixels as they are skip the float conversion)."""
        return self.search(to_tensor(crops).to(self.device), groups)

    def head(self, z_feat: torch.Tensor, x_feat: torch.Tensor):  # pragma: no cover - abstract
        raise NotImplementedError


class TorchRuntime(Runtime):
    """Eager PyTorch on the :class:`tracker.model.siamese.SiameseNet` itself (in eval mode)."""

    name = "torch"

    def __init__(self, net, head_batches: tuple[int, int]) -> None:
        super().__init__(net, head_batches)
        net.eval()
        self.template_branch = TemplateBranch(net.backbone)
        self.search_branch = SearchBranch(net.backbone)
        self.head_branch = HeadBranch(net.head)

    @torch.inference_mode()
    def template(self, z: torch.Tensor) -> torch.Tensor:
        return self.template_branch(z)

    @torch.inference_mode()
    def search(self, x: torch.Tensor, groups: bool = False):
        if not groups:
            return self.template_branch(x), None  # the pooled map alone: the cheapest path
        return self.search_branch(x)

    @torch.inference_mode()
    def head(self, z_feat: torch.Tensor, x_feat: torch.Tensor):
        return self.head_branch(z_feat, x_feat)
