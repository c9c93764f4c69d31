"""What every Siamese tracker shares: the got10k ``Tracker`` API, the network's runtime, the
first-frame state (centre, size, image bounds, mean colour) and the template features."""
from __future__ import annotations

import numpy as np
import torch
from got10k.trackers import Tracker

from tracker.boxes import check_box_in_image, xywh_to_cxcywh
from tracker.config import TrackingConfig
from tracker.crops import as_rgb_array, crop_square, mean_color, template_side, to_tensor
from tracker.inference.runtime import build_runtime
from tracker.inference.stages import StageClock
from tracker.model.siamese import SiameseNet


class SiameseTracker(Tracker):
    """Base of the Siamese trackers: ``init(image, box)`` takes a PIL image or RGB array
    ``[H,W,3]`` and a box ``[x, y, w, h]`` (0-based continuous pixels, :mod:`tracker.boxes`);
    ``update(image)`` (the subclass's search strategy) returns the new float64 ``[x, y, w, h]``.

    State after :meth:`init`: ``center [cx, cy]``, ``target_sz [w, h]``, ``image_size [W, H]``
    (float64), ``avg_color`` (crop padding), ``z_sz`` (template side in image pixels) and
    ``kernel`` (template features from the runtime). The network runs in ``backend`` (default
    ``tracking.backend``, :mod:`tracker.inference.runtime`) on ``head_batches`` search batch
    sizes; ``clock`` holds the seconds per stage. ``estimates_angle``: whether the tracker
    keeps an in-plane angle (then ``angle``, ``rotated_box`` and ``polygon`` after ``update``).
    """

    estimates_angle = False

    def __init__(self, net: SiameseNet, cfg: TrackingConfig, name: str,
                 device: str | torch.device, backend: str | None,
                 head_batches: tuple[int, ...]) -> None:
        super().__init__(name=name, is_deterministic=True)
        self.cfg = cfg
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.runtime = build_runtime(self.net, backend or cfg.backend, cfg.exemplar_size,
                                     cfg.instance_size, head_batches=head_batches)
        self.clock = StageClock()

    def start(self, image, box) -> np.ndarray:
        """Set the first-frame state from ``image`` and ``box`` (checked to lie in the image)
        and cache the template features; returns the RGB uint8 image."""
        img = as_rgb_array(image)
        h_img, w_img = img.shape[:2]
        check_box_in_image(box, w_img, h_img)
        cx, cy, w, h = xywh_to_cxcywh(box)
        self.center = np.array([cx, cy], dtype=np.float64)
        self.target_sz = np.array([w, h], dtype=np.float64)
        self.image_size = np.array([w_img, h_img], dtype=np.float64)
        self.avg_color = mean_color(img)
        self.z_sz = self.template_side()
        self.kernel = self.template_kernel(img)
        return img

    def template_kernel(self, img: np.ndarray) -> torch.Tensor:
        """The template features the head correlates with: the runtime's ``[1, C, h, w]`` of
        the ``z_sz`` crop around ``center`` of the RGB uint8 ``img`` (trackers that hold
        several templates override it)."""
        z = crop_square(img, self.center, self.z_sz, self.cfg.exemplar_size, self.avg_color)
        return self.runtime.template(to_tensor([z]).to(self.device))

    def template_side(self) -> float:
        """Template side in image pixels for the current target size
        (:func:`tracker.crops.template_side` with ``tracking.context``)."""
        return float(template_side(self.target_sz[0], self.target_sz[1], self.cfg.context))
