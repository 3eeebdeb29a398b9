"""Training-step throughput of every model on this machine, as a share of its matmul peak.

For each model: images/s of one train_step (batch 100, 2-D latent), with the paper's
2 x 1000 networks and the app default (2 x 256); FLOPs of a step are counted by
torch's FlopCounterMode (matmuls: what the peak measures), and the achieved GFLOP/s is
given as a share of torch.mm on large matrices measured in the same process. The peak is
probed again beside every timed block and the best probe of the whole run is the one
every row is divided by: a neighbour that slows one probe (the CPU time of a large
matmul grows when another process shares the L3 cache and memory bus) cannot inflate the
shares.

Every step runs with the training processes' allocator setting (aae_core/device.py,
keep_tensors_in_the_heap). --allocator both adds, per row, the same step with glibc's
default thresholds (large blocks mmapped and unmapped every step), interleaved in the same
process, and the ratio of the two.

    .venv/bin/python -m bench.train_throughput [--steps 20] [--models aae,vae]
                                               [--allocator heap|both]
"""

from __future__ import annotations

import math
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from aae_core.config import APP_HIDDEN, PAPER_HIDDEN, ModelConfig
from aae_core.device import (
    GLIBC_MMAP_THRESHOLD,
    GLIBC_TRIM_THRESHOLD,
    HEAP_MMAP_THRESHOLD,
    HEAP_TRIM_THRESHOLD,
    keep_tensors_in_the_heap,
    set_malloc_thresholds,
)
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
        t0 = clock()
        torch.mm(a, b)
        best = min(best, clock() - t0)
    return 2 * n**3 / best / 1e9


def make_batch(model_name: str) -> Batch:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(BATCH, 784, generator=gen)
    y = torch.randint(0, 10, (BATCH,), generator=gen)
    return Batch(x, y, x, y)


def prior_for(model_name: str) -> PriorSpec:
    """The model's first supported prior (gaussian, or mixture for the label-regularized)."""
    return PriorSpec(name=MODELS[model_name].supported_priors[0])


def clock() -> float:
    """Seconds of this process's CPU time with one torch thread (user + system: page faults
    and the kernel's page zeroing count): what a step costs, steady when other processes
    share the cores; wall time with more threads (their CPU time would add up)."""
    return time.process_time() if torch.get_num_threads() == 1 else time.perf_counter()


def use_allocator(kind: str) -> None:
    """'heap': the training setting; 'glibc': glibc's default thresholds."""
    if kind == "heap":
        set_malloc_thresholds(HEAP_MMAP_THRESHOLD, HEAP_TRIM_THRESHOLD)
    else:
        set_malloc_thresholds(GLIBC_MMAP_THRESHOLD, GLIBC_TRIM_THRESHOLD)


class Peak:
    """The best matmul peak seen so far in this process, in GFLOP/s (probe() measures
    again)."""

    def __init__(self):
        self.gflops = 0.0

    def probe(self) -> None:
        self.gflops = max(self.gflops, matmul_peak_gflops())


def measure(model_name: str, hidden: tuple[int, ...], steps: int,
            allocators: tuple[str, ...] = ("heap",), peak: Peak | None = None) -> dict:
    cfg = ModelConfig(model=model_name, prior=prior_for(model_name), hidden=hidden,
                      disc_hidden=hidden)
    model = build_model(cfg)
    batch = make_batch(model_name)
    for _ in range(3):  # warm-up: optimizer state allocation, allocator
        model.train_step(batch)
    with FlopCounterMode(display=False) as counter:
        model.train_step(batch)
    flops = counter.get_total_flops()
    # best of 3 timed blocks per allocator, interleaved: robust to a busy neighbour on 2 cores
    per_step = dict.fromkeys(allocators, math.inf)
    for _ in range(3):
        if peak is not None:
            peak.probe()
        for kind in allocators:
            use_allocator(kind)
            model.train_step(batch)  # the allocator's first step after a switch is not timed
            t0 = clock()
            for _ in range(steps):
                model.train_step(batch)
            per_step[kind] = min(per_step[kind], (clock() - t0) / steps)
    use_allocator("heap")
    heap = per_step["heap"]
    return {"images_per_s": BATCH / heap, "ms_per_step": heap * 1e3,
            "gflops": flops / heap / 1e9, "gflop_per_step": flops / 1e9,
            "glibc_ms_per_step": per_step["glibc"] * 1e3 if "glibc" in per_step else None}


def build_parser():
    p = parser("python -m bench.train_throughput", __doc__)
    p.add_argument("--steps", type=Whole(1, 10_000), default=20, help="timed steps per block")
    p.add_argument("--models", type=Names(tuple(MODELS)), default=tuple(MODELS))
    p.add_argument("--allocator", choices=("heap", "both"), default="heap",
                   help="both: also time glibc's default thresholds, interleaved")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.manual_seed(0)
    peak = Peak()
    peak.probe()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads "
          f"({'CPU' if torch.get_num_threads() == 1 else 'wall'} time)")
    allocators = ("heap", "glibc") if args.allocator == "both" else ("heap",)
    keep_tensors_in_the_heap()
    rows = [(name, label, measure(name, hidden, args.steps, allocators, peak))
            for name in args.models
            for label, hidden in (("2x1000", PAPER_HIDDEN), ("2x256", APP_HIDDEN))]
    print(f"matmul peak (2048^3 torch.mm, best of {3 * len(rows) + 1} probes): "
          f"{peak.gflops:.1f} GFLOP/s")
    print(f"{'model':<22} {'networks':<10} {'images/s':>9} {'ms/step':>8} {'GFLOP/step':>10} "
          f"{'GFLOP/s':>8} {'of peak':>8}"
          + (f" {'glibc ms':>9} {'heap speed-up':>13}" if len(allocators) > 1 else ""))
    for name, label, r in rows:
        row = (f"{name:<22} {label:<10} {r['images_per_s']:>9.0f} {r['ms_per_step']:>8.1f} "
               f"{r['gflop_per_step']:>10.2f} {r['gflops']:>8.1f} "
               f"{r['gflops'] / peak.gflops:>8.0%}")
        if r["glibc_ms_per_step"] is not None:
            row += (f" {r['glibc_ms_per_step']:>9.1f} "
                    f"{r['glibc_ms_per_step'] / r['ms_per_step']:>12.2f}x")
        print(row)

    return 0


if __name__ == "__main__":
    run_script(main)
