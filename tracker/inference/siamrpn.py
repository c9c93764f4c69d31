"""SiamRPN inference (got10k ``Tracker`` API) around a :class:`SiameseNet` with an RPN head."""
from __future__ import annotations

import logging

import numpy as np
import torch

from tracker.boxes import cxcywh_to_xywh
from tracker.config import TrackingConfig
from tracker.crops import as_rgb_array, crop_square, template_side
from tracker.inference.base import SiameseTracker
from tracker.model.siamese import SiameseNet

log = logging.getLogger(__name__)

def _change(r: np.ndarray) -> np.ndarray:
    return np.maximum(r, 1.0 / r)


# pysot's size-change penalty compares template sides with a fixed context of 0.5, whatever
# tracking.context is
PENALTY_CONTEXT = 0.5


class SiamRPNTracker(SiameseTracker):
    """SiamRPN / SiamRPN++ single-scale inference.

    ``SiamRPNTracker(net, cfg, name)``: ``net.head`` is an RPN head returning ``(cls, loc)``
    that owns its anchors and proposals (:class:`tracker.model.rpn.DepthwiseRPNHead`). From
    ``cfg`` it reads ``exemplar_size``, ``instance_size``, ``context``, ``window_influence``
    (SiamRPN configs must set their own, e.g. 0.44, rather than SiamFC's 0.176), ``min_size``,
    ``penalty_k`` and ``box_lr``.

    ``init(image, box)`` takes a PIL image or RGB array ``[H,W,3]`` and ``[x,y,w,h]`` (continuous
    pixel coordinates) and caches the template features; ``update(image)`` returns float64
    ``[x,y,w,h]``. Per frame: one search crop of side ``z * instance/exemplar``, foreground
    softmax, anchor decoding, scale/aspect change penalty, cosine window, best proposal, box
    smoothing with ``box_lr * penalty * score``; the centre is kept inside the image and the size
    within ``[min_size, image size]``. The network runs in ``backend`` (default
    ``tracking.backend``, see :mod:`tracker.inference.runtime`); ``clock`` holds the seconds per stage.
    """

    def __init__(self, net: SiameseNet, cfg: TrackingConfig, name: str = "eqtrack",
                 device: str | torch.device = "cpu", backend: str | None = None) -> None:
        if not hasattr(net.head, "proposals"):
            raise ValueError(f"SiamRPNTracker needs an RPN head returning (cls, loc) (e.g. "
                             f"model.head: rpn), got {type(net.head).__name__}")
        for flag in ("estimate_rotation", "derotate_search", "rotation_aware"):
            # refuse rather than silently track without the rotation the config asks for
            if getattr(cfg, flag, False):
                raise ValueError(f"SiamRPNTracker does not support tracking.{flag}")
        if cfg.online_filter > 0 or cfg.online_hog > 0:
            raise ValueError("SiamRPNTracker does not support tracking.online_filter or "
                             "tracking.online_hog (SiamFC only)")
        if cfg.scale_search != "pyramid":
            raise ValueError(f"SiamRPNTracker does not support tracking.scale_search="
                             f"{cfg.scale_search} (SiamFC only; SiamRPN regresses the box)")
        super().__init__(net, cfg, name, device, backend, head_batches=(1, 1))
        # pysot's SiamRPN++ defaults: penalty_k 0.04, window_influence 0.44, lr 0.33
        self.penalty_k, self.box_lr = cfg.penalty_k, cfg.box_lr
        self.score_size = None  # known after the first search
        self.window = None

    @torch.inference_mode()
    def init(self, image, box) -> None:
        self.start(image, box)

    @torch.inference_mode()
    def update(self, image) -> np.ndarray:
        self.clock.start()
        img = as_rgb_array(image)
        cfg = self.cfg
        z_sz = self.template_side()
        scale_z = cfg.exemplar_size / z_sz  # search-crop pixels per image pixel
        x_sz = z_sz * cfg.instance_size / cfg.exemplar_size
        x = crop_square(img, self.center, x_sz, cfg.instance_size, self.avg_color)
        self.clock.lap("crop")
        feats, _ = self.runtime.search_crops([x])
        self.clock.lap("backbone")
        out = self.runtime.head(self.kernel, feats)
        self.clock.lap("head")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("SiamRPNTracker needs a head returning (cls, loc)")
        self._prepare_window(out[0].size(-1))
        score, boxes = self.net.head.proposals(*out, self.runtime.stride)

        # penalize changes of size and aspect ratio against the current target (crop pixels)
        w, h = self.target_sz * scale_z
        s_c = _change(template_side(boxes[:, 2], boxes[:, 3], PENALTY_CONTEXT)
                      / template_side(w, h, PENALTY_CONTEXT))
        r_c = _change((w / h) / (boxes[:, 2] / boxes[:, 3]))
        penalty = np.exp(-(r_c * s_c - 1.0) * self.penalty_k)
        pscore = penalty * score
        pscore = pscore * (1.0 - cfg.window_influence) + self.window * cfg.window_influence
        best = int(np.argmax(pscore))

        box = boxes[best] / scale_z
        lr = float(penalty[best] * score[best] * self.box_lr)
        center = self.center + box[:2]
        size = self.target_sz * (1.0 - lr) + box[2:] * lr
        self.center = np.clip(center, 0.0, self.image_size)
        self.target_sz = np.clip(size, cfg.min_size, np.maximum(self.image_size, cfg.min_size))
        box = cxcywh_to_xywh(np.concatenate([self.center, self.target_sz]))
        self.clock.lap("post")
        return box

    def _prepare_window(self, score_size: int) -> None:
        if self.score_size == score_size:
            return
        self.score_size = score_size
        hann = np.outer(np.hanning(score_size), np.hanning(score_size))
        self.window = np.tile(hann.reshape(-1), self.net.head.anchor_num)  # anchor-major order
        log.debug("SiamRPN score map %dx%d, %d anchors per cell", score_size, score_size,
                  self.net.head.anchor_num)
