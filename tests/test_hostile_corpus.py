"""An independent corpus of hostile inputs against the command line and the app's loader.

Every CLI case must end with exit status 2 (bad input) or 1 (a failed write), one line on
stderr, no traceback, within a deadline (a FIFO must not hang anything); afterwards every
file the user had is byte-for-byte the same. The app's side: every hostile checkpoint is
listed as unreadable with its one-line reason, and the Explore page shows one message.

The CLI corpus runs in this process (fast) and, marked slow, as real `python -m aae_core`
subprocesses.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from aae_core.config import ModelConfig, TrainConfig
from aae_core.models import build_model
from aae_core.store.checkpoints import save_checkpoint
from tests.helpers import write_idx

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_S = 120

#: (argv with {placeholders}, allowed exit statuses). Placeholders are filled by `world`.
CLI_CORPUS = {
    "train over the shipped folder": ("train --out {shipped} --epochs 1", {2}),
    "train over a shipped model": ("train --out {shipped}/aae-gaussian --epochs 1", {2}),
    "train into a shipped model": ("train --out {shipped}/aae-gaussian/x --epochs 1", {2}),
    "train over documents": ("train --out {docs} --epochs 1", {2}),
    "train over a file": ("train --out {notes} --epochs 1", {2}),
    "train under a file": ("train --out {notes}/x --epochs 1", {2}),
    "train over a FIFO": ("train --out {fifo} --epochs 1", {2}),
    "train with a 300-byte name": ("train --out {tmp}/" + "n" * 300, {2}),
    "train with a 5000-byte path": ("train --out {tmp}/" + "d/" * 2500 + "x", {2}),
    "train with epochs 0": ("train --out {tmp}/x --epochs 0", {2}),
    "train with epochs 10^12": ("train --out {tmp}/x --epochs 1000000000000", {2}),
    "train with a huge model": ("train --out {tmp}/x --hidden 8192,8192,8192", {2}),
    "train with 10^9 components": (
        "train --out {tmp}/x --prior mixture --components 1000000000", {2}),
    "train with lr inf": ("train --out {tmp}/x --lr inf", {2}),
    "train with a negative seed": ("train --out {tmp}/x --seed -3", {2}),
    "train on a data set of 5 images": ("train --out {tmp}/x --dataset {tiny}", {2}),
    "train on a file as data": ("train --out {tmp}/x --dataset {notes}", {2}),
    "resume a FIFO config": ("train --resume {fifo_ck} --epochs 3 --out {tmp}/x", {2}),
    "resume a deeply nested config": ("train --resume {nested} --epochs 3 --out {tmp}/x", {2}),
    "resume with another batch size": (
        "train --resume {ck} --epochs 3 --batch-size 7 --out {tmp}/x", {2}),
    "resume in place without --overwrite": ("train --resume {ck} --epochs 3 --out {ck}", {2}),
    "sample over the weights": ("sample {ck} --out {ck}/model.safetensors", {2}),
    "sample into a checkpoint": ("sample {ck} --out {ck}/grid.png", {2}),
    "sample over a text file": ("sample {ck} --out {fake_png}", {2}),
    "sample into a missing folder": ("sample {ck} --out {tmp}/missing/x.png", {2}),
    "sample 10^8 images": ("sample {ck} -n 100000000 --out {tmp}/x.png", {2}),
    "sample a huge seed": ("sample {ck} --seed 99999999999999999999999 --out {tmp}/x.png",
                           {2}),
    "sample a nested card": ("sample {nested_card} --out {tmp}/x.png", {2}),
    "sample int8 weights": ("sample {int8} --out {tmp}/x.png", {2}),
    "eval a FIFO weights file": ("eval {fifo_ck2}", {2}),
    "eval NaN codes": ("eval {nan_codes}", {2}),
    "eval /dev/null": ("eval /dev/null", {2}),
    "eval on a data set of 5 images": ("eval {ck} --dataset {tiny}", {2}),
}


#: The cases also run as real subprocesses (each starts Python and torch: a few seconds).
SUBPROCESS_CASES = ["train over a shipped model", "train over documents", "train over a FIFO",
                    "resume a FIFO config", "resume with another batch size",
                    "sample over the weights", "sample a nested card", "eval /dev/null"]


def tiny_model():
    torch.manual_seed(0)
    return build_model(ModelConfig(hidden=(8,), disc_hidden=(8,)))


def checkpoint(folder: Path) -> Path:
    return save_checkpoint(folder, tiny_model(), TrainConfig(epochs=1, batch_size=16),
                           card={"epochs": 1}, codes=torch.randn(12, 2),
                           labels=torch.arange(12) % 10)


def make_world(tmp: Path) -> dict[str, str]:
    """The user's files and hostile checkpoints the corpus aims at."""
    world = {"tmp": tmp / "scratch"}
    world["tmp"].mkdir()
    shipped = tmp / "checkpoints"
    shutil.copytree(ROOT / "checkpoints" / "aae-gaussian", shipped / "aae-gaussian")
    docs = tmp / "documents"
    docs.mkdir()
    (docs / "thesis.txt").write_text("years of work")
    (tmp / "notes.txt").write_text("keep me")
    (tmp / "fake.png").write_text("a text file named .png")
    os.mkfifo(tmp / "fifo")
    world.update(shipped=shipped, docs=docs, notes=tmp / "notes.txt", fifo=tmp / "fifo",
                 fake_png=tmp / "fake.png", tiny=write_idx(tmp / "tiny", 5))
    ck = world["ck"] = checkpoint(tmp / "ck")
    for name in ("fifo_ck", "fifo_ck2", "nested", "nested_card", "int8", "nan_codes",
                 "bad_labels", "names_number", "empty_codes"):
        world[name] = checkpoint(tmp / name)
    save_file({"codes": torch.zeros(4, 2), "labels": torch.tensor([0, 1, 99, -1])},
              str(world["bad_labels"] / "codes.safetensors"))
    (world["names_number"] / "card.json").write_text('{"epochs": 1, "class_names": 7}')
    save_file({"codes": torch.zeros(0, 2), "labels": torch.zeros(0).long()},
              str(world["empty_codes"] / "codes.safetensors"))
    (world["fifo_ck"] / "config.json").unlink()
    os.mkfifo(world["fifo_ck"] / "config.json")
    (world["fifo_ck2"] / "model.safetensors").unlink()
    os.mkfifo(world["fifo_ck2"] / "model.safetensors")
    (world["nested"] / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    (world["nested_card"] / "card.json").write_text('{"a":' + "[" * 100_000 + "]" * 100_000
                                                    + "}")
    save_file({k: v.to(torch.int8).contiguous() for k, v in tiny_model().state_dict().items()},
              str(world["int8"] / "model.safetensors"))
    save_file({"codes": torch.full((4, 2), float("nan")), "labels": torch.zeros(4).long()},
              str(world["nan_codes"] / "codes.safetensors"))
    del ck
    return {k: str(v) for k, v in world.items()}


def user_files(tmp: Path) -> dict[str, bytes]:
    """Every regular file outside the scratch folder (what must never change)."""
    return {str(p): p.read_bytes() for p in sorted(tmp.rglob("*"))
            if p.is_file() and not p.is_symlink() and "scratch" not in p.parts}


def check_outcome(case: str, status, err: str) -> list[str]:
    allowed = CLI_CORPUS[case][1]
    problems = []
    if status not in allowed:
        problems.append(f"exit {status}, expected {sorted(allowed)}")
    if err.count("\n") != 1 or not err.startswith(("error:", "python -m aae_core")):
        problems.append(f"stderr is not one line: {err[:300]!r}")
    if "Traceback" in err:
        problems.append("a traceback")
    return [f"{case}: {p}" for p in problems]


def run_in_process(argv: list[str]) -> tuple[int | None, str]:
    from aae_core.cli import main

    result = {"status": None, "err": ""}

    def work():
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                result["status"] = main(argv)
            except SystemExit as exc:
                result["status"] = exc.code
        result["err"] = err.getvalue()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    return (result["status"], result["err"]) if not worker.is_alive() else (None, "HUNG\n")


def run_subprocess(argv: list[str]) -> tuple[int | None, str]:
    try:
        done = subprocess.run([sys.executable, "-m", "aae_core", *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=DEADLINE_S,
                              env={**os.environ, "AAE_DEBUG": ""})
    except subprocess.TimeoutExpired:
        return None, "HUNG\n"
    return done.returncode, done.stderr


def argv_of(case: str, world: dict[str, str]) -> list[str]:
    return [part.format(**world) for part in CLI_CORPUS[case][0].split()]


def test_the_cli_corpus_in_process(tmp_path):
    world = make_world(tmp_path)
    before = user_files(tmp_path)
    problems = []
    with contextlib.redirect_stdout(io.StringIO()):
        for case in CLI_CORPUS:
            problems += check_outcome(case, *run_in_process(argv_of(case, world)))
    assert problems == []
    assert user_files(tmp_path) == before
    assert sorted(os.listdir(world["tmp"])) == []


@pytest.mark.slow
def test_the_cli_corpus_as_subprocesses(tmp_path):
    world = make_world(tmp_path)
    before = user_files(tmp_path)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = dict(zip(SUBPROCESS_CASES,
                            pool.map(lambda c: run_subprocess(argv_of(c, world)),
                                     SUBPROCESS_CASES), strict=True))
    problems = [p for case, (status, err) in outcomes.items()
                for p in check_outcome(case, status, err)]
    assert problems == []
    assert user_files(tmp_path) == before
    assert sorted(os.listdir(world["tmp"])) == []


# --- the app's side ---------------------------------------------------------------------

def test_the_app_lists_every_hostile_checkpoint_with_one_line(tmp_path, monkeypatch):
    from aae_core.store import catalog

    world = make_world(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("fifo_ck", "nested"):
        os.replace(world[name], runs / name)
    monkeypatch.setenv("AAE_RUNS_DIR", str(runs))
    done = {}
    worker = threading.Thread(target=lambda: done.update(entries=catalog.entries()),
                              daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert "entries" in done, "listing the checkpoints blocked"
    problems = {e.name: e.problem for e in done["entries"] if e.source == "runs"}
    assert set(problems) == {"runs/fifo_ck", "runs/nested"}
    assert "not a plain file" in problems["runs/fifo_ck"]
    assert "nested too deeply" in problems["runs/nested"]
    assert all("\n" not in p for p in problems.values())


@pytest.mark.parametrize("name", ["nested_card", "int8", "nan_codes", "fifo_ck2", "bad_labels",
                                  "names_number"])
def test_explore_shows_one_message_for_a_hostile_checkpoint(tmp_path, monkeypatch, name):
    from streamlit.testing.v1 import AppTest

    world = make_world(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    os.replace(world[name], runs / name)
    monkeypatch.setenv("AAE_RUNS_DIR", str(runs))
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=DEADLINE_S)
    at.query_params["model"] = f"runs/{name}"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in at.error)
    assert f"Cannot open runs/{name}" in shown.replace("\\", ""), shown
    assert "Traceback" not in shown


def test_explore_opens_a_checkpoint_with_empty_codes_without_a_map(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    world = make_world(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    os.replace(world["empty_codes"], runs / "empty_codes")
    monkeypatch.setenv("AAE_RUNS_DIR", str(runs))
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=DEADLINE_S)
    at.query_params["model"] = "runs/empty_codes"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_the_browser_is_never_sent_error_details():
    """An unforeseen exception in a page shows Streamlit's generic message only: no type,
    message, traceback or server path (the console gets them)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_a_card_json_is_never_rendered_as_markdown(tmp_path):
    """The card's split and dataset strings reach the page escaped (see ui/plain_text)."""
    from ui.plain_text import plain

    evil = "[Session expired - click](https://evil.example/login) ![x](https://evil.example/i.png)"
    shown = plain(evil)
    assert "\\](" in shown and "!\\[" in shown and "](" not in shown.replace("\\]", "")
    assert shown.replace("\\", "").replace("\u2060", "") == evil
    assert "https:" not in shown.replace("\\", "")  # no bare URL left to autolink
    assert json.loads(json.dumps(shown))  # still one plain string
