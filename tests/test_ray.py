"""Ray, for real: one local Ray (2 CPUs, no dashboard) shared by this module.

A two-run sweep runs as Ray tasks, is recorded and resumes; a Train-page run goes to the
cluster as a Ray actor, shows progress, stops, and opens in Explore; a worker killed during
a run is reported in one line and leaves the last checkpoint intact.
"""

from __future__ import annotations

import os
import signal

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.store.checkpoints import load_checkpoint
from aae_core.training import remote
from aae_core.training.runs import RunService
from bench import experiments
from tests.helpers import fill, poll, press, progress_text
from ui import train_views

pytestmark = pytest.mark.slow

REMOTE_START_S = 180.0  # a fresh Ray worker imports torch: slow on a busy 2-core machine


@pytest.fixture(scope="module")
def ray_address():
    ray = pytest.importorskip("ray")
    address = remote.connect(None, num_cpus=2)
    yield address
    ray.shutdown()


@pytest.fixture
def cluster_registry(ray_address, runs, monkeypatch):
    """The Train page's registry, sending its runs to the module's Ray."""
    monkeypatch.setenv(remote.ADDRESS_ENV, ray_address)
    reg = RunService(max_runs=2)
    monkeypatch.setattr(train_views, "SERVICE", reg)
    yield reg
    reg.stop_all(timeout=30)


def _tiny_measure(dataset, ckpts):
    return [experiments.Row(name, f"recon MSE {c.card['metrics']['recon_mse']:.4f}", "-",
                            [name]) for name, c in ckpts.items()]


TINY_SWEEP = experiments.Experiment(
    "tiny", "Two tiny runs", lambda dataset, paper: [
        experiments.Run(f"tiny-{model}", ("--model", model, "--latent-dim", "2", "--hidden",
                                          "32", "--disc-hidden", "32"), 1)
        for model in ("aae", "vae")],
    _tiny_measure)


def test_a_two_run_sweep_runs_as_ray_tasks_is_recorded_and_resumes(ray_address, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.setattr(experiments, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(experiments, "RECORDS", tmp_path / "results")
    monkeypatch.setattr(experiments, "DATASETS", ("synthetic-digits",))
    record = experiments.run_experiment(TINY_SWEEP, "synthetic-digits", jobs=2, retrain=False,
                                        paper=False, ray_address=ray_address)
    assert [r["setting"] for r in record["rows"]] == ["tiny-aae", "tiny-vae"]
    saved = experiments.json.loads((tmp_path / "results" / "tiny--synthetic-digits.json")
                                   .read_text())
    assert saved["rows"] == record["rows"] and set(saved["runs"]) == {"tiny-aae", "tiny-vae"}
    for name in ("tiny-aae", "tiny-vae"):
        assert load_checkpoint(tmp_path / "runs" / "synthetic-digits" / name).card["epochs"] == 1
        assert "finished: 1 epochs" in (tmp_path / "runs" / "synthetic-digits" /
                                        f"{name}.log").read_text()
    assert capsys.readouterr().out.count("submitted") == 2

    # Run again (e.g. after an interruption): finished runs are reused, not redone.
    again = experiments.run_experiment(TINY_SWEEP, "synthetic-digits", jobs=2, retrain=False,
                                       paper=False, ray_address=ray_address)
    out = capsys.readouterr().out
    assert out.count("reusing") == 2 and "submitted" not in out
    assert again["runs"] == record["runs"] and again["rows"] == record["rows"]


def open_train_page() -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.switch_page("pages/5_Train.py")
    at.run()
    assert not at.exception
    return at


def test_a_train_page_run_on_the_cluster_stops_and_opens_in_explore(cluster_registry, runs):
    at = open_train_page()
    fill(at, tr_epochs=500, tr_name="on-ray")
    press(at, "Start training")
    run = cluster_registry.find("on-ray")
    assert isinstance(run.trainer, remote.RemoteTrainer)  # the page itself cannot tell
    first = poll(at, lambda t: "images/s" in t, "a logged speed", REMOTE_START_S)
    poll(at, lambda t: t != first and "images/s" in t, "the progress to move")
    assert at.get("plotly_chart") and at.get("image")  # live charts from the actor
    press(at, "Stop")
    text = poll(at, lambda t: t.startswith("Stopped"), "the run to stop", 60)
    assert "epochs" in text and (runs / "on-ray" / "config.json").is_file()
    assert load_checkpoint(runs / "on-ray").card["steps"] > 0  # shipped back as bytes
    links = [link for link in at.main.get("page_link") if link.proto.label ==
             "Explore runs/on-ray"]
    assert links, "the finished run links to Explore"
    at.query_params["model"] = "runs/on-ray"  # what following that link opens
    at.switch_page("pages/1_Explore.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["model"] == "runs/on-ray"
    assert at.selectbox(key="explore_model").value == "runs/on-ray"  # loaded and shown


def test_a_killed_worker_is_one_line_and_the_last_checkpoint_survives(cluster_registry, runs):
    at = open_train_page()
    fill(at, tr_epochs=500, tr_name="doomed")
    press(at, "Start training")
    poll(at, lambda t: (runs / "doomed" / "card.json").is_file(), "a first checkpoint",
         REMOTE_START_S)
    run = cluster_registry.find("doomed")
    os.kill(run.trainer.worker_pid(), signal.SIGKILL)
    text = poll(at, lambda t: t.startswith("Failed"), "the failure to be reported", 60)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("Training failed: the Ray cluster lost this run")
    assert "the last saved checkpoint is kept at" in errors[0]
    assert not at.expander or all("Details" not in e.label for e in at.expander)
    ckpt = load_checkpoint(runs / "doomed")  # intact: written whole, here, before the kill
    assert ckpt.card["epochs"] >= 1 and "Failed after" in text
    at.run()  # the server is still up: the page keeps working
    assert not at.exception and progress_text(at).startswith("Failed")
    assert cluster_registry.active_count() == 0


def test_a_local_rays_workers_run_at_the_ordinary_priority(ray_address):
    """Ray starts its workers at nice 15 unless told otherwise: on a busy machine a sweep's
    runs then starved. remote.connect starts the local Ray with niceness 0."""
    import ray

    @ray.remote(num_cpus=1)
    def niceness() -> int:
        return os.nice(0)

    assert ray.get(niceness.remote(), timeout=REMOTE_START_S) == os.nice(0)
