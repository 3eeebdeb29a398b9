"""What measuring digits costs, and how far the fast setting is from the reference one.

    python -m bench.morphometry [--digits 200] [--traversal 300] [--workers N]

Prints
- ms per digit measured the reference way (4x upsampling, medial axis) on one core, on
  MNIST's first t10k images (synthetic digits when MNIST is not in $AAE_DATA_DIR);
- the same digits through a process pool of --workers processes (a dataset's one-off cost);
- seconds for a page's traversal: --traversal digits decoded by the shipped 2-D AAE along
  each latent dimension and measured the fast way (4x upsampling, thinning);
- the fast setting's agreement with the reference one on those decoded digits (Pearson r
  and mean absolute difference per measure).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from aae_core.analysis.morphometry import FAST, MEASURES, REFERENCE, measure_digits
from aae_core.data import available, load_dataset, synthetic_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dataset_digits(n: int) -> tuple[str, np.ndarray]:
    if available("mnist-10k"):
        return "MNIST t10k", load_dataset("mnist-10k").train_x[:n].numpy()
    return "synthetic digits", synthetic_digits(n_train=n, n_test=1).train_x.numpy()


def decoded_traversal(n: int) -> np.ndarray:
    """n digits decoded by the shipped 2-D AAE: each dimension from -2 to +2 sd, the
    other held at 0 (the prior's mean)."""
    from aae_core.analysis.explore import decode_points
    from aae_core.store.checkpoints import load_checkpoint

    model = load_checkpoint(os.path.join(ROOT, "checkpoints", "aae-gaussian")).model
    steps = n // model.latent_dim
    codes = np.zeros((model.latent_dim, steps, model.latent_dim), np.float32)
    for d in range(model.latent_dim):
        codes[d, :, d] = np.linspace(-2, 2, steps)
    return decode_points(model, codes.reshape(-1, model.latent_dim))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--traversal", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    source, digits = dataset_digits(args.digits)
    start = time.perf_counter()
    measure_digits(digits, REFERENCE)
    one_core = (time.perf_counter() - start) / len(digits)
    print(f"reference way, one core: {one_core * 1000:.1f} ms/digit ({len(digits)} {source})")
    start = time.perf_counter()
    measure_digits(digits, REFERENCE, workers=args.workers)
    pooled = (time.perf_counter() - start) / len(digits)
    print(f"reference way, {args.workers} processes: {pooled * 1000:.1f} ms/digit "
          f"(pool start included); MNIST's 70,000 digits: about "
          f"{70_000 * pooled / 60:.0f} min once, then read from the cache")

    decoded = decoded_traversal(args.traversal)
    start = time.perf_counter()
    fast = measure_digits(decoded, FAST)
    print(f"traversal of {len(decoded)} decoded digits, fast way: "
          f"{time.perf_counter() - start:.2f} s")
    reference = measure_digits(decoded, REFERENCE)
    agreement = ", ".join(
        f"{name} r={np.corrcoef(fast[:, j], reference[:, j])[0, 1]:.3f} "
        f"|d|={np.abs(fast[:, j] - reference[:, j]).mean():.3f}"
        for j, name in enumerate(MEASURES))
    print(f"fast vs reference on those digits: {agreement}")


if __name__ == "__main__":
    main()
