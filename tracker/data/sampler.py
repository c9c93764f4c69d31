"""Training pairs for Siamese trackers: data specs, SiamFC crops, augmentation, batches.

Conventions (shared by every function here)
-------------------------------------------
* Images are RGB ``uint8`` ``[H, W, 3]``.
* Boxes are ``[x, y, w, h]`` in 0-based continuous pixel coordinates (:mod:`tracker.boxes`:
  pixel column ``j`` spans ``[j, j+1)``). Files with another origin are converted on reading:
  OTB-layout ground truth is 1-based (``origin=1``: subtract 1 from x and y), GOT-10k is 0-based,
  PASCAL VOC XML corners are 1-based inclusive, COCO and ``boxes.json`` are 0-based.
* Angles are degrees, counter-clockwise as seen on screen (image y points down), like the rotated
  boxes of :mod:`tracker.boxes`.

Sources (:mod:`tracker.data.sources`, :mod:`tracker.data.stills`) give ``Pair`` s of full
images; the datasets' files are read by :mod:`tracker.data.layouts`.

Pairs and batches
-----------------
:class:`PairSampler` mixes sources by weight and crops the pair as SiamFC does: the template
(``exemplar_size``) centred on the template box with side ``z_sz = sqrt((w+p)(h+p))``,
``p = context (w+h)``; the search crop (``instance_size``) with side
``z_sz * instance_size / exemplar_size`` times a scale jitter, placed so that the target sits
off-centre by a random shift and turned by a random angle. Each pair is a pure function of
``(seed, step, rank * batch_size + i)``, so any batch can be rebuilt exactly in any process.
"""
from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any, NamedTuple
from typing import Sequence as Seq

import numpy as np
import torch

from backbones.registry import Registry
from tracker.boxes import xywh_to_cxcywh
from tracker.crops import crop_square, crop_to_image, mean_color, template_side, to_tensor
from tracker.data import augment
from tracker.data.sources import (
    FolderSource,
    GOT10kSource,
    LaSOTSource,
    Pair,
    SyntheticSource,
    VOTSource,
    wrap_angle,
)
from tracker.data.stills import ObjectSource
from tracker.errors import ConfigError, InputError

log = logging.getLogger(__name__)


# data spec type -> source class (options: _OPTIONS)
SOURCES = Registry("source type", {
    "folder": FolderSource, "got10k": GOT10kSource, "vot": VOTSource, "lasot": LaSOTSource,
    "objects": ObjectSource, "synthetic": SyntheticSource}, error=InputError)
# a source that yields nothing decodable this many times in a row is broken, not unlucky
MAX_TRIES = 32


class CropPair(NamedTuple):
    """One training pair after cropping and augmentation.

    z: uint8 ``[Sz, Sz, 3]``; x: uint8 ``[Sx, Sx, 3]``; target: float64 ``[4]`` ``(cx, cy, w, h)``
    of the target in ``x`` in crop pixels, centre relative to the crop centre (x right, y down),
    size the target's axis-aligned extent in the crop (in a turned crop: of the source's rotated
    box where it gives one, else of its axis-aligned box turned with the crop); angle: degrees
    CCW of the target in ``x`` relative to ``z``, in ``[-180, 180)`` (the source's rotation plus
    the crop's turn); source: index of the source it came from; size: float64 ``[2]`` the
    target's own ``(w, h)`` in crop pixels, the rotation taken out (the source's rotated box
    where it gives one, else its axis-aligned box), which no turn of the crop changes.
    """

    z: np.ndarray
    x: np.ndarray
    target: np.ndarray
    angle: float
    source: int
    size: np.ndarray


# options each type accepts (besides type, root, weight) and how to convert them
_OPTIONS: dict[str, dict[str, type]] = {
    "folder": {"max_gap": int, "origin": int},
    "got10k": {"subset": str, "max_gap": int},
    "vot": {"max_gap": int, "origin": int},
    "lasot": {"subset": str, "max_gap": int, "origin": int},
    "objects": {"photos": str, "max_rotation": float, "max_scale": float, "min_size": float,
                "distractors": int, "blur": float, "recolor": float},
    "synthetic": {"pool": int, "max_gap": int, "seed": int},
}


def _scalar(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_data_spec(text: str) -> dict:
    """Parse a ``--data`` value into a spec dict for :func:`build_sources`.

    Forms: ``folder:ROOT[:WEIGHT]``, ``got10k:ROOT[:WEIGHT]``, ``vot:ROOT[:WEIGHT]``,
    ``lasot:ROOT[:WEIGHT]``, ``objects:ROOT[:WEIGHT]``,
    ``synthetic[:WEIGHT]``, each optionally followed by ``:key=value`` options (see
    :func:`build_sources`), e.g. ``objects:data/objects:2:photos=data/photos:max_rotation=45``.
    Returns ``{"type", "root" (absent for synthetic), "weight", options...}``.
    """
    parts = [p.strip() for p in str(text).split(":")]
    kind = parts[0].lower()
    SOURCES.get(kind, f"data '{text}'")
    spec: dict[str, Any] = {"type": kind}
    positional = []
    for p in parts[1:]:
        if "=" in p:
            key, value = p.split("=", 1)
            spec[key.strip()] = _scalar(value.strip())
        elif p:
            positional.append(p)
    if kind != "synthetic":
        if not positional:
            raise InputError(f"data '{text}': {kind} needs a folder ({kind}:ROOT[:WEIGHT])")
        spec["root"] = positional.pop(0)
    if len(positional) > 1:
        raise InputError(f"data '{text}': expected {kind}{'' if kind == 'synthetic' else ':ROOT'}"
                         "[:WEIGHT][:key=value...]")
    spec["weight"] = _weight(positional[0] if positional else 1.0, text)
    return spec


def _weight(value: Any, where: str) -> float:
    try:
        w = float(value)
    except (TypeError, ValueError):
        raise InputError(f"data '{where}': weight '{value}' is not a number") from None
    if not (math.isfinite(w) and w > 0):
        raise InputError(f"data '{where}': weight must be a positive number, got {value}")
    return w


def _options(spec: dict, kind: str, where: str) -> dict:
    known = _OPTIONS[kind]
    out = {}
    for key, value in spec.items():
        if key in ("type", "root", "weight"):
            continue
        if key not in known:
            raise InputError(f"data '{where}': unknown option '{key}' for {kind} (known: "
                             f"{', '.join(sorted(known)) or 'none'})")
        try:
            if known[key] is int and (isinstance(value, bool) or float(value) != int(value)):
                raise ValueError
            out[key] = known[key](value)
        except (TypeError, ValueError):
            raise InputError(f"data '{where}': option {key}={value!r} must be "
                             f"{'an integer' if known[key] is int else 'a number'}") from None
    return out


def build_source(spec: dict):
    """One source from a spec dict ``{"type", "root", "weight", options...}``.

    Options: folder ``max_gap``, ``origin``; got10k ``subset`` (train), ``max_gap``; vot
    ``max_gap``, ``origin`` (0); lasot ``subset`` (train|test|all), ``max_gap``, ``origin`` (1);
    objects ``photos`` (a folder of background pictures; default the ``photos`` folder next to
    ROOT if there is one; ``""`` or ``none`` for none), ``max_rotation``, ``max_scale``, ``min_size``,
    ``distractors``, ``blur``, ``recolor``; synthetic ``pool``, ``max_gap``, ``seed``.
    """
    if not isinstance(spec, dict) or "type" not in spec:
        raise InputError(f"data spec {spec!r} must be a mapping with a 'type'")
    kind = str(spec["type"]).lower()
    where = ":".join(str(spec[k]) for k in ("type", "root") if k in spec)
    source = SOURCES.get(kind, f"data '{where}'")
    opts = _options(spec, kind, where)
    root = spec.get("root")
    if kind == "synthetic":
        if root not in (None, ""):
            raise InputError(f"data '{where}': synthetic data takes no folder")
        return source(**opts)
    if root in (None, ""):
        raise InputError(f"data '{where}': {kind} needs a root folder")
    root = Path(str(root))
    if not root.exists():
        raise InputError(f"data '{where}': {kind} dataset '{root}' not found")
    if kind != "objects":
        return source(root, **opts)
    photos = opts.pop("photos", None)
    if photos is None:
        sibling = root.parent / "photos" if root.is_dir() else root.parent.parent / "photos"
        photos = str(sibling) if sibling.is_dir() else None
    elif photos.lower() in ("", "none"):
        photos = None
    return source(root, photos, **opts)


def build_sources(specs: Seq[dict | str]) -> list[tuple[Any, float]]:
    """``[(source, weight)]`` for spec dicts (as in the config's ``train.data``) or ``--data``
    strings. Raises :class:`InputError` with one line for anything wrong."""
    if not specs:
        raise InputError("no training data given")
    out = []
    for spec in specs:
        spec = parse_data_spec(spec) if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            raise InputError(f"data spec {spec!r} must be a mapping with a 'type'")
        weight = _weight(spec.get("weight", 1.0), spec.get("root", spec.get("type")))
        source = build_source(spec)
        log.info("data: %r, weight %g", source, weight)
        out.append((source, weight))
    return out


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(f"pair sampler: {message}")


class PairSampler:
    """SiamFC training pairs from weighted sources; see the module docstring.

    ``sources``: ``[(source, weight)]`` (or bare sources, weight 1). Sizes in pixels;
    ``max_shift``: the target centre sits up to this many search-crop pixels off the crop centre
    along each axis (uniform); ``scale_jitter``: the search side is multiplied by a factor
    uniform in ``[1 - j, 1 + j]``; ``rotation``: the search crop is turned so that its content
    rotates by a uniform angle in ``±rotation`` degrees (CCW); ``grayscale``: probability that
    both crops become grey; ``color_jitter``: saturation/contrast/brightness factors in
    ``1 ± color_jitter``, drawn for each crop; ``blur``: probability of a motion blur of the
    search crop. All randomness of pair ``g`` of batch ``step`` comes from
    ``np.random.default_rng([seed, step, g])``.
    """

    def __init__(self, sources, exemplar_size: int = 127, instance_size: int = 255,
                 context: float = 0.5, max_shift: float = 64.0, scale_jitter: float = 0.05,
                 rotation: float = 0.0, grayscale: float = 0.0, color_jitter: float = 0.0,
                 blur: float = 0.0, seed: int = 0) -> None:
        pairs = [s if isinstance(s, tuple) else (s, 1.0) for s in sources]
        _check(len(pairs) > 0, "no sources")
        weights = np.array([float(w) for _, w in pairs])
        _check(bool(np.all(np.isfinite(weights)) and np.all(weights > 0)),
               "source weights must be positive")
        _check(0 < exemplar_size and 0 < instance_size, "crop sizes must be positive")
        _check(context >= 0 and max_shift >= 0 and rotation >= 0, "context, max_shift and "
               "rotation must be >= 0")
        _check(0 <= scale_jitter < 1, "scale_jitter must lie in [0, 1)")
        _check(0 <= color_jitter < 1, "color_jitter must lie in [0, 1)")
        for name, p in (("grayscale", grayscale), ("blur", blur)):
            _check(0 <= p <= 1, f"{name} is a probability in [0, 1], got {p}")
        _check(int(seed) >= 0, "seed must be >= 0")
        self.sources = [s for s, _ in pairs]
        self.weights = weights / weights.sum()
        self._cum = np.cumsum(self.weights)
        self.exemplar_size, self.instance_size = int(exemplar_size), int(instance_size)
        self.context, self.max_shift = float(context), float(max_shift)
        self.scale_jitter, self.rotation = float(scale_jitter), float(rotation)
        self.grayscale, self.color_jitter, self.blur = float(grayscale), float(color_jitter), \
            float(blur)
        self.seed = int(seed)

    # -- one pair ------------------------------------------------------------------------------

    def _draw(self, rng: np.random.Generator) -> tuple[int, Pair]:
        for _ in range(MAX_TRIES):
            k = min(int(np.searchsorted(self._cum, rng.random(), side="right")),
                    len(self.sources) - 1)
            pair = self.sources[k].sample(rng)
            if pair is not None:
                return k, pair
        raise InputError(f"no decodable pair in {MAX_TRIES} tries (last source "
                         f"{self.sources[k]!r}): are its images corrupt?")

    def pair(self, step: int, index: int) -> CropPair:
        """Pair ``index`` (0-based over all ranks) of batch ``step``: a pure function of
        ``(seed, step, index)``."""
        rng = np.random.default_rng([self.seed, int(step), int(index)])
        k, pair = self._draw(rng)
        return self._crop(pair, k, rng)

    def _crop(self, pair: Pair, k: int, rng: np.random.Generator) -> CropPair:
        sz, sx = self.exemplar_size, self.instance_size
        zc = xywh_to_cxcywh(pair.z_box)
        z_sz = float(template_side(zc[2], zc[3], self.context))
        z = crop_square(pair.z_image, zc[:2], z_sz, sz, mean_color(pair.z_image))

        side = z_sz * sx / sz * rng.uniform(1 - self.scale_jitter, 1 + self.scale_jitter)
        turn = float(rng.uniform(-self.rotation, self.rotation)) if self.rotation > 0 else 0.0
        shift = rng.uniform(-self.max_shift, self.max_shift, 2)
        # crop_square(angle=a) shows content turned by -a; a crop offset d is R(a) d in the image
        xc = xywh_to_cxcywh(pair.x_box)
        center = xc[:2] - crop_to_image(shift, -turn) * side / sx
        x = crop_square(pair.x_image, center, side, sx, mean_color(pair.x_image), -turn)

        if pair.x_rotated is not None:
            w, h, a = pair.x_rotated[2], pair.x_rotated[3], pair.x_rotated[4] + turn
        else:
            w, h, a = xc[2], xc[3], turn
        c, s = abs(math.cos(math.radians(a))), abs(math.sin(math.radians(a)))
        extent = np.array([c * w + s * h, s * w + c * h]) * sx / side
        target = np.concatenate([shift, extent])
        own = np.array([w, h], dtype=np.float64) * sx / side

        if rng.random() < self.grayscale:
            z, x = augment.grayscale(z), augment.grayscale(x)
        if self.color_jitter > 0:
            z = augment.color_jitter(z, rng, self.color_jitter)
            x = augment.color_jitter(x, rng, self.color_jitter)
        if rng.random() < self.blur:
            x = augment.motion_blur(x, rng)
        return CropPair(z, x, target, wrap_angle(pair.angle + turn), k, own)

    # -- batches -------------------------------------------------------------------------------

    def batch(self, step: int, batch_size: int, rank: int = 0, world: int = 1
              ) -> dict[str, torch.Tensor]:
        """Batch ``step`` for process ``rank`` of ``world``; ``batch_size`` pairs per process.

        Pair ``i`` is :meth:`pair` ``(step, rank * batch_size + i)``, so the ranks' batches are
        disjoint and together equal the single-process batch of ``world * batch_size``.
        Returns ``z`` float32 ``[B, 3, Sz, Sz]`` and ``x`` ``[B, 3, Sx, Sx]`` (RGB, 0..255),
        ``target`` float32 ``[B, 4]``, ``angle`` float32 ``[B]`` and ``size`` float32 ``[B, 2]``
        (see :class:`CropPair`).
        """
        if not (0 <= rank < world) or batch_size < 1 or step < 0:
            raise ValueError(f"bad batch request: step {step}, batch_size {batch_size}, "
                             f"rank {rank} of {world}")
        pairs = [self.pair(step, rank * batch_size + i) for i in range(batch_size)]
        return {
            "z": to_tensor([p.z for p in pairs]),
            "x": to_tensor([p.x for p in pairs]),
            "target": torch.tensor(np.stack([p.target for p in pairs]), dtype=torch.float32),
            "angle": torch.tensor([p.angle for p in pairs], dtype=torch.float32),
            "size": torch.tensor(np.stack([p.size for p in pairs]), dtype=torch.float32),
        }


class PairBatches(torch.utils.data.Dataset):
    """Batches ``start_step .. start_step + steps - 1`` of ``sampler`` as a map-style dataset,
    for ``DataLoader(PairBatches(...), batch_size=None, num_workers=N)``: item ``k`` is
    ``sampler.batch(start_step + k, batch_size, rank, world)`` whichever worker builds it."""

    def __init__(self, sampler: PairSampler, batch_size: int, start_step: int, steps: int,
                 rank: int = 0, world: int = 1) -> None:
        self.sampler, self.batch_size = sampler, int(batch_size)
        self.start_step, self.steps = int(start_step), max(0, int(steps))
        self.rank, self.world = int(rank), int(world)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        if not 0 <= k < self.steps:
            raise IndexError(k)
        return self.sampler.batch(self.start_step + k, self.batch_size, self.rank, self.world)


def measure_pairs_per_second(sampler: PairSampler, batch_size: int, batches: int) -> float:
    """Pairs per second of :meth:`PairSampler.batch` in this process, over ``batches`` batches
    after one untimed warm-up batch (which pays for lazy loading)."""
    sampler.batch(0, batch_size)
    start = time.perf_counter()
    for step in range(1, batches + 1):
        sampler.batch(step, batch_size)
    return batch_size * batches / max(time.perf_counter() - start, 1e-9)


def make_sampler(config):
    """The pair sampler ``config.train`` and ``config.tracking`` describe."""
    t, k = config.train, config.tracking
    sources = build_sources([{"max_gap": t.max_gap, **spec} if spec.get("type") != "objects"
                             else dict(spec) for spec in t.data])
    return PairSampler(sources, exemplar_size=k.exemplar_size, instance_size=k.instance_size,
                       context=k.context, max_shift=t.max_shift, scale_jitter=t.scale_jitter,
                       rotation=t.rotation, grayscale=t.grayscale, color_jitter=t.color_jitter,
                       blur=t.blur, seed=t.seed)
