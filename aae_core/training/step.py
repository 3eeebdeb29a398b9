"""The per-step path of training: running a model's step, and keeping its losses.

Nothing here reads a tensor back to the host. On a GPU every read (`.item()`, `float(t)`,
`bool(t)`, `.cpu()`) waits until the queue is empty, so a step that reads its losses
leaves the GPU idle between phases (6.4 ms an AAE step was measured, mostly
waiting; docs/ARCHITECTURE.md, "Decisions and their measurements"). Here:

- `LossMeter` adds each step's losses on the device and tracks the first non-finite step;
  the trainer reads it (one transfer) only when it logs.
- `make_step_runner` gives a callable `runner(batch) -> {name: 0-d loss tensor}`: the
  model's `train_step` itself (eager), or, on CUDA, the whole step captured once in a CUDA
  graph and replayed (one launch instead of hundreds of small ones).

CUDA-graph capture needs static shapes and static inputs: each batch is copied into
buffers captured once (the trainer's batches all have one shape), the optimizers keep
their step counts on the GPU (`capturable=True`) and the first steps run eagerly on a
side stream to allocate everything first. If capture fails (an op that cannot be
captured), the runner logs why once and trains eagerly from then on.
"""

from __future__ import annotations

import logging
import math
import os
import threading

import torch

from aae_core.errors import ConfigError
from aae_core.models import Batch, LatentModel

log = logging.getLogger(__name__)

GRAPH_MODES = ("auto", "on", "off")
GRAPH_ENV = "AAE_CUDA_GRAPH"  # the default of the switch: auto | on | off
WARMUP_STEPS = 3  # eager steps (real training steps) before capture: allocations, cuBLAS
_NEVER = torch.iinfo(torch.int64).max  # "no non-finite step yet"
_CAPTURE_LOCK = threading.Lock()  # one capture at a time per process (runs share the RNG)


class LossMeter:
    """Each named loss summed over the steps since the last read, on the device.

    `add` launches a few tiny kernels and never waits; `read` brings the means back in
    one transfer. The first step at which each loss was NaN or infinite is kept too, so a
    divergence is reported with its exact step when it is read.
    """

    def __init__(self):
        self._keys: tuple[str, ...] = ()
        self._sums: torch.Tensor | None = None  # (K,) float32
        self._first_bad: torch.Tensor | None = None  # (K,) int64, _NEVER while finite
        self.count = 0  # steps added since the last read
        self.last_step = 0

    def add(self, losses: dict[str, torch.Tensor], step: int) -> None:
        keys = tuple(losses)
        first = next(iter(losses.values()))
        device = first.device if torch.is_tensor(first) else torch.device("cpu")
        # (K,): a float (a test double's NaN) becomes a tensor; a device tensor is used as is
        values = torch.stack([torch.as_tensor(losses[k], dtype=torch.float32, device=device)
                              .reshape(()) for k in keys])
        if keys != self._keys:
            if self.count:  # a model whose losses changed names mid-interval (none does)
                raise ConfigError(f"the step's losses changed from {self._keys} to {keys}")
            self._keys = keys
            self._sums = torch.zeros_like(values)
            self._first_bad = torch.full(values.shape, _NEVER, dtype=torch.long,
                                         device=values.device)
        self._sums.add_(values)
        at_step = torch.where(torch.isfinite(values), _NEVER, step)  # (K,) int64
        torch.minimum(self._first_bad, at_step, out=self._first_bad)
        self.count += 1
        self.last_step = step

    def first_nonfinite(self) -> tuple[int, list[str]] | None:
        """(first step since the last read at which a loss was NaN/inf, those losses), or
        None; one host transfer."""
        if self._first_bad is None:
            return None
        first = self._first_bad.tolist()
        step = min(first)
        if step == _NEVER:
            return None
        return step, [k for k, s in zip(self._keys, first, strict=True) if s == step]

    def read(self) -> tuple[dict[str, float], tuple[int, list[str]] | None]:
        """(mean of each loss since the last read, first_nonfinite()); starts a new interval.

        One transfer of the sums; the non-finite steps are read only when a sum is not
        finite (a NaN or inf at any step makes its sum NaN or inf)."""
        if not self.count:
            return {}, None
        sums = self._sums.tolist()
        means = {k: s / self.count for k, s in zip(self._keys, sums, strict=True)}
        bad = None
        if not all(map(math.isfinite, sums)):
            bad = self.first_nonfinite() or (  # finite steps whose sum overflowed
                self.last_step, [k for k, s in zip(self._keys, sums, strict=True)
                                 if not math.isfinite(s)])

        self._sums.zero_()
        self._first_bad.fill_(_NEVER)
        self.count = 0
        return means, bad


# --- running a step ----------------------------------------------------------------------


def graph_setting(value: str | None = None) -> str:
    """The CUDA-graph switch: `value`, else $AAE_CUDA_GRAPH, else auto."""
    value = (value if value is not None else os.environ.get(GRAPH_ENV, "")).strip() or "auto"
    if value not in GRAPH_MODES:
        raise ConfigError(f"the CUDA-graph setting must be auto, on or off, got {value!r}")
    return value


def wants_graph(setting: str, device: torch.device) -> bool:
    """auto: on CUDA only. on: CUDA required. off: never."""
    setting = graph_setting(setting)
    if setting == "on" and device.type != "cuda":
        raise ConfigError(f"CUDA graphs need a CUDA device, but training runs on {device}")
    return setting != "off" and device.type == "cuda"


class EagerStep:
    """The model's own train_step, op by op (CPU, MPS, or CUDA without graphs)."""

    mode = "eager"

    def __init__(self, model: LatentModel):
        self.model = model

    def __call__(self, batch: Batch) -> dict[str, torch.Tensor]:
        return self.model.train_step(batch)

    def describe(self) -> str:
        return self.mode

    def rates_changed(self) -> None:
        """Nothing to do: an eager step reads the optimizers' rates on every call."""


class GraphedStep:
    """The model's train_step captured once in a CUDA graph, then replayed per batch.

    Calls 1..WARMUP_STEPS train eagerly on a side stream; the next call captures the step
    on static copies of its batch and replays it; later calls copy their batch into those
    buffers and replay. Every call is exactly one training step on its own batch. The
    returned losses are the graph's output buffers: read (or add) them before the next call.
    """

    def __init__(self, model: LatentModel):
        self.model, self.calls = model, 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static: Batch | None = None
        self.losses: dict[str, torch.Tensor] = {}
        self.failure: str | None = None  # why capture failed (then: eager for good)
        self._stream: torch.cuda.Stream | None = None
        make_capturable(model)

    @property
    def mode(self) -> str:
        return "eager" if self.failure else "cuda-graph"

    def describe(self) -> str:
        return f"eager (CUDA-graph capture failed: {self.failure})" if self.failure else self.mode

    def __call__(self, batch: Batch) -> dict[str, torch.Tensor]:
        if self.failure is not None:
            return self.model.train_step(batch)
        if self.graph is not None:
            _copy_batch(self.static, batch)
            self.graph.replay()
            return self.losses
        self.calls += 1
        if self.calls <= WARMUP_STEPS:
            return self._side_stream_step(batch)
        return self._capture_and_replay(batch)

    def rates_changed(self) -> None:
        """The optimizers' learning rates changed: a captured graph holds the old ones as
        constants, so drop it; the next calls warm up and capture again (once an epoch at
        most, against thousands of replays)."""
        self.graph, self.static, self.losses, self.calls = None, None, {}, 0

    def _side_stream_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        device = batch.x.device
        if self._stream is None:
            self._stream = torch.cuda.Stream(device)
        main = torch.cuda.current_stream(device)
        self._stream.wait_stream(main)  # also: nothing the main stream uses is reused early
        with torch.cuda.stream(self._stream):
            losses = self.model.train_step(batch)
        main.wait_stream(self._stream)
        return losses

    def _capture_and_replay(self, batch: Batch) -> dict[str, torch.Tensor]:
        self.static = _clone_batch(batch)
        graph = torch.cuda.CUDAGraph()
        try:
            with _CAPTURE_LOCK, torch.cuda.graph(graph, stream=self._stream,
                                                 capture_error_mode="thread_local"):
                losses = self.model.train_step(self.static)
        except Exception as exc:  # an op that cannot be captured: train eagerly from now on
            first_line = (str(exc).strip().splitlines() or [""])[0]
            self.failure = f"{type(exc).__name__}: {first_line}"
            log.warning("training %s eagerly: %s", self.model.config.model, self.describe())
            torch.cuda.synchronize(batch.x.device)
            return self.model.train_step(batch)
        self.graph, self.losses = graph, losses
        graph.replay()  # capture only records: this runs the step on this batch
        return self.losses


def _clone_batch(batch: Batch) -> Batch:
    def clone(t):
        return None if t is None else t.clone()

    return Batch(clone(batch.x), clone(batch.y), clone(batch.x_lab), clone(batch.y_lab))


def _copy_batch(static: Batch, batch: Batch) -> None:
    """Copy a batch into the captured buffers (same shapes: the trainer's batches are)."""
    for name in ("x", "y", "x_lab", "y_lab"):
        dst, src = getattr(static, name), getattr(batch, name)
        if (dst is None) != (src is None) or (dst is not None and dst.shape != src.shape):
            raise ConfigError(f"a CUDA-graph step needs batches of one shape; {name} changed")
        if dst is not None:
            dst.copy_(src, non_blocking=True)


def scale_learning_rates(model: LatentModel, factor: float) -> bool:
    """Set each optimizer group's rate to `factor` x its rate when first scaled (the config's
    lr or lr_adv: optimizers are built from the config, and a resumed run rebuilds them).
    True when a rate changed (then a captured step must be captured again)."""
    changed = False
    for opt in model.ensure_optimizers().values():
        for group in opt.param_groups:
            rate = group.setdefault("initial_lr", group["lr"]) * factor
            if group["lr"] != rate:
                group["lr"], changed = rate, True
    return changed


def make_capturable(model: LatentModel) -> None:
    """Adam keeps its step counts on the GPU and updates without reading them back."""
    for opt in model.ensure_optimizers().values():
        for group in opt.param_groups:
            group["capturable"] = True
        move_optimizer_state(opt, model.device)


def move_optimizer_state(opt: torch.optim.Optimizer, device: torch.device) -> None:
    """Move an optimizer's state to `device`, as torch's load_state_dict would place it:
    moments beside their parameters; step counts too for fused or capturable groups (a
    fused CUDA update reads its step on the GPU), else on the CPU."""
    for group in opt.param_groups:
        on_device = group.get("fused") or group.get("capturable")
        for p in group["params"]:
            state = opt.state.get(p, {})
            for key, value in state.items():
                if not torch.is_tensor(value):
                    continue
                if key == "step":
                    state[key] = value.to(dtype=torch.float32,
                                          device=device if on_device else "cpu")
                else:
                    state[key] = value.to(device)


def make_step_runner(model: LatentModel, device: torch.device, setting: str | None = None):
    """The step callable for `model` on `device`: graph-captured (CUDA, switch not off) or
    eager. `setting`: auto | on | off (None: $AAE_CUDA_GRAPH, else auto)."""
    if wants_graph(graph_setting(setting), device):
        return GraphedStep(model)
    return EagerStep(model)
