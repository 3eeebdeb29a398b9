"""What measuring digits costs, and how far the fast setting is from the reference one.

    python -m bench.morphometry [--digits 200] [--traversal 300] [--workers N]

Prints
- ms per digit measured the reference way (4x upsampling, medial axis) on one core, on
  MNIST's first t10k images (synthetic digits when MNIST is not in $AAE_DATA_DIR);
- the same digits through a process pool of --workers processes (a dataset's one-off cost);
- seconds for a page's traversal: --traversal digits decoded by the shipped 2-D AAE along
  its latent dimensions, measured the fast way (4x upsampling, thinning) and named by a
  judge, through the page's own function (aae_core.analysis.traversal.traverse);
- the fast setting's agreement with the reference one on those decoded digits (Pearson r
  and mean absolute difference per measure).
"""

from __future__ import annotations

import os
import time

import numpy as np

from aae_core.analysis.morphometry import MEASURES, REFERENCE, measure_digits
from aae_core.data import available, load_dataset, synthetic_digits
from bench.args import MAX_THREADS, Whole, parser, run_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dataset_digits(n: int) -> tuple[str, np.ndarray]:
    if available("mnist-10k"):
        return "MNIST t10k", load_dataset("mnist-10k").train_x[:n].numpy()
    return "synthetic digits", synthetic_digits(n_train=n, n_test=1).train_x.numpy()


def shipped_traversal(n_digits: int):
    """The page's traversal (aae_core.analysis.traversal.traverse: decode, measure the fast
    way, name each digit with the shipped judge) of the shipped 2-D AAE, its two dimensions
    traversed over and over until n_digits digits are decoded (15 steps each); returns
    the Traversal and the seconds it took."""
    import torch

    from aae_core.analysis.sample_quality import Judge
    from aae_core.analysis.traversal import STEPS, code_spread, traverse
    from aae_core.store.checkpoints import load_checkpoint

    model = load_checkpoint(os.path.join(ROOT, "checkpoints", "aae-gaussian")).model
    mean, sd = code_spread(model.prior.sample(2000).numpy())
    judge = Judge(784, 10)  # the shipped judge's shape; untrained weights cost the same
    steps = STEPS[1]
    dims = [d % model.latent_dim for d in range(max(1, n_digits // steps))]

    def name_digits(images):
        with torch.no_grad():
            return judge(torch.as_tensor(images)).argmax(1).numpy()

    start = time.perf_counter()
    walk = traverse(model, mean, mean, sd, steps=steps, dims=dims, name_digits=name_digits)
    return walk, time.perf_counter() - start


def build_parser():
    p = parser("python -m bench.morphometry", __doc__)
    p.add_argument("--digits", type=Whole(1, 70_000), default=200,
                   help="digits measured the reference way")
    p.add_argument("--traversal", type=Whole(15, 3_000), default=300,
                   help="decoded digits in the page's traversal")
    p.add_argument("--workers", type=Whole(1, MAX_THREADS), default=os.cpu_count() or 1,
                   help="processes measuring at once")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    source, digits = dataset_digits(args.digits)
    start = time.perf_counter()
    measure_digits(digits, REFERENCE)
    one_core = (time.perf_counter() - start) / len(digits)
    print(f"reference way, one core: {one_core * 1000:.1f} ms/digit ({len(digits)} {source}; "
          f"MNIST's 70,000 digits: {70_000 * one_core / 60:.0f} core-minutes, once)")
    start = time.perf_counter()
    measure_digits(digits, REFERENCE, workers=args.workers)
    pooled = (time.perf_counter() - start) / len(digits)
    print(f"reference way, {args.workers} processes: {pooled * 1000:.1f} ms/digit "
          f"(the pool's start-up included: a few seconds, so it pays off from a few "
          f"thousand digits on free cores)")

    walk, seconds = shipped_traversal(args.traversal)
    decoded = walk.images.reshape(-1, 28, 28)
    print(f"a page's traversal of {len(decoded)} decoded digits (decode, measure the fast "
          f"way, judge): {seconds:.2f} s")
    fast = walk.measures.reshape(-1, len(MEASURES))
    reference = measure_digits(decoded, REFERENCE)
    agreement = ", ".join(
        f"{name} r={np.corrcoef(fast[:, j], reference[:, j])[0, 1]:.3f} "
        f"|d|={np.abs(fast[:, j] - reference[:, j]).mean():.3f}"
        for j, name in enumerate(MEASURES))
    print(f"fast vs reference on those digits: {agreement}")
    return 0


if __name__ == "__main__":
    run_script(main)
