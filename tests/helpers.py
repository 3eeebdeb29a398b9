"""Helpers shared by several test modules (not a test module itself: nothing here is
collected). Test modules import from here, never from one another."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

# ---------------------------------------------------------------- data files


def write_idx(folder: Path, n: int) -> Path:
    """A folder with one MNIST-style train pair of `n` random images, labels 0..9."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    (folder / "train-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    (folder / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 0x801, n) + labels.tobytes())
    return folder


# ---------------------------------------------------------------- models' phases

# Each model's phases in order: (optimizer name, the modules whose weights it updates).
# A phase's loss must reach exactly those weights (codes detached for D, D frozen for G).
AE = {"encoder", "decoder"}
_AAE = [("reconstruction", AE), ("discriminator", {"discriminator"}), ("generator", {"encoder"})]
_TWO_ADVERSARIES = [("discriminator_cat", {"disc_cat"}), ("generator_cat", {"encoder"}),
                    ("discriminator_style", {"disc_style"}), ("generator_style", {"encoder"})]
_CLASSIFY = [("classification", {"encoder"})]
PHASES = {
    "aae": _AAE,
    "aae-supervised": _AAE,
    "aae-label-regularized": _AAE,
    "aae-semi-supervised": [("reconstruction", AE), *_TWO_ADVERSARIES, *_CLASSIFY],
    "aae-clustering": [("reconstruction", AE), *_TWO_ADVERSARIES],
    "aae-dim-reduction": [("reconstruction", AE | {"heads"}), *_TWO_ADVERSARIES, *_CLASSIFY],
    "vae": [("vae", AE)],
    "wae-mmd": [("autoencoder", AE)],
    "wae-gan": [("discriminator", {"discriminator"}), ("autoencoder", AE)],
}


def module_of(param_name: str) -> str:
    """The top-level module of a parameter name: "encoder.net.0.weight" -> "encoder"."""
    return param_name.split(".")[0]


# ---------------------------------------------------------------- the browser's decoder


def browser_decode(js_page, payload: dict, z: torch.Tensor, cond: torch.Tensor | None):
    """Decode every row of z (and cond) with AAEDecoder; returns an (N, 784) tensor."""
    flat = js_page.evaluate(
        """([payload, zs, conds]) => {
            const m = new AAEDecoder.MLPDecoder(JSON.parse(payload));
            const out = [];
            zs.forEach((z, i) => {
                for (const v of m.decode(z, conds ? conds[i] : null)) out.push(v);
            });
            return out;
        }""",
        [json.dumps(payload), z.tolist(), None if cond is None else cond.tolist()],
    )
    return torch.tensor(flat, dtype=torch.float32).reshape(z.shape[0], -1)


# ---------------------------------------------------------------- the Train page (AppTest)

#: The Train form's smallest run: synthetic digits, one hidden layer of 32, batches of 100.
TINY_FORM = {"tr_dataset": "synthetic-digits", "tr_hidden": "32", "tr_batch": 100}


def fill(at: AppTest, model: str | None = None, **values) -> None:
    if model:
        at.selectbox(key="train_model").set_value(model)
        at.run()
    for key, value in {**TINY_FORM, **values}.items():
        widget = next(w for kind in ("selectbox", "text_input", "number_input")
                      for w in at.sidebar.get(kind) if w.key == key)
        widget.set_value(value)


def press(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception


def progress_text(at: AppTest) -> str:
    bars = at.get("progress")
    return bars[0].proto.text if bars else ""


def poll(at: AppTest, condition, what: str, timeout_s: float = 60.0) -> str:
    """Re-run the page until condition(progress text) holds (run_every never fires here)."""
    deadline = time.monotonic() + timeout_s
    while True:
        at.run()
        assert not at.exception
        text = progress_text(at)
        if condition(text):
            return text
        assert time.monotonic() < deadline, f"timed out waiting for {what}; last: {text!r}"
        time.sleep(0.2)


def tiny_dataset(n_train: int = 64, n_test: int = 60):
    """Random images (n, 784) with labels cycling 0..9: a Dataset small enough for a Watch
    session in a test."""
    from aae_core.data import Dataset

    g = torch.Generator().manual_seed(0)
    return Dataset(name="tiny", split="random", class_names=tuple("0123456789"),
                   train_x=torch.rand(n_train, 784, generator=g),
                   train_y=torch.arange(n_train) % 10,
                   test_x=torch.rand(n_test, 784, generator=g), test_y=torch.arange(n_test) % 10)


#: A title that would run script or fill a template if it were not shown as text.
HOSTILE_TITLE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>&amp;{{css}}'
