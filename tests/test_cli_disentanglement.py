"""`python -m aae_core eval CHECKPOINT --disentanglement`: the scores of a checkpoint's codes
against the synthetic digits' true factors, or against the measured shape of a folder of
digits, and one line for a dataset that has no digits."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tiny_checkpoints import make_tiny

from aae_core.analysis.disentanglement import MIN_ROWS, check_digits
from aae_core.analysis.morphometry import MEASURES
from aae_core.cli import main
from aae_core.data import FASHION_NAMES, synthetic_digits
from aae_core.data.synthetic import SYNTHETIC_FACTORS
from aae_core.errors import ConfigError

SCORES = {"mig", "dci_disentanglement", "dci_completeness", "dci_informativeness", "sap",
          "label_accuracy", "label_chance", "label_leakage"}


def write_idx(path: Path, array: np.ndarray) -> None:
    """An uncompressed IDX file of uint8 `array` (MNIST's format)."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def digit_folder(root: Path, n: int) -> Path:
    """A folder holding a t10k pair of n synthetic digits, as uint8 IDX files."""
    ds = synthetic_digits(n_train=n, n_test=1, seed=5)
    folder = root / "digits"
    folder.mkdir()
    write_idx(folder / "t10k-images-idx3-ubyte",
              np.round(ds.train_x.numpy().reshape(-1, 28, 28) * 255))
    write_idx(folder / "t10k-labels-idx1-ubyte", ds.train_y.numpy())
    return folder


def test_scores_against_the_true_factors_of_synthetic_digits(tmp_path, capsys):
    ckpt = make_tiny(tmp_path, "aae-supervised")
    assert main(["eval", str(ckpt), "--disentanglement", "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)["disentanglement"]
    assert scored["factors"] == ["label", *SYNTHETIC_FACTORS]
    assert set(scored["scores"]) == SCORES
    assert all(np.isfinite(v) for v in scored["scores"].values())
    importance = np.array(scored["importance"])  # (latent dims, factors)
    assert importance.shape == (2, 1 + len(SYNTHETIC_FACTORS))
    np.testing.assert_allclose(importance.sum(0), 1.0, atol=1e-3)

    assert main(["eval", str(ckpt), "--disentanglement"]) == 0
    text = capsys.readouterr().out
    assert "disentanglement of the held-out codes against: label, variant, bend" in text
    assert "  mig " in text and "  label_leakage " in text
    assert "z[0] matters most for " in text and "z[1] matters most for " in text


def test_scores_against_the_measured_shape_of_a_folder_of_digits(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "cache"))
    folder = digit_folder(tmp_path, 5 * MIN_ROWS)  # 80/20: MIN_ROWS held out
    ckpt = make_tiny(tmp_path, "aae")
    argv = ["eval", str(ckpt), "--dataset", str(folder), "--disentanglement", "--json"]
    assert main(argv) == 0
    scored = json.loads(capsys.readouterr().out)["disentanglement"]
    assert scored["factors"] == ["label", *MEASURES]
    assert set(scored["scores"]) == SCORES
    # The held-out digits were measured once, and are read from the cache from now on.
    assert len(list((tmp_path / "cache" / "morphometry").iterdir())) == 1
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["disentanglement"] == scored


def test_too_few_held_out_digits_is_one_line(tmp_path, capsys):
    folder = digit_folder(tmp_path, 60)  # 12 held out: enough for eval, not for the probes
    ckpt = make_tiny(tmp_path, "aae")
    assert main(["eval", str(ckpt), "--dataset", str(folder), "--disentanglement"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: disentanglement needs at least {MIN_ROWS} held-out " \
                           f"digits; {folder.resolve()} has 12\n"


def test_a_dataset_without_digits_is_refused():
    clothes = synthetic_digits(50, 50)
    with pytest.raises(ConfigError, match="holds no digits"):
        check_digits(replace(clothes, name="fashion-mnist", class_names=FASHION_NAMES))
