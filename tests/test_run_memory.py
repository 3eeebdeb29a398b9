"""A finished or stopped run keeps only what the Train page shows: its model's weights,
gradients and Adam moments are released once the checkpoint is saved (the figures are in
bench/memory_release.py)."""

from __future__ import annotations

import numpy as np

from aae_core.analysis.explore import view_bounds
from aae_core.store.checkpoints import load_checkpoint
from aae_core.training.train import Controls, RunState
from tests.conftest import TINY, train_config, wait_for


def released(run) -> bool:
    model = run.trainer.model
    networks = [p for name, p in model.named_parameters() if not name.startswith("prior.")]
    moments = [s for opt in model.optimizers.values() for s in opt.state.values()]
    return all(p.is_meta for p in networks) and moments == []


def test_a_finished_run_releases_its_model_and_keeps_its_progress(registry, runs, data):
    run = registry.start("alice", TINY, train_config(epochs=1), "done", dataset=data)
    run.thread.join(60)
    progress = run.progress()
    assert progress.state == RunState.FINISHED and released(run)
    assert progress.history and progress.codes is not None and progress.samples is not None
    # what the page still draws for a finished run: the live map's box from the prior
    box = view_bounds(run.trainer.model, progress.codes)
    assert np.isfinite(box).all()
    assert registry.find("done") is run  # still listed
    load_checkpoint(runs / "done")  # the model itself is on disk


def test_a_stopped_run_releases_its_model_too(registry, runs, data):
    controls = Controls()
    run = registry.start("bob", TINY, train_config(epochs=1000), "stopped", dataset=data,
                         controls=controls)
    wait_for(lambda: run.progress().step >= 2, "a few steps")
    registry.stop("bob", "stopped", timeout=60)
    run.thread.join(60)
    assert run.progress().state == RunState.STOPPED and released(run)
    assert load_checkpoint(runs / "stopped").card["steps"] >= 2
