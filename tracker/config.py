"""Configuration: YAML files -> frozen dataclasses, strict about keys and types.

A config has a ``model`` section (what network to build) and a ``tracking`` section (inference
hyper-parameters). ``--set a.b=value`` overrides are applied before validation, values parsed as
YAML scalars. Unknown keys are errors that name the key, so a typo never silently falls back to a
default.
"""
from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from tracker.errors import ConfigError

# the inference runtimes a tracker can run its network in (tracker.inference.runtime)
BACKENDS = {
    "torch": "eager PyTorch (training, tests, the reference the others are checked against)",
    "onnx": "ONNX Runtime, fp32 (graphs exported from the live weights, cached)",
    "onnx-int8": "ONNX Runtime, backbone quantized to int8 (static, calibrated on generated "
                 "crops), head fp32",
}

# how SiamFC tests the scale hypotheses (TrackingConfig.scale_search)
SCALE_SEARCHES = ("pyramid", "templates", "filter")
# how a rotation-aware SiamFC estimates the angle (TrackingConfig.rotation_search)
ROTATION_SEARCHES = ("bank", "turn_filter")


@dataclass(frozen=True)
class ModelConfig:
    """Network: backbone and head by registry name with their constructor arguments."""

    backbone: str = "resnet22"
    backbone_args: dict = field(default_factory=dict)
    head: str = "xcorr"
    head_args: dict = field(default_factory=dict)
    init_seed: int = 0  # seeds the random initialization, so untrained models are reproducible
    # a learned angle head (tracker.model.angle_head) beside the head: {size: S, channels: N}
    # ({} = none); `eqtrack train-angle` adds one to a trained model
    angle_head: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrackingConfig:
    """SiamFC inference hyper-parameters (names and defaults follow SiamFC)."""

    tracker: str = "siamfc"
    # inference runtime (BACKENDS above): onnx = ONNX Runtime fp32, onnx-int8, torch
    backend: str = "onnx"
    exemplar_size: int = 127      # template crop side fed to the backbone (pixels)
    instance_size: int = 255      # search crop side (pixels)
    context: float = 0.5          # template context: side = sqrt((w+p)(h+p)), p = context*(w+h)
    scale_num: int = 3
    scale_step: float = 1.0375
    # "pyramid": scale_num search crops (sides scale_step ** k times the current one) against
    # one template, SiamFC's way; "templates": one search crop against scale_num templates cut
    # from the first frame at sides scale_step ** -k (the same hypotheses, a target k steps
    # bigger or smaller, tested with 1/scale_num of the backbone's per-frame work); "filter":
    # one search crop, the size from DSST's scale filter (tracker.inference.sample_filters) on
    # scale_filter_num samples of the target scale_filter_step apart, learnt online at
    # scale_filter_rate (scale_num, scale_step and scale_penalty then unused)
    scale_search: str = "pyramid"
    scale_filter_num: int = 17
    scale_filter_step: float = 1.03
    scale_filter_cells: int = 8      # each sample: cells x cells cells of 4 pixels
    scale_filter_rate: float = 0.025
    scale_filter_sigma: float = 0.25  # the label's width in samples over sqrt(scale_filter_num)
    scale_filter_lambda: float = 0.01
    # samples shaped like the target (about scale_filter_cells ** 2 cells, DSST's way) instead
    # of squashed into a square, and cut with area averaging instead of bilinear sampling
    scale_filter_aspect: bool = False
    scale_filter_antialias: bool = False
    scale_penalty: float = 0.9745  # multiplies the peak of every scale but the current one
    scale_lr: float = 0.59         # damping of the scale update
    window_influence: float = 0.176  # weight of the cosine window on the response
    response_up: int = 16          # response upsampling factor
    min_size: float = 4.0          # the target never shrinks below this many pixels
    # SiamRPN only: penalty on size/aspect changes (pysot's 0.04) and box smoothing rate
    penalty_k: float = 0.04
    box_lr: float = 0.33
    # refuse crop sizes at which a group backbone cannot be exactly equivariant (5 mod 8 for
    # the ResNet-22 family: 125 / 253)
    exact_equivariance: bool = False
    # in-plane orientation from group-resolved features (tracker.inference.orientation)
    estimate_rotation: bool = False
    rotation_step: float = 15.0        # degrees between template-bank angles (divides 90)
    rotation_max_change: float = 30.0  # degrees the estimate may change per frame
    rotation_min_gain: float = 0.0     # relative score gain needed to change the angle (gate)
    # constant-angular-velocity motion model: the turn per frame is smoothed with this rate and
    # predicts the next angle, around which the search and the gate work (0 = off)
    rotation_velocity: float = 0.0
    # > 0: the estimate returns to 0 while its relative score gain over the upright angle,
    # averaged with rate rotation_upright_rate (1 = this frame only), is below this margin
    # (tracker.inference.orientation; not with rotation_filter or rotation_head)
    rotation_upright: float = 0.0
    rotation_upright_rate: float = 1.0
    # > 0: each bank angle scores its best correlation within this many response cells of the
    # tracked cell (a square), not the cell alone
    rotation_reach: int = 0
    # > 0: a Bayesian histogram filter over the angle (1-degree bins) replaces the window, the
    # gate and the motion model: each frame the belief diffuses by a wrapped Gaussian of
    # rotation_noise degrees and is multiplied by exp(rotation_filter * relative score), so a
    # single bad frame cannot turn the estimate and consistent evidence can bring it back
    rotation_filter: float = 0.0
    rotation_noise: float = 5.0        # degrees, >= 0.5
    # > 0 (>= 0.5): the filter also infers the turn per frame, within +-rotation_max_turn degrees
    rotation_max_turn: float = 0.0
    # whenever the angle is estimated, the learned angle head (model.angle_head) predicts each
    # frame's residual turn instead of the bank's best angle; rotation_head_gain of it is
    # applied (1 = all), at most rotation_max_change degrees
    rotation_head: bool = False
    rotation_head_gain: float = 1.0
    # "bank": the angle from the template bank on the backbone's features
    # (tracker.inference.orientation, with every rotation_* value above); "turn_filter" (SiamFC
    # only): from a one-dimensional correlation filter over turn_filter_num samples of the
    # target turn_filter_step degrees apart, learnt online (tracker.inference.sample_filters,
    # the scale filter's twin; the bank and its values are then unused), its estimate damped
    # by turn_filter_lr; turn_filter_velocity > 0: the turn per frame is smoothed at that rate
    # and the samples are cut about the angle it predicts (a constant-angular-velocity model)
    rotation_search: str = "bank"
    turn_filter_num: int = 21
    turn_filter_step: float = 3.0
    turn_filter_cells: int = 8
    turn_filter_rate: float = 0.025
    turn_filter_sigma: float = 0.25
    turn_filter_lambda: float = 0.01
    turn_filter_lr: float = 1.0
    turn_filter_velocity: float = 0.0
    turn_filter_passes: int = 1      # estimates a frame, each about the last one's angle
    # weight in [0, 1) of the first frame's turn filter, kept fixed, in its response (a pull
    # back towards the first frame's look, against the online filter's drift)
    turn_filter_anchor: float = 0.0
    # true: the samples go all the way round (turn_filter_num x turn_filter_step = 360, num may
    # be even, up to 180), a periodic set whose estimates are not pulled towards no turn
    turn_filter_circle: bool = False
    # the largest turn a frame the turn filter answers, degrees (0: as far as its samples reach)
    turn_filter_reach: float = 0.0
    # the turn filter's squares' side as a factor of sqrt(w h): above 1 they hold the scene
    # around the target too (which turns with it under a rolling camera, not when it turns alone)
    turn_filter_context: float = 1.0
    # the turn filter's samples cut with area averaging (crop_rects' antialias), as the
    # scale filter's with scale_filter_antialias
    turn_filter_antialias: bool = False
    # with turn_filter_antialias: the region all turn samples cover is area-averaged once to
    # at most twice their resolution before they are cut, so the per-sample averaging warps
    # 2x, not the full shrink (the same averaging at a fraction of the cost for large targets)
    turn_filter_antialias_once: bool = False
    # > 0: an upright hypothesis beside the turn filter's angle, judged by the network's own
    # first-frame template: each frame the search region is also cut at the other of the two
    # angles (the filter's, absolute 0) and the Siamese peaks compared,
    # (peak(angle) - peak(0)) / |peak(angle)|, averaged at turn_filter_upright_rate (1 = this
    # frame only); while the average is below this margin the tracker answers and searches
    # at 0 while the filter keeps following its own angle (costs a second search crop)
    turn_filter_upright: float = 0.0
    turn_filter_upright_rate: float = 1.0
    # > 0, degrees (turn filter only): the angle the tracker searches at and answers is the
    # filter's angle a shrunk towards the first frame's pose, a * (1 - exp(-(a / d)^2)): a
    # noisy estimate on an upright target turns neither the search crop nor the answered bounds
    # (which only grow with a turn), while turns past about 2 d pass unchanged; the filter
    # follows its own angle. At most 45: a wider zone would answer real turns short of a
    # right angle far too small
    turn_filter_deadzone: float = 0.0
    # every N frames (0 = never) blend the angle's template bank towards the current target
    rotation_refresh: int = 0
    rotation_refresh_rate: float = 0.3
    # crop the search region turned by the current angle estimate, so the target looks as it did
    # in the template (helps any backbone; needs estimate_rotation)
    derotate_search: bool = False
    # the one switch for rotation-aware tracking: estimate_rotation and derotate_search on, and
    # the answer (update's [x, y, w, h]) is the axis-aligned bounds of the rotated box
    rotation_aware: bool = False
    # SiamFC only: weight (0 = off) of an online correlation filter on the search features
    # (tracker.inference.online_filter) fused with the Siamese response; it learns the
    # background the fixed template never sees. rate: its running-average update per frame;
    # lambda: ridge term relative to the features' energy; sigma: its label's width in cells
    online_filter: float = 0.0
    online_filter_rate: float = 0.02
    online_filter_lambda: float = 0.1
    online_filter_sigma: float = 1.0
    # > 0: the filter learns only from frames whose fused response peaks at least this fraction
    # of its running mean, so an occluded or lost target does not teach it the occluder
    online_filter_gate: float = 0.0
    # weight (0 = off) of a second online filter, on hand-crafted cells of half the backbone's
    # stride (gradient-orientation histograms and colour, tracker.inference.handcrafted), fused
    # after the first; it shares online_filter_rate, _lambda, _sigma and _gate
    online_hog: float = 0.0


def _default_data() -> list:
    return [{"type": "synthetic", "weight": 1.0}]


@dataclass(frozen=True)
class TrainConfig:
    """Training (``tools/train.py``): data mix, optimization, augmentation, bookkeeping."""

    # data sources mixed by weight: {type: folder|got10k|objects|synthetic, root: PATH, weight}
    data: list = field(default_factory=_default_data)
    steps: int = 2000
    batch_size: int = 8
    lr: float = 0.01               # peak learning rate (SGD, momentum)
    lr_end: float = 0.0001         # reached at the last step by exponential decay (as SiamFC)
    warmup_steps: int = 100        # linear warm-up from lr/10
    momentum: float = 0.9
    weight_decay: float = 0.0005
    grad_clip: float = 10.0        # max gradient norm (0 = off)
    seed: int = 0
    max_gap: int = 100             # frames between template and search in a video pair
    max_shift: float = 32.0        # search-crop pixels the target may sit off-centre
    scale_jitter: float = 0.05     # search scale factor in [1 - j, 1 + j]
    rotation: float = 0.0          # max extra in-plane rotation of search crops (degrees)
    grayscale: float = 0.1         # probability
    color_jitter: float = 0.2      # brightness / contrast / saturation range
    blur: float = 0.1              # motion-blur probability
    label_radius: float = 16.0     # SiamFC positives within this many search pixels
    workers: int = 2               # data-loading processes (0 = in the training process)
    checkpoint_every: int = 200
    log_every: int = 10
    val_root: str = ""             # OTB-layout folder for validation AUC ("" = none)
    # its rotated copy (tools/make_rotated.py), scored beside it; best.pt then keeps the best
    # mean of the two, so the selected model tracks upright and turning targets alike
    val_rot_root: str = ""
    val_every: int = 0             # steps between validations (0 = never)
    tensorboard: bool = False      # also log to OUT/tensorboard (needs the tensorboard package)
    # backbone weights to start from: a checkpoint path or a shipped model's name ("" = the
    # seeded random initialization); its backbone and backbone_args must match model's
    init: str = ""
    # train the head only: backbone weights and batch-norm statistics stay as loaded (pysot's
    # first epochs); the backbone's regularizer is then skipped
    freeze_backbone: bool = False
    # speed options (tools/benchmark.py --training measures what each buys on a machine)
    channels_last: bool = False    # NHWC activations and weights
    compile: bool = False          # torch.compile(dynamic=False) of the forward pass
    amp: str = "fp32"              # fp32, or bf16 (autocast of the forward; losses in fp32)


@dataclass(frozen=True)
class Config:
    """A whole eqtrack configuration."""

    name: str = "eqtrack"
    model: ModelConfig = field(default_factory=ModelConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# YAML 1.1 reads "1e-3" (no dot) as a string; people write it, so a number field takes it
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _check_value(path: str, value: Any, typ: Any) -> Any:
    if typ is float:
        if isinstance(value, str) and _EXPONENT_FLOAT.fullmatch(value.strip()):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{path} must be a finite number, got {value!r}")
        return float(value)
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path} must be an integer, got {value!r}")
        return value
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path} must be a string, got {value!r}")
        return value
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path} must be true or false, got {value!r}")
        return value
    if typ is list:
        if not isinstance(value, list):
            raise ConfigError(f"{path} must be a list, got {value!r}")
        return list(value)
    if typ is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{path} must be a mapping, got {value!r}")
        return dict(value)
    raise AssertionError(f"unsupported config type {typ}")  # a bug in the schema, not input


def _build(cls: type, data: Any, prefix: str):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            where = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(f"unknown config key '{where}' (known in "
                              f"{prefix or 'top level'}: {', '.join(sorted(names))})")
    kwargs = {}
    for name in names:
        if name not in data:
            continue
        path = f"{prefix}.{name}" if prefix else name
        typ = hints[name]
        if dataclasses.is_dataclass(typ):
            kwargs[name] = _build(typ, data[name], path)
        else:
            kwargs[name] = _check_value(path, data[name], typ)
    return cls(**kwargs)


def _sample_filter_checks(t: TrackingConfig, name: str,
                          circle: bool = False) -> list[tuple[bool, str]]:
    """The checks both sample filters (``scale_filter``, ``turn_filter``) share; ``circle``: the
    samples close a circle (any count in 3..180)."""
    num, cells, rate, sigma, lam = (getattr(t, f"{name}_{k}") for k in
                                    ("num", "cells", "rate", "sigma", "lambda"))
    num_ok = (3 <= num <= 180) if circle else (3 <= num <= 65 and num % 2 == 1)
    span = "in 3..180 with the circle" if circle else "odd in 3..65"
    return [
        (num_ok, f"tracking.{name}_num must be {span}, got {num}"),
        (2 <= cells <= 32, f"tracking.{name}_cells must lie in 2..32, got {cells}"),
        (0.0 < rate <= 1.0, f"tracking.{name}_rate must lie in (0, 1]"),
        (sigma > 0, f"tracking.{name}_sigma must be positive"),
        (lam > 0, f"tracking.{name}_lambda must be positive"),
    ]


def _validate(cfg: Config) -> Config:
    t = cfg.tracking
    checks = [
        (t.exemplar_size > 0 and t.instance_size > t.exemplar_size,
         "tracking.instance_size must exceed tracking.exemplar_size > 0"),
        # upper bounds far above any tracker's need, below what exhausts a machine's memory
        (t.instance_size <= 1024, f"tracking.instance_size must be <= 1024, got {t.instance_size}"),
        (t.scale_num >= 1 and t.scale_num % 2 == 1, "tracking.scale_num must be odd and >= 1"),
        (t.scale_num <= 15, f"tracking.scale_num must be <= 15, got {t.scale_num}"),
        (t.scale_step >= 1.0, "tracking.scale_step must be >= 1"),
        (0.0 <= t.scale_lr <= 1.0, "tracking.scale_lr must lie in [0, 1]"),
        (0.0 < t.scale_penalty <= 1.0, "tracking.scale_penalty must lie in (0, 1]"),
        (0.0 <= t.window_influence <= 1.0, "tracking.window_influence must lie in [0, 1]"),
        (1 <= t.response_up <= 64, f"tracking.response_up must lie in 1..64, got {t.response_up}"),
        (t.min_size > 0, "tracking.min_size must be positive"),
        (t.context >= 0, "tracking.context must be >= 0"),
        (t.penalty_k >= 0, "tracking.penalty_k must be >= 0"),
        (0.0 <= t.box_lr <= 1.0, "tracking.box_lr must lie in [0, 1]"),
        (t.rotation_max_change > 0, "tracking.rotation_max_change must be positive"),
        (t.rotation_min_gain >= 0, "tracking.rotation_min_gain must be >= 0"),
        (0.0 <= t.rotation_velocity <= 1.0, "tracking.rotation_velocity must lie in [0, 1]"),
        (t.rotation_refresh >= 0, "tracking.rotation_refresh must be >= 0"),
        (0.0 <= t.rotation_upright < 1.0, "tracking.rotation_upright must lie in [0, 1)"),
        (t.rotation_reach >= 0, "tracking.rotation_reach must be >= 0 (response cells)"),
        (0.0 < t.rotation_upright_rate <= 1.0,
         "tracking.rotation_upright_rate must lie in (0, 1]"),
        (0.0 <= t.rotation_refresh_rate <= 1.0,
         "tracking.rotation_refresh_rate must lie in [0, 1]"),
        (t.rotation_filter >= 0, "tracking.rotation_filter must be >= 0"),
        # below half a degree the wrapped Gaussian of a half-degree turn underflows between bins
        (t.rotation_noise >= 0.5, "tracking.rotation_noise must be >= 0.5 (degrees)"),
        (t.rotation_max_turn == 0 or t.rotation_max_turn >= 0.5,
         "tracking.rotation_max_turn must be 0 (off) or >= 0.5 (degrees a frame; bins of 0.5)"),
        (t.rotation_filter == 0 or (t.rotation_min_gain == 0 and t.rotation_velocity == 0
                                    and t.rotation_upright == 0),
         "tracking.rotation_filter replaces the gate and the motion model: set "
         "tracking.rotation_min_gain, tracking.rotation_velocity and tracking.rotation_upright "
         "to 0"),
        (0.0 < t.rotation_head_gain <= 1.0, "tracking.rotation_head_gain must lie in (0, 1]"),
        (not t.rotation_head or (t.rotation_filter == 0 and t.rotation_min_gain == 0
                                 and t.rotation_velocity == 0 and t.rotation_upright == 0),
         "tracking.rotation_head replaces the bank's angle choice: set tracking.rotation_filter, "
         "tracking.rotation_min_gain, tracking.rotation_velocity and tracking.rotation_upright "
         "to 0"),
        (not cfg.model.angle_head or set(cfg.model.angle_head) <= {"size", "channels"},
         f"model.angle_head: unknown keys {sorted(set(cfg.model.angle_head) - {'size', 'channels'})}"
         " (known: channels, size)"),
        (0.0 <= t.online_filter <= 1.0, "tracking.online_filter must lie in [0, 1]"),
        (0.0 <= t.online_hog <= 1.0, "tracking.online_hog must lie in [0, 1]"),
        (0.0 < t.online_filter_rate <= 1.0, "tracking.online_filter_rate must lie in (0, 1]"),
        (t.online_filter_lambda > 0, "tracking.online_filter_lambda must be positive"),
        (t.online_filter_sigma > 0, "tracking.online_filter_sigma must be positive (cells)"),
        (0.0 <= t.online_filter_gate < 1.0, "tracking.online_filter_gate must lie in [0, 1)"),
        (t.backend in BACKENDS,
         f"tracking.backend: unknown backend {t.backend!r}; known: {', '.join(BACKENDS)}"),
        *_sample_filter_checks(t, "scale_filter"),
        (1.0 < t.scale_filter_step <= 1.5,
         f"tracking.scale_filter_step must lie in (1, 1.5], got {t.scale_filter_step}"),
        *_sample_filter_checks(t, "turn_filter", t.turn_filter_circle),
        (0.0 < t.turn_filter_step <= 30.0,
         f"tracking.turn_filter_step must lie in (0, 30] degrees, got {t.turn_filter_step}"),
        (not t.turn_filter_circle or abs(t.turn_filter_num * t.turn_filter_step - 360.0) < 1e-6,
         f"tracking.turn_filter_circle needs turn_filter_num x turn_filter_step = 360 degrees, "
         f"got {t.turn_filter_num} x {t.turn_filter_step}"),
        (0.5 <= t.turn_filter_context <= 4.0,
         f"tracking.turn_filter_context must lie in [0.5, 4], got {t.turn_filter_context}"),
        (0.0 <= t.turn_filter_reach <= 180.0,
         f"tracking.turn_filter_reach must lie in [0, 180] degrees, got {t.turn_filter_reach}"),
        (0.0 < t.turn_filter_lr <= 1.0, "tracking.turn_filter_lr must lie in (0, 1]"),
        (0.0 <= t.turn_filter_anchor < 1.0, "tracking.turn_filter_anchor must lie in [0, 1)"),
        (0.0 <= t.turn_filter_upright < 1.0,
         f"tracking.turn_filter_upright must lie in [0, 1), got {t.turn_filter_upright}"),
        (0.0 <= t.turn_filter_deadzone <= 45.0,
         "tracking.turn_filter_deadzone must lie in [0, 45] degrees, got "
         f"{t.turn_filter_deadzone}"),
        (t.turn_filter_antialias or not t.turn_filter_antialias_once,
         "tracking.turn_filter_antialias_once needs tracking.turn_filter_antialias"),
        # two cures of the same noise: the hypothesis would weigh a turn the zone never answers
        (t.turn_filter_upright == 0.0 or t.turn_filter_deadzone == 0.0,
         "tracking.turn_filter_upright and tracking.turn_filter_deadzone exclude each other: "
         "set one of them to 0"),
        (0.0 < t.turn_filter_upright_rate <= 1.0,
         "tracking.turn_filter_upright_rate must lie in (0, 1], got "
         f"{t.turn_filter_upright_rate}"),
        (1 <= t.turn_filter_passes <= 5,
         f"tracking.turn_filter_passes must lie in 1..5, got {t.turn_filter_passes}"),
        (0.0 <= t.turn_filter_velocity <= 1.0,
         "tracking.turn_filter_velocity must lie in [0, 1]"),
        (t.rotation_search in ROTATION_SEARCHES,
         f"tracking.rotation_search must be one of {', '.join(ROTATION_SEARCHES)}, got "
         f"{t.rotation_search!r}"),
        (t.rotation_search == "bank" or not t.rotation_head,
         "tracking.rotation_head needs tracking.rotation_search=bank"),
        (t.scale_search in SCALE_SEARCHES,
         f"tracking.scale_search must be one of {', '.join(SCALE_SEARCHES)}, got "
         f"{t.scale_search!r}"),
    ]
    r = cfg.train
    checks += [
        (r.steps >= 1 and r.batch_size >= 1, "train.steps and train.batch_size must be >= 1"),
        (r.lr > 0 and 0 < r.lr_end <= r.lr, "train.lr_end must lie in (0, train.lr]"),
        (r.warmup_steps >= 0 and r.grad_clip >= 0 and r.weight_decay >= 0,
         "train.warmup_steps, train.grad_clip and train.weight_decay must be >= 0"),
        (r.max_gap >= 1, "train.max_gap must be >= 1"),
        (0 <= r.workers <= 64, f"train.workers must lie in 0..64, got {r.workers}"),
        (r.batch_size <= 4096, f"train.batch_size must be <= 4096, got {r.batch_size}"),
        (r.checkpoint_every >= 1 and r.log_every >= 1,
         "train.checkpoint_every and train.log_every must be >= 1"),
        (all(isinstance(d, dict) and "type" in d for d in r.data) and r.data,
         "train.data must be a non-empty list of {type: ..., root: ..., weight: ...}"),
        (r.amp in ("fp32", "bf16"), f"train.amp must be fp32 or bf16, got {r.amp!r}"),
        (not r.freeze_backbone or cfg.model.head == "rpn",
         "train.freeze_backbone needs a head with weights to train (model.head: rpn)"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    return cfg


def config_from_dict(data: Any) -> Config:
    """Validate a plain dict (from YAML or a checkpoint) into a :class:`Config`."""
    return _validate(_build(Config, data, ""))


def config_to_dict(cfg: Config) -> dict:
    """Plain nested dict of ``cfg`` (only str/int/float/bool/dict values: checkpoint-safe)."""
    return dataclasses.asdict(cfg)


MAX_YAML_BYTES = 1 << 20


def _safe_yaml(text: str, where: str) -> Any:
    """``yaml.safe_load`` without aliases (a few hundred bytes of nested aliases expand into
    gigabytes: the "billion laughs") and of at most :data:`MAX_YAML_BYTES`; ``where`` names the
    source in errors. Raises ``yaml.YAMLError`` for malformed YAML."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{where}: {len(text)} bytes of YAML, more than a config needs "
                          f"({MAX_YAML_BYTES})")
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise ConfigError(f"{where}, line {mark.line + 1}: YAML aliases (*name) are not "
                              f"accepted in configs; write the value out")
    return yaml.safe_load(text)


def apply_overrides(data: dict, overrides: Iterable[str]) -> dict:
    """Apply ``a.b=value`` strings to a nested dict (values parsed as YAML scalars)."""
    data = yaml.safe_load(yaml.safe_dump(data)) or {}  # deep copy, plain types only
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' must look like key.path=value")
        try:
            value = _safe_yaml(raw, f"override '{key.strip()}'")
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"override '{item}': '{part}' is not a section")
            node = child
        node[parts[-1]] = value
    return data


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Config:
    """Read a YAML config and apply overrides. Errors name the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' not found")
    try:
        data = _safe_yaml(path.read_text(), f"config '{path}'")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file '{path}'{where}: not valid YAML") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file '{path}' cannot be read: {e}") from None
    try:
        return config_from_dict(apply_overrides(data or {}, overrides))
    except ConfigError as e:
        raise ConfigError(f"config '{path}': {e}") from None
