"""How many training runs one device takes at once (the server's run limit), per device.

- CPU: half the cores (at least 1): a run uses one torch thread, and the app itself needs
  the rest ($AAE_MAX_RUNS overrides).
- CUDA GPU: many small runs fit on one GPU. The limit is the smallest of
  GPU memory / RUN_GPU_MEMORY (each run keeps its own copy of the training images, its
  weights, Adam moments and a CUDA-graph memory pool), SMs / SMS_PER_RUN (a batch-100 step
  keeps only a few SMs busy) and 2 x host cores (every run's loop needs the host to queue
  its steps). $AAE_MAX_GPU_RUNS overrides. bench/train_concurrency.py measures how the
  total throughput grows with 1, 4 and 8 runs on one device, to check these numbers.
- MPS: like the CPU (one shared GPU, and no way to ask its size).
- A Ray cluster ($AAE_RAY_ADDRESS, aae_core/training/remote.py): $AAE_MAX_RUNS, sized to it.

Everything takes a `DeviceInfo`, so the rules are tested with made-up devices. The other
settings of the run service live here too: its queue ($AAE_MAX_QUEUE) and the quota of the
runs folder ($AAE_RUNS_QUOTA_MB); the torch threads of each run ($AAE_TRAIN_THREADS) are
aae_core.device.cpu_threads, shared with the command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from aae_core.errors import ConfigError

RUN_GPU_MEMORY = 1 << 30  # bytes of GPU memory set aside per run (mnist: ~0.25 GiB used)
SMS_PER_RUN = 4  # streaming multiprocessors per run
CPU_ENV, GPU_ENV = "AAE_MAX_RUNS", "AAE_MAX_GPU_RUNS"
QUEUE_ENV = "AAE_MAX_QUEUE"
QUOTA_ENV, DEFAULT_QUOTA_MB = "AAE_RUNS_QUOTA_MB", 2048  # about 290 runs of a 2x256 AAE


@dataclass(frozen=True)
class DeviceInfo:
    """What the limit depends on; `describe_device` fills it in for a real device."""

    kind: str  # "cpu" | "cuda" | "mps"
    name: str = ""
    cpu_cores: int = 1  # host cores
    memory_bytes: int = 0  # GPU memory (CUDA)
    multiprocessors: int = 0  # GPU SMs (CUDA)

    def summary(self) -> str:
        if self.kind == "cuda":
            return (f"{self.name} ({self.memory_bytes / 2**30:.0f} GiB, "
                    f"{self.multiprocessors} SMs)")
        return f"{self.kind} ({self.cpu_cores} cores)"


def describe_device(device: torch.device | str) -> DeviceInfo:
    device = torch.device(device)
    cores = os.cpu_count() or 1
    if device.type != "cuda":
        return DeviceInfo(kind=device.type, name=device.type, cpu_cores=cores)
    props = torch.cuda.get_device_properties(device)
    return DeviceInfo(kind="cuda", name=props.name, cpu_cores=cores,
                      memory_bytes=props.total_memory, multiprocessors=props.multi_processor_count)


def env_whole(name: str, default: int, low: int = 1) -> int:
    """A whole-number setting from the environment: $name, else `default`; one line for a
    bad value."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < low:
        raise ConfigError(f"{name} must be a whole number >= {low}, got {raw!r}")
    return int(raw)


def server_device() -> DeviceInfo:
    """The device a server's runs train on (each asks for "auto"); with a Ray cluster they
    train there, and $AAE_MAX_RUNS (the CPU's setting) sizes them to it."""
    from aae_core.device import resolve_device
    from aae_core.training.remote import configured_address

    if configured_address():
        return DeviceInfo("cpu", name="ray cluster", cpu_cores=os.cpu_count() or 1)
    return describe_device(resolve_device("auto"))


def server_run_limit() -> int:
    """Runs (and Watch sessions) training at once on this server's device."""
    return run_limit(server_device())


def max_queue() -> int:
    """$AAE_MAX_QUEUE: how many runs may wait for a free place (default 100)."""
    return env_whole(QUEUE_ENV, 100, 0)


def runs_quota_bytes() -> int:
    """$AAE_RUNS_QUOTA_MB: how much the runs folder may hold (default 2048 MB)."""
    return env_whole(QUOTA_ENV, DEFAULT_QUOTA_MB) * 2**20


def default_run_limit(info: DeviceInfo) -> int:
    """The rule of the module docstring, without environment overrides."""
    if info.kind != "cuda":
        return max(1, info.cpu_cores // 2)
    by_memory = info.memory_bytes // RUN_GPU_MEMORY
    by_sms = info.multiprocessors // SMS_PER_RUN
    return max(1, min(by_memory, by_sms, 2 * info.cpu_cores))


def run_limit(info: DeviceInfo) -> int:
    """Runs that may train at once on this device: $AAE_MAX_GPU_RUNS on a CUDA GPU,
    $AAE_MAX_RUNS elsewhere, else default_run_limit."""
    return env_whole(GPU_ENV if info.kind == "cuda" else CPU_ENV, default_run_limit(info))
