"""The server's memory (RSS) before a Train-page run, during it, and after Stop.

A big model trains through the run service (the Train page's path, in this process, as in
the Streamlit server); the process's resident memory is read from /proc/self/status:

    before   the process with the data set loaded, no run
    during   the run training (weights, gradients, Adam moments, activations)
    stopped  after Stop: the checkpoint is saved and the finished run is still listed
             (its progress, codes and samples stay for the page; its model is released)

    python -m bench.memory_release [--hidden 2048,2048] [--train-s 6]

Nothing here is a test: it prints figures. Checkpoints go to a temporary folder.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time

from aae_core.config import MAX_LAYER_SIZE, MAX_LAYERS
from bench.args import MAX_SECONDS, Number, Wholes, parser, run_script


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build_parser():
    p = parser("python -m bench.memory_release", __doc__)
    p.add_argument("--hidden", type=Wholes(1, MAX_LAYER_SIZE, MAX_LAYERS), default=(2048, 2048))
    p.add_argument("--train-s", type=Number(0.5, MAX_SECONDS), default=6.0,
                   help="seconds of training")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import aae_core.models  # noqa: F401  (registers the models ModelConfig checks against)
    from aae_core.config import ModelConfig, TrainConfig

    cfg = ModelConfig(hidden=args.hidden, disc_hidden=(256, 256))  # over the limit: one line
    os.environ["AAE_RUNS_DIR"] = tempfile.mkdtemp(prefix="aae-mem-")
    import torch

    from aae_core.data import load_dataset
    from aae_core.training.runs import RunService

    torch.set_num_threads(1)
    load_dataset("synthetic-digits")
    gc.collect()
    before = rss_mb()
    registry = RunService(max_runs=1, threads=1)
    run = registry.start("bench", cfg, TrainConfig(epochs=50, batch_size=100), "big")
    n_params = sum(p.numel() for p in run.trainer.model.parameters())
    deadline = time.time() + args.train_s
    peak = before
    while time.time() < deadline:
        peak = max(peak, rss_mb())
        time.sleep(0.2)
    during = rss_mb()
    print(f"after {args.train_s:.0f} s: {run.progress().state}, step {run.progress().step}")
    progress = registry.stop("bench", "big", timeout=120)
    run.thread.join(120)
    gc.collect()
    time.sleep(0.5)
    after = rss_mb()
    print(f"model: hidden {','.join(map(str, args.hidden))}, {n_params / 1e6:.1f} M parameters "
          f"({n_params * 4 / 2**20:.0f} MB of float32 weights)")
    print(f"run: {progress.state}, {progress.step} steps, checkpoint {progress.checkpoint}")
    print(f"RSS before the run     {before:8.0f} MB")
    print(f"RSS during (peak)      {peak:8.0f} MB   (+{peak - before:.0f})")
    print(f"RSS during (last)      {during:8.0f} MB")
    print(f"RSS after Stop         {after:8.0f} MB   (+{after - before:.0f} kept by the "
          f"finished run and the allocator)")
    print(f"finished runs listed: {[r.name for r in registry.runs()]}, "
          f"released: {getattr(run.trainer, 'released', False)}")
    return 0


if __name__ == "__main__":
    run_script(main)
