"""A classroom on one device: total training throughput with 1, 4 and 8 runs at once.

Each run is what the server starts for a user: a Trainer in its own thread (a TrainingRun,
one torch thread, live snapshots every second), its own model and its own copy of the
data, all on one device. After a warm-up (CUDA-graph capture included) the steps of every
run are counted over a fixed window; the table gives the total images/s, the share each
run gets and the speed-up over one run. It checks the run limit of aae_core/training/capacity.py.

    .venv/bin/python -m bench.train_concurrency                      # auto device, 1,4,8
    .venv/bin/python -m bench.train_concurrency --device cpu --counts 1,2 --seconds 3 \
        --hidden 32                                                  # small, on a CPU
"""

from __future__ import annotations

import time

import torch

from aae_core.config import MAX_LAYER_SIZE, MAX_LAYERS, MAX_PARAMETERS, ModelConfig, TrainConfig
from aae_core.data import synthetic_digits
from aae_core.device import resolve_device
from aae_core.models import MODELS
from aae_core.priors import PriorSpec
from aae_core.training.capacity import describe_device, run_limit
from aae_core.training.train import Controls, Trainer, TrainingRun, make_trainer
from bench.args import DEVICE, MAX_SECONDS, MAX_THREADS, Number, Whole, Wholes, parser, run_script

WARMUP_STEPS = 20  # steps each run does before the window opens (capture: after 3)
MAX_RUNS = 16  # runs at once in one measurement (the server's limit is far lower)


def model_config(model: str, hidden: tuple[int, ...]) -> ModelConfig:
    prior = MODELS[model].supported_priors[0]  # gaussian; mixture for label-regularized
    return ModelConfig(model=model, prior=PriorSpec(name=prior), hidden=hidden,
                       disc_hidden=hidden)


def check_memory(counts: tuple[int, ...], cfg: ModelConfig) -> None:
    """The most runs at once hold at most MAX_PARAMETERS weights together (one model's
    limit; each also keeps its gradients, Adam moments and a copy of the data)."""
    total = max(counts) * MODELS[cfg.model].parameter_count(cfg)
    if total > MAX_PARAMETERS:
        raise ValueError(f"{max(counts)} runs of this model hold {total:,} parameters "
                         f"together, more than {MAX_PARAMETERS:,}: use fewer runs in "
                         f"--counts or a smaller --hidden")


def start_runs(count: int, *, device: str, model: str, hidden: tuple[int, ...],
               batch_size: int, data, cuda_graph: str | None) -> list[TrainingRun]:
    cfg = model_config(model, hidden)
    runs = []
    for seed in range(count):
        train = TrainConfig(epochs=10_000, batch_size=batch_size, seed=seed, device=device,
                            log_every=10)
        trainer = make_trainer(cfg, train, dataset=data, controls=Controls(),
                               cuda_graph=cuda_graph)
        runs.append(TrainingRun(trainer).start())
    return runs


def steps_done(runs: list[TrainingRun]) -> list[int]:
    return [r.progress().step for r in runs]


def wait_until(condition, what: str, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def measure(count: int, *, seconds: float, device: str = "auto", model: str = "aae",
            hidden: tuple[int, ...] = (256, 256), batch_size: int = 100, data=None,
            cuda_graph: str | None = None) -> dict:
    """Total images/s of `count` concurrent runs over `seconds` (after a warm-up)."""
    data = data if data is not None else synthetic_digits()
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    runs = start_runs(count, device=device, model=model, hidden=hidden,
                      batch_size=batch_size, data=data, cuda_graph=cuda_graph)
    try:
        wait_until(lambda: min(steps_done(runs)) >= WARMUP_STEPS, "the warm-up")
        before, t0 = steps_done(runs), time.perf_counter()
        time.sleep(seconds)  # then on until every run has logged steps in the window
        wait_until(lambda: min(b - a for a, b in zip(before, steps_done(runs),
                                                     strict=True)) > 0, "steps of every run")
        after, t1 = steps_done(runs), time.perf_counter()
    finally:
        for run in runs:
            run.stop(timeout=60)
    errors = [str(r.error) for r in runs if r.error is not None]
    steps = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(steps) * batch_size / (t1 - t0)
    memory = torch.cuda.max_memory_allocated(dev) if dev.type == "cuda" else 0
    modes = {r.trainer.step_runner.describe() for r in runs if isinstance(r.trainer, Trainer)}
    return {"runs": count, "images_per_s": total, "per_run": total / count,
            "min_run_steps": min(steps), "memory_per_run_mib": memory / count / 2**20,
            "step": ", ".join(sorted(modes)), "errors": errors}


def build_parser():
    p = parser("python -m bench.train_concurrency", __doc__)
    p.add_argument("--device", type=DEVICE, default="auto")
    p.add_argument("--counts", type=Wholes(1, MAX_RUNS, 8), default=(1, 4, 8),
                   help=f"runs at once per measurement, comma-separated (each 1..{MAX_RUNS})")
    p.add_argument("--seconds", type=Number(0.1, MAX_SECONDS), default=10.0)
    p.add_argument("--model", choices=list(MODELS), default="aae")
    p.add_argument("--hidden", type=Wholes(1, MAX_LAYER_SIZE, MAX_LAYERS), default=(256, 256))
    p.add_argument("--batch-size", type=Whole(2, 4096), default=100)
    p.add_argument("--cuda-graph", choices=["auto", "on", "off"], default=None)
    p.add_argument("--threads", type=Whole(1, MAX_THREADS), default=1,
                   help="torch threads per run (server: 1)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_memory(args.counts, model_config(args.model, args.hidden))  # before any run
    info = describe_device(resolve_device(args.device))  # a device that is not there: one line
    torch.set_num_threads(args.threads)  # the default for the runs' threads too
    hidden = ",".join(map(str, args.hidden))
    print(f"device {info.summary()}; server run limit here: {run_limit(info)}; "
          f"{args.model} {hidden} batch {args.batch_size}, {args.seconds:.0f} s windows")
    print(f"{'runs':>4} {'images/s':>10} {'per run':>9} {'speed-up':>8} {'MiB/run':>8}  step")
    data, single = synthetic_digits(), None
    for count in args.counts:
        r = measure(count, seconds=args.seconds, device=args.device, model=args.model,
                    hidden=args.hidden, batch_size=args.batch_size, data=data,
                    cuda_graph=args.cuda_graph)
        single = single or r["images_per_s"]
        speed_up = r["images_per_s"] / single if single else float("nan")
        print(f"{count:>4} {r['images_per_s']:>10.0f} {r['per_run']:>9.0f} "
              f"{speed_up:>7.2f}x {r['memory_per_run_mib']:>8.0f}  "
              f"{r['step']}{'  ERRORS: ' + '; '.join(r['errors']) if r['errors'] else ''}",
              flush=True)
    return 0


if __name__ == "__main__":
    run_script(main)
