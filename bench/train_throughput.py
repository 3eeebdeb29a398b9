"""Training-step throughput of every model on this machine, as a share of its matmul peak.

For each model: images/s of one train_step (batch 100, 2-D latent), with the paper's
2 x 1000 networks and the app default (2 x 256); FLOPs of a step are counted by
torch's FlopCounterMode (matmuls: what the peak measures), and the achieved GFLOP/s is
given as a share of torch.mm on large matrices measured in the same process.

    .venv/bin/python -m bench.train_throughput [--steps 20] [--models aae,vae]
"""

from __future__ import annotations

import math
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from aae_core.config import APP_HIDDEN, PAPER_HIDDEN, ModelConfig
from aae_core.models import MODELS, Batch, build_model
from aae_core.priors import PriorSpec
from bench.args import Names, Whole, parser, run_script

BATCH = 100


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best of 5 large torch.mm calls, in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def make_batch(model_name: str) -> Batch:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(BATCH, 784, generator=gen)
    y = torch.randint(0, 10, (BATCH,), generator=gen)
    return Batch(x, y, x, y)


def prior_for(model_name: str) -> PriorSpec:
    """The model's first supported prior (gaussian, or mixture for the label-regularized)."""
    return PriorSpec(name=MODELS[model_name].supported_priors[0])


def measure(model_name: str, hidden: tuple[int, ...], steps: int) -> dict:
    cfg = ModelConfig(model=model_name, prior=prior_for(model_name), hidden=hidden,
                      disc_hidden=hidden)
    model = build_model(cfg)
    batch = make_batch(model_name)
    for _ in range(3):  # warm-up: optimizer state allocation, allocator
        model.train_step(batch)
    with FlopCounterMode(display=False) as counter:
        model.train_step(batch)
    flops = counter.get_total_flops()
    per_step = math.inf  # best of 3 timed blocks: robust to a busy neighbour on 2 cores
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            model.train_step(batch)
        per_step = min(per_step, (time.perf_counter() - t0) / steps)
    return {"images_per_s": BATCH / per_step, "ms_per_step": per_step * 1e3,
            "gflops": flops / per_step / 1e9, "gflop_per_step": flops / 1e9}


def build_parser():
    p = parser("python -m bench.train_throughput", __doc__)
    p.add_argument("--steps", type=Whole(1, 10_000), default=20, help="timed steps per block")
    p.add_argument("--models", type=Names(tuple(MODELS)), default=tuple(MODELS))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.manual_seed(0)
    peak = matmul_peak_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"matmul peak (2048^3 torch.mm): {peak:.1f} GFLOP/s")
    print(f"{'model':<22} {'networks':<10} {'images/s':>9} {'ms/step':>8} {'GFLOP/step':>10} "
          f"{'GFLOP/s':>8} {'of peak':>8}")
    results = []
    for name in args.models:
        for label, hidden in (("2x1000", PAPER_HIDDEN), ("2x256", APP_HIDDEN)):
            r = measure(name, hidden, args.steps)
            results.append(r)
            print(f"{name:<22} {label:<10} {r['images_per_s']:>9.0f} {r['ms_per_step']:>8.1f} "
                  f"{r['gflop_per_step']:>10.2f} {r['gflops']:>8.1f} {r['gflops'] / peak:>8.0%}")

    return 0


if __name__ == "__main__":
    run_script(main)
