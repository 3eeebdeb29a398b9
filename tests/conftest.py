"""Shared test set-up: the real MNIST split when it lies beside the checkout, one torch
thread, and the fixtures and helpers several test files use.

Tests that need real data skip cleanly without it; everything else runs on the
project's own synthetic digits, offline.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import aae_core.models  # noqa: F401  (registers the models ModelConfig accepts)
from aae_core.config import ModelConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
SHARED_MNIST_FULL = ROOT.parent / "shared" / "data" / "mnist-full"  # all four files

# The full split serves both `mnist` and `mnist-10k` (its test pair is the same file).
for _folder in (SHARED_MNIST_FULL, SHARED_MNIST):
    if "AAE_DATA_DIR" not in os.environ and _folder.is_dir():
        os.environ["AAE_DATA_DIR"] = str(_folder)


def mnist_10k_available() -> bool:
    """Whether mnist-10k loads without a download (the loader's own check)."""
    from aae_core.data import available

    return available("mnist-10k")


requires_mnist_10k = pytest.mark.skipif(
    not mnist_10k_available(), reason="MNIST t10k files not found (set AAE_DATA_DIR)"
)


def full_mnist_available() -> bool:
    """Whether the full 60,000 + 10,000 split loads without a download."""
    from aae_core.data import available

    return available("mnist")


requires_full_mnist = pytest.mark.skipif(
    not full_mnist_available(),
    reason="the full MNIST (four IDX files) not found (set AAE_DATA_DIR to their folder)",
)

# One torch thread: two intra-op threads collapse when the other core is busy (measured:
# a tiny step 6 ms with 1 thread vs 550 ms with 2 under load), and tests share the CPU
# with Streamlit servers and Chromium.
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


# --- training runs: a tiny dataset and model, and ways to watch the worker -----------------

N_TRAIN, N_TEST, BATCH_SIZE = 200, 100, 50  # the `data` fixture: 4 steps per epoch


@pytest.fixture(scope="session")
def data():
    """Synthetic digits, N_TRAIN train / N_TEST held out (treat as read-only). A test file
    that needs other data defines its own `data` fixture, which wins there."""
    from aae_core.data import synthetic_digits

    return synthetic_digits(n_train=N_TRAIN, n_test=N_TEST)


#: A model small enough to train in a blink: one 32-unit layer per network.
TINY = ModelConfig(hidden=(32,), disc_hidden=(32,))


def train_config(**changes) -> TrainConfig:
    """A TrainConfig on the CPU: one epoch of BATCH_SIZE batches, every step logged."""
    return TrainConfig(**{"epochs": 1, "batch_size": BATCH_SIZE, "log_every": 1,
                          "device": "cpu", **changes})


def wait_for(condition, what: str, timeout_s: float = 60.0) -> None:
    """Poll until condition() holds; the timeout only guards against a hung test."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def observed_controls():
    """train.Controls that tell the test what the worker does at the pause point: `held`
    is set when it gets there (its step and "paused" already published), `released`
    when it leaves (resumed or stopped)."""
    from aae_core.training.train import Controls

    class ObservedControls(Controls):
        def __init__(self):
            super().__init__()
            self.held, self.released = threading.Event(), threading.Event()

        def wait_if_paused(self) -> float:
            if self.running.is_set():
                return super().wait_if_paused()
            self.held.set()
            try:
                return super().wait_if_paused()
            finally:
                self.released.set()

    return ObservedControls()


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """An empty runs folder (AAE_RUNS_DIR) for this test."""
    root = tmp_path / "runs"
    monkeypatch.setenv("AAE_RUNS_DIR", str(root))
    return root


@pytest.fixture
def registry(runs):
    """A fresh run service (at most 2 active runs); every run is stopped afterwards."""
    from aae_core.training.runs import RunService

    reg = RunService(max_runs=2)
    yield reg
    reg.stop_all(timeout=10)
