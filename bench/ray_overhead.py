"""What Ray costs here: a sweep of 8 short runs via Ray vs one after another, and a run's
images/s through a Ray actor vs in this process.

    .venv/bin/python -m bench.ray_overhead [--runs 8] [--epochs 1] [--cpus 2]

1. The sweep: 8 seeds of a small AAE on synthetic-digits, as bench.experiments trains
   them (each a Ray task with one CPU, on a local Ray of --cpus CPUs, checkpoints shipped
   back as bytes), against the same 8 commands run one after another in this process with
   one torch thread. Ray's start is timed apart.
2. One run: the Train page's loop in a thread here vs the same run on a Ray actor (what
   the app does with AAE_RAY_ADDRESS): the loop's own images/s, and end to end (all the
   images over the wall time from start to the checkpoint on this disk, so the actor's
   start, the polling and the checkpoint's trip back count).

Prints figures only; nothing here is asserted. The load average is printed with them:
on a shared machine, other work changes every figure.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import torch

from aae_core.cli import main as cli_main
from aae_core.config import ModelConfig, TrainConfig
from aae_core.training import remote
from aae_core.training.train import RunState, TrainingRun, make_trainer
from bench import experiments
from bench.args import Whole, parser, run_script

NETS = ("--latent-dim", "2", "--hidden", "64,64", "--disc-hidden", "64,64")


def sweep_via_ray(runs: int, epochs: int, cpus: int, root: Path) -> tuple[float, float]:
    """(seconds to start Ray, seconds for the sweep) with `runs` seeds as Ray tasks."""
    t0 = time.perf_counter()
    remote.connect(None, num_cpus=cpus)
    started = time.perf_counter() - t0
    saved_runs, experiments.RUNS = experiments.RUNS, root / "ray"
    plan = [experiments.Run("bench-aae", ("--model", "aae", *NETS), epochs)]
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            experiments.train_runs(plan, "synthetic-digits", seeds=tuple(range(runs)),
                                   retrain=True, jobs=cpus)
    finally:
        experiments.RUNS = saved_runs
    return started, time.perf_counter() - t0


def sweep_in_turn(runs: int, epochs: int, root: Path) -> float:
    """Seconds for the same commands one after another here (one torch thread)."""
    torch.set_num_threads(1)
    run = experiments.Run("bench-aae", ("--model", "aae", *NETS), epochs)
    t0 = time.perf_counter()
    for seed in range(runs):
        argv = run.argv("synthetic-digits", root / "seq" / f"s{seed}", seed=seed)
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli_main(argv) == 0
    return time.perf_counter() - t0


def one_run(trainer) -> tuple[float, float]:
    """(the loop's images/s, end-to-end images/s) of a trainer run to the end."""
    t0 = time.perf_counter()
    run = TrainingRun(trainer).start()
    run.thread.join()
    wall = time.perf_counter() - t0
    p = run.progress()
    if p.state != RunState.FINISHED:
        raise SystemExit(f"the run ended {p.state}: {p.message}")
    return p.images_per_s, p.step * trainer.train_cfg.batch_size / wall


def build_parser():
    p = parser("python -m bench.ray_overhead", __doc__, raw=True)
    p.add_argument("--runs", type=Whole(1, 64), default=8, help="runs of the sweep")
    p.add_argument("--epochs", type=Whole(1, 100), default=1, help="epochs of each sweep run")
    cpus = experiments.MAX_JOBS
    p.add_argument("--cpus", type=Whole(1, cpus), default=min(2, cpus),
                   help="CPUs of the local Ray (at most this machine's)")
    p.add_argument("--run-epochs", type=Whole(1, 100), default=3,
                   help="epochs of the single run")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started, ray_s = sweep_via_ray(args.runs, args.epochs, args.cpus, root)
        seq_s = sweep_in_turn(args.runs, args.epochs, root)
        print(f"sweep of {args.runs} runs ({args.epochs} epoch each, synthetic-digits, 64x64):")
        print(f"  Ray start (local, {args.cpus} CPUs, no dashboard): {started:6.1f} s")
        print(f"  via Ray, {args.cpus} at a time:                 {ray_s:6.1f} s "
              f"({ray_s / args.runs:.1f} s a run)")
        print(f"  one after another, here:                {seq_s:6.1f} s "
              f"({seq_s / args.runs:.1f} s a run)")
        print(f"  speed-up: {seq_s / ray_s:.2f}x (Ray's start not counted), "
              f"{seq_s / (ray_s + started):.2f}x (counted)")

        model_cfg = ModelConfig(hidden=(256, 256), disc_hidden=(256, 256))
        train_cfg = TrainConfig(dataset="synthetic-digits", epochs=args.run_epochs,
                                batch_size=100, device="cpu")
        torch.set_num_threads(1)
        local = one_run(make_trainer(model_cfg, train_cfg, out_dir=root / "local"))
        far = one_run(remote.make_remote_trainer(model_cfg, train_cfg, address=None,
                                                 out_dir=root / "remote"))
        print(f"one run ({args.run_epochs} epochs, 256x256, batch 100, one thread):")
        print(f"  in-process thread: loop {local[0]:7.0f} images/s, end to end "
              f"{local[1]:7.0f} images/s")
        print(f"  Ray actor:         loop {far[0]:7.0f} images/s, end to end "
              f"{far[1]:7.0f} images/s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    run_script(main)
