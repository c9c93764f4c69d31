"""SiamRPN inference (got10k ``Tracker`` API) around a :class:`SiameseNet` with an RPN head."""
from __future__ import annotations

import logging

import numpy as np
import torch
from got10k.trackers import Tracker

from .anchors import DEFAULT_RATIOS, DEFAULT_SCALES, decode, generate_anchors
from .boxes import cxcywh_to_xywh
from .config import TrackingConfig
from .crops import as_rgb_array, crop_square, mean_color, to_tensor
from .inference import initial_state, template_side
from .rpn import check_compatible, flatten_cls, flatten_loc
from .runtime import build_runtime
from .siamese import SiameseNet
from .stages import StageClock

log = logging.getLogger(__name__)

def _change(r: np.ndarray) -> np.ndarray:
    return np.maximum(r, 1.0 / r)


def _context_size(w, h):
    # SiamFC/SiamRPN template side for a target of w x h: sqrt((w + p)(h + p)), p = (w + h) / 2
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


class SiamRPNTracker(Tracker):
    """SiamRPN / SiamRPN++ single-scale inference.

    ``SiamRPNTracker(net, cfg, name)``: ``net.head`` must return ``(cls, loc)`` (e.g.
    :class:`tracker.rpn.DepthwiseRPNHead`) and carry ``anchor_num``. From ``cfg`` it reads
    ``exemplar_size``, ``instance_size``, ``context``, ``window_influence`` (SiamRPN configs must
    set their own, e.g. 0.44, rather than SiamFC's 0.176), ``min_size``, ``penalty_k`` and
    ``box_lr``; anchors use :data:`tracker.anchors.DEFAULT_RATIOS` / ``DEFAULT_SCALES``.

    ``init(image, box)`` takes a PIL image or RGB array ``[H,W,3]`` and ``[x,y,w,h]`` (continuous
    pixel coordinates) and caches the template features; ``update(image)`` returns float64
    ``[x,y,w,h]``. Per frame: one search crop of side ``z * instance/exemplar``, foreground
    softmax, anchor decoding, scale/aspect change penalty, cosine window, best proposal, box
    smoothing with ``box_lr * penalty * score``; the centre is kept inside the image and the size
    within ``[min_size, image size]``. The network runs in ``backend`` (default
    ``tracking.backend``, see :mod:`tracker.runtime`); ``clock`` holds the seconds per stage.
    """

    def __init__(self, net: SiameseNet, cfg: TrackingConfig, name: str = "eqtrack",
                 device: str | torch.device = "cpu", backend: str | None = None) -> None:
        super().__init__(name=name, is_deterministic=True)
        check_compatible(net.backbone, net.head)
        if not hasattr(net.head, "anchor_num"):
            raise ValueError(f"SiamRPNTracker needs an RPN head returning (cls, loc) (e.g. "
                             f"model.head: rpn), got {type(net.head).__name__}")
        self.anchor_num = int(net.head.anchor_num)
        self.ratios = tuple(getattr(cfg, "anchor_ratios", DEFAULT_RATIOS))
        self.scales = tuple(getattr(cfg, "anchor_scales", DEFAULT_SCALES))
        if self.anchor_num != len(self.ratios) * len(self.scales):
            raise ValueError(f"the head predicts {self.anchor_num} anchors per cell but the "
                             f"tracker has {len(self.ratios)} ratios x {len(self.scales)} "
                             f"scales")
        for flag in ("estimate_rotation", "derotate_search", "rotation_aware"):
            # refuse rather than silently track without the rotation the config asks for
            if getattr(cfg, flag, False):
                raise ValueError(f"SiamRPNTracker does not support tracking.{flag}")
        self.cfg = cfg
        # pysot's SiamRPN++ defaults: penalty_k 0.04, window_influence 0.44, lr 0.33
        self.penalty_k, self.box_lr = cfg.penalty_k, cfg.box_lr
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.runtime = build_runtime(self.net, backend or cfg.backend, cfg.exemplar_size,
                                     cfg.instance_size, head_batches=(1, 1))
        self.clock = StageClock()
        self.score_size = None  # known after the first search
        self.anchors = None
        self.window = None

    @torch.inference_mode()
    def init(self, image, box) -> None:
        img, self.center, self.target_sz, self.image_size = initial_state(image, box)
        self.avg_color = mean_color(img)
        z_sz = self._z_size()
        z = crop_square(img, self.center, z_sz, self.cfg.exemplar_size, self.avg_color)
        self.kernel = self.runtime.template(to_tensor([z]).to(self.device))

    def _z_size(self) -> float:
        return template_side(self.target_sz, self.cfg.context)

    @torch.inference_mode()
    def update(self, image) -> np.ndarray:
        self.clock.start()
        img = as_rgb_array(image)
        cfg = self.cfg
        z_sz = self._z_size()
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
        score, boxes = self._proposals(*out)

        # penalize changes of size and aspect ratio against the current target (crop pixels)
        w, h = self.target_sz * scale_z
        s_c = _change(_context_size(boxes[:, 2], boxes[:, 3]) / _context_size(w, h))
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

    def _proposals(self, cls: torch.Tensor, loc: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Foreground probabilities ``[N]`` and decoded ``cxcywh`` crop-frame boxes ``[N, 4]``."""
        self._prepare_anchors(cls.size(-1))
        logits = flatten_cls(cls.float(), self.anchor_num)[0]
        score = torch.softmax(logits, dim=-1)[:, 1].cpu().numpy().astype(np.float64)
        deltas = flatten_loc(loc.float(), self.anchor_num)[0].cpu().numpy()
        boxes = decode(self.anchors, deltas)
        return score, boxes

    def _prepare_anchors(self, score_size: int) -> None:
        if self.score_size == score_size:
            return
        self.score_size = score_size
        stride = self.runtime.stride
        self.anchors = generate_anchors(stride, self.ratios, self.scales, score_size=score_size)
        hann = np.outer(np.hanning(score_size), np.hanning(score_size))
        self.window = np.tile(hann.reshape(-1), self.anchor_num)  # anchor-major order
        log.debug("SiamRPN score map %dx%d, %d anchors", score_size, score_size,
                  len(self.anchors))
