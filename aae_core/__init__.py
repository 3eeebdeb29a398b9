"""aae_core: adversarial autoencoders and their comparisons (VAE, WAE), without any UI."""

import os

# OpenMP threads that wait at a barrier sleep instead of spinning. Read once, when torch
# loads its OpenMP runtime, so it is set here, before any torch import of this package: with
# spinning waits, 2 threads on a 2-core machine beside one busy process trained 7x slower
# than with passive ones (bench/thread_policy.py). A user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
