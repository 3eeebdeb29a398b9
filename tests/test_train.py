"""The training loop and TrainingRun: progress, reproducibility, pause/stop/resume, failures."""

from __future__ import annotations

import math

import pytest
import torch

from aae_core.analysis import evaluate
from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import ConfigError, DivergenceError
from aae_core.models import MODELS
from aae_core.priors import PriorSpec
from aae_core.store.checkpoints import load_checkpoint, optimizer_tensors
from aae_core.training.train import RunState, TrainingRun, make_trainer
from tests.conftest import BATCH_SIZE, N_TEST, N_TRAIN, TINY, train_config, wait_for


def trainer_for(data, out_dir=None, model_cfg=TINY, **kwargs):
    train_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in TrainConfig.__dataclass_fields__}
    return make_trainer(model_cfg, train_config(**train_kw), dataset=data, out_dir=out_dir,
                        **kwargs)


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def patch_train_step(monkeypatch, model, after_steps: int, effect):
    """Make the model's train_step call effect(losses) from call number after_steps + 1 on."""
    real, calls = model.train_step, []

    def step(batch):
        losses = real(batch)
        calls.append(1)
        return effect(losses) if len(calls) > after_steps else losses

    monkeypatch.setattr(model, "train_step", step)


# --- the loop -------------------------------------------------------------------------


def test_a_run_reports_progress_and_saves_a_checkpoint(data, tmp_path):
    seen = []
    trainer = trainer_for(data, tmp_path / "run", epochs=2, on_progress=seen.append)
    p = trainer.run()
    assert (p.state, p.epoch, p.epochs) == (RunState.FINISHED, 2, 2)
    assert p.step == p.total_steps == 2 * N_TRAIN // BATCH_SIZE
    assert {"recon_loss", "d_loss", "g_loss"} <= set(p.history)
    assert all(len(v) == len(p.history_steps) for v in p.history.values())
    assert p.history_steps == sorted(p.history_steps) and p.history_steps[-1] == p.step
    assert p.codes.shape == (N_TEST, 2) and p.code_labels.shape == (N_TEST,)
    assert p.samples.shape == (16, 28, 28)
    assert [s.step for s in seen] == sorted(s.step for s in seen)  # callbacks in order
    ckpt = load_checkpoint(p.checkpoint)
    assert (ckpt.card["epochs"], ckpt.card["steps"]) == (2, p.step)
    assert ckpt.card["dataset"] == "synthetic-digits" and ckpt.card["split"] == data.split
    assert 0 <= ckpt.card["metrics"]["knn_accuracy"] <= 1
    assert ckpt.card["metrics"] == p.metrics


def one_prior_each():
    return [(name, cls.supported_priors[0]) for name, cls in MODELS.items()]


@pytest.mark.parametrize(("name", "prior"), one_prior_each(), ids=list(MODELS))
def test_every_model_trains_end_to_end(data, tmp_path, name, prior):
    cfg = ModelConfig(model=name, prior=PriorSpec(name=prior), hidden=(32,), disc_hidden=(16,))
    p = trainer_for(data, tmp_path / "run", model_cfg=cfg, batch_size=100).run()
    assert p.state == RunState.FINISHED
    metrics = load_checkpoint(p.checkpoint).card["metrics"]
    assert math.isfinite(metrics["recon_bce"]) and math.isfinite(metrics["prior_mmd"])


@pytest.mark.parametrize("encoder", ["deterministic", "gaussian", "universal"])
def test_the_same_seed_gives_the_same_weights(data, encoder):
    """Also: live snapshots (taken on a wall-clock schedule) must not disturb training."""
    cfg = ModelConfig(encoder=encoder, hidden=(32,), disc_hidden=(32,))

    def train(seed: int, snapshot_every_s: float):
        trainer = trainer_for(data, model_cfg=cfg, seed=seed, snapshot_every_s=snapshot_every_s)
        trainer.run()
        return weights(trainer.model)

    first = train(seed=3, snapshot_every_s=0.0)
    again = train(seed=3, snapshot_every_s=1e9)
    assert all(torch.equal(first[k], again[k]) for k in first)
    other = train(seed=4, snapshot_every_s=0.0)
    assert any(not torch.equal(first[k], other[k]) for k in first)


def test_resume_continues_the_epochs_with_the_saved_optimizer(data, tmp_path):
    path = tmp_path / "run"
    trainer_for(data, path, epochs=1).run()
    saved = load_checkpoint(path, with_optimizer=True)

    resumed = make_trainer(None, train_config(epochs=3), dataset=data, out_dir=path,
                           resume_from=path)
    assert resumed.start_epoch == 1
    state = optimizer_tensors(resumed.model.optimizers)
    expected = optimizer_tensors(saved.model.optimizers)
    assert state.keys() == expected.keys() and all(torch.equal(state[k], expected[k])
                                                   for k in state)
    p = resumed.run()
    assert (p.state, p.epoch, p.total_steps) == (RunState.FINISHED, 3, 2 * N_TRAIN // BATCH_SIZE)
    card = load_checkpoint(path).card
    assert card["epochs"] == 3
    assert card["wall_time_s"] >= saved.card["wall_time_s"]
    with pytest.raises(ConfigError, match="already has 3 epochs"):
        make_trainer(None, train_config(epochs=3), dataset=data, resume_from=path)


# --- TrainingRun ----------------------------------------------------------------------


def test_stop_ends_the_run_where_it_is_and_saves_without_evaluating(data, tmp_path,
                                                                     observed_controls,
                                                                     monkeypatch):
    """Stop wakes a paused worker, which saves at once: no more steps, no evaluation (the
    slow part of a save). How long that takes is a figure for bench.train_in_app."""
    controls, evaluated = observed_controls, []
    monkeypatch.setattr(evaluate, "evaluate", lambda *a, **k: evaluated.append(1) or {})

    def pause_at_step_two(p):  # deterministic: stop inside the first epoch
        if p.step == 2:
            controls.running.clear()

    trainer = trainer_for(data, tmp_path / "run", epochs=1000, controls=controls,
                          on_progress=pause_at_step_two)
    run = TrainingRun(trainer).start()
    assert controls.held.wait(60), "the worker never reached the pause point"
    p = run.stop(timeout=60)  # the timeout only guards against a hung test
    assert controls.released.is_set() and not run.alive and run.error is None
    assert evaluated == []
    assert (p.state, p.epoch, p.step) == (RunState.STOPPED, 0, 2)
    ckpt = load_checkpoint(p.checkpoint)
    assert (ckpt.card["epochs"], ckpt.card["steps"]) == (0, 2)
    assert all(torch.equal(v, trainer.model.state_dict()[k])
               for k, v in ckpt.model.state_dict().items())


def test_a_stop_between_log_points_saves_every_step_done(data, tmp_path, observed_controls,
                                                        monkeypatch):
    """Losses are read only at log points; a Stop before the first one (here after 3 of
    50 steps) still publishes and saves the 3 steps done, instead of saving nothing."""
    controls = observed_controls
    monkeypatch.setattr(evaluate, "evaluate", lambda *a, **k: {})
    trainer = trainer_for(data, tmp_path / "run", epochs=1000, controls=controls,
                          log_every=50)
    steps_done = []
    real_step = trainer.model.train_step

    def step_then_stop_at_three(batch):
        steps_done.append(1)
        if len(steps_done) == 3:
            controls.stop.set()
        return real_step(batch)

    trainer.model.train_step = step_then_stop_at_three
    p = trainer.run()  # in this thread: the stop comes from inside the third step
    assert (p.state, p.step) == (RunState.STOPPED, 3)
    ckpt = load_checkpoint(p.checkpoint)
    assert ckpt.card["steps"] == 3


def test_pause_holds_the_step_count_and_resume_continues(data, observed_controls):
    controls = observed_controls
    trainer = trainer_for(data, epochs=1000, controls=controls, log_every=7)
    steps_done = []
    real_step = trainer.model.train_step
    trainer.model.train_step = lambda batch: (steps_done.append(1), real_step(batch))[1]
    run = TrainingRun(trainer).start()
    try:
        wait_for(lambda: run.progress().step >= 1, "a first step")
        run.pause()
        wait_for(controls.held.is_set, "the worker to reach the pause point")
        paused = run.progress()
        assert paused.state == RunState.PAUSED and run.alive
        assert paused.images_per_s == 0  # no speed while paused
        assert paused.step == len(steps_done)  # the steps since the last log are counted
        held = paused.step
        assert not controls.released.wait(0.5)  # the worker stays at the pause point
        assert run.progress().step == held
        run.resume()
        wait_for(lambda: run.progress().step > held, "steps after resume")
        assert run.progress().state == RunState.RUNNING
    finally:
        assert run.stop().state == RunState.STOPPED


@pytest.mark.parametrize(
    ("good_steps", "epochs_saved"),
    [(6, 1), (2, None)],  # diverge in epoch 2 (epoch 1 saved), or in epoch 1 (nothing saved)
    ids=["after-a-good-epoch", "in-the-first-epoch"],
)
def test_divergence_keeps_the_last_good_checkpoint(data, tmp_path, monkeypatch, good_steps,
                                                   epochs_saved):
    path = tmp_path / "run"
    trainer = trainer_for(data, path, epochs=5)
    patch_train_step(monkeypatch, trainer.model, good_steps,
                     lambda losses: {**losses, "d_loss": math.nan})
    run = TrainingRun(trainer).start()
    run.thread.join(60)
    p = run.progress()
    assert p.state == RunState.DIVERGED and isinstance(run.error, DivergenceError)
    assert f"diverged at step {good_steps + 1}: d_loss became NaN" in p.message
    assert str(run.error) == p.message
    if epochs_saved is None:
        assert "no epoch had completed, so no checkpoint was written" in p.message
        assert not path.exists()
        return
    assert f"the last good checkpoint is kept at {path}" in p.message
    ckpt = load_checkpoint(path)
    assert ckpt.card["epochs"] == epochs_saved
    restored = weights(trainer.model)  # the model in memory went back to the good weights
    assert all(torch.equal(v, restored[k]) for k, v in ckpt.model.state_dict().items())


def test_an_error_in_the_worker_reaches_the_user(data, monkeypatch):
    trainer = trainer_for(data)

    def boom(losses):
        raise RuntimeError("boom")

    patch_train_step(monkeypatch, trainer.model, 1, boom)
    run = TrainingRun(trainer).start()
    run.thread.join(60)
    p = run.progress()
    assert (p.state, p.message) == (RunState.FAILED, "RuntimeError: boom")
    assert isinstance(run.error, RuntimeError) and str(run.error) == "boom"


# --- bad settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "epochs must be a whole number"),
        ({"epochs": -1}, "epochs must be a whole number"),
        ({"epochs": 1.5}, "epochs must be a whole number"),
        ({"batch_size": -1}, "batch size must be a whole number"),
        ({"batch_size": 0}, "batch size must be a whole number"),
        ({"labels": -2}, "labels must be -1"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"device": "tpu"}, "device must be auto, cpu, cuda or mps"),
        ({"log_every": 0}, "log_every must be a whole number"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_bad_train_settings_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_more_labels_than_images_are_refused(data):
    with pytest.raises(ConfigError, match=f"labels=10000 but the dataset has only {N_TRAIN}"):
        trainer_for(data, labels=10_000)


def test_a_supervised_model_without_labels_is_refused(data):
    cfg = ModelConfig(model="aae-supervised", hidden=(32,), disc_hidden=(32,))
    with pytest.raises(ConfigError, match="needs labels"):
        trainer_for(data, model_cfg=cfg, labels=0)
