"""The command line: list, train, eval, sample; every bad input is exit 2 and one stderr line.

Commands run in-process through `aae_core.cli.main` (fast); one subprocess checks that
`python -m aae_core` itself works.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from aae_core.cli import main
from aae_core.data import DATASET_NAMES
from aae_core.models import MODELS
from aae_core.priors import PRIOR_NAMES
from aae_core.settings import run_defaults
from aae_core.store.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
TRAIN_ARGS = ["train", "--hidden", "32", "--disc-hidden", "32", "--epochs", "1",
              "--batch-size", "400", "--dataset", "synthetic-digits", "--no-progress"]


def run_cli(argv: list[str]) -> int:
    """main(argv)'s exit status, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, str]:
    """A checkpoint written by `train` (once per module) and what train printed."""
    out = tmp_path_factory.mktemp("cli") / "tiny-aae"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert run_cli([*TRAIN_ARGS, "--out", str(out)]) == 0
    return out, stdout.getvalue()


# --- list -----------------------------------------------------------------------------


def test_list_shows_models_priors_datasets_and_checkpoints(trained, tmp_path, monkeypatch,
                                                           capsys):
    ckpt, _ = trained
    (tmp_path / "checkpoints").mkdir()
    os.symlink(ckpt, tmp_path / "checkpoints" / "tiny-aae")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["list"]) == 0
    out = capsys.readouterr().out
    for name in [*MODELS, *PRIOR_NAMES, *DATASET_NAMES]:
        assert name in out
    assert "tiny-aae  (aae, gaussian prior, 2-D, synthetic-digits)" in out


def test_python_m_aae_core_list_runs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "aae_core", "list"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    model_lines = [line.split()[0] for line in done.stdout.splitlines()
                   if line.startswith("  ") and "priors:" in line]
    assert model_lines == list(MODELS)


# --- train, eval, sample --------------------------------------------------------------


def test_train_writes_a_loadable_checkpoint_that_records_its_command(trained):
    ckpt, printed = trained
    loaded = load_checkpoint(ckpt)
    assert loaded.model.config.hidden == (32,) and loaded.model.config.disc_hidden == (32,)
    assert loaded.card["command"] == "python -m aae_core " + " ".join(
        [*TRAIN_ARGS, "--out", str(ckpt)])
    assert loaded.card["epochs"] == 1
    assert loaded.card["cpu_threads"] == 1  # the thread policy's default, recorded
    assert printed.startswith("finished: 1 epochs")
    assert "knn_accuracy" in printed


def test_a_new_2d_aae_starts_from_its_measured_budget_and_says_how_it_was_trained(trained):
    """Flags left out take the model's preferred settings for its latent size (the
    2-D AAE's budget, that of the shipped comparison models), then the configs' shared
    defaults; the card keeps the budget and what each figure measures."""
    loaded = load_checkpoint(trained[0])  # TRAIN_ARGS give neither --lr nor --lr-adv
    assert (loaded.model.config.lr, loaded.model.config.lr_adv) == (1e-3, 1e-3)
    assert loaded.card["batch_size"] == 400  # given: the flag wins
    assert "held-out code" in loaded.card["measures"]["knn_accuracy"]
    assert {"knn_accuracy", "holes"} <= set(loaded.card["measures"])
    two_d = run_defaults("aae")
    assert (two_d["lr"], two_d["lr_adv"], two_d["batch_size"], two_d["epochs"]) == \
        (1e-3, 1e-3, 50, 24)
    shared = run_defaults("vae")
    assert (shared["lr"], shared["batch_size"], shared["epochs"]) == (1e-3, 100, 10)
    for other in (run_defaults("aae", latent_dim=8), run_defaults("aae-label-regularized")):
        assert (other["lr"], other["lr_adv"], other["batch_size"]) == (1e-3, 1e-3, 100)


def test_eval_json_prints_the_metrics(trained, capsys):
    ckpt, _ = trained
    assert run_cli(["eval", str(ckpt), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["model"], result["prior"], result["dataset"]) == \
        ("aae", "gaussian", "synthetic-digits")
    metrics = result["metrics"]
    assert 0 <= metrics["knn_accuracy"] <= 1
    assert metrics["recon_bce"] > 0 and "prior_mmd" in metrics
    # The same numbers as the card written at the end of training (same data, same model).
    # Recomputed, not compared with a tolerance: eval computes on the kind of device the
    # card's metrics came from (a GPU when training used one and this machine has it), and
    # there the numbers are the same; across devices a 5-NN vote can flip (0.414 vs 0.413).
    card = load_checkpoint(ckpt).card
    assert result["device"] == card["metrics_device"].split(":")[0]
    assert metrics["knn_accuracy"] == card["metrics"]["knn_accuracy"]
    assert metrics["prior_mmd"] == card["metrics"]["prior_mmd"]


def test_eval_computes_where_it_is_asked_and_says_so(trained, capsys):
    ckpt, _ = trained
    assert run_cli(["eval", str(ckpt), "--device", "cpu"]) == 0
    assert "computed on cpu" in capsys.readouterr().out.splitlines()[0]
    assert run_cli(["eval", str(ckpt), "--device", "tpu"]) == 2
    assert capsys.readouterr().err == "error: --device must be auto, cpu, cuda or mps, " \
                                      "got 'tpu'\n"


def test_sample_writes_a_png_grid(trained, tmp_path, capsys):
    ckpt, _ = trained
    png = tmp_path / "x.png"
    assert run_cli(["sample", str(ckpt), "-n", "16", "--out", str(png)]) == 0
    assert capsys.readouterr().out == f"wrote 16 samples to {png}\n"
    with Image.open(png) as img:
        assert img.format == "PNG"
        assert img.size == (2 * (4 * 30 + 2),) * 2  # 4 x 4 tiles of 28 + 2 px, scaled x2


# --- bad input: exit 2, one line ------------------------------------------------------

BAD = {
    "no command": ([], "required"),
    "unknown command": (["frobnicate"], "invalid choice"),
    "unknown model": (["train", "--model", "gan"], "invalid choice: 'gan'"),
    "unknown prior": (["train", "--prior", "cauchy"], "invalid choice: 'cauchy'"),
    "unsupported prior": (["train", "--model", "aae-label-regularized"],
                          "does not support the 'gaussian' prior"),
    "latent dim 0": (["train", "--latent-dim", "0"], "latent dimension must be"),
    "epochs -1": (["train", "--epochs", "-1"], "epochs must be a whole number"),
    "lr nan": (["train", "--lr", "nan"], "lr must be a finite number"),
    "decay to 0": (["train", "--lr-decay-to", "0"], "lr_decay_to must be a finite number > 0"),
    "decay above 1": (["train", "--lr-decay-to", "2"], "and <= 1, got 2.0"),
    "hidden a,b": (["train", "--hidden", "a,b"], "expected sizes like 256,256"),
    "model too big": (["train", "--hidden", "8192,8192,8192"],
                      "parameters, more than the limit of 50,000,000"),
    "too many components": (["train", "--prior", "mixture", "--components", "1000000000"],
                            "at most 1000"),
    "batch size text": (["train", "--batch-size", "many"], "invalid int value"),
    "unknown dataset": (["train", "--dataset", "no-such-data"], "unknown dataset"),
    "missing --out": (["train", "--epochs", "1", "--no-progress"], "--out"),
    "no threads": (["train", "--threads", "0", "--out", "{png}"],
                   "--threads must be a whole number from 1 to 256"),
    "too many threads": (["train", "--threads", "100000", "--out", "{png}"],
                         "--threads must be a whole number from 1 to 256"),
    "eval missing folder": (["eval", "{missing}"], "no checkpoint folder"),
    "eval corrupt checkpoint": (["eval", "{corrupt}"], "not a valid safetensors file"),
    "sample label on a model without parts": (
        ["sample", "{ckpt}", "--label", "3", "--out", "{png}"], "no labelled parts"),
    "sample n 0": (["sample", "{ckpt}", "-n", "0", "--out", "{png}"], "-n must be from 1"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_exit_2_with_one_stderr_line(case, trained, tmp_path, capsys):
    argv, fragment = BAD[case]
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in ("config.json", "model.safetensors"):
        (corrupt / name).write_bytes((trained[0] / name).read_bytes())
    (corrupt / "model.safetensors").write_bytes(b"\x00" * 100)
    places = {"missing": tmp_path / "missing", "corrupt": corrupt, "ckpt": trained[0],
              "png": tmp_path / "x.png"}
    argv = [arg.format(**places) for arg in argv]
    if argv[:1] == ["train"] and "--out" not in argv and case != "missing --out":
        argv += ["--out", str(tmp_path / "out"), "--no-progress"]

    assert run_cli(argv) == 2
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1, captured.err
    assert fragment in captured.err
    assert captured.out == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.png").exists()

