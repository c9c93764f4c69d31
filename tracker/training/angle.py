"""Training of the learned angle head (:mod:`tracker.model.angle_head`) on a trained tracker.

The backbone and the tracking head stay exactly as trained (frozen, batch norm in eval mode):
only the angle head learns, so the tracker's boxes do not change. Each step draws a batch from
the model's own pair sampler (``config.train``: its data, its ``rotation`` range), whose
``angle`` is the turn of the target in the search crop relative to the template (the crop's
random turn plus any rotation the source knows), computes both crops' group features, cuts the
search window under the target's response cell and regresses the angle (:func:`angle_loss`).

Batches are pure functions of ``(train.seed, step)``, so a run resumed from its checkpoint
(weights, Adam state, step) continues as the uninterrupted run would.
"""
from __future__ import annotations

import logging
import math
from pathlib import Path

import torch

from tracker.checkpoint import load_checkpoint, save_checkpoint
from tracker.config import Config, apply_overrides, config_from_dict, config_to_dict
from tracker.errors import CheckpointError, TrainingError
from tracker.model.angle_head import angle_loss, target_window, vector_to_degrees
from tracker.model.build import build_angle_head
from tracker.model.siamese import SiameseNet

log = logging.getLogger(__name__)


def template_feature_size(net: SiameseNet, exemplar_size: int) -> int:
    """Side of the backbone's features of an ``exemplar_size`` template crop."""
    training = net.backbone.training
    net.backbone.eval()  # a probe must not move batch-norm statistics
    try:
        with torch.no_grad():
            side = net.backbone(torch.zeros(1, 3, exemplar_size, exemplar_size)).shape[-1]
    finally:
        net.backbone.train(training)
    return int(side)


def with_angle_head(net: SiameseNet, cfg: Config, channels: int = 64
                    ) -> tuple[SiameseNet, Config]:
    """``net`` with a fresh angle head (seeded by ``model.init_seed``) and the config that
    rebuilds it (``model.angle_head`` set; name suffixed ``-angle``). An existing head is
    replaced."""
    size = template_feature_size(net, cfg.tracking.exemplar_size)
    data = config_to_dict(cfg)
    data["model"]["angle_head"] = {"size": size, "channels": int(channels)}
    if not data["name"].endswith("-angle"):
        data["name"] = data["name"] + "-angle"
    new = config_from_dict(data)
    state = torch.random.get_rng_state()
    torch.manual_seed(cfg.model.init_seed)
    try:
        head = build_angle_head(net.backbone, new.model.angle_head)
    finally:
        torch.random.set_rng_state(state)
    return SiameseNet(net.backbone, net.head, head), new


@torch.no_grad()
def local_features(backbone, exemplar_size: int, instance_size: int, tol: float = 1e-4) -> bool:
    """Whether the features of a template-sized cut of a search crop, at a multiple of the
    stride, equal the window of the whole crop's features (true for fully convolutional
    networks that crop their padding, false where attention pools over the whole map); checked
    on a random crop, not assumed."""
    training = backbone.training
    backbone.eval()
    try:
        x = torch.rand(1, 3, instance_size, instance_size,
                       generator=torch.Generator().manual_seed(0)) * 255.0
        whole = backbone.group_features(x).flatten(1, 2)
        side = backbone.group_features(x[..., :exemplar_size, :exemplar_size]).shape[-1]
        k = backbone.stride
        r = (whole.shape[-1] - side) // 2
        cut = backbone.group_features(
            x[..., k * r:k * r + exemplar_size, k * r:k * r + exemplar_size]).flatten(1, 2)
        window = whole[..., r:r + side, r:r + side]
    finally:
        backbone.train(training)
    return cut.shape == window.shape and float(
        (cut - window).abs().max() / window.abs().max().clamp_min(1e-12)) < tol


def target_cells(target: torch.Tensor, stride: int, response: int) -> torch.Tensor:
    """Response cells ``[B, 2]`` (row, col; long) under the target centres of ``target``
    ``[B, 4]`` (``cx, cy`` in search-crop pixels from the crop centre, as the sampler gives
    them), clamped to the ``response x response`` map."""
    centre = (response - 1) / 2.0
    col = torch.round(centre + target[:, 0] / stride)
    row = torch.round(centre + target[:, 1] / stride)
    return torch.stack([row, col], dim=1).clamp(0, response - 1).long()


class AngleTrainer:
    """Trains ``net.angle_head`` (see the module docstring) for ``steps`` batches of
    ``batch_size`` pairs from ``sampler`` with Adam at ``lr`` (cosine decay to 1% at the last
    step); writes ``out`` (a full eqtrack checkpoint: the tracker with its head) every
    ``checkpoint_every`` steps and at the end. ``history`` holds one row per ``log_every``
    steps: step, loss, mean absolute angle error (degrees) over those steps."""

    def __init__(self, net: SiameseNet, cfg: Config, sampler, out: str | Path, steps: int,
                 batch_size: int = 32, lr: float = 1e-3, log_every: int = 50,
                 checkpoint_every: int = 200, extra: dict | None = None) -> None:
        if net.angle_head is None:
            raise TrainingError("the model has no angle head to train (see with_angle_head)")
        self.net, self.cfg, self.sampler = net, cfg, sampler
        self.out = Path(out)
        self.steps, self.batch_size, self.lr = int(steps), int(batch_size), float(lr)
        self.log_every, self.checkpoint_every = int(log_every), int(checkpoint_every)
        self.extra = dict(extra or {})
        net.backbone.requires_grad_(False).eval()
        net.head.requires_grad_(False).eval()
        net.angle_head.train()
        self.optimizer = torch.optim.Adam(net.angle_head.parameters(), lr=self.lr)
        self.local = local_features(net.backbone, cfg.tracking.exemplar_size,
                                    cfg.tracking.instance_size)
        self.step = 0
        self.history: list[dict] = []

    def learning_rate(self, step: int) -> float:
        t = min(1.0, step / max(1, self.steps - 1))
        return self.lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * t)))

    def resume(self, path: str | Path) -> None:
        """Continue from a checkpoint this trainer wrote (same model, head included)."""
        config, state, payload = load_checkpoint(path)
        if config.model != self.cfg.model or "angle_optimizer" not in payload:
            raise CheckpointError(f"--resume '{path}': not an angle-head run of this model")
        self.net.load_state_dict(state)
        self.optimizer.load_state_dict(payload["angle_optimizer"])
        self.step = int(payload["angle_step"])
        self.history = list(payload.get("angle_history", []))

    def losses(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss and per-pair absolute angle errors (degrees) of one sampler batch."""
        backbone = self.net.backbone
        ez, ex = batch["z"].shape[-1], batch["x"].shape[-1]
        s = self.net.angle_head.size
        with torch.no_grad():
            z = backbone.group_features(batch["z"]).flatten(1, 2)
            cells = target_cells(batch["target"], backbone.stride,
                                 (ex - ez) // backbone.stride + 1)
            if self.local:
                # the window's own receptive field, cut from the search crop: 4x fewer pixels
                k = backbone.stride
                x = torch.stack([batch["x"][i, :, k * r:k * r + ez, k * c:k * c + ez]
                                 for i, (r, c) in enumerate(cells.tolist())])
                window = backbone.group_features(x).flatten(1, 2)
            else:
                x = backbone.group_features(batch["x"]).flatten(1, 2)
                window = target_window(x, cells, s)
        v = self.net.angle_head(z, window)
        err = (vector_to_degrees(v.detach()) - batch["angle"] + 180.0) % 360.0 - 180.0
        return angle_loss(v, batch["angle"]), err.abs()

    def fit(self, until: int | None = None) -> None:
        """Train to step ``steps`` (or stop early at ``until``, as a killed run would)."""
        end = self.steps if until is None else min(self.steps, int(until))
        window_loss, window_err, n = 0.0, 0.0, 0
        while self.step < end:
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate(self.step)
            loss, err = self.losses(self.sampler.batch(self.step, self.batch_size))
            if not torch.isfinite(loss):
                raise TrainingError(f"angle head, step {self.step}: non-finite loss; stopped "
                                    f"unsaved, '{self.out}' keeps the last checkpoint")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            window_loss += float(loss.detach())
            window_err += float(err.mean())
            n += 1
            if self.step % self.log_every == 0 or self.step == self.steps:
                row = {"step": self.step, "loss": window_loss / n, "error_deg": window_err / n}
                self.history.append(row)
                log.info("angle head step %d: loss %.4f, mean error %.1f deg", self.step,
                         row["loss"], row["error_deg"])
                window_loss, window_err, n = 0.0, 0.0, 0
            if self.step % self.checkpoint_every == 0 or self.step == self.steps:
                self.save()

    def save(self) -> None:
        save_checkpoint(self.out, self.net, self.cfg, angle_step=self.step,
                        angle_optimizer=self.optimizer.state_dict(),
                        angle_history=self.history, **self.extra)

    @torch.no_grad()
    def evaluate(self, sampler, pairs: int = 256) -> float:
        """Mean absolute angle error (degrees) on ``pairs`` pairs of another ``sampler`` (e.g.
        one over the validation folder)."""
        self.net.angle_head.eval()
        errors = []
        try:
            for step in range(0, pairs, self.batch_size):
                batch = sampler.batch(step, min(self.batch_size, pairs - step))
                errors.append(self.losses(batch)[1])
        finally:
            self.net.angle_head.train()
        return float(torch.cat(errors).mean())


def head_training_config(cfg: Config, overrides) -> Config:
    """``cfg`` with ``train.*`` overrides (the sampler's data and augmentation for the head);
    anything else is refused, since the weights fix the model and tracking is set apart."""
    for o in overrides:
        if not o.partition("=")[0].strip().startswith("train."):
            raise TrainingError(f"--set {o}: only train.* (the pairs the head learns from) "
                                f"can change here")
    return config_from_dict(apply_overrides(config_to_dict(cfg), overrides))
