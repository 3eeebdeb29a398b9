"""The GPU proof: every model trains, evaluates, samples and reopens on the CPU;
the background run pauses, resumes and stops; each step is timed against a reference.

For every model, on the device:
  1. `python -m aae_core train` (in-process, the CLI's own code) for about --steps steps,
     then `eval --json` (must match the card: same device) and `sample` (a PNG);
  2. the checkpoint reopened on the CPU, with its optimizer: encode, sample and one more
     training step there, all finite;
  3. a background TrainingRun: pause (the step count holds), resume (it moves), stop (it
     saves a checkpoint that opens);
  4. its training step (what the trainer runs: CUDA-graph replay on CUDA, plus adding
     the losses on the device) timed against a reference of the same sizes: a plain-torch
     three-phase AAE step (encoder 784-h-h-2, decoder 2-h-h-784, discriminator 2-h-h-1,
     fused Adam), captured in a CUDA graph on CUDA. Target: within 1.5x of it, allowing
     for the model's own number of phases (a six-phase step does twice the work).
Prints one table; exits 1 if anything failed. Without a GPU, and without --device, it
says so and exits 0.

    .venv/bin/python -m bench.gpu_check                    # a machine with a CUDA GPU
    .venv/bin/python -m bench.gpu_check --device cpu --steps 5 --batch-size 800 \
        --hidden 32 --sizes 32x20 --time-steps 5           # every check, tiny, on a CPU
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from aae_core.cli import main as cli_main
from aae_core.config import MAX_LAYER_SIZE, MAX_LAYERS, ModelConfig, TrainConfig
from aae_core.data import synthetic_digits
from aae_core.device import resolve_device
from aae_core.models import MODELS, Batch, build_model
from aae_core.priors import PriorSpec
from aae_core.store.checkpoints import load_checkpoint
from aae_core.training.step import WARMUP_STEPS, LossMeter, make_step_runner
from aae_core.training.train import Controls, RunState, TrainingRun, make_trainer
from bench.args import DEVICE, Names, Pairs, Whole, Wholes, parser, run_script

TARGET = 1.5  # a model's step may take this much longer than the reference, per 3 phases
N_TRAIN = 4000  # synthetic-digits training images (the CLI's dataset here)


@dataclass
class Row:
    model: str
    checks: dict[str, str] = field(default_factory=dict)  # check -> "ok ..." or "FAIL ..."
    timings: dict[str, str] = field(default_factory=dict)  # size -> "ours/ref ms ratio"
    failures: list[str] = field(default_factory=list)

    def record(self, check: str, fn) -> None:
        """Run one check; its return value is the note shown, an exception a failure."""
        try:
            self.checks[check] = f"ok {fn()}".strip()
        except Exception as exc:  # a failed check is reported, never hidden
            line = (str(exc).strip().splitlines() or [""])[0]
            self.checks[check] = "FAIL"
            self.failures.append(f"{check}: {type(exc).__name__}: {line}")
            traceback.print_exc(file=sys.stderr)


def prior_of(model: str) -> str:
    return MODELS[model].supported_priors[0]


def expected_step_mode(device: torch.device) -> str:
    return "cuda-graph" if device.type == "cuda" else "eager"


def require(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# --- 1. the CLI ----------------------------------------------------------------------------


def run_cli(argv: list[str]) -> str:
    """The CLI in this process; returns its stdout, raises on a non-zero exit."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except SystemExit as exc:
            code = exc.code
    require(code == 0, f"`{' '.join(argv[:2])}` exited {code}: {err.getvalue().strip()}")
    return out.getvalue()


def cli_train(model: str, out: Path, args) -> str:
    per_epoch = max(1, N_TRAIN // args.batch_size)
    epochs = max(1, math.ceil(args.steps / per_epoch))
    hidden = ",".join(map(str, args.hidden))
    printed = run_cli(["train", "--model", model, "--prior", prior_of(model),
                       "--dataset", "synthetic-digits", "--epochs", str(epochs),
                       "--batch-size", str(args.batch_size), "--hidden", hidden,
                       "--disc-hidden", hidden, "--device", args.device, "--out", str(out),
                       "--no-progress"])
    require(printed.startswith("finished:"), f"train printed {printed[:80]!r}")
    card = load_checkpoint(out).card
    mode = expected_step_mode(torch.device(args.device))
    require(card["training_step"] == mode, f"the step ran {card['training_step']}, not {mode}")
    require(card["metrics_device"].split(":")[0] == torch.device(args.device).type,
            f"metrics computed on {card['metrics_device']}")
    return f"{card['steps']} steps {card['wall_time_s']:.1f}s {card['training_step']}"


def cli_eval(out: Path) -> str:
    result = json.loads(run_cli(["eval", str(out), "--json"]))
    card = load_checkpoint(out).card
    require(result["device"] == card["metrics_device"].split(":")[0],
            f"eval ran on {result['device']}, the card's metrics on {card['metrics_device']}")
    for key in ("knn_accuracy", "recon_bce", "prior_mmd"):
        require(result["metrics"][key] == card["metrics"][key],
                f"{key}: eval {result['metrics'][key]} vs card {card['metrics'][key]}")
    return f"knn {result['metrics']['knn_accuracy']:.3f}"


def cli_sample(out: Path, png: Path) -> str:
    run_cli(["sample", str(out), "-n", "16", "--out", str(png)])
    require(png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "sample wrote no PNG")
    return ""


# --- 2. reopened on the CPU ----------------------------------------------------------------


def reopen_on_cpu(out: Path, data) -> str:
    model = load_checkpoint(out, device="cpu", with_optimizer=True).model
    with torch.no_grad():
        codes = model.encode(data.test_x[:64])
        images = model.sample(8, generator=torch.Generator().manual_seed(0))
    require(bool(torch.isfinite(codes).all() and torch.isfinite(images).all()),
            "non-finite codes or samples on the CPU")
    model.train()
    losses = model.train_step(cpu_batch(model, data))  # the GPU's optimizer state, here
    require(all(bool(torch.isfinite(v)) for v in losses.values()), f"CPU step: {losses}")
    return ""


def cpu_batch(model, data, n: int = 32) -> Batch:
    x, y = data.train_x[:n], data.train_y[:n]
    return Batch(x, y, x, y) if model.has_classifier else Batch(x, y)


# --- 3. the background run -----------------------------------------------------------------


def wait_for(condition, what: str, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        require(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.02)


def background_run(model: str, out: Path, data, args) -> str:
    cfg = ModelConfig(model=model, prior=PriorSpec(name=prior_of(model)),
                      hidden=tuple(args.hidden), disc_hidden=tuple(args.hidden))
    train = TrainConfig(epochs=1000, batch_size=min(args.batch_size, 100), log_every=5,
                        device=args.device)
    run = TrainingRun(make_trainer(cfg, train, dataset=data, out_dir=out,
                                   controls=Controls())).start()
    try:
        wait_for(lambda: run.progress().step >= 10, "10 steps")
        run.pause()
        wait_for(lambda: run.progress().state == RunState.PAUSED, "the pause")
        held = run.progress().step
        time.sleep(0.5)
        require(run.progress().step == held, "steps moved while paused")
        run.resume()
        wait_for(lambda: run.progress().step > held, "steps after resume")
    finally:
        p = run.stop(timeout=120)
    require(run.error is None, f"the run failed: {run.error}")
    require(p.state == RunState.STOPPED, f"the run ended {p.state}: {p.message}")
    require(load_checkpoint(out, device="cpu").card["steps"] == p.step, "the stop's checkpoint")
    return f"{p.step} steps"


# --- 4. timing -----------------------------------------------------------------------------


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def per_call_ms(fn, device: torch.device, calls: int) -> float:
    """Best of three timed blocks of `calls` calls (the GPU drained around each)."""
    best = math.inf
    for _ in range(3):
        sync(device)
        t0 = time.perf_counter()
        for i in range(calls):
            fn(i)
        sync(device)
        best = min(best, (time.perf_counter() - t0) / calls)
    return best * 1e3


def random_batches(n_batches: int, size: int, device, labelled: bool) -> list[Batch]:
    gen = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n_batches):
        x = torch.rand(size, 784, generator=gen).to(device)
        y = torch.randint(0, 10, (size,), generator=gen).to(device)
        out.append(Batch(x, y, x[:100], y[:100]) if labelled else Batch(x, y))
    return out


def model_step_ms(model_name: str, hidden: int, size: int, device, calls: int) -> tuple:
    """(ms per step as the trainer runs it, phases, step mode)."""
    torch.manual_seed(0)
    cfg = ModelConfig(model=model_name, prior=PriorSpec(name=prior_of(model_name)),
                      hidden=(hidden, hidden), disc_hidden=(hidden, hidden))
    model = build_model(cfg).to(device).train()
    runner, meter = make_step_runner(model, device), LossMeter()
    batches = random_batches(4, size, device, model.has_classifier)
    for i in range(WARMUP_STEPS + 2):  # warm-up, capture, first replays
        meter.add(runner(batches[i % 4]), i + 1)
    ms = per_call_ms(lambda i: meter.add(runner(batches[i % 4]), i + 1), device, calls)
    means, bad = meter.read()
    require(bad is None, f"{model_name} timing steps diverged: {bad}")
    return ms, len(model.optimizers), runner.describe()


class ReferenceAAE:
    """The yardstick: three AAE phases in plain torch, on one fixed input buffer."""

    def __init__(self, hidden: int, size: int, device: torch.device):
        def net(sizes, act):
            layers = [m for a, b in zip(sizes, sizes[1:], strict=False)
                      for m in (nn.Linear(a, b), act())][:-1]  # no activation at the end
            return nn.Sequential(*layers).to(device)

        self.enc = net([784, hidden, hidden, 2], nn.ReLU)
        self.dec = net([2, hidden, hidden, 784], nn.ReLU)  # logits
        self.disc = net([2, hidden, hidden, 1], lambda: nn.LeakyReLU(0.2))
        opts = {"lr": 1e-3, "betas": (0.5, 0.999), "fused": True,
                "capturable": device.type == "cuda"}
        self.opt_ae = torch.optim.Adam([*self.enc.parameters(), *self.dec.parameters()], **opts)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), **opts)
        self.opt_g = torch.optim.Adam(self.enc.parameters(), **opts)
        self.x = torch.rand(size, 784, device=device)

    def step(self) -> torch.Tensor:
        x, n = self.x, self.x.shape[0]
        recon = F.binary_cross_entropy_with_logits(self.dec(self.enc(x)), x,
                                                   reduction="sum") / n
        self._update(self.opt_ae, recon)
        codes = self.enc(x)
        real_logit = self.disc(torch.randn(n, 2, device=x.device))
        fake_logit = self.disc(codes.detach())
        d_loss = (F.softplus(-real_logit) + F.softplus(fake_logit)).mean()  # BCE, 1 vs 0
        self._update(self.opt_d, d_loss)
        self.disc.requires_grad_(False)
        g_loss = F.softplus(-self.disc(codes)).mean()
        self._update(self.opt_g, g_loss)
        self.disc.requires_grad_(True)
        return torch.stack([recon, d_loss, g_loss]).detach()

    @staticmethod
    def _update(opt, loss) -> None:
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()


def reference_step_ms(hidden: int, size: int, device: torch.device, calls: int) -> float:
    """ms per reference step: replayed from a CUDA graph on CUDA, eager elsewhere."""
    torch.manual_seed(0)
    ref = ReferenceAAE(hidden, size, device)
    source = torch.rand(4, size, 784, device=device)
    if device.type != "cuda":
        return per_call_ms(lambda i: (ref.x.copy_(source[i % 4]), ref.step()), device, calls)
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(3):
            ref.step()
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        losses = ref.step()

    def replay(i):
        ref.x.copy_(source[i % 4])
        graph.replay()

    ms = per_call_ms(replay, device, calls)
    require(bool(torch.isfinite(losses).all()), "the reference step diverged")
    return ms


def time_model(row: Row, sizes, references: dict, device, calls: int) -> None:
    for hidden, size in sizes:
        key = f"{hidden}x{size}"
        try:
            ours, phases, mode = model_step_ms(row.model, hidden, size, device, calls)
        except Exception as exc:  # reported in the table
            row.timings[key] = "FAIL"
            row.failures.append(f"timing {key}: {type(exc).__name__}: {exc}")
            continue
        ratio, allowed = ours / references[key], TARGET * max(1.0, phases / 3)
        row.timings[key] = f"{ours:.2f}/{references[key]:.2f}ms {ratio:.2f}x"
        if mode != expected_step_mode(device):
            row.failures.append(f"timing {key}: the step ran {mode}")
        if device.type == "cuda" and ratio > allowed:
            row.failures.append(f"timing {key}: {ratio:.2f}x the reference "
                                f"(target {allowed:.1f}x for {phases} phases)")


# --- the whole check -----------------------------------------------------------------------


def check_model(model: str, args, data, references: dict, workdir: Path) -> Row:
    row, out = Row(model), workdir / f"{model}-cli"
    row.record("train", lambda: cli_train(model, out, args))
    if "FAIL" not in row.checks["train"]:
        row.record("eval", lambda: cli_eval(out))
        row.record("sample", lambda: cli_sample(out, workdir / f"{model}.png"))
        row.record("cpu", lambda: reopen_on_cpu(out, data))
    row.record("background", lambda: background_run(model, workdir / f"{model}-bg", data, args))
    time_model(row, args.sizes, references, torch.device(args.device), args.time_steps)
    return row


def print_table(rows: list[Row], sizes, references: dict) -> None:
    checks = ["train", "eval", "sample", "cpu", "background"]
    head = f"{'model':<22} " + " ".join(f"{c:<10}" for c in checks)
    head += " " + " ".join(f"{'step ' + f'{h}x{s}':<24}" for h, s in sizes) + " result"
    print(head)
    for row in rows:
        cells = [row.checks.get(c, "-").split()[0] for c in checks]
        line = f"{row.model:<22} " + " ".join(f"{c:<10}" for c in cells)
        line += " " + " ".join(f"{row.timings.get(f'{h}x{s}', '-'):<24}" for h, s in sizes)
        print(line + (" FAIL" if row.failures else " ok"))
    print("reference step (ms): " + ", ".join(f"{k} {v:.3f}" for k, v in references.items()))
    for row in rows:
        notes = "; ".join(f"{c} {v[3:]}" for c, v in row.checks.items() if v[3:])
        print(f"  {row.model}: {notes}")
        for failure in row.failures:
            print(f"  {row.model} FAILED {failure}")


def build_parser():
    p = parser("python -m bench.gpu_check", __doc__)
    p.add_argument("--device", type=DEVICE, default=None, help="default: cuda when there is one")
    p.add_argument("--models", type=Names(tuple(MODELS)), default=tuple(MODELS))
    p.add_argument("--steps", type=Whole(1, 100_000), default=300,
                   help="CLI training steps (about)")
    p.add_argument("--batch-size", type=Whole(2, 4096), default=100)
    p.add_argument("--hidden", type=Wholes(1, MAX_LAYER_SIZE, MAX_LAYERS), default=(256, 256))
    p.add_argument("--sizes", type=Pairs(1, MAX_LAYER_SIZE, 8),
                   default=((256, 100), (1000, 100), (1000, 1000)),
                   help="timed sizes: hidden x batch, comma-separated")
    p.add_argument("--time-steps", type=Whole(1, 100_000), default=200,
                   help="timed steps per block")
    return p


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    ModelConfig(hidden=args.hidden, disc_hidden=args.hidden)  # over the size limit: one line
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device is None:
        if not torch.cuda.is_available():
            print("no CUDA GPU on this machine: nothing to check here (--device cpu runs "
                  "every check on the CPU)")
            return 0
        args.device = "cuda"
    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "the CPU"
    print(f"torch {torch.__version__} on {name}", flush=True)
    references = {f"{h}x{s}": reference_step_ms(h, s, device, args.time_steps)
                  for h, s in args.sizes}
    data = synthetic_digits()
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        rows = [check_model(m, args, data, references, Path(tmp))
                for m in args.models]
    print_table(rows, args.sizes, references)
    failed = [r.model for r in rows if r.failures]
    print(f"{len(rows) - len(failed)} of {len(rows)} models passed" +
          (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    run_script(main)
