"""Shared test set-up: the real MNIST split when it lies beside the checkout, else nothing.

Tests that need real data skip cleanly without it; everything else runs on the
project's own synthetic digits, offline.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"

if "AAE_DATA_DIR" not in os.environ and SHARED_MNIST.is_dir():
    os.environ["AAE_DATA_DIR"] = str(SHARED_MNIST)


def mnist_10k_available() -> bool:
    folder = Path(os.environ.get("AAE_DATA_DIR", SHARED_MNIST))
    return any(folder.glob("t10k-images-idx3-ubyte*"))


requires_mnist_10k = pytest.mark.skipif(
    not mnist_10k_available(), reason="MNIST t10k files not found (set AAE_DATA_DIR)"
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
