"""The command line never destroys a user's file, continues a run exactly, and checks every
argument before any work (exit 2, one line), a failed write being exit 1, one line.

Trainings here use a 60-image IDX folder (48 train / 12 held out) and 8-unit networks.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from aae_core.cli import main
from aae_core.store.checkpoints import load_checkpoint
from tests.helpers import write_idx

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "checkpoints" / "aae-gaussian"
SMALL = ["--hidden", "8", "--disc-hidden", "8", "--epochs", "1", "--batch-size", "16",
         "--no-progress"]


def run(argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of main(argv), in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def refused(argv, fragment: str, code: int = 2) -> str:
    status, _, err = run(argv)
    assert status == code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert fragment in err, err
    return err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_idx(tmp_path_factory.mktemp("data") / "digits60", 60)


@pytest.fixture(scope="module")
def semi(tmp_path_factory, data) -> Path:
    """A semi-supervised checkpoint trained with 20 labels, batch size 16."""
    out = tmp_path_factory.mktemp("ck") / "semi"
    status, _, err = run(["train", "--model", "aae-semi-supervised", "--prior", "gaussian",
                          "--labels", "20", "--dataset", data, *SMALL, "--out", out])
    assert status == 0, err
    return out


@pytest.fixture
def shipped_copy(tmp_path) -> Path:
    """A copy of a shipped checkpoint folder, as `checkpoints/` would hold it."""
    root = tmp_path / "checkpoints"
    shutil.copytree(SHIPPED, root / SHIPPED.name)
    return root


# --- train --out: a new folder, or a checkpoint named again with --overwrite ---------------

def test_train_refuses_the_folder_of_shipped_checkpoints(shipped_copy, data):
    before = snapshot(shipped_copy)
    refused(["train", "--dataset", data, *SMALL, "--out", shipped_copy],
            "is a folder that is not a checkpoint of this app")
    refused(["train", "--dataset", data, *SMALL, "--out", shipped_copy / SHIPPED.name],
            "already holds a checkpoint; to replace it, name it again: --overwrite")
    assert snapshot(shipped_copy) == before


def test_train_refuses_a_folder_of_documents_a_file_and_a_link(tmp_path, data):
    docs = tmp_path / "documents"
    docs.mkdir()
    (docs / "thesis.txt").write_text("years of work")
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    (tmp_path / "link").symlink_to(docs)
    refused(["train", "--dataset", data, *SMALL, "--out", docs], "not a checkpoint of this app")
    refused(["train", "--dataset", data, *SMALL, "--out", notes], "is a file")
    refused(["train", "--dataset", data, *SMALL, "--out", tmp_path / "link"], "is a link")
    refused(["train", "--dataset", data, *SMALL, "--out", notes / "x"], "is not a folder")
    assert (docs / "thesis.txt").read_text() == "years of work"
    assert notes.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "link", "notes.txt"]


def test_train_never_lands_inside_a_checkpoint(shipped_copy, data):
    refused(["train", "--dataset", data, *SMALL, "--out", shipped_copy / SHIPPED.name / "x"],
            "lies inside the checkpoint")


def test_overwrite_must_name_the_same_checkpoint_and_then_replaces_it(semi, data, tmp_path):
    target = tmp_path / "mine"
    shutil.copytree(semi, target)
    before = snapshot(target)
    refused(["train", "--dataset", data, *SMALL, "--out", target, "--overwrite",
             tmp_path / "other"], "is not --out")
    assert snapshot(target) == before
    status, _, err = run(["train", "--dataset", data, *SMALL, "--seed", "3", "--out", target,
                          "--overwrite", target])
    assert status == 0, err
    assert load_checkpoint(target).train.seed == 3  # replaced, as asked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no debris


# --- sample --out: a PNG outside checkpoints, replacing only a PNG ----------------------

def test_sample_never_writes_into_a_checkpoint_or_over_another_kind_of_file(semi, tmp_path):
    before = snapshot(semi)
    refused(["sample", semi, "--out", semi / "model.safetensors"], "ending in .png")
    refused(["sample", semi, "--out", semi / "grid.png"], "lies inside the checkpoint")
    text = tmp_path / "report.png"
    text.write_text("not an image")
    refused(["sample", semi, "--out", text], "is not a PNG; nothing is replaced")
    (tmp_path / "dir.png").mkdir()
    refused(["sample", semi, "--out", tmp_path / "dir.png"], "is not a plain file")
    refused(["sample", semi, "--out", tmp_path / "missing" / "x.png"], "does not exist")
    assert snapshot(semi) == before and text.read_text() == "not an image"


def test_sample_replaces_its_own_png(semi, tmp_path):
    png = tmp_path / "grid.png"
    assert run(["sample", semi, "-n", "4", "--out", png])[0] == 0
    first = png.read_bytes()
    assert run(["sample", semi, "-n", "9", "--out", png])[0] == 0
    assert png.read_bytes() != first and png.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png"]


# --- --resume: the saved run, exactly -----------------------------------------------------

@pytest.mark.parametrize("flag,value,kept", [
    ("--labels", "-1", "20"), ("--batch-size", "50", "16"), ("--model", "aae", None),
    ("--prior", "mixture", "gaussian"), ("--dataset", "synthetic-digits", None),
    ("--seed", "9", "0"), ("--hidden", "16", "8"),
])
def test_resume_refuses_a_flag_that_changes_the_run(semi, tmp_path, flag, value, kept):
    err = refused(["train", "--resume", semi, "--epochs", "2", flag, value,
                   "--out", tmp_path / "more"], f"{flag} {value} conflicts with the checkpoint's")
    assert kept is None or kept in err
    assert not (tmp_path / "more").exists()


def test_resume_keeps_labels_batch_size_and_data(semi, data, tmp_path):
    out = tmp_path / "more"
    status, _, err = run(["train", "--resume", semi, "--epochs", "2", "--labels", "20",
                          "--no-progress", "--out", out])
    assert status == 0, err
    resumed = load_checkpoint(out)
    assert (resumed.train.labels, resumed.train.batch_size) == (20, 16)
    assert resumed.train.dataset == load_checkpoint(semi).train.dataset
    assert resumed.model.config == load_checkpoint(semi).model.config
    card = json.loads((out / "card.json").read_text())
    assert (card["labels"], card["epochs"]) == (20, 2)


def test_resume_in_place_needs_overwrite(semi):
    before = snapshot(semi)
    refused(["train", "--resume", semi, "--epochs", "2", "--out", semi], "--overwrite")
    assert snapshot(semi) == before


# --- every argument checked first ----------------------------------------------------------

BAD_ARGS = {
    "epochs 0": (["--epochs", "0"], "epochs must be a whole number"),
    "seed -1": (["--seed", "-1"], "--seed must be"),
    "components 0": (["--prior", "mixture", "--components", "0"], "components"),
    "batch size 10^9": (["--batch-size", "1000000000"], "batch size must be"),
    "a 5000-byte path": (["--out", "/tmp/" + "a" * 5000], "too long"),
    "a 300-byte name": (["--out", "/tmp/" + "b" * 300], "too long"),
    "a traversing name": (["--out", "/tmp/x/.."], "bad checkpoint name"),
    "an empty path": (["--out", ""], "empty or too long"),
}


@pytest.mark.parametrize("case", BAD_ARGS, ids=list(BAD_ARGS))
def test_bad_train_arguments_stop_before_any_work(case, data, tmp_path):
    extra, fragment = BAD_ARGS[case]
    argv = ["train", "--dataset", data, *SMALL, *extra]
    if "--out" not in extra:
        argv += ["--out", tmp_path / "never"]
    refused(argv, fragment)
    assert list(tmp_path.iterdir()) == []


def test_a_data_set_too_small_to_measure_is_refused_before_training(tmp_path):
    tiny = write_idx(tmp_path / "tiny", 5)
    refused(["train", "--dataset", tiny, *SMALL, "--out", tmp_path / "never"],
            "at least 10 of each are needed")
    assert not (tmp_path / "never").exists()


def test_a_full_disk_is_exit_1_and_one_line(monkeypatch, data, tmp_path):
    from safetensors import SafetensorError

    import aae_core.store.checkpoints as checkpoints

    def full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device "
                              "(os error 28)")

    monkeypatch.setattr(checkpoints, "save_file", full)
    out = tmp_path / "full"
    refused(["train", "--dataset", data, *SMALL, "--out", out],
            f"error: cannot write the checkpoint to {out}: No space left on device", code=1)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_png_write_is_exit_1_and_one_line(monkeypatch, semi, tmp_path):
    import aae_core.cli as cli

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "open", no_space, raising=False)
    refused(["sample", semi, "--out", tmp_path / "x.png"],
            f"cannot write {tmp_path / 'x.png'}: No space left on device", code=1)
    assert list(tmp_path.iterdir()) == []


def test_an_out_that_cannot_be_written_is_refused_before_training(monkeypatch, data):
    import aae_core.training.train as train

    def no_training(*args, **kwargs):
        raise AssertionError("training started although --out cannot be written")

    monkeypatch.setattr(train, "make_trainer", no_training)
    # /proc says yes to a permission check as root, yet nothing can be made in it
    refused(["train", "--dataset", data, *SMALL, "--out", "/proc/xyz"],
            "error: --out: cannot write the checkpoint to /proc/xyz: cannot write in /proc (")
    assert not Path("/proc/xyz").exists()


def test_the_write_check_leaves_nothing_behind(data, tmp_path):
    out = tmp_path / "deep" / "new"
    status, _, err = run(["train", "--dataset", data, *SMALL, "--out", out])
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.startswith(".")) == []
    assert (out / "config.json").is_file()
