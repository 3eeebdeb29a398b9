"""The checkpoint loader against hostile files: each is refused (or read safely) with one
CheckpointError line, nothing blocks, nothing outside the folder is read, and what a
killed writer left is recovered or cleaned up at start."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from aae_core.config import MAX_STORED_CODES, ModelConfig, TrainConfig
from aae_core.errors import CheckpointError, WriteError
from aae_core.models import build_model
from aae_core.store import catalog
from aae_core.store.checkpoints import (
    MAX_JSON_DEPTH,
    STALE_AFTER_S,
    load_checkpoint,
    read_config,
    recover_root,
    save_checkpoint,
)

NAME = "hostile"


@pytest.fixture
def ckpt(tmp_path) -> Path:
    torch.manual_seed(0)
    model = build_model(ModelConfig(hidden=(16,), disc_hidden=(8,)))
    return save_checkpoint(tmp_path / NAME, model, TrainConfig(epochs=1),
                           card={"epochs": 1, "class_names": [str(k) for k in range(10)]},
                           codes=torch.randn(30, 2), labels=torch.arange(30) % 10)


def one_line_error(path: Path, fragment: str) -> str:
    """load_checkpoint(path) in a thread (a FIFO must not block it): one CheckpointError line."""
    outcome = {}

    def load():
        try:
            load_checkpoint(path, with_optimizer=True)
            outcome["error"] = None
        except BaseException as exc:  # noqa: BLE001 - the test inspects whatever came out
            outcome["error"] = exc

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the loader blocked"
    error = outcome["error"]
    assert isinstance(error, CheckpointError), repr(error)
    message = str(error)
    assert fragment in message and "\n" not in message and "Traceback" not in message
    return message


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def make_device(path) -> None:
    """A character device like /dev/zero (needs root: the tests skip without it)."""
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))


def rewrite_weights(folder: Path, convert) -> None:
    weights = load_checkpoint(folder).model.state_dict()
    save_file({k: convert(v).contiguous() for k, v in weights.items()},
              str(folder / "model.safetensors"))


def edit_card(folder: Path, **changes) -> None:
    card = json.loads((folder / "card.json").read_text())
    (folder / "card.json").write_text(json.dumps({**card, **changes}))


def codes_file(folder: Path, codes, labels) -> None:
    save_file({"codes": codes, "labels": labels}, str(folder / "codes.safetensors"))


HOSTILE = {
    "config nested 100000 deep (RecursionError)":
        (lambda f: (f / "config.json").write_text('{"a": ' + nested(100_000) + "}"),
         "config.json is nested too deeply"),
    f"config nested {MAX_JSON_DEPTH + 1} deep":
        (lambda f: (f / "config.json").write_text('{"a": ' + nested(MAX_JSON_DEPTH) + "}"),
         "config.json is nested too deeply"),
    "card nested 100000 deep": (lambda f: (f / "card.json").write_text(
        '{"a": ' + nested(100_000) + "}"), "card.json is nested too deeply"),
    "config a FIFO": (lambda f: ((f / "config.json").unlink(), os.mkfifo(f / "config.json")),
                      "config.json is not a plain file"),
    "weights a FIFO": (lambda f: ((f / "model.safetensors").unlink(),
                                  os.mkfifo(f / "model.safetensors")),
                       "model.safetensors is not a plain file"),
    "card a FIFO": (lambda f: ((f / "card.json").unlink(), os.mkfifo(f / "card.json")),
                    "card.json is not a plain file"),
    "codes a FIFO": (lambda f: ((f / "codes.safetensors").unlink(),
                                os.mkfifo(f / "codes.safetensors")),
                     "codes.safetensors is not a plain file"),
    "weights a device": (lambda f: ((f / "model.safetensors").unlink(),
                                    os.symlink("/dev/zero", f / "model.safetensors")),
                         "model.safetensors is a link"),
    "weights a real device node": (lambda f: ((f / "model.safetensors").unlink(),
                                              make_device(f / "model.safetensors")),
                                   "model.safetensors is not a plain file"),
    "config a link outside the folder": (
        lambda f: ((f.parent / "elsewhere.json").write_text((f / "config.json").read_text()),
                   (f / "config.json").unlink(),
                   os.symlink(f.parent / "elsewhere.json", f / "config.json")),
        "config.json is a link"),
    "weights a folder": (lambda f: ((f / "model.safetensors").unlink(),
                                    (f / "model.safetensors").mkdir()),
                         "model.safetensors is not a plain file"),
    "weights int8": (lambda f: rewrite_weights(f, lambda t: t.to(torch.int8)), "is int8"),
    "weights complex": (lambda f: rewrite_weights(f, lambda t: t.to(torch.complex64)),
                        "is complex64"),
    "weights bool": (lambda f: rewrite_weights(f, lambda t: t != 0), "is bool"),
    "weights float64 beyond float32": (
        lambda f: rewrite_weights(f, lambda t: t.double() * 1e300),
        "holds NaN or infinite values"),
    "weights file larger than the config needs": (
        lambda f: (f / "model.safetensors").write_bytes(b"\0" * (64 << 20)), "is too large"),
    "card class_names a number": (lambda f: edit_card(f, class_names=7),
                                  "class_names must be a list"),
    "card class_names with a huge name": (lambda f: edit_card(f, class_names=["x" * 5000]),
                                          "class_names must be a list"),
    "card epochs a text": (lambda f: edit_card(f, epochs="many"), "epochs must be a whole"),
    "NaN codes": (lambda f: codes_file(f, torch.full((5, 2), float("nan")),
                                       torch.zeros(5, dtype=torch.int64)),
                  "stored codes hold NaN"),
    "labels out of range": (lambda f: codes_file(f, torch.zeros(5, 2),
                                                 torch.tensor([0, 1, 2, 99, -4])),
                            "stored labels must be from 0 to 9"),
    "labels as floats": (lambda f: codes_file(f, torch.zeros(5, 2), torch.zeros(5)),
                         "labels integers"),
    "codes of another latent size": (lambda f: codes_file(f, torch.zeros(5, 3),
                                                          torch.zeros(5, dtype=torch.int64)),
                                     "do not match the latent size"),
    "codes file with extra tensors": (
        lambda f: save_file({"codes": torch.zeros(2, 2), "labels": torch.zeros(2).long(),
                             "x": torch.zeros(1)}, str(f / "codes.safetensors")),
        "codes.safetensors is malformed"),
    "config with a huge image_dim": (
        lambda f: (f / "config.json").write_text(json.dumps(
            {**json.loads((f / "config.json").read_text()),
             "model": {**json.loads((f / "config.json").read_text())["model"],
                       "image_dim": 10**9}})),
        "bad config.json"),
    "config with 10^9 mixture components": (
        lambda f: (f / "config.json").write_text(json.dumps(
            {**json.loads((f / "config.json").read_text()),
             "model": {**json.loads((f / "config.json").read_text())["model"],
                       "prior": {"name": "mixture", "dim": 2, "components": 10**9}}})),
        "bad config.json"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_file_is_refused_in_one_line_without_blocking(ckpt, case):
    damage, fragment = HOSTILE[case]
    damage(ckpt)
    assert NAME in one_line_error(ckpt, fragment)


def test_float16_and_float64_weights_are_converted_to_float32(ckpt):
    before = load_checkpoint(ckpt).model.state_dict()
    for dtype in (torch.float16, torch.float64):
        rewrite_weights(ckpt, lambda t, d=dtype: t.to(d))
        after = load_checkpoint(ckpt).model.state_dict()
        assert all(v.dtype == torch.float32 for v in after.values())
        assert all(torch.allclose(after[k], before[k], atol=1e-2) for k in before)


def test_empty_codes_read_as_no_codes(ckpt):
    codes_file(ckpt, torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64))
    loaded = load_checkpoint(ckpt)
    assert loaded.codes is None and loaded.labels is None


def test_only_the_first_stored_codes_are_read(ckpt):
    n = MAX_STORED_CODES + 500
    codes_file(ckpt, torch.randn(n, 2), torch.arange(n) % 10)
    loaded = load_checkpoint(ckpt)
    assert len(loaded.codes) == len(loaded.labels) == MAX_STORED_CODES


def test_a_write_failure_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    from safetensors import SafetensorError

    import aae_core.store.checkpoints as checkpoints

    def full_disk(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device "
                              "(os error 28)")

    monkeypatch.setattr(checkpoints, "save_file", full_disk)
    model = build_model(ModelConfig(hidden=(8,), disc_hidden=(8,)))
    with pytest.raises(WriteError) as info:
        save_checkpoint(tmp_path / "x", model, TrainConfig(epochs=1))
    assert str(info.value) == (f"cannot write the checkpoint to {tmp_path / 'x'}: No space "
                               "left on device (os error 28)")
    assert list(tmp_path.iterdir()) == []


# --- what a killed writer leaves ---------------------------------------------------------


def age(path: Path, seconds: float) -> None:
    """Make `path` and its files look `seconds` old."""
    then = time.time() - seconds
    for p in [*path.iterdir(), path]:
        os.utime(p, (then, then), follow_symlinks=False)


def test_recovery_finishes_a_save_killed_between_its_renames(ckpt):
    old = ckpt.parent / f".old-{NAME}-0123abcd"
    os.replace(ckpt, old)
    age(old, STALE_AFTER_S + 60)
    recover_root(ckpt.parent)
    assert ckpt.is_dir() and not old.exists()
    read_config(ckpt)


def test_recovery_removes_stale_temporaries_and_keeps_live_ones(ckpt):
    stale, live = (ckpt.parent / f".tmp-{NAME}-{h}" for h in ("0000aaaa", "1111bbbb"))
    for folder in (stale, live):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"partial")
    age(stale, STALE_AFTER_S + 60)
    leftover_old = ckpt.parent / f".old-{NAME}-2222cccc"  # beside a complete checkpoint
    leftover_old.mkdir()
    age(leftover_old, STALE_AFTER_S + 60)
    user = ckpt.parent / ".tmp-notes"  # not our pattern: never touched
    user.mkdir()
    age(user, STALE_AFTER_S + 60)
    recover_root(ckpt.parent)
    assert not stale.exists() and not leftover_old.exists()
    assert live.exists() and user.exists() and ckpt.exists()


def test_the_app_lists_a_checkpoint_recovered_at_start(ckpt, monkeypatch):
    monkeypatch.setenv("AAE_RUNS_DIR", str(ckpt.parent))
    old = ckpt.parent / f".old-{NAME}-4444dddd"
    os.replace(ckpt, old)
    age(old, STALE_AFTER_S + 60)
    catalog.recover(force=True)
    assert f"runs/{NAME}" in [e.name for e in catalog.entries()]
