"""Tiny untrained checkpoints for page tests: every model kind in milliseconds, no training.

Codes are the (random) model's codes of synthetic-digits' held-out images, saved with their
labels, exactly as training would store them, so pages that look for the dataset find it.

    from tests.tiny_checkpoints import make_tiny
    make_tiny(tmp_path / "shipped", "aae-supervised")
"""

from __future__ import annotations

from pathlib import Path

import torch

from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import load_dataset
from aae_core.inference import batched
from aae_core.models import build_model
from aae_core.priors import PriorSpec
from aae_core.store.checkpoints import save_checkpoint

DEFAULT_PRIOR = {"aae-label-regularized": "mixture"}


def make_tiny(root: Path, model: str, *, name: str | None = None, prior: str | None = None,
              n_classes: int = 10, metrics: dict | None = None, seed: int = 0,
              dataset: str = "synthetic-digits", dim: int = 2) -> Path:
    """A checkpoint folder root/name (name defaults to the model name) of an untrained
    `dim`-D model (default 2-D) with 16-unit networks. Its codes are of synthetic-digits'
    held-out images; `dataset` is what it claims to be trained on (e.g. "mnist-10k" to
    test a page on a machine without MNIST)."""
    torch.manual_seed(seed)
    spec = PriorSpec(name=prior or DEFAULT_PRIOR.get(model, "gaussian"), dim=dim)
    config = ModelConfig(model=model, prior=spec, hidden=(16,), disc_hidden=(16,),
                         n_classes=n_classes)
    net = build_model(config).eval()
    data = load_dataset("synthetic-digits", download=False)
    codes = batched(net.encode, data.test_x)
    card = {"dataset": dataset, "split": data.split, "labels": -1,
            "metrics": metrics if metrics is not None else {"recon_bce": 500.0}}
    return save_checkpoint(Path(root) / (name or model), net,
                           TrainConfig(dataset=dataset, epochs=1), card=card,
                           codes=codes, labels=data.test_y, with_optimizer=False)
