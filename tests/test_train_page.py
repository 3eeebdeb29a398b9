"""The Train page under AppTest: settings validated before anything starts, live progress,
pause/stop, a saved checkpoint, failures shown, and runs that outlive their tab.

AppTest never fires `run_every`, so the tests poll by re-running the page while the
training thread works. The page is opened through app.py (st.page_link needs the real
entrypoint to resolve the other pages).
"""

from __future__ import annotations

import math
import time

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.models import MODELS
from aae_core.models.aae import AAE
from tests.helpers import fill, poll, press, progress_text
from ui import loaders, train_views
from ui.train_settings import (
    build_configs,
    uses_adversary,
    uses_encoder_choice,
    uses_labels,
)

PAGE = "pages/5_Train.py"


@pytest.fixture
def registry(registry, monkeypatch):
    """conftest's fresh registry, as the page's (the server's one is a process-wide global)."""
    monkeypatch.setattr(train_views, "SERVICE", registry)
    return registry


def open_page() -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=30)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def test_start_watch_progress_stop_and_the_checkpoint_is_saved(registry, runs):
    at = open_page()
    assert "No runs yet" in at.info[0].value
    name = at.text_input(key="tr_name").value
    assert name == "aae-1"
    fill(at, tr_epochs=500)
    press(at, "Start training")
    assert "Started **aae-1**" in at.success[0].value
    first = poll(at, lambda t: "images/s" in t, "a logged speed")
    assert first.startswith("Training epoch")
    poll(at, lambda t: t != first and "images/s" in t, "the progress to move")
    assert at.get("plotly_chart") and at.get("image")  # the map, the losses, the samples
    assert at.toggle(key="tr_live").value  # live charts, switchable while it trains
    at.toggle(key="tr_live").set_value(False).run()
    assert not at.exception and progress_text(at).startswith("Training")
    assert at.text_input(key="tr_name").value == "aae-2"  # the next free name

    press(at, "Stop")
    # "Stopped" is published just before the worker thread ends; the page drops the Stop
    # button and the live toggle on the first rerun after that, so wait for both
    text = poll(at, lambda t: t.startswith("Stopped")
                and not any(w.key == "tr_live" for w in at.toggle)
                and not any(b.label == "Stop" for b in at.button),
                "the run to stop and its controls to go")
    assert "epochs" in text
    assert (runs / name / "config.json").is_file()
    assert any(f"saved where it got to as **runs/{name}**" in i.value for i in at.info)
    link = next(p.proto for p in at.get("page_link") if p.proto.label == f"Explore runs/{name}")
    assert link.query_string == f"model=runs%2F{name}"  # the link opens it in Explore


def test_pause_and_resume(registry, runs):
    at = open_page()
    fill(at, tr_epochs=500)
    press(at, "Start training")
    poll(at, lambda t: "images/s" in t, "a first logged step")
    press(at, "Pause")
    paused = poll(at, lambda t: t.startswith("Paused in epoch"), "the worker to pause")
    assert "images/s" not in paused  # no speed while nothing moves
    for _ in range(3):  # the counter is frozen once "Paused" is shown
        time.sleep(0.3)
        at.run()
        assert progress_text(at) == paused
    assert [b.label for b in at.button][:2] == ["Resume", "Stop"]
    press(at, "Resume")
    poll(at, lambda t: t.startswith("Training"), "training again")


def test_a_finished_run_is_in_every_model_picker_and_can_train_further(registry, runs):
    at = open_page()
    fill(at, tr_epochs=1, tr_name="quick")
    press(at, "Start training")
    poll(at, lambda t: t.startswith("Finished"), "the run to finish")
    assert "saved as **runs/quick**" in at.success[-1].value
    assert "runs/quick" in [e.name for e in loaders.model_entries()]
    at.run()  # the Train further form lists it
    assert at.selectbox(key="tf_ckpt").value == "quick"
    at.number_input(key="tf_more").set_value(1)
    press(at, "Continue training")
    poll(at, lambda t: t.startswith("Finished after 2/2"), "two epochs in all")
    assert "continued from quick (epoch 1)" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_starts_from_the_page_with_its_own_fields(registry, runs, model):
    at = open_page()
    fill(at, model, tr_epochs=1, tr_name=f"every-{model}")
    labels = [w.label for w in at.sidebar.get("text_input")] + \
        [w.label for w in at.sidebar.get("number_input")]
    assert ("Adversarial lr" in labels) == uses_adversary(model)
    assert ("Labels" in labels) == uses_labels(model)
    assert any(w.key == "tr_encoder" for w in at.sidebar.selectbox) == uses_encoder_choice(model)
    assert at.selectbox(key="tr_prior").options == list(MODELS[model].supported_priors)
    press(at, "Start training")
    assert not at.error, at.error[0].value
    poll(at, lambda t: t.startswith("Finished"), f"{model} to finish one epoch")


BAD_INPUTS = [
    ({"tr_hidden": "0,-3"}, None, "each hidden size must be a whole number from 1 to 8192"),
    ({"tr_hidden": "big"}, None, "hidden sizes must be whole numbers separated by commas"),
    ({"tr_hidden": "8192,8192,8192"}, None, "parameters, more than the limit of 50,000,000"),
    ({"tr_lr": "nan"}, None, "learning rate must be a finite number > 0 and <= 1, got 'nan'"),
    ({"tr_lr": "-0.001"}, None, "learning rate must be a finite number > 0 and <= 1"),
    ({"tr_lr": "fast"}, None, "learning rate must be a number like 1e-3, got 'fast'"),
    ({"tr_lr_adv": "0"}, None, "adversarial learning rate must be a finite number > 0"),
    ({"tr_epochs": 0}, None, "epochs must be a whole number from 1"),
    ({"tr_batch": -5}, None, "batch size must be a whole number from 1"),
    ({"tr_latent": 0}, None, "latent dimension must be a whole number from 1"),
    ({"tr_labels": 100_000}, "aae-supervised", "labels=100000 but the dataset has only 4000"),
    ({"tr_labels": -7}, "aae-semi-supervised", "labels must be -1 (all), 0 (none) or a count"),
    ({"tr_prior_std": "wide"}, None, "prior spread must be a number like 10, or blank"),
    ({"tr_prior_std": "-1"}, None, "prior std must be a positive finite number, got -1.0"),
    ({"tr_prior_std": "inf"}, None, "prior std must be a positive finite number"),
    ({"tr_name": "../x"}, None, "bad run name '../x'"),
    ({"tr_name": ""}, None, "the run name is empty"),
]


@pytest.mark.parametrize("values, model, message", BAD_INPUTS,
                         ids=[next(iter(v)) + "=" + str(next(iter(v.values()))) for v, _, _ in
                              BAD_INPUTS])
def test_bad_inputs_show_an_error_and_start_nothing(registry, runs, values, model, message):
    at = open_page()
    fill(at, model, **values)
    press(at, "Start training")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Not started: ")
    assert message in errors[0]
    assert registry.runs() == [] and not runs.exists()
    assert "No runs yet" in at.info[0].value


def test_your_own_run_in_progress_is_refused_politely(registry, runs):
    at = open_page()
    fill(at, tr_epochs=500)
    press(at, "Start training")
    press(at, "Pause")
    fill(at, tr_name="second")
    press(at, "Start training")
    assert "you already have a run in progress (aae-1)" in at.error[0].value


@pytest.mark.slow
def test_at_the_limit_a_run_waits_in_the_queue_with_its_position(registry, runs,
                                                                  monkeypatch):
    monkeypatch.setattr(registry, "_max_runs", 1)
    alice = open_page()
    fill(alice, tr_epochs=500, tr_name="alices")
    press(alice, "Start training")
    press(alice, "Pause")  # holds the only place without using the CPU
    bob = open_page()  # another browser session
    fill(bob, tr_epochs=1, tr_name="bobs")
    press(bob, "Start training")
    assert "Queued **bobs**: 1 in the queue" in bob.success[0].value
    assert progress_text(bob) == ("Waiting in the queue: 1 of 1 · 1 training (the limit "
                                  "is 1)")
    assert [b.label for b in bob.button][:1] == ["Leave the queue"]
    fill(bob, tr_name="bobs-second")
    press(bob, "Start training")  # one place in the queue per user
    assert "you already have a run waiting in the queue" in bob.error[0].value
    assert "bobs" in bob.error[0].value
    assert registry.find("bobs-second") is None
    press(alice, "Stop")  # the place frees up: bob's run starts by itself
    poll(bob, lambda t: t.startswith("Finished"), "the queued run to train")
    assert (runs / "bobs" / "config.json").is_file()


def test_leaving_the_queue_starts_nothing(registry, runs, monkeypatch):
    monkeypatch.setattr(registry, "_max_runs", 1)
    alice = open_page()
    fill(alice, tr_epochs=500, tr_name="alices")
    press(alice, "Start training")
    press(alice, "Pause")
    bob = open_page()
    fill(bob, tr_epochs=1, tr_name="bobs")
    press(bob, "Start training")
    press(bob, "Leave the queue")
    assert progress_text(bob).startswith("Stopped after 0/1 epochs")
    assert registry.queued_count() == 0 and not (runs / "bobs").exists()


@pytest.mark.parametrize("fault, shown", [
    ("raise", "Training failed: RuntimeError: boom"),
    ("nan", "Training diverged. training diverged at step"),
])
def test_a_failing_run_is_shown_with_its_cause_and_the_page_stays_usable(
        registry, runs, monkeypatch, fault, shown):
    real, broken = AAE.train_step, [True]

    def step(self, batch):
        if not broken[0]:
            return real(self, batch)
        if fault == "raise":
            raise RuntimeError("boom")
        return {**real(self, batch), "g_loss": math.nan}

    monkeypatch.setattr(AAE, "train_step", step)
    at = open_page()
    fill(at, tr_epochs=2)
    press(at, "Start training")
    poll(at, lambda t: t.startswith(("Failed", "Diverged")), "the fault to show")
    assert any(shown in e.value for e in at.error)
    if fault == "raise":
        assert at.expander  # the traceback, under Details
    broken[0] = False
    fill(at, tr_epochs=1, tr_name="after")
    press(at, "Start training")
    poll(at, lambda t: t.startswith("Finished"), "a healthy run after the fault")


def test_a_run_outlives_its_tab_and_can_be_taken_over(registry, runs):
    first = open_page()
    fill(first, tr_epochs=500)
    press(first, "Start training")
    press(first, "Pause")
    owner = first.session_state["train_owner"]

    other = open_page()  # another tab, or the same user after reopening it
    assert other.get("progress") and "owner: another tab" in " ".join(
        c.value for c in other.caption)
    assert not any(b.label in ("Pause", "Resume", "Stop") for b in other.button)

    registry.release(owner)  # what the first tab's session-scoped resource does on close
    other.run()
    assert registry.find("aae-1").alive  # closing the tab did not stop the run
    press(other, "Take over")
    assert [b.label for b in other.button][:2] == ["Resume", "Stop"]
    press(other, "Stop")
    poll(other, lambda t: t.startswith("Stopped"), "the adopted run to stop")


def test_settings_parse_and_route_per_model():
    model_cfg, train_cfg = build_configs(model="wae-gan", prior="gaussian", encoder="gaussian",
                                         dataset="synthetic-digits", latent_dim=8,
                                         hidden=" 64, 32 ", epochs=3, batch_size=50,
                                         lr="1e-3", lr_adv="5e-4", labels=-1, seed=4)
    assert model_cfg.hidden == model_cfg.disc_hidden == (64, 32)
    assert (model_cfg.encoder, model_cfg.lr_adv, model_cfg.latent_dim) == ("gaussian", 5e-4, 8)
    assert (train_cfg.epochs, train_cfg.batch_size, train_cfg.seed) == (3, 50, 4)
    assert uses_encoder_choice("aae") and not uses_encoder_choice("vae")
    assert uses_labels("aae-semi-supervised") and uses_labels("aae-dim-reduction")
    assert not uses_labels("aae-clustering") and not uses_labels("aae")
    assert model_cfg.encoder_input_noise == 0.0  # the WAE would refuse it


def test_the_form_takes_each_models_own_defaults_and_its_input_noise(registry, runs):
    """Switching the model fills the form with that model's command-line defaults; the
    categorical-code models show their input noise (0 unless typed, as on the CLI)."""
    at = open_page()
    assert at.sidebar.number_input(key="tr_epochs").value == 24  # a 2-D aae's budget
    at.selectbox(key="train_model").set_value("vae")
    at.run()
    assert (at.sidebar.number_input(key="tr_epochs").value,
            at.sidebar.number_input(key="tr_batch").value) == (10, 100)
    assert not [w for w in at.sidebar.text_input if w.key == "tr_input_noise"]
    at.selectbox(key="train_model").set_value("aae-semi-supervised")
    at.run()
    assert at.sidebar.text_input(key="tr_input_noise").value == "0"
    model_cfg, _ = build_configs(model="aae-semi-supervised", prior="gaussian",
                                 encoder="deterministic", dataset="synthetic-digits",
                                 latent_dim=2, hidden="64", epochs=1, batch_size=50,
                                 lr="1e-3", input_noise="0.3", labels=100)
    assert model_cfg.encoder_input_noise == 0.3


def test_a_full_disk_shows_the_one_line_on_the_page(registry, runs, monkeypatch):
    """The README's promise on the Train page itself: 'cannot write the checkpoint to ...',
    the cause, no exception name, no traceback under Details."""
    from aae_core.store import checkpoints

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints, "save_file", full_disk)
    at = open_page()
    fill(at, tr_epochs=1, tr_name="full-disk")
    press(at, "Start training")
    poll(at, lambda t: t.startswith("Failed"), "the full disk to show")
    shown = " ".join(e.value for e in at.error)
    assert "cannot write the checkpoint to" in shown and "No space left on device" in shown
    assert "OSError" not in shown and "Traceback" not in shown
    assert not [x for x in at.expander if "Details" in str(x.label)]


def test_an_unreachable_cluster_is_said_once_with_a_retry_button(registry, runs, monkeypatch):
    """$AAE_RAY_ADDRESS at a port nothing listens on: the run fails in one line, the page
    says why and offers a retry; nothing tries again by itself."""
    import socket

    from aae_core.training import remote

    pytest.importorskip("ray")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv(remote.ADDRESS_ENV, address)
    monkeypatch.setattr(remote, "_failed", {})
    at = open_page()
    fill(at, tr_epochs=1, tr_name="far")
    press(at, "Start training")
    poll(at, lambda t: t.startswith("Failed"), "the run to fail")
    shown = [e.value for e in at.error]
    assert shown == [f"Training failed: cannot reach the Ray cluster at {address}: "
                     "Connection refused"]
    warning = [w.value for w in at.warning]
    assert warning and warning[0].startswith("Runs cannot start: cannot reach")
    press(at, "Retry the cluster connection")
    assert any(e.value.startswith("Still not connected: cannot reach") for e in at.error)
    monkeypatch.setattr(remote, "connect", lambda address=None: address)  # the cluster is up
    press(at, "Retry the cluster connection")
    assert any(s.value.startswith("Connected to the Ray cluster at") for s in at.success)
    assert not [w for w in at.warning if w.value.startswith("Runs cannot start")]


def test_a_saved_run_is_deleted_from_the_page_only_after_a_tick(registry, runs, monkeypatch):
    at = open_page()
    fill(at, tr_epochs=1, tr_name="old")
    press(at, "Start training")
    poll(at, lambda t: t.startswith("Finished"), "the run to finish")
    at.run()
    assert at.sidebar.selectbox(key="td_pick").options == ["old"]
    press(at, "Delete")
    assert any("tick the box" in e.value for e in at.error) and (runs / "old").is_dir()
    at.sidebar.checkbox(key="td_sure").check()
    press(at, "Delete")
    assert any(s.value.startswith("Deleted **runs/old**") for s in at.success)
    assert not (runs / "old").exists()
    monkeypatch.setenv("AAE_RUNS_QUOTA_MB", "1")
    runs.joinpath("big.bin").write_bytes(b"x" * 2**21)  # someone's 2 MB: over the quota
    fill(at, tr_epochs=1, tr_name="new")
    press(at, "Start training")
    shown = " ".join(e.value for e in at.error)
    assert "Not started: the runs folder is full: 2.0 MB of its 1.0 MB quota" in shown
    assert runs.joinpath("big.bin").stat().st_size == 2**21


def test_the_prior_spread_typed_in_the_form_is_the_runs_and_blank_is_the_priors_own():
    wide, _ = build_configs(model="aae", prior="gaussian", encoder="deterministic",
                            dataset="synthetic-digits", latent_dim=2, hidden="64,64", epochs=1,
                            batch_size=50, lr="1e-3", prior_std=" 10 ")
    assert wide.prior.std == 10.0
    mixture, _ = build_configs(model="aae", prior="mixture", encoder="deterministic",
                               dataset="synthetic-digits", latent_dim=2, hidden="64,64",
                               epochs=1, batch_size=50, lr="1e-3", prior_std="0.6")
    assert (mixture.prior.radial_std, mixture.prior.radius) == (0.6, 4.0)  # its --prior-std
    own, _ = build_configs(model="aae", prior="gaussian", encoder="deterministic",
                           dataset="synthetic-digits", latent_dim=2, hidden="64,64", epochs=1,
                           batch_size=50, lr="1e-3", prior_std="")
    assert own.prior.std == 1.0
