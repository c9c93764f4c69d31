"""Training: SiamFC / SiamRPN losses (plus the backbone's own regularizer, e.g. IEN) on pairs from
:mod:`tracker.data.pairs`, SGD with warm-up and exponential decay, gradient clipping, atomic
checkpoints, exact resume, CSV log, validation AUC, and DistributedDataParallel under torchrun.

Exact resume: batch ``k`` is a pure function of ``(seed, k, rank)`` (the pair sampler is
stateless), the random transforms of the IEN loss are seeded per step, and the learning rate is a
function of the step; so a run resumed from a checkpoint at step ``n`` continues exactly as the
uninterrupted run would (same seed, same machine, CPU).
"""
from __future__ import annotations

import csv
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from tracker.checkpoint import load_checkpoint, save_checkpoint
from tracker.config import Config
from tracker.errors import CheckpointError, ConfigError, TrainingError
from tracker.model.build import build_model

log = logging.getLogger(__name__)


def learning_rate(step: int, cfg) -> float:
    """Linear warm-up from ``lr/10`` over ``warmup_steps``, then exponential decay to ``lr_end``
    at the last step. ``cfg``: :class:`tracker.config.TrainConfig`."""
    if step < cfg.warmup_steps:
        return cfg.lr * (0.1 + 0.9 * step / max(1, cfg.warmup_steps))
    span = max(1, cfg.steps - 1 - cfg.warmup_steps)
    t = min(1.0, (step - cfg.warmup_steps) / span)
    return cfg.lr * math.exp(t * math.log(cfg.lr_end / cfg.lr))


class Trainer:
    """Trains ``config.model`` with ``config.train`` on ``sampler`` (a
    :class:`tracker.data.pairs.PairSampler`), writing to ``out_dir``: ``latest.pt`` every
    ``checkpoint_every`` steps and at the end, ``best.pt`` (best validation AUC), ``log.csv``.

    ``rank``/``world``: this process's place in a torchrun job (only rank 0 writes).
    """

    def __init__(self, config: Config, sampler, out_dir: str | Path, device: str = "cpu",
                 rank: int = 0, world: int = 1, resume: str | Path | None = None) -> None:
        self.cfg, self.sampler = config, sampler
        self.out = Path(out_dir)
        self.device = torch.device(device)
        self.rank, self.world = rank, world
        self.model = build_model(config)
        if config.train.init and resume is None:  # a resumed run has its weights already
            init_backbone(self.model, config)
        t = config.train
        if t.freeze_backbone:  # before DDP, which registers the parameters that need grads
            self.model.backbone.requires_grad_(False)
        self.model.to(self.device)
        self.memory_format = torch.channels_last if t.channels_last else torch.contiguous_format
        if t.channels_last:
            # 4-D weights only: group convolutions keep 5-D filter banks and expand them per step
            for tensor in [*self.model.parameters(), *self.model.buffers()]:
                if tensor.dim() == 4:
                    tensor.data = tensor.data.contiguous(memory_format=torch.channels_last)
        self.net = self.model
        if world > 1:
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        # compiled once per input shape (batch and crop sizes are fixed in a run)
        self.forward = torch.compile(self.net, dynamic=False) if t.compile else self.net
        self.optimizer = torch.optim.SGD([p for p in self.model.parameters() if p.requires_grad],
                                         lr=t.lr, momentum=t.momentum,
                                         weight_decay=t.weight_decay)
        self.step = 0
        self.best_auc = -1.0
        self.resumed = False
        if resume is not None:
            self.resume(resume)

    # -- checkpoints ---------------------------------------------------------------------------

    def _check_finite(self) -> None:
        # checked where weights are written, not every step: a non-finite weight makes the
        # next step's loss non-finite, which train_step catches
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            raise TrainingError(f"step {self.step}: the weights became non-finite (learning "
                                f"rate {learning_rate(self.step - 1, self.cfg.train):g}); "
                                f"stopped unsaved; the last checkpoint in '{self.out}' is "
                                f"intact")

    def save(self, path: Path, **extra) -> None:
        if self.rank == 0:
            self._check_finite()
            save_checkpoint(path, self.model, self.cfg, step=self.step,
                            optimizer=self.optimizer.state_dict(), best_auc=self.best_auc,
                            **extra)

    def resume(self, path: str | Path) -> None:
        """Continue from ``path``: same model config required (the train section may differ,
        e.g. more steps); restores weights, optimizer state and step."""
        config, state, payload = load_checkpoint(path)
        if config.model != self.cfg.model:
            raise CheckpointError(f"--resume '{path}': checkpoint of another model "
                                  f"({config.model.backbone}/{config.model.head}, this run: "
                                  f"{self.cfg.model.backbone}/{self.cfg.model.head})")
        if "optimizer" not in payload or "step" not in payload:
            raise CheckpointError(f"--resume '{path}': no optimizer state (not a training "
                                  f"checkpoint)")
        self.model.load_state_dict(state)
        try:
            self.optimizer.load_state_dict(payload["optimizer"])
        except ValueError:
            # another set of trained parameters (train.freeze_backbone changed): the weights
            # carry over, the momentum cannot
            log.warning("--resume '%s': the optimizer state is for other parameters "
                        "(train.freeze_backbone changed?); starting a fresh optimizer", path)
        self.step = int(payload["step"])
        self.best_auc = float(payload.get("best_auc", -1.0))
        self.resumed = True

    # -- one step ------------------------------------------------------------------------------

    def losses(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its terms for one batch (``z``, ``x``, ``target``, ``size`` as the
        sampler gives them)."""
        z = batch["z"].to(self.device, memory_format=self.memory_format)
        x = batch["x"].to(self.device, memory_format=self.memory_format)
        target = batch["target"]
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16,
                                  enabled=self.cfg.train.amp == "bf16")
        with autocast:
            out = self.forward(z, x)
        head = self.model.head
        rng = np.random.default_rng([self.cfg.train.seed, self.step, self.rank, 7])
        targets = head.targets(out, target, self.model.backbone.stride, self.cfg.train, rng,
                               size=batch.get("size"))
        total, terms = head.loss(out, targets)
        # on the template crops: a quarter of the search crops' cost, the same images
        # outside autocast: the regularizer compares nearly equal feature maps, which bf16
        # would round away
        # the regularizer's random transforms come from a generator seeded per step, so a
        # resumed run draws what the uninterrupted one would
        generator = torch.Generator().manual_seed(
            self.cfg.train.seed * 1_000_003 + self.step * 31 + self.rank)
        reg = None if self.cfg.train.freeze_backbone else \
            self.model.backbone.regularization_loss(z, generator)
        if reg is not None:
            terms["ien"] = float(reg.detach())
            total = total + reg
        terms["loss"] = float(total.detach())
        return total, terms

    def train_step(self, batch: dict) -> dict[str, float]:
        t = self.cfg.train
        lr = learning_rate(self.step, t)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        self.net.train()
        if t.freeze_backbone:
            self.model.backbone.eval()  # frozen batch-norm statistics too
        total, terms = self.losses(batch)
        if not torch.isfinite(total):
            raise TrainingError(f"step {self.step}: the loss is {float(total.detach())} "
                                f"(learning rate {lr:g}); stopped before it reaches the "
                                f"weights; the last checkpoint in '{self.out}' is intact")
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        if t.grad_clip > 0:
            terms["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                                                      t.grad_clip))
        self.optimizer.step()
        self.step += 1
        terms["lr"] = lr
        return terms

    # -- the loop ------------------------------------------------------------------------------

    def fit(self, progress: bool = True) -> None:
        from tracker.data.sampler import PairBatches

        t = self.cfg.train
        if self.step >= t.steps:
            if self.rank == 0 and self.step == t.steps and not (self.out / "final.pt").is_file():
                # killed between the last latest.pt and final.pt: without this the run's
                # shippable file would never be written, since every resume finds no step left
                self.out.mkdir(parents=True, exist_ok=True)
                self._save_final()
                log.info("already at step %d of %d: wrote the missing %s", self.step, t.steps,
                         self.out / "final.pt")
            else:
                log.info("already at step %d of %d: nothing to do", self.step, t.steps)
            return
        data = PairBatches(self.sampler, t.batch_size, self.step, t.steps - self.step,
                           self.rank, self.world)
        loader = torch.utils.data.DataLoader(data, batch_size=None, num_workers=t.workers,
                                             worker_init_fn=_quiet_worker)
        if self.rank == 0:
            self._refuse_a_used_out()
            self.out.mkdir(parents=True, exist_ok=True)
            for name in ("log.csv", "val.csv"):
                drop_rows_after(self.out / name, self.step)
        board = self._tensorboard() if self.rank == 0 else None
        log_file = open(self.out / "log.csv", "a", newline="") if self.rank == 0 else None
        writer, fields = None, None
        bar = tqdm(total=t.steps, initial=self.step, disable=not progress or self.rank != 0,
                   unit="step", desc="training")
        start, pairs = time.perf_counter(), 0
        stop = _Stop()
        try:
            for batch in loader:
                terms = self.train_step(batch)
                pairs += t.batch_size * self.world
                rate = pairs / max(1e-9, time.perf_counter() - start)
                bar.update(1)
                bar.set_postfix(loss=f"{terms['loss']:.4f}", pairs_s=f"{rate:.1f}")
                if log_file and (self.step % t.log_every == 0 or self.step == t.steps):
                    row = {"step": self.step, "pairs_per_s": round(rate, 2), **terms}
                    if writer is None:
                        fields = list(row)
                        writer = csv.DictWriter(log_file, fieldnames=fields,
                                                extrasaction="ignore")
                        if log_file.tell() == 0:
                            writer.writeheader()
                    writer.writerow(row)
                    log_file.flush()
                    if board is not None:
                        for key, value in row.items():
                            if key != "step":
                                board.add_scalar(f"train/{key}", value, self.step)
                if t.val_every and t.val_root and self.step % t.val_every == 0:
                    auc = self.validate()
                    if board is not None and auc is not None:
                        board.add_scalar("val/auc", auc, self.step)
                if self.step % t.checkpoint_every == 0 or self.step == t.steps or stop.signal:
                    self.save(self.out / "latest.pt")
                if stop.signal and self.step < t.steps:
                    log.warning("%s: stopped after step %d; %s holds it (continue with "
                                "--resume)", stop.signal, self.step, self.out / "latest.pt")
                    raise KeyboardInterrupt(stop.signal)
            if self.step == t.steps and self.rank == 0:
                self._save_final()
        finally:
            stop.restore()
            bar.close()
            if log_file:
                log_file.close()
            if board is not None:
                board.close()

    def _save_final(self) -> None:
        """``OUT/final.pt``, weights and config only: the file to ship or track with."""
        self._check_finite()
        save_checkpoint(self.out / "final.pt", self.model, self.cfg, step=self.step)

    def _refuse_a_used_out(self) -> None:
        """A fresh run never overwrites another run's checkpoints: an ``out_dir`` that holds
        one needs ``--resume`` (or another folder)."""
        if self.resumed:
            return
        used = [n for n in ("latest.pt", "best.pt", "final.pt") if (self.out / n).is_file()]
        if used:
            raise TrainingError(f"--out '{self.out}' already holds a run ({', '.join(used)}): "
                                f"pass --resume {self.out / 'latest.pt'} to continue it, or "
                                f"choose another --out")

    def _tensorboard(self):
        """A SummaryWriter on ``OUT/tensorboard`` when ``train.tensorboard`` is on."""
        if not self.cfg.train.tensorboard:
            return None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError("train.tensorboard needs the tensorboard package "
                              "(pip install 'eqtrack[tensorboard]')") from None
        return SummaryWriter(str(self.out / "tensorboard"))

    def validate(self) -> float | None:
        """Success AUC (got10k's OTB protocol) of the current weights on ``train.val_root``
        and, when set, on ``train.val_rot_root``; the selection score is their mean. Appends
        a row to ``OUT/val.csv`` (the learning curve) and keeps ``best.pt`` when the score
        improves. Rank 0 only."""
        if self.rank != 0:
            return None
        t = self.cfg.train
        self.model.eval()
        aucs = {"val": self._success_auc(t.val_root)}
        if t.val_rot_root:
            aucs["val_rot"] = self._success_auc(t.val_rot_root)
        self.model.train()
        score = sum(aucs.values()) / len(aucs)
        log.info("step %d: validation %s, score %.3f (best %.3f)", self.step,
                 ", ".join(f"{k} {v:.3f}" for k, v in aucs.items()), score, self.best_auc)
        path = self.out / "val.csv"
        new_file = not path.exists() or path.stat().st_size == 0
        with open(path, "a", newline="") as f:
            row = {"step": self.step, "pairs": self.step * t.batch_size * self.world,
                   "val": round(aucs["val"], 4), "val_rot": round(aucs.get("val_rot", -1), 4),
                   "score": round(score, 4)}
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new_file:
                writer.writeheader()
            writer.writerow(row)
        if score > self.best_auc:
            self.best_auc = score
            self.save(self.out / "best.pt", val_auc=score)
        return score

    def _success_auc(self, root: str) -> float:
        """got10k's overall success score of the current (eval-mode) weights on ``root``."""
        import contextlib
        import io
        import tempfile

        from tracker.evaluation.protocol import ExperimentFolder
        from tracker.inference.build import tracker_for

        # eager weights that change every step: nothing to export
        tracker = tracker_for(self.model, self.cfg.tracking, name="val", backend="torch")
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            exp = ExperimentFolder(root, os.path.join(tmp, "r"), os.path.join(tmp, "p"))
            exp.run(tracker)
            return float(exp.report(["val"])["val"]["overall"]["success_score"])


class _Stop:
    """While training: Ctrl-C, SIGTERM and SIGHUP only raise a flag, which the loop reads after
    each whole step, so the weights it then saves are those of a finished step (a signal in
    the middle of an optimizer update would leave them half-updated). ``restore`` puts the
    previous handlers back. Off the main thread (where handlers cannot be set) it does nothing."""

    def __init__(self) -> None:
        import signal
        import threading

        self.signal: str | None = None
        self._previous = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                sig = getattr(signal, name)
                self._previous[sig] = signal.signal(sig, self._raise_flag)

    def _raise_flag(self, signum, frame) -> None:
        import signal

        self.signal = signal.Signals(signum).name

    def restore(self) -> None:
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


def drop_rows_after(path: Path, step: int) -> None:
    """Keep, of the CSV log at ``path`` (first column ``step``), the header and the rows up to
    ``step``: rows a killed run wrote after its last checkpoint are written again by the run
    that resumes from it, and a row cut off mid-write is not a row. Rewritten atomically."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    keep = lines[:1]
    for line in lines[1:]:
        first = line.split(",", 1)[0]
        if line.endswith("\n") and first.isdigit() and int(first) <= step:
            keep.append(line)
    if len(keep) != len(lines):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(keep))
        os.replace(tmp, path)
        log.info("%s: dropped %d rows after step %d (written again now)", path,
                 len(lines) - len(keep), step)


def init_backbone(model, config: Config) -> None:
    """Load the backbone weights of the checkpoint ``config.train.init`` names (a path or a
    shipped model) into ``model``, the way SiamRPN++ starts from a pretrained backbone: the head
    keeps its seeded initialization. The backbone weights must fit (same names and shapes, e.g.
    the same ``width``)."""
    from tracker.shipped import resolve_checkpoint

    spec = config.train.init
    path = resolve_checkpoint(spec)
    if path is None or not Path(path).is_file():
        raise CheckpointError(f"train.init '{spec}': no such checkpoint or shipped model")
    source, state, _ = load_checkpoint(path)
    prefix = "backbone."
    weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    mine = model.backbone.state_dict()
    # the weights decide, not the arguments: ien_resnet22 (any beta) fits resnet22
    misfit = sorted(set(mine) ^ set(weights)) or \
        [k for k in mine if mine[k].shape != weights[k].shape]
    if misfit:
        theirs = source.model
        raise CheckpointError(f"train.init '{spec}': its backbone ({theirs.backbone} "
                              f"{theirs.backbone_args}) does not fit this model's "
                              f"({config.model.backbone} {config.model.backbone_args}): "
                              f"{misfit[0]} differs")
    model.backbone.load_state_dict(weights)
    log.info("backbone initialized from %s", path)


def _quiet_worker(_: int) -> None:
    import cv2

    # data workers share the cores with the training process: one thread each
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def setup_distributed(device: str) -> tuple[int, int, str]:
    """``(rank, world, device)`` under torchrun (gloo on CPU, nccl on GPU), else ``(0, 1, ..)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device
    backend = "nccl" if device.startswith("cuda") else "gloo"
    dist.init_process_group(backend)
    rank = dist.get_rank()
    if device.startswith("cuda"):
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    return rank, world, device
