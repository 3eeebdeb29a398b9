"""aae_core.training.remote without a cluster: checkpoints travel as bytes and land atomically,
what a run asks the cluster for, and Ray's error text boiled down to one line."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import torch

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import CheckpointError, ConfigError
from aae_core.models import build_model
from aae_core.store.checkpoints import (
    load_checkpoint,
    read_checkpoint_files,
    read_config,
    save_checkpoint,
    write_checkpoint_files,
)
from aae_core.training import remote


@pytest.fixture
def saved(tmp_path):
    model = build_model(ModelConfig(hidden=(16,), disc_hidden=(16,)))
    return save_checkpoint(tmp_path / "there" / "run", model, TrainConfig(), card={"epochs": 1}), \
        model


def test_a_checkpoint_travels_as_bytes_and_loads_the_same(saved, tmp_path):
    path, model = saved
    version, files = read_checkpoint_files(path)
    assert {"config.json", "card.json", "model.safetensors"} <= set(files)
    assert read_checkpoint_files(path, newer_than=version) == (version, None)  # unchanged
    here = write_checkpoint_files(tmp_path / "here" / "run", files)
    x = torch.rand(4, 784)
    assert torch.equal(load_checkpoint(here).model.encode(x), model.eval().encode(x))
    save_checkpoint(path, model, TrainConfig(), card={"epochs": 2})  # a newer save
    newer, files = read_checkpoint_files(path, newer_than=version)
    assert newer != version and b'"epochs": 2' in files["card.json"]
    write_checkpoint_files(here, files)  # replaces the older one whole
    assert load_checkpoint(here).card["epochs"] == 2
    assert [p.name for p in here.parent.iterdir()] == ["run"]  # no temp folders left


def test_no_checkpoint_yet_reads_as_none(tmp_path):
    assert read_checkpoint_files(tmp_path / "nothing") == (None, None)


@pytest.mark.parametrize("files, why", [
    ({"../escape.json": b"{}", "config.json": b"{}"}, "../escape.json"),
    ({"model.safetensors": b""}, "config.json is missing"),
])
def test_foreign_files_are_refused_and_nothing_is_written(tmp_path, files, why):
    with pytest.raises(CheckpointError, match=why.replace(".", r"\.")):
        write_checkpoint_files(tmp_path / "run", files)
    assert not (tmp_path / "run").exists()


def test_a_run_asks_for_a_share_of_a_gpu_only_when_it_trains_on_one(monkeypatch):
    pytest.importorskip("ray")
    assert remote.resources("cpu") == {"num_cpus": 1, "num_gpus": 0}
    assert remote.resources("cuda", cpus=2) == {"num_cpus": 2, "num_gpus": 0.25}
    monkeypatch.setenv(remote.GPU_FRACTION_ENV, "0.5")
    assert remote.resources("cuda")["num_gpus"] == 0.5
    monkeypatch.setenv(remote.GPU_FRACTION_ENV, "2")
    with pytest.raises(ConfigError, match="AAE_RAY_GPU_FRACTION must be a number > 0 and <= 1"):
        remote.resources("cuda")


def test_ray_error_text_becomes_one_line():
    text = ("ActorDiedError: The actor died because of an error raised in its creation task\n"
            "Traceback (most recent call last):\n  File 'x.py', line 1\n"
            "aae_core.errors.DataError: MNIST is not in /data; set AAE_DATA_DIR\n")
    assert remote._last_error_line(RuntimeError(text)) == \
        "aae_core.errors.DataError: MNIST is not in /data; set AAE_DATA_DIR"


# --- a sweep's run: a function call with typed settings -----------------------------------

def _small_job(**train_changes) -> remote.TrainJob:
    model = ModelConfig(hidden=(16,), disc_hidden=(16,))
    train = TrainConfig(epochs=1, batch_size=50, device="cpu", **train_changes)
    return remote.TrainJob(model, train, card={"command": "python -m aae_core train ..."},
                           shown_as="runs/x")


def test_a_sweep_job_trains_its_settings_and_sends_the_checkpoint_back(
        data, tmp_path, monkeypatch):
    import aae_core.data

    monkeypatch.setattr(aae_core.data, "load_dataset", lambda name: data)
    here = Path.cwd()
    job = _small_job()
    result = remote.train_job(job)
    assert result.ok and result.report.startswith("finished: 1 epochs")
    assert result.report.splitlines()[0].endswith("-> runs/x")
    assert Path.cwd() == here  # no chdir: the job never leaves the caller's folder
    ckpt = load_checkpoint(write_checkpoint_files(tmp_path / "back", result.files))
    assert ckpt.model.config == job.model and ckpt.train == job.train
    assert ckpt.card["command"] == job.card["command"]


def test_a_setting_only_the_data_reveals_is_a_failed_job_of_one_line(data, monkeypatch):
    import aae_core.data

    monkeypatch.setattr(aae_core.data, "load_dataset", lambda name: data)
    result = remote.train_job(_small_job(labels=5000))
    assert not result.ok and not result.files
    assert result.report == f"error: labels=5000 but the dataset has only {len(data.train_x)} " \
                            "training images"


def test_a_cluster_run_loads_neither_the_model_nor_the_data_here(saved, tmp_path, monkeypatch):
    """The app's side of a run on Ray holds its settings and a weightless model only."""
    import aae_core.data
    from aae_core.store import checkpoints

    def no_loading(*args, **kwargs):
        raise AssertionError("loaded on the app's side")

    monkeypatch.setattr(aae_core.data, "load_dataset", no_loading)
    monkeypatch.setattr(checkpoints, "load_checkpoint", no_loading)
    fresh = remote.make_remote_trainer(ModelConfig(), TrainConfig(epochs=2), address=None,
                                       out_dir=tmp_path / "new")
    assert all(p.device.type == "meta" for p in fresh.model.parameters())
    assert fresh.model.prior.bounds()  # the map's box is known without weights
    path, _ = saved
    more = remote.make_remote_trainer(None, TrainConfig(epochs=3, dataset="mnist"),
                                      address=None, out_dir=tmp_path / "more",
                                      resume_from=path)
    assert (more.start_epoch, more.train_cfg.dataset) == (1, "synthetic-digits")
    assert more.model_config == read_config(path)[0] and "model.safetensors" in \
        more.resume_files
    with pytest.raises(ConfigError, match="already has 1 epochs"):
        remote.make_remote_trainer(None, TrainConfig(epochs=1), address=None,
                                   out_dir=tmp_path / "x", resume_from=path)


# --- a cluster that cannot be reached -------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable(monkeypatch):
    """$AAE_RAY_ADDRESS at a port nothing listens on; the memory of failures starts empty."""
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_closed_port()}"
    monkeypatch.setenv(remote.ADDRESS_ENV, address)
    monkeypatch.setattr(remote, "_failed", {})
    return address


def _connect_within(seconds: float, call) -> BaseException:
    """Run `call` in a thread; the error it raised (a hang past `seconds` fails the test:
    Ray's own connect loop retries for minutes, logging every try)."""
    outcome = []

    def work():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "connecting hung (Ray retrying an unreachable cluster)"
    assert outcome, "connecting to an unreachable cluster succeeded"
    return outcome[0]


def test_an_unreachable_cluster_is_one_message_then_quiet_until_a_retry(
        unreachable, monkeypatch, caplog):
    import ray

    probes = []
    real = socket.create_connection
    monkeypatch.setattr(socket, "create_connection",
                        lambda *a, **k: probes.append(a) or real(*a, **k))
    error = _connect_within(30, lambda: remote.connect(unreachable))
    assert isinstance(error, remote.RemoteError) and "\n" not in str(error)
    assert str(error).startswith(f"cannot reach the Ray cluster at {unreachable}")
    assert [r.getMessage() for r in caplog.records] == [str(error)]  # logged once
    assert not ray.is_initialized()  # nothing half-connected, nothing retrying behind
    assert remote.connection_problem() == str(error)

    for _ in range(3):  # later tries say the same at once, and try nothing
        assert str(_connect_within(5, lambda: remote.connect(unreachable))) == str(error)
    assert len(probes) == 1 and len(caplog.records) == 1

    again = _connect_within(30, remote.retry_connection)  # the user asks: one new try
    assert str(again) == str(error) and len(probes) == 2 and len(caplog.records) == 2


def test_a_run_is_refused_at_once_while_the_cluster_is_unreachable(unreachable, runs, data):
    from aae_core.training.runs import RunService

    _connect_within(30, lambda: remote.connect(unreachable))
    service = RunService(max_runs=1)
    with pytest.raises(remote.RemoteError, match="not tried again until a retry"):
        service.start("alice", ModelConfig(), TrainConfig(), "r", dataset=data)
    assert service.runs() == [] and not runs.exists()
