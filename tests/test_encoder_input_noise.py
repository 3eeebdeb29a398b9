"""Encoder input noise (the categorical-code models): noisy in training, exact at inference,
refused where a model would silently ignore it, and kept through a checkpoint."""

from __future__ import annotations

import pytest
import torch

from aae_core.cli import train_configs
from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import ConfigError
from aae_core.models import MODELS, Batch, build_model
from aae_core.priors import PriorSpec
from aae_core.store.checkpoints import load_checkpoint, save_checkpoint

X = torch.rand(16, 784, generator=torch.Generator().manual_seed(0))
Y = torch.arange(16) % 10
NOISY = ("aae-semi-supervised", "aae-clustering", "aae-dim-reduction")


def config(model: str, noise: float) -> ModelConfig:
    return ModelConfig(model=model, prior=PriorSpec(dim=3), hidden=(32,), disc_hidden=(16,),
                       encoder_input_noise=noise)


@pytest.mark.parametrize("model", [m for m in MODELS if m not in NOISY])
def test_models_that_would_ignore_it_refuse_it(model):
    prior = "mixture" if model == "aae-label-regularized" else "gaussian"
    with pytest.raises(ConfigError, match="does not use encoder input noise"):
        ModelConfig(model=model, prior=PriorSpec(name=prior, dim=2), encoder_input_noise=0.3)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), 11.0])
def test_impossible_noise_is_refused(bad):
    with pytest.raises(ConfigError, match="encoder_input_noise"):
        config("aae-clustering", bad)


@pytest.mark.parametrize("model", NOISY)
def test_training_sees_noise_and_inference_does_not(model):
    torch.manual_seed(0)
    noisy = build_model(config(model, 0.5))
    torch.manual_seed(0)
    clean = build_model(config(model, 0.0))
    batch = Batch(X, Y, x_lab=X[:8], y_lab=Y[:8])
    torch.manual_seed(1)
    noisy_losses = noisy.train_step(batch)
    torch.manual_seed(1)
    clean_losses = clean.train_step(batch)
    # same weights, same seed: only the noise differs, so the reconstruction loss differs
    assert noisy_losses["recon_loss"] != clean_losses["recon_loss"]
    noisy.eval()
    assert torch.equal(noisy.encode(X), noisy.encode(X))  # no noise at inference
    assert torch.equal(noisy.classify(X), noisy.classify(X))


def test_the_cli_passes_it_and_a_checkpoint_keeps_it(tmp_path):
    cfg, _ = train_configs(["train", "--model", "aae-clustering", "--labels", "0",
                            "--input-noise", "0.3", "--out", str(tmp_path / "x")])
    # the flags given, the run defaults for the rest
    assert cfg.encoder_input_noise == 0.3
    save_checkpoint(tmp_path / "ck", build_model(config("aae-clustering", 0.3)), TrainConfig())
    assert load_checkpoint(tmp_path / "ck").model.config.encoder_input_noise == 0.3
