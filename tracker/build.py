"""Build networks and trackers from configs or checkpoints."""
from __future__ import annotations

from pathlib import Path

import torch

from backbones import UnknownBackboneError, build_backbone

from .checkpoint import load_checkpoint
from .config import Config, apply_overrides, config_from_dict, config_to_dict, load_config
from .errors import CheckpointError, ConfigError
from .heads import build_head
from .inference import SiamFCTracker
from .rpn_tracker import SiamRPNTracker
from .shipped import default_checkpoint, resolve_checkpoint, shipped_models
from .siamese import SiameseNet

# Configs ship beside the packages in the repository (tools and tests run from a checkout).
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "siamfc_resnet22.yaml"


def build_model(config: Config) -> SiameseNet:
    """Randomly initialized (seeded by ``config.model.init_seed``) network for ``config``."""
    m = config.model
    rng_state = torch.random.get_rng_state()
    torch.manual_seed(m.init_seed)
    try:
        try:
            backbone = build_backbone(m.backbone, **m.backbone_args)
        except UnknownBackboneError as e:
            raise ConfigError(f"model.backbone: {e}") from None
        except (TypeError, ValueError) as e:
            raise ConfigError(f"model.backbone_args: {e}") from None
        head = build_head(m.head, backbone.out_channels, **m.head_args)
    finally:
        torch.random.set_rng_state(rng_state)
    return SiameseNet(backbone, head)


def load_model(checkpoint: str | Path) -> tuple[SiameseNet, Config]:
    """Rebuild the network stored in ``checkpoint`` from its own config and load its weights."""
    config, state, _ = load_checkpoint(checkpoint)
    try:
        model = build_model(config)
    except ConfigError as e:
        raise CheckpointError(f"checkpoint '{checkpoint}': {e}") from None
    missing, unexpected, mismatched = _compare(model.state_dict(), state)
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} (e.g. {unexpected[0]})")
        if mismatched:
            parts.append(f"shape mismatch {len(mismatched)} (e.g. {mismatched[0]})")
        raise CheckpointError(f"checkpoint '{checkpoint}': weights do not match its config "
                              f"(model.backbone={config.model.backbone}): {'; '.join(parts)}")
    model.load_state_dict(state)
    return model, config


def _compare(expected: dict, given: dict) -> tuple[list, list, list]:
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    mismatched = [f"{k}: {tuple(given[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
                  if k in given and tuple(given[k].shape) != tuple(v.shape)]
    return missing, unexpected, mismatched


def build_model_from(config: str | Path | Config | None = None,
                     checkpoint: str | Path | None = None,
                     overrides=()) -> tuple[SiameseNet, Config]:
    """Network and config from a config (file or object) or a checkpoint; the default config
    when neither is given. ``overrides`` (``a.b=value`` strings) apply on top; for a checkpoint
    only the ``tracking`` section may change, since the weights fix the model."""
    if checkpoint is not None and config is not None:
        raise ConfigError("give either a config or a checkpoint, not both")
    if checkpoint is None and config is None and default_checkpoint() is not None \
            and not any(str(o).startswith("model.") for o in overrides):
        # no model named: the best shipped one (a model override asks for a fresh network)
        checkpoint = default_checkpoint()
    if checkpoint is not None:
        resolved = resolve_checkpoint(checkpoint)
        if resolved is None:
            known = ", ".join(["default", *shipped_models()])
            raise CheckpointError(f"checkpoint '{checkpoint}' is neither a .pt file nor a "
                                  f"shipped model ({known})")
        model, cfg = load_model(resolved)
    else:
        cfg = config if isinstance(config, Config) else load_config(config or DEFAULT_CONFIG)
        model = None
    if overrides:
        new = config_from_dict(apply_overrides(config_to_dict(cfg), overrides))
        if model is not None and new.model != cfg.model:
            raise ConfigError("a checkpoint's model section cannot be overridden")
        cfg = new
    return (model if model is not None else build_model(cfg)), cfg


def build_tracker(config: str | Path | Config | None = None, checkpoint: str | Path | None = None,
                  overrides=(), name: str | None = None, backend: str | None = None):
    """A ready tracker from a config or a checkpoint (see :func:`build_model_from`), named
    ``name``, the checkpoint's file name or the config's ``name``, running its network in
    ``backend`` (default: the config's ``tracking.backend``; see :mod:`tracker.runtime`)."""
    model, cfg = build_model_from(config, checkpoint, overrides)
    label = name or (cfg.name if checkpoint is None or str(checkpoint) == "default"
                     else Path(str(checkpoint)).stem)
    kinds = {"siamfc": "xcorr", "siamrpn": "rpn"}
    kind = cfg.tracking.tracker
    if kind not in kinds:
        raise ConfigError(f"tracking.tracker '{kind}' is unknown; known: {', '.join(kinds)}")
    if cfg.model.head != kinds[kind]:
        raise ConfigError(f"tracking.tracker '{kind}' needs model.head '{kinds[kind]}', "
                          f"not '{cfg.model.head}'")
    if cfg.tracking.exact_equivariance:
        try:
            model.backbone.check_exact_size(cfg.tracking.exemplar_size, "tracking.exemplar_size")
            model.backbone.check_exact_size(cfg.tracking.instance_size, "tracking.instance_size")
        except ValueError as e:
            raise ConfigError(f"tracking.exact_equivariance is set but {e}") from None
    if kind == "siamrpn":
        try:
            return SiamRPNTracker(model, cfg.tracking, name=label, backend=backend)
        except ValueError as e:
            raise ConfigError(f"{label}: {e}") from None
    return SiamFCTracker(model, cfg.tracking, name=label, backend=backend)


def tracker_from_spec(spec: str, overrides=(), backend: str | None = None):
    """A got10k tracker from what a user types: a baseline name (``opencv-csrt``, ...), a
    shipped model's name (``default`` = the best), a checkpoint ``.pt`` or a config YAML.
    ``overrides`` and ``backend`` apply to our trackers only."""
    from .baselines import BASELINES, build_baseline
    from .errors import InputError

    if spec in BASELINES:
        return build_baseline(spec)
    ckpt = resolve_checkpoint(spec)
    if ckpt is not None and ckpt.is_file():
        return build_tracker(checkpoint=ckpt, overrides=overrides, backend=backend)
    if ckpt is None and Path(spec).is_file():
        return build_tracker(config=spec, overrides=overrides, backend=backend)
    shipped = ", ".join(["default", *shipped_models()]) or "none"
    raise InputError(f"unknown tracker '{spec}': not a baseline ({', '.join(BASELINES)}), a "
                     f"shipped model ({shipped}), or a config/checkpoint file")
