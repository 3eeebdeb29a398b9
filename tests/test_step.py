"""The per-step path: no host reads between log points, losses kept on the device, and the
CUDA-graph runner's switch, warm-up, replay and eager fallback (driven by fakes on the CPU).

A host read of a tensor (on a GPU: a synchronisation) goes through one of a few Tensor
methods; the tests wrap them all and fail on any call made while training outside the
places allowed to read (logging, live snapshots, checkpoints).
"""

from __future__ import annotations

import contextlib
import logging
import math
import traceback
from dataclasses import replace

import pytest
import torch

from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import synthetic_digits
from aae_core.errors import ConfigError, DivergenceError
from aae_core.models import MODELS, Batch, build_model
from aae_core.priors import PriorSpec
from aae_core.training import step as step_module
from aae_core.training.step import EagerStep, GraphedStep, LossMeter, make_step_runner, wants_graph
from aae_core.training.train import RunState, make_trainer

N_TRAIN, BATCH_SIZE, LOG_EVERY = 240, 20, 4  # 12 steps, a log every 4
HOST_READS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__",
              "__index__")


@pytest.fixture(scope="module")
def data():
    return synthetic_digits(n_train=N_TRAIN, n_test=40)


class HostReadSpy:
    """Wraps every Tensor method that reads values to the host; records each call made
    outside an `allowed()` block while armed, with the line that made it."""

    def __init__(self, monkeypatch):
        self.armed, self.depth, self.violations = False, 0, []
        for name in HOST_READS:
            monkeypatch.setattr(torch.Tensor, name, self._wrap(name, getattr(torch.Tensor, name)))

    def _wrap(self, name, real):
        spy = self

        def read(tensor, *args, **kwargs):
            if spy.armed and not spy.depth:
                frame = traceback.extract_stack(limit=3)[0]
                spy.violations.append(f"{name} at {frame.filename}:{frame.lineno} {frame.line}")
            return real(tensor, *args, **kwargs)

        return read

    @contextlib.contextmanager
    def allowed(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def allow_in(self, monkeypatch, owner, name: str) -> list[int]:
        """Let `owner.name` read; returns a list that counts its calls."""
        real, calls = getattr(owner, name), []

        def allowed_call(*args, **kwargs):
            calls.append(1)
            with self.allowed():
                return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, allowed_call)
        return calls


def one_prior_each():
    return [(name, cls.supported_priors[0]) for name, cls in MODELS.items()]


def tiny(name: str, prior: str) -> ModelConfig:
    return ModelConfig(model=name, prior=PriorSpec(name=prior), hidden=(16,), disc_hidden=(8,),
                       encoder_input_noise=0.1 if MODELS[name].uses_encoder_input_noise
                       else 0.0)


def train_cfg(**changes) -> TrainConfig:
    return TrainConfig(**{"epochs": 1, "batch_size": BATCH_SIZE, "log_every": LOG_EVERY,
                          "device": "cpu", "labels": 100, **changes})


@pytest.mark.parametrize(("name", "prior"), one_prior_each(), ids=list(MODELS))
def test_no_host_read_between_log_points(data, monkeypatch, name, prior):
    labels = -1 if name == "aae-supervised" else 100  # the supervised AAE needs every label
    trainer = make_trainer(tiny(name, prior), train_cfg(labels=labels), dataset=data,
                           snapshot_every_s=1e9)
    spy = HostReadSpy(monkeypatch)
    reads = spy.allow_in(monkeypatch, LossMeter, "read")
    spy.allow_in(monkeypatch, LossMeter, "first_nonfinite")  # epoch end
    snapshots = spy.allow_in(monkeypatch, trainer, "_snapshot")
    steps = []
    real_step = trainer.model.train_step
    monkeypatch.setattr(trainer.model, "train_step", lambda b: (steps.append(1), real_step(b))[1])

    spy.armed = True
    progress = trainer.run()
    spy.armed = False

    assert progress.state == RunState.FINISHED
    assert len(steps) == N_TRAIN // BATCH_SIZE == 12
    assert spy.violations == []
    assert len(reads) == 12 // LOG_EVERY  # the losses are read at log points only
    assert len(snapshots) == 2  # the first step's and the final one (schedule: 1e9 s)
    assert progress.history_steps == [4, 8, 12]


def test_a_divergence_between_log_points_is_caught_at_the_next_with_its_step(data,
                                                                            monkeypatch):
    trainer = make_trainer(tiny("aae", "gaussian"), train_cfg(epochs=3), dataset=data)
    real_step, calls = trainer.model.train_step, []

    def step(batch):  # step 6 makes g_loss NaN on the device
        calls.append(1)
        losses = real_step(batch)
        return {**losses, "g_loss": losses["g_loss"] * math.nan} if len(calls) == 6 else losses

    monkeypatch.setattr(trainer.model, "train_step", step)
    with pytest.raises(DivergenceError, match="diverged at step 6: g_loss became NaN"):
        trainer.run()
    assert len(calls) == 8  # noticed at the log point after it (steps 5..8), no later
    assert trainer.progress.state == RunState.DIVERGED


def test_a_stop_right_after_an_unread_nan_saves_no_nan_weights(data, monkeypatch, tmp_path):
    """Stop between log points after a NaN: the last good checkpoint stays, loadable."""
    from aae_core.store.checkpoints import load_checkpoint

    trainer = make_trainer(tiny("aae", "gaussian"), train_cfg(epochs=3), dataset=data,
                           out_dir=tmp_path / "run")
    real_step, calls = trainer.model.train_step, []

    def step(batch):  # step 14 (epoch 2) poisons the weights, then the user stops
        calls.append(1)
        losses = real_step(batch)
        if len(calls) == 14:
            trainer.controls.stop.set()
            with torch.no_grad():
                next(trainer.model.parameters()).fill_(math.nan)
            return {k: v * math.nan for k, v in losses.items()}
        return losses

    monkeypatch.setattr(trainer.model, "train_step", step)
    with pytest.raises(DivergenceError, match="diverged at step 14: .*the last good checkpoint"):
        trainer.run()
    assert load_checkpoint(tmp_path / "run").card["epochs"] == 1
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


def test_the_loss_meter_averages_on_the_device_and_names_the_first_bad_step():
    meter = LossMeter()
    for step, (a, b) in enumerate([(1.0, 2.0), (3.0, math.inf), (5.0, math.nan)], start=1):
        meter.add({"a": torch.tensor(a), "b": torch.tensor(b)}, step)
    assert meter.first_nonfinite() == (2, ["b"])
    means, bad = meter.read()
    assert means["a"] == pytest.approx(3.0) and not math.isfinite(means["b"])
    assert bad == (2, ["b"])
    assert meter.count == 0 and meter.read() == ({}, None)
    meter.add({"a": torch.tensor(7.0), "b": torch.tensor(1.0)}, 4)
    assert meter.read() == ({"a": 7.0, "b": 1.0}, None)  # a new interval


def test_the_spy_sees_every_kind_of_host_read(monkeypatch):
    """The check above would pass vacuously if the spy missed reads: it must not."""
    spy = HostReadSpy(monkeypatch)
    t = torch.tensor([1.5])
    spy.armed = True
    t.item(), t.tolist(), t.cpu(), t.numpy(), bool(t), float(t), int(t)
    [0, 1][torch.tensor(1)]  # __index__
    with spy.allowed():
        t.item()
    spy.armed = False
    assert [v.split()[0] for v in spy.violations] == list(HOST_READS)


def test_a_step_that_reads_its_loss_is_caught(data, monkeypatch):
    trainer = make_trainer(tiny("aae", "gaussian"), train_cfg(), dataset=data,
                           snapshot_every_s=1e9)
    spy = HostReadSpy(monkeypatch)
    spy.allow_in(monkeypatch, LossMeter, "read")
    spy.allow_in(monkeypatch, LossMeter, "first_nonfinite")
    spy.allow_in(monkeypatch, trainer, "_snapshot")
    real_step = trainer.model.train_step
    monkeypatch.setattr(trainer.model, "train_step",
                        lambda b: {k: v.item() for k, v in real_step(b).items()})
    spy.armed = True
    trainer.run()
    spy.armed = False
    assert len(spy.violations) == 12 * 3  # 3 losses a step
    assert all(v.startswith("item at") for v in spy.violations)



def test_every_models_step_reads_nothing_back(monkeypatch):

    """The model's step alone (what a CUDA graph captures): not one host read."""
    spy = HostReadSpy(monkeypatch)
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 784, generator=gen), torch.arange(8) % 10
    for name, prior in one_prior_each():
        model = build_model(tiny(name, prior))
        model.train_step(Batch(x, y, x[:4], y[:4]))  # optimizers created
        spy.armed = True
        losses = model.train_step(Batch(x, y, x[:4], y[:4]))
        spy.armed = False
        assert spy.violations == [], name
        assert all(torch.is_tensor(v) for v in losses.values())


# --- the CUDA-graph switch -------------------------------------------------------------


def test_the_graph_switch_is_auto_on_cuda_only_and_says_what_is_wrong(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert not wants_graph("auto", cpu) and wants_graph("auto", cuda)
    assert not wants_graph("off", cuda) and wants_graph("on", cuda)
    with pytest.raises(ConfigError, match="CUDA graphs need a CUDA device"):
        wants_graph("on", cpu)
    with pytest.raises(ConfigError, match="must be auto, on or off, got 'yes'"):
        wants_graph("yes", cuda)
    monkeypatch.setenv("AAE_CUDA_GRAPH", "off")
    assert step_module.graph_setting() == "off"
    model = build_model(tiny("aae", "gaussian"))
    assert isinstance(make_step_runner(model, cpu), EagerStep)


def test_asking_for_graphs_on_the_cpu_is_one_clear_error(data):
    with pytest.raises(ConfigError, match="CUDA graphs need a CUDA device"):
        make_trainer(tiny("aae", "gaussian"), train_cfg(), dataset=data, cuda_graph="on")


class FakeCuda:
    """Stand-ins for torch.cuda's streams and graphs, so the runner's logic runs on a CPU.

    The fake capture runs its body (a real one only records it); `replay` counts.
    """

    def __init__(self, monkeypatch, *, capture_error: Exception | None = None):
        self.replays, self.captures, self.capture_error = 0, 0, capture_error
        fake = self

        class Graph:
            def replay(self):
                fake.replays += 1

        @contextlib.contextmanager
        def graph(g, stream=None, capture_error_mode="global"):
            fake.captures += 1
            assert capture_error_mode == "thread_local"  # other runs' threads carry on
            if fake.capture_error is not None:
                raise fake.capture_error
            yield

        class Stream:
            def __init__(self, *args, **kwargs):
                pass

            def wait_stream(self, other):
                pass

        for name, value in {"CUDAGraph": Graph, "graph": graph, "Stream": Stream,
                            "current_stream": lambda device=None: Stream(),
                            "stream": lambda s: contextlib.nullcontext(),
                            "synchronize": lambda device=None: None}.items():
            monkeypatch.setattr(torch.cuda, name, value)
        monkeypatch.setattr(step_module, "make_capturable", lambda model: None)


def counted_model(monkeypatch):
    model = build_model(tiny("aae", "gaussian"))
    real, batches = model.train_step, []
    monkeypatch.setattr(model, "train_step", lambda b: (batches.append(b), real(b))[1])
    return model, batches


def batches(n: int) -> list[Batch]:
    gen = torch.Generator().manual_seed(1)
    return [Batch(torch.rand(8, 784, generator=gen), torch.arange(8) % 10) for _ in range(n)]


def test_the_graph_runner_warms_up_captures_once_then_replays_each_batch(monkeypatch):
    fake = FakeCuda(monkeypatch)
    model, seen = counted_model(monkeypatch)
    runner = GraphedStep(model)
    data = batches(7)
    outputs = [runner(b) for b in data]
    assert fake.captures == 1 and runner.mode == "cuda-graph"
    warm = step_module.WARMUP_STEPS
    assert seen[:warm] == data[:warm]  # warm-up: real steps on the real batches
    assert seen[warm] is runner.static  # captured on static copies of batch warm + 1
    assert fake.replays == len(data) - warm  # that batch and every later one: one replay
    assert torch.equal(runner.static.x, data[-1].x)  # each batch copied into the buffers
    assert all(out is runner.losses for out in outputs[warm:])


def test_a_failed_capture_is_logged_once_and_training_goes_on_eagerly(monkeypatch, caplog):
    fake = FakeCuda(monkeypatch, capture_error=RuntimeError(
        "CUDA error: operation not permitted when stream is capturing\nmore detail"))
    model, seen = counted_model(monkeypatch)
    runner = GraphedStep(model)
    data = batches(8)
    with caplog.at_level(logging.WARNING, logger="aae_core.training.step"):
        for b in data:
            runner(b)
    assert fake.captures == 1 and fake.replays == 0
    assert seen == data  # every batch trained exactly once, eagerly
    assert runner.mode == "eager"
    assert runner.describe() == ("eager (CUDA-graph capture failed: RuntimeError: CUDA error: "
                                 "operation not permitted when stream is capturing)")
    warnings = [r for r in caplog.records if r.name == "aae_core.training.step"]
    assert len(warnings) == 1 and "aae" in warnings[0].getMessage()


def test_the_card_says_how_the_step_ran_and_where_the_metrics_were_computed(data, tmp_path):
    progress = make_trainer(tiny("aae", "gaussian"), train_cfg(), dataset=data,
                            out_dir=tmp_path / "run").run()
    from aae_core.store.checkpoints import load_checkpoint

    card = load_checkpoint(progress.checkpoint).card
    assert (card["device"], card["metrics_device"], card["training_step"]) == \
        ("cpu", "cpu", "eager")


def test_optimizer_state_moves_like_torch_places_it():
    model = build_model(tiny("aae", "gaussian"))
    model.train_step(batches(1)[0])
    opt = model.optimizers["reconstruction"]
    state = next(iter(opt.state.values()))
    state["step"] = state["step"].double()  # as read back from a checkpoint, say
    step_module.move_optimizer_state(opt, torch.device("meta"))
    assert state["exp_avg"].device.type == "meta"
    assert state["step"].device.type == "meta" and state["step"].dtype == torch.float32


# ---------------------------------------------------------------- the learning-rate schedule


def test_the_schedule_falls_along_a_half_cosine_from_the_set_rates_to_the_last_factor():
    cfg = TrainConfig(epochs=5, lr_decay_to=0.01)
    factors = [cfg.lr_factor(e) for e in range(5)]
    assert factors[0] == 1 and math.isclose(factors[-1], 0.01)
    assert math.isclose(factors[2], (1 + 0.01) / 2)  # half way: the mean of both ends
    assert all(a > b for a, b in zip(factors, factors[1:], strict=False))
    assert [TrainConfig(epochs=5).lr_factor(e) for e in range(5)] == [1.0] * 5  # constant
    assert TrainConfig(epochs=1, lr_decay_to=0.1).lr_factor(0) == 1.0


@pytest.mark.parametrize("bad", [0, -0.5, 1.5, math.nan, math.inf, True, "0.1"])
def test_a_bad_decay_factor_is_refused_in_one_line(bad):
    with pytest.raises(ConfigError, match=r"^lr_decay_to must be a finite number > 0 and <= 1"):
        TrainConfig(lr_decay_to=bad)


def optimizer_rates(model) -> dict[str, list[float]]:
    return {name: [g["lr"] for g in opt.param_groups] for name, opt in model.optimizers.items()}


def test_a_decayed_run_ends_at_the_factor_of_each_rate_and_a_constant_one_never_moves(data):
    config = replace(tiny("aae", "gaussian"), lr=2e-3, lr_adv=5e-4)  # paper's form: 3 Adams
    seen = []  # each optimizer's rates at each epoch's first step
    decayed = make_trainer(config, train_cfg(epochs=3, lr_decay_to=0.1), dataset=data)
    real = decayed.model.train_step

    def step(batch):
        if not seen or len(seen) < decayed.progress.epoch + 1:
            seen.append(optimizer_rates(decayed.model))
        return real(batch)

    decayed.model.train_step = step
    decayed.run()
    assert [rates["reconstruction"][0] for rates in seen] == pytest.approx([2e-3, 1.1e-3, 2e-4])
    assert [rates["discriminator"][0] for rates in seen] == pytest.approx([5e-4, 2.75e-4, 5e-5])
    assert seen[-1]["generator"] == pytest.approx([5e-5])
    constant = make_trainer(config, train_cfg(epochs=3), dataset=data)
    constant.run()
    assert optimizer_rates(constant.model) == {"reconstruction": [2e-3],
                                               "discriminator": [5e-4], "generator": [5e-4]}


def test_the_first_epoch_of_a_decayed_run_is_the_constant_runs_exactly(data):
    """The schedule starts at the set rates: one epoch of either run gives the same weights,
    so a run without the schedule trains exactly as every run before it did."""
    weights = []
    for decay in (1.0, 0.1):
        trainer = make_trainer(tiny("vae", "gaussian"), train_cfg(epochs=1, lr_decay_to=decay),
                               dataset=data)
        trainer.run()
        weights.append(trainer.model.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_a_rate_change_makes_the_graph_runner_capture_again(monkeypatch):
    """A captured graph holds the rates as constants: after a change the runner warms up and
    captures anew, and every batch still trains exactly once."""
    fake = FakeCuda(monkeypatch)
    model, seen = counted_model(monkeypatch)
    runner = GraphedStep(model)
    data = batches(12)
    for b in data[:6]:
        runner(b)
    assert step_module.scale_learning_rates(model, 0.5)
    runner.rates_changed()
    for b in data[6:]:
        runner(b)
    assert fake.captures == 2
    warm = step_module.WARMUP_STEPS
    assert fake.replays == (6 - warm) * 2
    # seen: the first warm-up's batches, the first capture's static copy, then the new
    # warm-up's batches (real steps on the real batches) and the new capture's copy
    assert [b is d for b, d in zip(seen[warm + 1:2 * warm + 1], data[6:6 + warm],
                                   strict=True)] == [True] * warm
    assert seen[-1] is runner.static and len(seen) == 2 * (warm + 1)
    assert not step_module.scale_learning_rates(model, 0.5)  # the same factor: no change
