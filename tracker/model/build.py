"""Networks from configs or checkpoints: the head registry, ``build_model``, ``load_model``."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from backbones import UnknownBackboneError, build_backbone
from backbones.registry import Registry
from tracker.checkpoint import load_checkpoint
from tracker.config import Config, apply_overrides, config_from_dict, config_to_dict, load_config
from tracker.errors import CheckpointError, ConfigError
from tracker.model.angle_head import AngleHead
from tracker.model.rpn import DepthwiseRPNHead
from tracker.model.siamese import SiameseNet
from tracker.model.xcorr import XCorrHead
from tracker.shipped import default_checkpoint, resolve_checkpoint, shipped_models

# Configs ship beside the packages in the repository (tools and tests run from a checkout).
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
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
        angle = build_angle_head(backbone, m.angle_head) if m.angle_head else None
    finally:
        torch.random.set_rng_state(rng_state)
    return SiameseNet(backbone, head, angle)


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


# "xcorr": SiamFC's score map; "rpn": SiamRPN++'s depth-wise classification + box regression
HEADS = Registry("head", {"xcorr": XCorrHead, "rpn": DepthwiseRPNHead}, error=ConfigError)


def build_angle_head(backbone, args: dict) -> AngleHead:
    """The learned angle head ``model.angle_head`` (``{size, channels}``) describes, on
    ``backbone``'s group features (channels ``out_channels * group_order``)."""
    if "size" not in args:
        raise ConfigError("model.angle_head needs size (the template features' side)")
    try:
        return AngleHead(backbone.out_channels * backbone.group_order, **args)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"model.angle_head: {e}") from None


def build_head(name: str, in_channels: int, **kwargs) -> nn.Module:
    """Build head ``name`` for backbones with ``in_channels`` output channels; an unknown name
    or a bad argument is a :class:`ConfigError` naming it."""
    try:
        return HEADS.build(name, in_channels, **kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"head '{name}': {e}") from None
