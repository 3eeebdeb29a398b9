"""Device choice, CPU threads and seeding."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

from aae_core.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an explicit device must exist."""
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if has_mps else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use auto")
    if name == "mps" and not has_mps:
        raise ConfigError("device 'mps' was asked for but is not available; use auto")
    return torch.device(name)


#: The torch threads of every CPU training run (the command line, the app's runs, Watch it
#: learn, the sweeps); the command line's --threads wins over it. 0: torch's own default.
THREADS_ENV = "AAE_TRAIN_THREADS"
MAX_THREADS = 256


def cpu_threads(requested: int | None = None) -> int:
    """Intra-op torch threads for one CPU training run: `requested` (1..MAX_THREADS), else
    $AAE_TRAIN_THREADS (0..MAX_THREADS; 0 leaves torch's default), else 1.

    Why 1 (bench/thread_policy.py, 2 cores): the networks are small (batch 50-100, 2 x 256 to
    2 x 1000), so a second thread buys little even on an idle machine, and as soon as any
    other process runs, every step waits at OpenMP's barriers for the thread that lost its
    core: two threads beside other work trained many times slower than one thread, which
    keeps about its fair share. Runs scale out instead: the run limit (training/capacity.py)
    lets half the cores train at once, one thread each.
    """
    if requested is not None:
        raw, low, where = requested, 1, "--threads"
    else:
        raw, low, where = os.environ.get(THREADS_ENV, "").strip() or 1, 0, THREADS_ENV
    try:
        threads = int(raw)
    except (TypeError, ValueError):
        threads = -1
    if not low <= threads <= MAX_THREADS or str(raw).strip() != str(threads):
        raise ConfigError(f"{where} must be a whole number from {low} to {MAX_THREADS}, "
                          f"got {raw!r}")
    return threads


def use_cpu_threads(requested: int | None = None) -> int:
    """Set this thread's torch intra-op threads by the policy above, keep the step's
    tensors in the heap (`keep_tensors_in_the_heap`) and let it take the GIL back quickly
    (`take_the_gil_back_quickly`); returns the count."""
    threads = cpu_threads(requested)
    if threads:  # 0: torch's own default
        torch.set_num_threads(threads)
    keep_tensors_in_the_heap()
    take_the_gil_back_quickly()
    return torch.get_num_threads()


#: The interpreter's switch interval in a process that trains: how long a thread running
#: Python may keep the GIL once another asks for it (Python's default is 5 ms).
GIL_SWITCH_S = 0.001


def take_the_gil_back_quickly() -> None:
    """Let a training thread get the GIL back within GIL_SWITCH_S rather than 5 ms. Why: a
    step of a small model is a few hundred torch calls, each giving the GIL up while it
    computes and asking for it back after; beside other threads running Python (a
    server's page runs: a shared run's viewers are a script run each, every second), each
    ask waits for the holder's switch interval, so the step waits up to that per call.
    Measured (bench/load_test.py --mode broadcast, README "Benchmarks", a busy 2-core
    machine): beside 100 viewers the lecturer's training kept 0.64-1.01x of its updates
    alone over seven runs at 1 ms, 0.56x in a run at 5 ms with all else the same.
    Process-wide (it never raises the interval); a thread that holds the GIL while nobody
    asks keeps it as before, and threads that do contend trade a little throughput for the
    hand-overs."""
    if sys.getswitchinterval() > GIL_SWITCH_S:
        sys.setswitchinterval(GIL_SWITCH_S)


#: glibc's mallopt parameters (malloc.h) and the sizes set for a training process.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
HEAP_MMAP_THRESHOLD = 64 << 20  # blocks up to 64 MB come from the heap, not from mmap
HEAP_TRIM_THRESHOLD = 128 << 20  # the heap's free top is given back beyond 128 MB
_heap_tuned: bool | None = None  # None: not tried; False: not glibc (nothing to tune)


def keep_tensors_in_the_heap() -> bool:
    """Make glibc's malloc serve a training step's tensors from its heap. Why: a block over
    glibc's mmap threshold (128 KB at first, raised only as mmapped blocks are freed) is a
    fresh mmap, freed with munmap, and a training step frees its gradients and activations
    and allocates them again on the next step (a batch of 100 x 784 float32 is 313 KB), each
    time paying page faults and the kernel's zeroing of every page. Measured in fresh
    processes, one thread, CPU time per step (bench/train_throughput.py --allocator both and
    the RESULTS.md section "CPU step"): 0-10 % less, most at 2 x 1000. Results are
    bit-identical: only where memory comes from changes. Linux with glibc only (elsewhere a
    no-op); once per process. Returns whether it is in effect."""
    global _heap_tuned
    if _heap_tuned is None:
        _heap_tuned = set_malloc_thresholds(HEAP_MMAP_THRESHOLD, HEAP_TRIM_THRESHOLD)
    return _heap_tuned


#: glibc's own starting thresholds (it raises the mmap one by itself as blocks are freed).
GLIBC_MMAP_THRESHOLD = GLIBC_TRIM_THRESHOLD = 128 << 10


def set_malloc_thresholds(mmap_bytes: int, trim_bytes: int) -> bool:
    """glibc's mallopt: blocks above `mmap_bytes` are mmapped; a free heap top above
    `trim_bytes` is given back. False where the C library is not glibc (nothing set)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_bytes)
                    and libc.mallopt(_M_TRIM_THRESHOLD, trim_bytes))
    except (OSError, AttributeError):  # not Linux/glibc: its allocator is its own
        return False


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for data order."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
