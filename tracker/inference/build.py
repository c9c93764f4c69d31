"""Ready trackers from configs or checkpoints: the head decides the tracker, once."""
from __future__ import annotations

from pathlib import Path

from backbones.registry import Registry
from tracker.config import Config, TrackingConfig
from tracker.errors import ConfigError
from tracker.inference.base import SiameseTracker
from tracker.inference.siamfc import SiamFCTracker
from tracker.inference.siamrpn import SiamRPNTracker
from tracker.model.build import build_model_from
from tracker.model.siamese import SiameseNet

# ``tracking.tracker`` names; each head class says which one reads its output (``head.tracker``)
TRACKERS = Registry("tracker", {"siamfc": SiamFCTracker, "siamrpn": SiamRPNTracker},
                    error=ConfigError, plural="trackers (tracking.tracker)")


def tracker_for(model: SiameseNet, cfg: TrackingConfig, name: str = "eqtrack",
                backend: str | None = None) -> SiameseTracker:
    """The tracker that reads ``model``'s head (``model.head.tracker``), configured by ``cfg``:
    a :class:`ConfigError` when ``cfg.tracker`` names another one, or when
    ``cfg.exact_equivariance`` is set and the crop sizes break it."""
    kind = getattr(model.head, "tracker", None)
    TRACKERS.get(cfg.tracker, "tracking.tracker")
    if kind != cfg.tracker:
        raise ConfigError(f"tracking.tracker '{cfg.tracker}' cannot read a "
                          f"{type(model.head).__name__} head (its tracker: {kind})")
    if cfg.exact_equivariance:
        try:
            model.backbone.check_exact_size(cfg.exemplar_size, "tracking.exemplar_size")
            model.backbone.check_exact_size(cfg.instance_size, "tracking.instance_size")
        except ValueError as e:
            raise ConfigError(f"tracking.exact_equivariance is set but {e}") from None
    try:
        return TRACKERS.get(kind)(model, cfg, name=name, backend=backend)
    except ValueError as e:
        raise ConfigError(f"{name}: {e}") from None


def build_tracker(config: str | Path | Config | None = None, checkpoint: str | Path | None = None,
                  overrides=(), name: str | None = None, backend: str | None = None
                  ) -> SiameseTracker:
    """A ready tracker from a config or a checkpoint (see
    :func:`tracker.model.build.build_model_from`), named ``name``, the checkpoint's file name or
    the config's ``name``, running its network in ``backend`` (default: the config's
    ``tracking.backend``; see :mod:`tracker.inference.runtime`)."""
    model, cfg = build_model_from(config, checkpoint, overrides)
    label = name or (cfg.name if checkpoint is None or str(checkpoint) == "default"
                     else Path(str(checkpoint)).stem)
    return tracker_for(model, cfg.tracking, label, backend)
