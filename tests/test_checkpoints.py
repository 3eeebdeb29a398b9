"""Checkpoint folders: round trips, atomic writes, and one clear line for every bad input."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import CheckpointError
from aae_core.models import Batch, build_model
from aae_core.store import checkpoints
from aae_core.store.checkpoints import (
    check_name,
    finite_metrics,
    list_checkpoints,
    load_checkpoint,
    read_config,
    save_checkpoint,
)

NAME = "my-ckpt"  # every error message must name it
X = torch.rand(16, 784, generator=torch.Generator().manual_seed(0))
BATCH = Batch(X, torch.arange(16) % 10)
TRAIN = TrainConfig(epochs=3, batch_size=16, seed=5)
CARD = {"dataset": "synthetic-digits", "epochs": 3, "metrics": {"knn_accuracy": 0.5}}


def trained_model(model: str = "aae", **changes):
    """A tiny model after one step, so weights and Adam moments are not at their defaults."""
    torch.manual_seed(0)
    sizes = {"hidden": (32,), "disc_hidden": (16,)}
    m = build_model(ModelConfig(model=model, **{**sizes, **changes}))
    m.train_step(BATCH)
    return m


@pytest.fixture
def model():
    return trained_model()


@pytest.fixture
def ckpt(tmp_path, model) -> Path:
    codes = torch.randn(20, 2)
    return save_checkpoint(tmp_path / NAME, model, TRAIN, card=CARD, codes=codes,
                           labels=torch.arange(20) % 10)


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def assert_one_line_error(path: Path, fragment: str, **load_kwargs) -> None:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, **load_kwargs)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert path.name in message


# --- round trips ----------------------------------------------------------------------


def test_round_trip_keeps_everything(ckpt, model):
    loaded = load_checkpoint(ckpt, with_optimizer=True)
    assert loaded.name == NAME
    assert loaded.model.config == model.config
    assert loaded.train == TRAIN
    assert loaded.card == CARD
    assert_same_weights(weights(loaded.model), weights(model))
    assert loaded.codes.shape == (20, 2) and torch.equal(loaded.labels, torch.arange(20) % 10)
    assert read_config(ckpt) == (model.config, TRAIN)
    saved = checkpoints.optimizer_tensors(model.optimizers)
    restored = checkpoints.optimizer_tensors(loaded.model.optimizers)
    assert saved.keys() == restored.keys() and saved
    assert all(torch.equal(saved[k], restored[k]) for k in saved)


def test_a_resumed_optimizer_continues_exactly_where_it_stopped(ckpt, model):
    def step(m):
        m.train()
        torch.manual_seed(1)  # same prior samples for both
        m.train_step(BATCH)
        return weights(m)

    resumed = step(load_checkpoint(ckpt, with_optimizer=True).model)
    assert_same_weights(resumed, step(model))
    fresh_adam = step(load_checkpoint(ckpt).model)
    assert any(not torch.equal(resumed[k], fresh_adam[k]) for k in resumed)


def test_a_checkpoint_without_extras_loads(tmp_path, model):
    path = save_checkpoint(tmp_path / NAME, model, TRAIN, with_optimizer=False)
    loaded = load_checkpoint(path, with_optimizer=True)
    assert loaded.card == {} and loaded.codes is None and loaded.labels is None
    assert not (path / "optimizer.safetensors").exists()


def test_saving_again_replaces_the_checkpoint_and_leaves_no_debris(ckpt, model):
    model.train_step(BATCH)
    save_checkpoint(ckpt, model, TRAIN)
    assert_same_weights(weights(load_checkpoint(ckpt).model), weights(model))
    assert [p.name for p in ckpt.parent.iterdir()] == [NAME]


# --- atomic writes --------------------------------------------------------------------


def fail_on_call(real, n: int):
    """`real`, except that call number n raises OSError (a full disk, a dying process)."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise OSError("simulated crash")
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(
    ("target", "obj", "n"),
    [
        ("save_file", checkpoints, 1),  # weights half written
        ("save_file", checkpoints, 2),  # optimizer state half written
        ("replace", os, 1),  # moving the old checkpoint aside
        ("replace", os, 2),  # moving the new one into place
    ],
    ids=["weights", "optimizer", "first-rename", "second-rename"],
)
def test_a_crash_while_saving_keeps_the_previous_checkpoint(ckpt, model, monkeypatch,
                                                             target, obj, n):
    before = weights(model)
    model.train_step(BATCH)
    monkeypatch.setattr(obj, target, fail_on_call(getattr(obj, target), n))
    with pytest.raises(CheckpointError, match="cannot write the checkpoint to .*simulated crash"):
        save_checkpoint(ckpt, model, TRAIN)
    monkeypatch.undo()
    assert [p.name for p in ckpt.parent.iterdir()] == [NAME]  # in place, no temporary left
    loaded = load_checkpoint(ckpt, with_optimizer=True)
    assert_same_weights(weights(loaded.model), before)
    assert loaded.card == CARD


def test_a_process_killed_between_the_renames_is_recovered_on_load(ckpt, model):
    os.replace(ckpt, ckpt.parent / f".old-{NAME}-deadbeef")  # what the first rename leaves
    assert_same_weights(weights(load_checkpoint(ckpt).model), weights(model))


# --- bad checkpoints ------------------------------------------------------------------


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj))


def edit_config(section: str, **changes):
    def edit(folder: Path) -> None:
        raw = json.loads((folder / "config.json").read_text())
        raw[section] = {**raw[section], **changes} if changes else None
        write_json(folder / "config.json", raw)

    return edit


def truncate(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])


def random_bytes(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(os.urandom(4096))


def torch_save_file(folder: Path) -> None:
    torch.save(trained_model().state_dict(), folder / "model.safetensors")


def foreign_format(folder: Path) -> None:
    write_json(folder / "config.json", {"format": "someone-else/3", "model": {}})


def weights_of_a_vae(folder: Path) -> None:
    vae = trained_model("vae")
    save_file({k: v.contiguous() for k, v in vae.state_dict().items()},
              str(folder / "model.safetensors"))


def nan_weight(folder: Path) -> None:
    m = trained_model()
    state = m.state_dict()
    state["decoder.net.0.bias"][3] = float("nan")
    save_file(state, str(folder / "model.safetensors"))


def malformed_codes(folder: Path) -> None:
    save_file({"codes": torch.zeros(5), "labels": torch.zeros(5, dtype=torch.int64)},
              str(folder / "codes.safetensors"))


def optimizer_of_another_model(folder: Path) -> None:
    other = trained_model(hidden=(8,))
    save_file(checkpoints.optimizer_tensors(other.optimizers),
              str(folder / "optimizer.safetensors"))


BAD = {
    "random bytes": (random_bytes, "not a valid safetensors file"),
    "truncated weights": (truncate, "not a valid safetensors file"),
    "torch.save file": (torch_save_file, "not a valid safetensors file"),
    "missing weights": (lambda f: (f / "model.safetensors").unlink(),
                        "model.safetensors is missing"),
    "missing config": (lambda f: (f / "config.json").unlink(), "missing config.json"),
    "config not json": (lambda f: (f / "config.json").write_text("{nope"), "not valid JSON"),
    "config a list": (lambda f: write_json(f / "config.json", [1, 2]), "must hold a JSON object"),
    "config too large": (lambda f: (f / "config.json").write_text(" " * (2 << 20)),
                         "too large"),
    "foreign format": (foreign_format, "not an AAE Latent Explorer checkpoint"),
    "hidden a string": (edit_config("model", hidden="abc"), "bad config.json"),
    "lr a string": (edit_config("model", lr="fast"), "bad config.json"),
    "prior dim a float": (edit_config("model", prior={"name": "gaussian", "dim": 2.5}),
                          "bad config.json"),
    "unknown model field": (edit_config("model", colour="red"), "unknown field(s): colour"),
    "unknown model name": (edit_config("model", model="gan"), "unknown model 'gan'"),
    "model section null": (edit_config("model"), "bad config.json"),
    "epochs a string": (edit_config("train", epochs="3"), "bad config.json"),
    "unknown train field": (edit_config("train", speed=9), "bad config.json"),
    "train section null": (edit_config("train"), "bad config.json"),
    "weights of another model": (weights_of_a_vae, "weights do not match an aae model"),
    "weights of another size": (edit_config("model", hidden=[64]), "the config needs"),
    "nan weights": (nan_weight, "decoder.net.0.bias holds NaN or infinite values"),
    "card not json": (lambda f: (f / "card.json").write_text("]"), "card.json is not valid JSON"),
    "malformed codes": (malformed_codes, "codes.safetensors is malformed"),
    "optimizer of another model": (optimizer_of_another_model, "does not match the model"),
    "optimizer foreign names": (
        lambda f: save_file({"weights": torch.zeros(2)}, str(f / "optimizer.safetensors")),
        "optimizer state has an unknown entry 'weights'"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_checkpoint_gives_one_line_naming_it(ckpt, case):
    damage, fragment = BAD[case]
    damage(ckpt)
    assert_one_line_error(ckpt, fragment, with_optimizer=True)


def test_a_missing_folder_gives_one_line_naming_it(tmp_path):
    assert_one_line_error(tmp_path / NAME, "no checkpoint folder")


def test_a_pickle_is_never_unpickled(ckpt, tmp_path):
    class Payload:
        def __init__(self, marker: Path):
            self.marker = marker

        def __reduce__(self):  # unpickling this creates the marker file
            return (open, (str(self.marker), "w"))

    control = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(Payload(control)))
    assert control.exists()  # the payload is live

    marker = tmp_path / "marker"
    for name in ("model.safetensors", "optimizer.safetensors", "codes.safetensors"):
        (ckpt / name).write_bytes(pickle.dumps(Payload(marker)))
    assert_one_line_error(ckpt, "not a valid safetensors file", with_optimizer=True)
    assert not marker.exists()


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".", "", ".hidden", "a..b", "x" * 81,
                                  "sp ace", "semi;colon", "a\\b", "tab\t", 3])
def test_bad_names_are_refused(name):
    with pytest.raises(CheckpointError, match="bad checkpoint name"):
        check_name(name)


@pytest.mark.parametrize("name", ["run-1", "aae_2d.v2", "A", "x" * 80])
def test_good_names_pass(name):
    assert check_name(name) == name


def test_save_refuses_a_traversing_name_and_writes_nothing(tmp_path, model):
    inner = tmp_path / "inner"
    inner.mkdir()
    with pytest.raises(CheckpointError, match="bad checkpoint name"):
        save_checkpoint(inner / "..", model, TRAIN)
    assert [p.name for p in tmp_path.iterdir()] == ["inner"]
    assert not list(inner.iterdir())


# --- listing and cards ----------------------------------------------------------------


def test_list_checkpoints_finds_only_checkpoint_folders(ckpt, tmp_path):
    (tmp_path / "not-a-checkpoint").mkdir()
    (tmp_path / ".tmp-my-ckpt-1234").mkdir()
    (tmp_path / ".tmp-my-ckpt-1234" / "config.json").write_text("{}")
    assert list_checkpoints(tmp_path, tmp_path / "missing") == [ckpt]


def test_finite_metrics_keeps_a_card_valid_json():
    card = finite_metrics({"a": 1.0, "b": float("nan"), "c": float("inf"), "d": [1, 2], "e": 3})
    assert card == {"a": 1.0, "d": [1, 2], "e": 3}
    json.dumps(card, allow_nan=False)
