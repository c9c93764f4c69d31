"""Training speed: the data pipeline's pairs per second and a training step's, per option."""
from __future__ import annotations

import statistics
import time

from tracker.config import Config, config_from_dict, config_to_dict
from tracker.data.sampler import make_sampler, measure_pairs_per_second
from tracker.training.engine import Trainer

# training speed options (train.* config keys) a benchmark can compare; each starts from _PLAIN
_PLAIN = {"channels_last": False, "amp": "fp32", "compile": False}
TRAIN_OPTIONS = {
    "fp32": {},
    "channels_last": {"channels_last": True},
    "bf16": {"amp": "bf16"},
    "channels_last+bf16": {"channels_last": True, "amp": "bf16"},
    "compile": {"compile": True},
}


def training_rates(cfg: Config, options: list[str], repeats: int) -> tuple[float, list[float]]:
    """``(data pairs/s, [training pairs/s per option])`` for ``cfg``: the sampler over
    ``repeats`` batches, then ``repeats`` training steps per option on one fixed batch after an
    untimed (compiling) one, round-robin so that noise hits every option alike; medians."""
    sampler = make_sampler(cfg)
    b = cfg.train.batch_size
    data_rate = measure_pairs_per_second(sampler, b, repeats)
    batch = sampler.batch(0, b)
    trainers = []
    for o in options:
        d = config_to_dict(cfg)
        d["train"].update({**_PLAIN, **TRAIN_OPTIONS[o]})  # nothing else from the config
        trainer = Trainer(config_from_dict(d), sampler, "/nonexistent-unused")
        trainer.train_step(batch)  # warm-up (and compilation)
        trainers.append(trainer)
    times = [[] for _ in options]
    for _ in range(repeats):
        for trainer, t in zip(trainers, times):
            t0 = time.perf_counter()
            trainer.train_step(batch)
            t.append(time.perf_counter() - t0)
    return data_rate, [b / statistics.median(t) for t in times]
