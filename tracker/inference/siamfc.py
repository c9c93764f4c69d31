"""Trackers implementing got10k's ``Tracker`` API (``init``, ``update``, ``track``)."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from tracker.boxes import cxcywh_to_xywh, polygon_to_xywh, rotated_to_polygon
from tracker.config import TrackingConfig
from tracker.crops import as_rgb_array, crop_square, crop_to_image, to_tensor
from tracker.errors import ConfigError
from tracker.inference.base import SiameseTracker
from tracker.inference.handcrafted import cell_features, pool_to_cells
from tracker.inference.online_filter import OnlineFilter
from tracker.inference.orientation import OrientationEstimator
from tracker.inference.sample_filters import ScaleFilter, TurnFilter
from tracker.model.siamese import SiameseNet


def bicubic_matrix(n: int, up: int) -> np.ndarray:
    """The ``[up, n]`` matrix ``A`` with ``A @ r @ A.T == cv2.resize(r, (up, up),
    interpolation=cv2.INTER_CUBIC)`` for any float32 ``r [n, n]`` (OpenCV's resize is separable
    and linear; its columns are the resized unit vectors). Three 17x17 responses upsampled
    this way take 0.15 ms instead of 1.6 ms."""
    eye = np.eye(n, dtype=np.float32)
    return np.stack([cv2.resize(np.ascontiguousarray(eye[:, j:j + 1]), (1, up),
                                interpolation=cv2.INTER_CUBIC)[:, 0] for j in range(n)], axis=1)


def shrink_to_upright(angle: float, deadzone: float) -> float:
    """``angle`` (degrees) shrunk towards 0 by a soft dead zone of ``deadzone`` degrees:
    ``a * (1 - exp(-(a / d)^2))``, 0 at 0, 63% of ``d`` at ``d``, within 2% of ``a`` past ``2 d``;
    ``deadzone`` 0 returns ``angle``. Monotonic in ``angle`` and odd, so it never flips a turn's
    sign."""
    if deadzone <= 0:
        return float(angle)
    return float(angle * (1.0 - np.exp(-(angle / deadzone) ** 2)))


def _as_distribution(r: np.ndarray) -> np.ndarray:
    """A response map shifted to a zero minimum and scaled to sum 1 (so maps of different
    ranges can be blended)."""
    r = r - r.min()
    return r / (r.sum() + 1e-16)


class SiamFCTracker(SiameseTracker):
    """SiamFC inference around any :class:`SiameseNet` whose head returns a score map.

    ``init(image, box)`` takes a PIL image or RGB numpy array ``[H,W,3]`` and a box ``[x,y,w,h]``
    (continuous pixel coordinates, see :mod:`tracker.boxes`); ``update(image)`` returns the new
    ``[x, y, w, h]`` as float64 ``[4]``. Each update tests ``scale_num`` scale hypotheses (the
    target ``scale_step ** k`` times its current size): with ``scale_search = "pyramid"`` by
    cropping that many search regions (one batch through the backbone) against the template,
    with ``"templates"`` by one search region against as many templates, cut from the first
    frame at sides ``scale_step ** -k`` times the template's (so the target looks ``scale_step
    ** k`` times bigger in them; ``kernel`` is then ``[scale_num, C, h, w]``, each scaled to the
    middle one's norm). It upsamples the responses, picks the scale with the highest
    peak (every scale but the middle one penalized by ``scale_penalty``), adds a cosine window
    and damps the size update (``scale_lr``). With ``"filter"`` one search crop against the
    one template gives the position, and the size change is the estimate of a scale filter
    (:class:`tracker.inference.sample_filters.ScaleFilter`, DSST's) sampled at the new position,
    damped by ``scale_lr`` and then refit there. With the angle estimated (``estimate_rotation``
    or ``rotation_aware``) the angle comes from the template bank on the backbone's group
    features (:class:`tracker.inference.orientation.OrientationEstimator`,
    ``rotation_search = "bank"``) or from a turn filter
    (:class:`tracker.inference.sample_filters.TurnFilter`, ``"turn_filter"``) sampled at the new
    position before the scale, damped by ``turn_filter_lr`` and refit after it; with
    ``turn_filter_upright`` > 0 the tracker answers 0 instead of the filter's angle
    (``turn_track``) until the first-frame template prefers that angle to 0
    (:meth:`_weigh_upright`), and with ``turn_filter_deadzone`` > 0 it searches at, samples
    the scale filter at and answers the filter's angle shrunk towards 0
    (:func:`shrink_to_upright`). The network
    runs in ``backend`` (default ``tracking.backend``, see :mod:`tracker.inference.runtime`).
    The state stays finite whatever the image holds: the centre is kept inside the image and
    the size within ``[min_size, 10 x image]``. ``clock`` holds the seconds spent per stage.
    """

    def __init__(self, net: SiameseNet, cfg: TrackingConfig, name: str = "eqtrack",
                 device: str | torch.device = "cpu", backend: str | None = None) -> None:
        if cfg.derotate_search and not (cfg.estimate_rotation or cfg.rotation_aware):
            raise ConfigError("tracking.derotate_search needs tracking.estimate_rotation")
        n = cfg.scale_num
        self.scale_templates = cfg.scale_search == "templates"
        self.scale_by_filter = cfg.scale_search == "filter"
        batches = {"pyramid": (1, n), "templates": (n, 1), "filter": (1, 1)}[cfg.scale_search]
        super().__init__(net, cfg, name, device, backend, head_batches=batches)
        self.scale_factors = cfg.scale_step ** np.linspace(-(n // 2), n // 2, n)
        self.response_size = None  # known after the first search
        self.window = None
        self.orientation = None
        self.derotate = cfg.derotate_search or cfg.rotation_aware
        self.estimates_angle = cfg.estimate_rotation or cfg.rotation_aware
        self.turn_by_filter = self.estimates_angle and cfg.rotation_search == "turn_filter"
        self.turn_filter = None  # with rotation_search = "turn_filter", made at init
        if self.turn_by_filter and cfg.turn_filter_upright > 0 and cfg.scale_search == "pyramid":
            raise ConfigError("tracking.turn_filter_upright needs tracking.scale_search filter "
                              "or templates (one search crop a frame)")
        if self.estimates_angle and not self.turn_by_filter:
            try:
                self.orientation = OrientationEstimator(self.net.backbone, cfg.rotation_step,
                                                        cfg.rotation_max_change,
                                                        cfg.rotation_min_gain,
                                                        cfg.rotation_velocity,
                                                        cfg.rotation_filter, cfg.rotation_noise,
                                                        cfg.rotation_max_turn,
                                                        self._angle_head(net, cfg),
                                                        cfg.rotation_head_gain,
                                                        cfg.rotation_upright,
                                                        cfg.rotation_upright_rate,
                                                        cfg.rotation_reach)
            except ValueError as e:
                raise ConfigError(f"tracking.{e}") from None
        self.angle = 0.0  # degrees CCW relative to the first frame (0 unless estimated)
        self.object_sz = None  # target size along its own axes, [w, h]
        self.filter = None  # the online correlation filter, made at init when asked for
        self.hog = None  # the second one, on hand-crafted cell features (online_hog)
        if cfg.online_hog > 0 and self.runtime.stride % 2:
            raise ConfigError(f"tracking.online_hog needs an even backbone stride (its cells "
                              f"are half the backbone's); this one has {self.runtime.stride}")
        self.filter_peak = None  # running mean of the fused response's peak (the gate's unit)
        self.scale_filter = None  # with scale_search = "filter", made at init

    @torch.inference_mode()
    def init(self, image, box) -> None:
        img = self.start(image, box)
        self.x_sz = self.z_sz * self.cfg.instance_size / self.cfg.exemplar_size
        self.min_z_sz, self.max_z_sz = self._z_limits()
        s = self.cfg.exemplar_size
        self.angle, self.object_sz = 0.0, self.target_sz.copy()
        self.frames = 0
        if self.orientation is not None:
            self.orientation.set_template(self._bank_crop(img), s)
        cfg = self.cfg
        if self.scale_by_filter:
            w, h = (float(v) for v in self.object_sz)
            self.scale_filter = ScaleFilter(cfg.scale_filter_num, cfg.scale_filter_step,
                                            cfg.scale_filter_cells, cfg.scale_filter_sigma,
                                            cfg.scale_filter_lambda,
                                            w / h if cfg.scale_filter_aspect else None,
                                            cfg.scale_filter_antialias)
            self.scale_filter.fit(self._scale_samples(img), 1.0)
        if self.turn_by_filter:
            self.turn_filter = TurnFilter(cfg.turn_filter_num, cfg.turn_filter_step,
                                          cfg.turn_filter_cells, cfg.turn_filter_sigma,
                                          cfg.turn_filter_lambda, cfg.turn_filter_anchor,
                                          cfg.turn_filter_circle, cfg.turn_filter_reach,
                                          cfg.turn_filter_context, cfg.turn_filter_antialias,
                                          cfg.turn_filter_antialias_once)
            # the filter's own angle; the answered one (angle) is 0 instead while the upright
            # hypothesis holds (turn_filter_upright), or this one shrunk by the dead zone
            # (turn_filter_deadzone; the two are exclusive)
            self.turn_track = 0.0
            self.upright_advantage = 0.0
            self.turn_filter.fit(self._turn_samples(img), 1.0)
            self.turn_rate = 0.0  # degrees a frame (turn_filter_velocity)
        self.filter = self.hog = self.filter_peak = None
        if cfg.online_filter > 0 or cfg.online_hog > 0:
            x = crop_square(img, self.center, self.x_sz, cfg.instance_size, self.avg_color)
            feat, _ = self.runtime.search_crops([x])
            if cfg.online_filter > 0:
                self.filter = OnlineFilter(cfg.online_filter_sigma, cfg.online_filter_lambda)
                self.filter.fit(self.filter.spectrum(feat[0].float().numpy()), (0.0, 0.0), 1.0)
            if cfg.online_hog > 0:
                self.hog_cells = 2 * int(feat.shape[-1])  # twice the backbone's cells a side
                # its label's width in the same pixels as the deep filter's
                self.hog = OnlineFilter(2.0 * cfg.online_filter_sigma, cfg.online_filter_lambda)
                self.hog.fit(self.hog.spectrum(self._cells(x)), (0.0, 0.0), 1.0)

    def template_kernel(self, img: np.ndarray) -> torch.Tensor:
        """The base class's ``[1, C, h, w]`` template, or with ``scale_search = "templates"``
        ``[scale_num, C, h, w]``: templates cut at sides ``z_sz / scale_step ** k``, each scaled
        to the middle one's norm."""
        if not self.scale_templates:
            return super().template_kernel(img)
        s = self.cfg.exemplar_size
        zs = [crop_square(img, self.center, self.z_sz / f, s, self.avg_color)
              for f in self.scale_factors]
        kernels = self.runtime.template(to_tensor(zs).to(self.device))
        # each scaled to the middle one's energy: a correlation peak grows with the kernel's
        # norm, and unscaled the zoomed templates won or lost by it (val AUC 0.462 against
        # 0.545 scaled, README "Trackers")
        norms = kernels.flatten(1).norm(dim=1).clamp_min(1e-12)
        return kernels * (norms[len(zs) // 2] / norms)[:, None, None, None]

    @staticmethod
    def _angle_head(net: SiameseNet, cfg: TrackingConfig):
        """The model's learned angle head when ``tracking.rotation_head`` asks for it."""
        if not cfg.rotation_head:
            return None
        if net.angle_head is None:
            raise ConfigError("tracking.rotation_head: this model has no learned angle head "
                              "(model.angle_head; add one with eqtrack train-angle)")
        return net.angle_head.eval()

    def _scale_samples(self, img: np.ndarray) -> np.ndarray:
        """The scale filter's samples of the target as it stands now (its own axes, turned by
        the angle when the search is de-rotated): ``[scale_filter_num, D]``."""
        turn = self.angle if self.derotate else 0.0
        return self.scale_filter.samples(img, self.center, self.object_sz, turn, self.avg_color)

    def _turn_samples(self, img: np.ndarray, ahead: float = 0.0) -> np.ndarray:
        """The turn filter's samples of the target about its current angle plus ``ahead``
        degrees: ``[turn_filter_num, D]``."""
        return self.turn_filter.samples(img, self.center, self.object_sz,
                                        self.turn_track + ahead, self.avg_color)

    def _bank_crop(self, img: np.ndarray) -> torch.Tensor:
        """The template region with room for any rotation, turned by the current angle (so the
        target stands as in the first frame): ``[1, 3, L, L]``, 0..255."""
        s = self.cfg.exemplar_size
        big = s + 2 * int(np.ceil(s * (np.sqrt(2) - 1) / 2))
        zb = crop_square(img, self.center, self.z_sz * big / s, big, self.avg_color, self.angle)
        return to_tensor([zb]).to(self.device)

    def _z_limits(self) -> tuple[float, float]:
        # z_sz scales with the target; bounds keep w, h in [min_size, 10 x image side]
        ratio = self.z_sz / float(np.max(self.target_sz))
        lo = self.cfg.min_size / float(np.min(self.target_sz)) * self.z_sz
        hi = ratio * 10.0 * float(np.max(self.image_size))
        return lo, max(lo, hi)

    @torch.inference_mode()
    def update(self, image) -> np.ndarray:
        clock = self.clock
        clock.start()
        img = as_rgb_array(image)
        cfg = self.cfg
        turn = self.angle if self.derotate else 0.0
        # the search crops' sides relative to x_sz (one crop unless the crops hold the scales)
        sides = self.scale_factors if cfg.scale_search == "pyramid" else [1.0]
        crops = [crop_square(img, self.center, self.x_sz * f, cfg.instance_size, self.avg_color,
                             turn) for f in sides]
        clock.lap("crop")
        feats, groups = self.runtime.search_crops(crops, groups=self.orientation is not None)
        clock.lap("backbone")
        responses = self.runtime.head(self.kernel, feats)
        clock.lap("head")
        responses = responses[:, 0].float().cpu().numpy()
        self._prepare_window(responses.shape[-1])
        raw = responses

        up = self.window.shape[0]
        responses = self._upsample(responses)
        if self.scale_by_filter:
            scale_id = crop_id = 0
        else:
            mid = cfg.scale_num // 2
            peaks = responses.reshape(cfg.scale_num, -1).max(axis=1)
            peaks[:mid] *= cfg.scale_penalty
            peaks[mid + 1:] *= cfg.scale_penalty
            scale_id = int(np.argmax(peaks))
            crop_id = 0 if self.scale_templates else scale_id

        if self.turn_filter is not None and cfg.turn_filter_upright > 0:
            self._weigh_upright(img, float(raw[scale_id].max()), turn, sides[crop_id], scale_id)
        response = _as_distribution(responses[scale_id])
        if self.filter is not None:
            spec = self.filter.spectrum(feats[crop_id].float().numpy())
            response = ((1 - cfg.online_filter) * response
                        + cfg.online_filter * _as_distribution(self._filter_response(spec)))
        if self.hog is not None:
            hspec = self.hog.spectrum(self._cells(crops[crop_id]))
            response = ((1 - cfg.online_hog) * response
                        + cfg.online_hog * _as_distribution(self._hog_response(hspec)))
        fused = response
        response = (1 - cfg.window_influence) * response + cfg.window_influence * self.window
        loc = np.array(np.unravel_index(int(np.argmax(response)), response.shape), dtype=float)
        if (self.filter is not None or self.hog is not None) and self._filter_confident(
                float(fused.max())):
            # the target's displacement from the crop's centre, in feature cells
            disp = (loc - (up - 1) / 2.0) / cfg.response_up
            if self.filter is not None:
                self.filter.fit(spec, tuple(disp), cfg.online_filter_rate)
            if self.hog is not None:
                self.hog.fit(hspec, tuple(2.0 * disp), cfg.online_filter_rate)

        # peak offset: upsampled response -> search crop -> image pixels
        disp = (loc[::-1] - (up - 1) / 2.0) * self.runtime.stride / cfg.response_up
        disp = disp * self.x_sz * sides[crop_id] / cfg.instance_size
        self.center = np.clip(self.center + crop_to_image(disp, turn), 0.0, self.image_size)

        if self.orientation is not None:
            # the response cell under the upsampled peak
            n = self.response_size
            cell = np.clip(np.round((loc + 0.5) / cfg.response_up - 0.5), 0, n - 1).astype(int)
            self.angle = self.orientation.observe(groups[crop_id:crop_id + 1], tuple(cell),
                                                  turn)
        elif self.turn_filter is not None:
            # sampled about the angle the turn rate predicts (turn_filter_velocity; 0 = off),
            # so a steady turn stays near the samples' middle
            change = self.turn_rate
            # each pass resamples about the last estimate: the filter's peak is pulled towards
            # its middle sample (the Hann weight over the samples), and a second look from
            # nearer the truth leaves less of that shrinkage
            for _ in range(cfg.turn_filter_passes):
                change += self.turn_filter.estimate(self._turn_samples(img, change))
            # kept in [-180, 180), as the bank keeps it
            track = self.turn_track + cfg.turn_filter_lr * change
            self.turn_track = (track + 180.0) % 360.0 - 180.0
            margin = cfg.turn_filter_upright
            if 0 < margin and self.upright_advantage < margin:
                self.angle = 0.0
            else:
                self.angle = shrink_to_upright(self.turn_track, cfg.turn_filter_deadzone)
            v = cfg.turn_filter_velocity
            self.turn_rate = (1 - v) * self.turn_rate + v * cfg.turn_filter_lr * change

        if self.scale_filter is not None:
            # sampled at the new position (and angle), as DSST does
            factor = self.scale_filter.estimate(self._scale_samples(img))
        else:
            factor = self.scale_factors[scale_id]
        scale = (1 - cfg.scale_lr) + cfg.scale_lr * factor
        new_z = float(np.clip(self.z_sz * scale, self.min_z_sz, self.max_z_sz))
        scale = new_z / self.z_sz
        self.z_sz, self.x_sz = new_z, self.x_sz * scale
        self.target_sz = self.target_sz * scale
        self.object_sz = self.object_sz * scale
        if self.scale_filter is not None:
            self.scale_filter.fit(self._scale_samples(img), cfg.scale_filter_rate)
        if self.turn_filter is not None:
            self.turn_filter.fit(self._turn_samples(img), cfg.turn_filter_rate)
        self.frames += 1
        if (self.orientation is not None and cfg.rotation_refresh
                and self.frames % cfg.rotation_refresh == 0):
            self.orientation.refresh(self._bank_crop(img), cfg.exemplar_size,
                                     cfg.rotation_refresh_rate)
        if cfg.rotation_aware:
            # the rotated box's bounds: a turned target's axis-aligned extent grows with the turn
            box = polygon_to_xywh(self.polygon)
        else:
            box = cxcywh_to_xywh(np.concatenate([self.center, self.target_sz]))
        clock.lap("post")
        return box

    def _weigh_upright(self, img: np.ndarray, peak: float, turn: float, side: float,
                       scale_id: int) -> None:
        """One frame's evidence for the turn filter's angle against absolute 0: the Siamese
        peak ``peak`` of this frame's search crop (turned by ``turn``, one of the two) against
        that of a second crop at the other angle, same centre and side (``x_sz * side``), head
        output ``scale_id``; their relative difference enters ``upright_advantage``, the
        running mean (rate ``turn_filter_upright_rate``) that :meth:`update` compares with
        the margin ``turn_filter_upright``. The template is the first frame's, upright, so
        neither angle is favoured by what the tracker learnt online."""
        cfg, track = self.cfg, self.turn_track
        gain = 0.0  # the two hypotheses coincide: no evidence either way
        if track != 0.0:
            other = track if turn == 0.0 else 0.0
            crop = crop_square(img, self.center, self.x_sz * side, cfg.instance_size,
                               self.avg_color, other)
            self.clock.lap("crop")
            feat, _ = self.runtime.search_crops([crop])
            self.clock.lap("backbone")
            seen = float(self.runtime.head(self.kernel, feat)[scale_id, 0].float().max())
            self.clock.lap("head")
            at_track, at_zero = (seen, peak) if turn == 0.0 else (peak, seen)
            gain = (at_track - at_zero) / max(abs(at_track), 1e-12)
        r = cfg.turn_filter_upright_rate
        self.upright_advantage = (1.0 - r) * self.upright_advantage + r * gain

    def _filter_confident(self, peak: float) -> bool:
        """Whether this frame's fused peak (a distribution's maximum) clears the gate; every
        frame's peak enters the running mean the gate compares with."""
        gate = self.cfg.online_filter_gate
        n = self.frames
        mean = self.filter_peak
        self.filter_peak = peak if mean is None else (mean * n + peak) / (n + 1)
        return gate == 0 or mean is None or peak >= gate * mean

    def _filter_response(self, spec: np.ndarray) -> np.ndarray:
        """The online filter's response on one search crop's spectrum at the Siamese
        response's cells, upsampled like it: ``[up, up]``."""
        n = self.response_size
        b = (self.filter.shape[0] - n) // 2
        r = self.filter.respond(spec)[b:b + n, b:b + n]
        return self._upsample(r)

    def _cells(self, crop: np.ndarray) -> np.ndarray:
        """Hand-crafted features of one search crop on the fine grid: ``[12, 2 n, 2 n]``."""
        return cell_features(crop, self.hog_cells, self.runtime.stride // 2)

    def _hog_response(self, spec: np.ndarray) -> np.ndarray:
        """The hand-crafted filter's response pooled onto the backbone's cells, cropped to the
        Siamese response's and upsampled like it: ``[up, up]``."""
        n = self.response_size
        r = pool_to_cells(self.hog.respond(spec))
        b = (r.shape[0] - n) // 2
        return self._upsample(r[b:b + n, b:b + n])

    @property
    def rotated_box(self) -> np.ndarray:
        """``[cx, cy, w, h, angle]``: the target's centre, its size along its own axes (the
        first frame's box, rescaled) and its in-plane angle (degrees CCW, 0 unless
        ``tracking.estimate_rotation``; with the turn filter the answered ``angle``, shrunk by
        ``turn_filter_deadzone``, while ``turn_track`` holds the filter's own)."""
        return np.concatenate([self.center, self.object_sz, [self.angle]])

    @property
    def polygon(self) -> np.ndarray:
        """The rotated box as 8 values ``x1, y1, ..., x4, y4`` (VOT style)."""
        return rotated_to_polygon(self.rotated_box)

    def _prepare_window(self, response_size: int) -> None:
        if self.response_size == response_size:
            return
        self.response_size = response_size
        up = response_size * self.cfg.response_up
        hann = np.outer(np.hanning(up), np.hanning(up))
        self.window = hann / hann.sum()
        self._up = torch.from_numpy(bicubic_matrix(response_size, up))

    def _upsample(self, r: np.ndarray) -> np.ndarray:
        """``r [..., n, n]`` upsampled bicubically to ``[..., up, up]`` (float32)."""
        # in torch, not NumPy: NumPy's BLAS keeps a thread pool of its own, and right after
        # torch's threads (the angle estimate) the two spin against each other: on 2 threads
        # 11 ms a product instead of 0.3
        t = torch.from_numpy(np.ascontiguousarray(r, dtype=np.float32))
        return (self._up @ t @ self._up.T).numpy()
