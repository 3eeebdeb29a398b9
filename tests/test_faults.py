"""Faults from outside: a disk that refuses writes during training, a checkpoint deleted
while the app shows it. Each ends in one clear message, never a traceback or debris."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

import aae_core.store.checkpoints as checkpoints
from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import synthetic_digits
from aae_core.training.train import RunState, TrainingRun, make_trainer
from tests.conftest import ROOT

SHIPPED = ROOT / "checkpoints" / "aae-gaussian"


def enospc_after(n_ok: int):
    """A save_file that writes `n_ok` files, then finds the disk full."""
    real, calls = checkpoints.save_file, []

    def save_file(tensors, filename, *args, **kwargs):
        calls.append(filename)
        if len(calls) > n_ok:
            raise OSError(28, "No space left on device")
        return real(tensors, filename, *args, **kwargs)
    return save_file


@pytest.mark.parametrize("n_ok", [0, 1], ids=["first-file", "second-file"])
def test_a_full_disk_fails_the_run_clearly_and_leaves_no_debris(tmp_path, monkeypatch, n_ok):
    monkeypatch.setattr(checkpoints, "save_file", enospc_after(n_ok))
    out = tmp_path / "runs" / "tiny"
    trainer = make_trainer(ModelConfig(hidden=(32,), disc_hidden=(32,)),
                           TrainConfig(epochs=2, batch_size=50), out_dir=out,
                           dataset=synthetic_digits(400, 100))
    run = TrainingRun(trainer).start()
    run.thread.join(60)
    assert not run.alive
    progress = run.progress()
    assert progress.state == RunState.FAILED
    assert "No space left on device" in progress.message
    assert str(out) in progress.message and "cannot write the checkpoint" in progress.message
    assert "Traceback" not in progress.message and "OSError" not in progress.message
    assert run.error is not None
    assert not out.exists()  # nothing half-written under the final name
    assert [p.name for p in out.parent.iterdir()] == []  # no .tmp-* / .old-* folders


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "runs" / "tiny"
    data = synthetic_digits(400, 100)
    cfg = ModelConfig(hidden=(32,), disc_hidden=(32,))
    first = TrainingRun(make_trainer(cfg, TrainConfig(epochs=1, batch_size=50),
                                     out_dir=out, dataset=data)).start()
    first.thread.join(60)
    assert first.progress().state == RunState.FINISHED
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    monkeypatch.setattr(checkpoints, "save_file", enospc_after(1))
    run = TrainingRun(make_trainer(cfg, TrainConfig(epochs=2, batch_size=50),
                                   out_dir=out, dataset=data)).start()
    run.thread.join(60)
    assert run.progress().state == RunState.FAILED
    assert "No space left on device" in run.progress().message
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in out.parent.iterdir()] == ["tiny"]


def page_messages(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info, *at.toast])


def test_a_checkpoint_deleted_while_shown_gives_a_message_not_a_crash(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    shutil.copytree(SHIPPED, runs / "doomed")
    monkeypatch.setenv("AAE_RUNS_DIR", str(runs))
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=60)
    at.query_params["model"] = "runs/doomed"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["model"] == "runs/doomed"
    assert len(at.session_state["explore_z"]) == 2  # the pad shows a code

    shutil.rmtree(runs / "doomed")
    at.run()
    assert not at.exception, at.exception
    # it falls back to another model and says which one vanished
    assert at.session_state["model"] != "runs/doomed"
    said = page_messages(at).replace("\\", "")  # names are shown escaped (ui/plain_text)
    assert "runs/doomed is no longer available" in said, said
    assert len(at.session_state["explore_z"]) == 2  # the pad shows a code
    at.run()  # the notice was for that run; the page goes on normally
    assert not at.exception and not at.error
