"""The training loop, and TrainingRun: the same loop in a background thread.

Nothing here knows about models' internals: a model's `train_step(Batch)` runs its
phases. The loop owns data order, labelled subsets, divergence checks, pause/stop,
progress snapshots and checkpoints. The worker thread never touches any UI.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import math
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import torch

from aae_core import __version__
from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import Dataset, labeled_indices, load_dataset
from aae_core.device import resolve_device, seed_everything
from aae_core.errors import (
    AAEError,
    CheckpointError,
    ConfigError,
    DivergenceError,
    TrainingStopped,
)
from aae_core.inference import batched
from aae_core.models import Batch, LatentModel, build_model
from aae_core.store.checkpoints import finite_metrics, load_checkpoint, save_checkpoint
from aae_core.training.step import (
    LossMeter,
    graph_setting,
    make_step_runner,
    move_optimizer_state,
    scale_learning_rates,
    wants_graph,
)

HISTORY_LIMIT = 2000  # logged points kept per loss
SNAPSHOT_CODES = 2000  # held-out codes in a live latent snapshot


class RunState(StrEnum):
    """Where a run stands. The first four are a live run's, the last four a finished one's."""

    QUEUED = "queued"  # waiting for a place (a run service's queue)
    STARTING = "starting"  # set up, not yet at its first step (or waiting for a Ray worker)
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # every epoch trained, evaluated and saved
    STOPPED = "stopped"  # stopped by the user; saved where it got to
    DIVERGED = "diverged"  # a loss became NaN or infinite; the last good checkpoint stays
    FAILED = "failed"  # an error ended it (its message says which)

    @property
    def done(self) -> bool:
        return self in _DONE


_DONE = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.DIVERGED, RunState.FAILED})


@dataclass
class Progress:
    """A copy of where a run is; safe to read from any thread."""

    state: RunState = RunState.STARTING
    epoch: int = 0  # completed epochs (including those of a resumed checkpoint)
    epochs: int = 0
    step: int = 0  # optimizer steps done in this run
    total_steps: int = 0
    images_per_s: float = 0.0
    elapsed_s: float = 0.0
    eta_s: float = math.nan
    history: dict[str, list[float]] = field(default_factory=dict)  # loss -> logged means
    history_steps: list[int] = field(default_factory=list)
    codes: np.ndarray | None = None  # (N, d) held-out codes at the last snapshot
    code_labels: np.ndarray | None = None  # (N,)
    samples: np.ndarray | None = None  # (n, 28, 28) float32 decoded prior samples
    message: str = ""  # the error or the final word, for the user
    checkpoint: str | None = None  # path of the last checkpoint written
    metrics: dict = field(default_factory=dict)
    class_names: tuple[str, ...] = ()  # the data set's, for labelling the codes

    @property
    def done(self) -> bool:
        return RunState(self.state).done

    def summary(self, out) -> str:
        """What a finished command-line or sweep run reports: one line, then its metrics."""
        lines = [f"{self.state}: {self.epoch} epochs, {self.step} steps, "
                 f"{self.elapsed_s:.1f} s, {self.images_per_s:.0f} images/s -> {out}"]
        lines += [f"  {key:<22} {value:.4f}" for key, value in self.metrics.items()
                  if isinstance(value, float)]
        return "\n".join(lines)


class Controls:
    """Stop and pause flags shared with a worker."""

    def __init__(self):
        self.stop = threading.Event()
        self.running = threading.Event()  # cleared = paused
        self.running.set()

    def wait_if_paused(self) -> float:
        """Block while paused; returns the seconds spent paused (0 when running)."""
        if self.running.is_set():
            return 0.0
        t0 = time.perf_counter()
        while not self.running.is_set() and not self.stop.is_set():
            self.running.wait(0.05)
        return time.perf_counter() - t0


def _divergence(step: int, names: list[str]) -> DivergenceError:
    return DivergenceError(
        f"training diverged at step {step}: {', '.join(names)} became NaN or infinite "
        f"(try a smaller learning rate)"
    )


def _read_losses(meter: LossMeter) -> dict[str, float]:
    """The mean losses since the last read (one host transfer); raises DivergenceError
    naming the first step at which a loss became NaN or infinite."""
    means, bad = meter.read()
    if bad is not None:
        raise _divergence(*bad)
    return means


def _check_finite(meter: LossMeter) -> None:
    """Raise DivergenceError if a loss was NaN or infinite since the last read."""
    bad = meter.first_nonfinite()
    if bad is not None:
        raise _divergence(*bad)



class ProgressBoard:
    """Where a run stands, behind a lock: the loop (or a mirror of a remote loop) writes its
    Progress, any thread reads a copy, and `on_progress` hears of each change."""

    def __init__(self, progress: Progress,
                 on_progress: Callable[[Progress], None] | None = None):
        self.lock = threading.Lock()
        self.progress, self.on_progress = progress, on_progress

    def set_state(self, state: RunState, message: str = "") -> None:
        """Say where the run stands from outside the loop (a run service: queued, starting,
        left the queue); the loop sets its own states as it goes."""
        self._update(state=RunState(state), message=message)

    def _update(self, **changes) -> None:
        with self.lock:
            for k, v in changes.items():
                setattr(self.progress, k, v)
        if self.on_progress is not None:
            self.on_progress(self.snapshot())

    def snapshot(self) -> Progress:
        with self.lock:
            return replace(self.progress, history={k: list(v) for k, v in
                                                   self.progress.history.items()},
                           history_steps=list(self.progress.history_steps),
                           metrics=dict(self.progress.metrics))


def check_epochs_left(start_epoch: int, epochs: int) -> None:
    if start_epoch >= epochs:
        raise ConfigError(f"the checkpoint already has {start_epoch} epochs; "
                          f"ask for more than that (epochs={epochs})")


class Trainer(ProgressBoard):
    """Trains `model` on `dataset` for `train.epochs` epochs (counted from `start_epoch`)."""

    def __init__(self, model: LatentModel, dataset: Dataset, train: TrainConfig, *,
                 out_dir: str | Path | None = None, start_epoch: int = 0, card: dict | None = None,
                 controls: Controls | None = None, snapshot_every_s: float = 1.0,
                 on_progress: Callable[[Progress], None] | None = None,
                 cuda_graph: str | None = None, card_class_names: bool = False):
        check_epochs_left(start_epoch, train.epochs)
        self.model, self.train_cfg = model, train
        self.device = resolve_device(train.device)
        self.data = dataset.to(self.device)
        self.out_dir = Path(out_dir) if out_dir else None
        self.start_epoch, self.card = start_epoch, dict(card or {})
        if card_class_names:  # the app's runs: its pages label the saved codes with them
            self.card.setdefault("class_names", list(self.data.class_names))
        self.controls = controls or Controls()
        self.snapshot_every_s = snapshot_every_s
        # CUDA-graph capture of the step: auto (on CUDA) | on | off; None: $AAE_CUDA_GRAPH
        self.cuda_graph = graph_setting(cuda_graph)
        wants_graph(self.cuda_graph, self.device)  # "on" without CUDA: one clear line now
        self.step_runner = None  # built by run(), after the model moved to the device
        super().__init__(Progress(epoch=start_epoch, epochs=train.epochs,
                                  class_names=tuple(self.data.class_names)), on_progress)
        self.released = False  # release() freed what only training needed
        self._setup_labels()

    @property
    def model_config(self) -> ModelConfig:
        return self.model.config

    # --- set-up ----------------------------------------------------------------------
    def _setup_labels(self) -> None:
        """y_train: labels with -1 where hidden; lab_idx: the labelled subset (K,)."""
        n, labels = len(self.data.train_y), self.train_cfg.labels
        if labels > n:
            raise ConfigError(f"labels={labels} but the dataset has only {n} training images")
        if self.model.config.n_classes < self.data.n_classes and self.model.needs_labels:
            raise ConfigError(f"n_classes={self.model.config.n_classes} is smaller than the "
                              f"dataset's {self.data.n_classes} classes")
        if labels == -1:
            self.lab_idx = torch.arange(n, device=self.device)
        else:
            self.lab_idx = labeled_indices(self.data.train_y.cpu(), labels, self.data.n_classes,
                                           self.train_cfg.seed).to(self.device)
        self.y_train = torch.full_like(self.data.train_y, -1)
        self.y_train[self.lab_idx] = self.data.train_y[self.lab_idx]
        if self.model.needs_labelled_examples and len(self.lab_idx) == 0:
            raise ConfigError(f"model {self.model.config.model!r} needs labels; use --labels > 0")
        self.model.check_training_labels(self.y_train)

    def _batches(self, generator: torch.Generator):
        """Yield Batches of one epoch in a seeded random order (the last partial batch is dropped
        when there is at least one full batch)."""
        n, bs = len(self.data.train_x), self.train_cfg.batch_size
        order = torch.randperm(n, generator=generator).to(self.device)
        stop = n - n % bs if n >= bs else n
        picks = None  # (steps, B_l) labelled picks of the whole epoch: one copy to the device
        if self.model.has_classifier and len(self.lab_idx):
            picks = torch.randint(0, len(self.lab_idx), (len(range(0, stop, bs)), min(bs, 100)),
                                  generator=generator).to(self.device)
        for i, start in enumerate(range(0, stop, bs)):
            idx = order[start:start + bs]
            x_lab = y_lab = None
            if picks is not None:
                lab = self.lab_idx[picks[i]]
                x_lab, y_lab = self.data.train_x[lab], self.data.train_y[lab]
            yield Batch(self.data.train_x[idx], self.y_train[idx], x_lab, y_lab)

    def steps_per_epoch(self) -> int:
        n, bs = len(self.data.train_x), self.train_cfg.batch_size
        return max(1, n // bs)

    # --- the loop --------------------------------------------------------------------
    def run(self) -> Progress:
        """Train; returns the final Progress. Raises DivergenceError (after saving nothing
        new: the last good checkpoint stays) and lets other exceptions propagate."""
        cfg, model = self.train_cfg, self.model
        model.to(self.device).train()
        generator = seed_everything(cfg.seed + self.start_epoch)
        per_epoch = self.steps_per_epoch()
        total = per_epoch * (cfg.epochs - self.start_epoch)
        self._update(state=RunState.RUNNING, total_steps=total)
        # Losses stay on the device (no host read per step); read when logged.
        t0, step, meter = time.perf_counter(), 0, LossMeter()
        self.step_runner = make_step_runner(model, self.device, self.cuda_graph)
        last_snapshot = -math.inf
        good_state = copy.deepcopy(model.state_dict())
        epoch = self.start_epoch
        try:
            for epoch in range(self.start_epoch, cfg.epochs):
                if scale_learning_rates(model, cfg.lr_factor(epoch)):
                    self.step_runner.rates_changed()
                for batch in self._batches(generator):
                    if not self.controls.running.is_set():
                        self._hold(step, meter, t0, total)
                        t0 += self.controls.wait_if_paused()  # speed and time left skip pauses
                        self._update(state=RunState.RUNNING)
                    if self.controls.stop.is_set():
                        raise TrainingStopped("stopped by the user")
                    step += 1
                    meter.add(self.step_runner(batch), step)
                    if meter.count >= cfg.log_every or step == total:
                        self._log(step, _read_losses(meter), t0, total)
                    if time.perf_counter() - last_snapshot >= self.snapshot_every_s:
                        self._snapshot()
                        last_snapshot = time.perf_counter()
                _check_finite(meter)  # an epoch with a NaN since the last log is not good
                good_state = copy.deepcopy(model.state_dict())
                self._update(epoch=epoch + 1)
                if self.out_dir is not None:
                    self._save(epoch + 1, time.perf_counter() - t0, final=False)
        except TrainingStopped:
            bad = meter.first_nonfinite()  # a NaN since the last log: save no NaN weights
            if bad is not None:
                self._diverged(_divergence(*bad), good_state)
            if meter.count:  # publish the steps since the last log, so they are saved
                self._log(step, _read_losses(meter), t0, total)
            return self._finish(RunState.STOPPED, epoch, t0, "stopped by the user; progress saved")
        except DivergenceError as exc:
            self._diverged(exc, good_state)
        return self._finish(RunState.FINISHED, cfg.epochs, t0, "finished")

    def _diverged(self, exc: DivergenceError, good_state: dict) -> None:
        """Go back to the last good weights, say so, and raise (nothing new is saved)."""
        self.model.load_state_dict(good_state)
        saved = self.progress.checkpoint
        where = f"the last good checkpoint is kept at {saved}" if saved else \
            "no epoch had completed, so no checkpoint was written"
        self._update(state=RunState.DIVERGED, message=f"{exc}; {where}")
        raise DivergenceError(f"{exc}; {where}") from None

    def _hold(self, step: int, meter: LossMeter, t0: float, total: int) -> None:
        """The worker reached the pause point: publish the exact step, then say "paused"
        with no speed, so nothing the user sees moves until Resume."""
        if meter.count:
            self._log(step, _read_losses(meter), t0, total)
        self._update(state=RunState.PAUSED, images_per_s=0.0, eta_s=math.nan)

    def _finish(self, state: RunState, epochs_done: int, t0: float, message: str) -> Progress:
        self._snapshot()
        if self.out_dir is not None and (state == RunState.FINISHED or self.progress.step > 0):
            # Only a finished run is evaluated: Stop must return quickly.
            self._save(epochs_done, time.perf_counter() - t0, final=state == RunState.FINISHED)
        self._update(state=state, message=message, epoch=epochs_done)
        return self.snapshot()

    # --- progress ----------------------------------------------------------------------
    def _log(self, step: int, means: dict[str, float], t0: float, total: int) -> None:
        elapsed = time.perf_counter() - t0
        speed = step * self.train_cfg.batch_size / max(elapsed, 1e-9)
        with self.lock:
            p = self.progress
            for k, v in means.items():
                p.history.setdefault(k, []).append(v)
                del p.history[k][:-HISTORY_LIMIT]
            p.history_steps.append(step)
            del p.history_steps[:-HISTORY_LIMIT]
            p.step, p.elapsed_s, p.images_per_s = step, elapsed, speed
            p.eta_s = (total - step) * self.train_cfg.batch_size / speed if speed else math.nan
        if self.on_progress is not None:
            self.on_progress(self.snapshot())

    @torch.no_grad()
    def _snapshot(self) -> None:
        """Held-out codes and a few decoded prior samples, for live views."""
        model = self.model
        x, y = self.data.test_x[:SNAPSHOT_CODES], self.data.test_y[:SNAPSHOT_CODES]
        codes = model.encode(x).cpu().numpy()
        parts = model.sample_parts  # label the grid when labels pick something
        labels = torch.arange(16, device=self.device) % parts if parts else None
        gen = torch.Generator(device=self.device).manual_seed(0)  # same z: the model changes
        samples = model.sample(16, labels=labels, generator=gen)
        self._update(codes=codes, code_labels=y.cpu().numpy(),
                     samples=samples.view(-1, 28, 28).cpu().numpy())

    # --- checkpoints -------------------------------------------------------------------
    def _save(self, epochs_done: int, wall_s: float, *, final: bool) -> None:
        # late: evaluation is heavier than training
        from aae_core.analysis.evaluate import METRIC_MEANINGS, evaluate

        model = self.model
        model.eval()
        codes = batched(model.encode, self.data.test_x).cpu()  # (M, latent_dim)
        metrics = evaluate(model, self.data) if final else {}
        model.train()
        card = {**self.card,
                "dataset": self.data.name, "split": self.data.split,
                "epochs": epochs_done, "steps": self.progress.step,
                "wall_time_s": round(self.card.get("wall_time_s", 0.0) + wall_s, 2),
                "batch_size": self.train_cfg.batch_size,
                "labels": self.train_cfg.labels, "seed": self.train_cfg.seed,
                "device": str(self.device), "metrics": finite_metrics(metrics),
                # a seed reproduces exactly on one machine, device and thread count
                # (RESULTS.md, "Reproducing a figure"): the count it trained with
                "cpu_threads": torch.get_num_threads() if self.device.type == "cpu" else None,
                # what each figure measures, on the held-out split named above
                "measures": {k: METRIC_MEANINGS[k] for k in metrics if k in METRIC_MEANINGS},
                # where the metrics were computed: `eval` recomputes them there when it can
                # (kNN votes and prior samples differ slightly between devices)
                "metrics_device": str(self.device) if metrics else None,
                "training_step": self.step_runner.describe() if self.step_runner else "eager",
                "versions": {"aae_core": __version__, "torch": torch.__version__}}
        # The run's own settings (epochs asked for); the card says how many are done, which
        # may be 0 when the user stops during the first epoch.
        try:
            save_checkpoint(self.out_dir, model, self.train_cfg,
                            card=card, codes=codes, labels=self.data.test_y.cpu())
        except OSError as exc:  # a full or read-only disk: one clear line, not a traceback
            raise CheckpointError(f"cannot write the checkpoint to {self.out_dir}: "
                                  f"{exc.strerror or exc}") from exc
        self._update(checkpoint=str(self.out_dir), metrics=card["metrics"])


    # --- after the run -----------------------------------------------------------------
    def release(self) -> None:
        """The run has ended and its checkpoint is on disk: free what only training needed.

        The networks' weights and gradients go to the "meta" device (shapes kept, no memory)
        and the Adam moments are dropped; the prior stays (a map of the codes uses its box),
        as do the progress snapshot (losses, 2,000 codes, 16 samples) and the settings. A
        model of hidden sizes 4096,4096 holds about 0.5 GB while it trains and nothing after
        this (see bench/memory_release.py). Continuing a run loads its checkpoint again."""
        model = self.model
        prior = copy.deepcopy(model.prior) if isinstance(getattr(model, "prior", None),
                                                         torch.nn.Module) else None
        for opt in (model.optimizers or {}).values():
            opt.state.clear()
        with torch.no_grad():
            model.to("meta")
        if prior is not None:
            model.prior = prior
        self.step_runner = None  # a CUDA-graph step holds its own GPU memory pool
        self.data = self.data.to("cpu")  # each run's own copy of the images; off the GPU
        self.released = True
        _return_free_memory()


def _return_free_memory() -> None:
    """Give freed heap pages back to the system. A worker thread allocates from its own
    malloc arena, which glibc does not shrink by itself: without this a server's RSS stays
    at its training peak after Stop (measured: 820 MB before and after)."""
    gc.collect()
    if torch.cuda.is_available():  # cached blocks of the run's GPU memory, to the driver
        torch.cuda.empty_cache()
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def make_trainer(model_cfg: ModelConfig | None, train_cfg: TrainConfig, *, out_dir=None,
                 resume_from=None, dataset: Dataset | None = None, card=None,
                 trainer_cls: type[Trainer] = Trainer, **kwargs) -> Trainer:
    """Build a Trainer for a fresh model, or continue a checkpoint (`resume_from`).
    `trainer_cls` (a Trainer subclass, e.g. remote.RemoteTrainer) gets the other kwargs."""
    start_epoch, card = 0, dict(card or {})
    if resume_from is not None:
        ckpt = load_checkpoint(resume_from, with_optimizer=True)
        model, start_epoch = ckpt.model, int(ckpt.card.get("epochs", ckpt.train.epochs))
        card = {**ckpt.card, **card}
        train_cfg = replace(train_cfg, dataset=ckpt.train.dataset) if dataset is None else train_cfg
    else:
        if model_cfg is None:
            raise ConfigError("give a model config or a checkpoint to resume from")
        seed_everything(train_cfg.seed)  # the initial weights belong to the seeded run
        model = build_model(model_cfg)
    model.to(resolve_device(train_cfg.device))
    for opt in model.optimizers.values():  # optimizer state loaded on CPU: move it too
        move_optimizer_state(opt, model.device)
    data = dataset if dataset is not None else load_dataset(train_cfg.dataset)
    if data.train_x.shape[1] != model.config.image_dim:
        raise ConfigError(f"the dataset's images have {data.train_x.shape[1]} pixels, the model "
                          f"expects {model.config.image_dim}")
    return trainer_cls(model, data, train_cfg, out_dir=out_dir, start_epoch=start_epoch,
                       card=card, **kwargs)


class TrainingRun:
    """A Trainer in a daemon thread, with stop/pause/resume and a progress snapshot.

    Exceptions in the worker are kept (never swallowed): `progress().message` says what
    happened and `error` holds the exception; a bug (not an AAEError) also prints its
    traceback to stderr (the server's console), never to a user. `threads`: torch intra-op
    threads of the worker (None: leave them); `on_end(run)` is called by the worker as it
    ends, whatever the outcome.
    """

    def __init__(self, trainer: Trainer, *, threads: int | None = None,
                 on_end: Callable[[TrainingRun], None] | None = None):
        self.trainer = trainer
        self.threads, self.on_end = threads, on_end
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="aae-training", daemon=True)

    def start(self) -> TrainingRun:
        self.thread.start()
        return self

    def _work(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self.trainer.run()
        except DivergenceError as exc:
            self.error = exc
        except AAEError as exc:
            self.error = exc
            self.trainer.set_state(RunState.FAILED, str(exc))
        except Exception as exc:  # any bug in a worker must reach the user, with its cause
            self.error = exc
            self.trainer.set_state(RunState.FAILED, f"{type(exc).__name__}: {exc}")
            traceback.print_exception(exc, file=sys.stderr)
        finally:
            if self.on_end is not None:
                self.on_end(self)

    def progress(self) -> Progress:
        return self.trainer.snapshot()

    def pause(self) -> None:
        """Ask the worker to pause; it says "paused" itself once its last step is counted
        (so the step shown never moves after "paused")."""
        self.trainer.controls.running.clear()

    def resume(self) -> None:
        self.trainer.controls.running.set()  # the worker says "running" as it goes on

    def ask_to_stop(self) -> None:
        """Ask the worker to stop (it saves where it got to); returns at once."""
        self.trainer.controls.stop.set()
        self.trainer.controls.running.set()

    def stop(self, timeout: float | None = 5.0) -> Progress:
        self.ask_to_stop()
        self.thread.join(timeout)
        return self.progress()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()
