"""Torch threads for CPU training: images/s idle and beside a busy process, 1 vs all threads.

The policy under test (aae_core/device.py, cpu_threads): one intra-op thread per CPU run,
unless --threads or $AAE_TRAIN_THREADS says otherwise. It must cost a run at most its fair
share on a busy machine (the app trains next to its own server and a browser; a sweep next
to another run). Each figure is one fresh worker process training the default 2-D AAE
setting (2 x 256 networks, batches of 50; --hidden 512: the shipped models' networks) on
real digits for --seconds after a warm-up, with `torch.set_num_threads(N)` and
OMP_WAIT_POLICY as named, alone ("idle") or beside one process that spins on a core
("busy", like `yes > /dev/null`). Rows are interleaved over --rounds rounds; the median is
printed, and each ratio is taken against the policy's own idle figure of the same run.

    .venv/bin/python -m bench.thread_policy [--seconds 6] [--rounds 3] [--hidden 256]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.args import Whole, parser, run_script

REPO_ROOT = Path(__file__).resolve().parents[1]


class WorkerFailed(ValueError):
    """A measuring process ended badly: its last line, as the one line the script prints."""


def worker(threads: int, seconds: float, hidden: int) -> None:
    """Train for `seconds` after a warm-up; print images/s (the parent reads the last line)."""
    import torch

    from aae_core.config import ModelConfig
    from aae_core.data import available, load_dataset
    from aae_core.models import Batch, build_model
    from aae_core.priors import PriorSpec

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    name = "mnist-10k" if available("mnist-10k") else "synthetic-digits"
    data = load_dataset(name, download=False)
    model = build_model(ModelConfig(model="aae", prior=PriorSpec(name="mixture", dim=2),
                                    hidden=(hidden, hidden), disc_hidden=(hidden, hidden),
                                    generator_weight=1.0))
    batch_size, n = 50, data.train_x.shape[0]
    order = torch.randperm(n)

    def step(i: int) -> None:
        idx = order[(i * batch_size) % (n - batch_size):][:batch_size]
        x, y = data.train_x[idx], data.train_y[idx]
        model.train_step(Batch(x, y, x, y))

    for i in range(20):  # warm-up: optimizer state, allocator
        step(i)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step(steps)
        steps += 1
    print(f"{steps * batch_size / (time.perf_counter() - t0):.1f} {name}")


def measure(threads: int, wait: str, busy: bool, seconds: float, hidden: int) -> tuple[float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": wait,
           "PYTHONPATH": str(REPO_ROOT)}
    spinner = (subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.thread_policy", "--worker", str(threads),
             "--seconds", str(seconds), "--hidden", str(hidden)],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if out.returncode != 0:
        raise WorkerFailed(f"a worker failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    rate, dataset = out.stdout.split()[-2:]
    return float(rate), dataset


def build_parser():
    p = parser("python -m bench.thread_policy", __doc__, raw=True)
    p.add_argument("--seconds", type=Whole(1, 120), default=6, help="a figure's window")
    p.add_argument("--rounds", type=Whole(1, 20), default=3, help="interleaved rounds")
    p.add_argument("--hidden", type=Whole(8, 4096), default=256, help="layer width")
    p.add_argument("--worker", type=Whole(1, 256), default=None, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    seconds, rounds, hidden = args.seconds, args.rounds, args.hidden
    if args.worker is not None:
        worker(args.worker, seconds, hidden)
        return 0
    cores = os.cpu_count() or 1
    rows = [(1, "PASSIVE")]
    if cores > 1:
        rows += [(cores, "ACTIVE"), (cores, "PASSIVE")]
    figures: dict[tuple, list[float]] = {}
    dataset = "?"
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for threads, wait in rows:
            for busy in (False, True):
                rate, dataset = measure(threads, wait, busy, seconds, hidden)
                figures.setdefault((threads, wait, busy), []).append(rate)
    print(f"{cores} cores, 2-D AAE 2x{hidden}, batch 50, {dataset}; {seconds} s a figure, "
          f"median of {rounds}; load average at the start {load:.2f}")
    policy_idle = statistics.median(figures[(1, "PASSIVE", False)])
    print(f"{'threads':>7} {'OMP wait':>8} {'idle img/s':>11} {'busy img/s':>11} "
          f"{'busy/idle':>9} {'busy vs policy idle':>19}")
    for threads, wait in rows:
        idle = statistics.median(figures[(threads, wait, False)])
        busy = statistics.median(figures[(threads, wait, True)])
        mark = "  <- the policy" if (threads, wait) == (1, "PASSIVE") else ""
        print(f"{threads:>7} {wait:>8} {idle:>11.0f} {busy:>11.0f} {busy / idle:>9.2f} "
              f"{busy / policy_idle:>19.2f}{mark}")
    return 0


if __name__ == "__main__":
    run_script(main)
