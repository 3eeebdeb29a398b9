"""The AAE's weighed generator phase (ModelConfig.generator_weight; docs/ARCHITECTURE.md,
"Decisions and their measurements").

0: the paper's form, the generator phase steps an Adam of its own at lr_adv.
w > 0: it steps the autoencoder's Adam on w x the generator loss, so the pull toward the
prior is measured against the reconstruction's gradients (its second moments).
"""

from __future__ import annotations

import pytest
import torch

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import ConfigError
from aae_core.models import MODELS, Batch, build_model
from aae_core.priors import PriorSpec
from aae_core.settings import run_defaults
from aae_core.store.checkpoints import load_checkpoint, save_checkpoint
from ui.train_settings import build_configs

B = 16
X = torch.rand(B, 784, generator=torch.Generator().manual_seed(0))  # (B, 784) in [0, 1]
BATCH = Batch(X, torch.arange(B) % 10)


def aae(weight: float, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(ModelConfig(model="aae", prior=PriorSpec(dim=2), hidden=(32,),
                                   disc_hidden=(16,), generator_weight=weight))


def test_weighed_generator_phase_has_no_optimizer_of_its_own():
    assert set(aae(0.0).ensure_optimizers()) == {"reconstruction", "discriminator",
                                                 "generator"}
    assert set(aae(1.0).ensure_optimizers()) == {"reconstruction", "discriminator"}


@pytest.mark.parametrize("name", [n for n, cls in MODELS.items() if cls.uses_generator_weight])
def test_every_weighed_model_steps_its_generators_with_the_autoencoders_adam(name):
    cls = MODELS[name]
    torch.manual_seed(0)
    config = ModelConfig(model=name, prior=PriorSpec(name=cls.supported_priors[0], dim=2),
                         hidden=(32,), disc_hidden=(16,), generator_weight=2.0)
    model = build_model(config)
    assert not [n for n in model.ensure_optimizers() if n.startswith("generator")]
    batch = Batch(X, torch.arange(B) % 10, x_lab=X[:4], y_lab=torch.arange(4))
    decoder = [p.detach().clone() for p in model.decoder.parameters()]
    steps = []
    reconstruction = model.ensure_optimizers()["reconstruction"]
    original = reconstruction.step
    reconstruction.step = lambda *a, **k: (steps.append(1), original(*a, **k))[1]
    losses = model.train_step(batch)
    # one reconstruction step, then one per adversary's generator phase
    assert len(steps) == 1 + sum(k.startswith("g_") for k in losses), losses
    assert all(torch.isfinite(v) for v in losses.values())
    assert not all(torch.equal(a, p) for a, p in zip(decoder, model.decoder.parameters(),
                                                       strict=True))


def encoder_move(weight: float) -> float:
    """How far one generator phase moves the encoder, after one reconstruction step has
    given the autoencoder's Adam its moments (the state of every training step)."""
    model = aae(weight)
    model.reconstruction_phase(BATCH)
    model.discriminator_phase(BATCH)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    decoder = [p.detach().clone() for p in model.decoder.parameters()]
    model.generator_phase(BATCH)
    assert all(torch.equal(a, p) for a, p in zip(decoder, model.decoder.parameters(),
                                                   strict=True)), "the decoder moved"
    return sum((p - a).norm().item() for a, p in zip(before, model.encoder.parameters(),
                                                      strict=True))


def test_the_weight_sets_how_far_the_generator_phase_moves_the_encoder():
    small, large = encoder_move(0.01), encoder_move(100.0)
    assert 0 < small < large
    # the paper's own Adam moves every weight by about lr_adv whatever the loss's scale
    assert encoder_move(0.0) > small


def test_the_loss_reported_is_the_unweighted_one():
    """Runs with different weights log comparable g_loss values."""
    losses = [aae(w).train_step(BATCH)["g_loss"].item() for w in (0.5, 5.0)]
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


@pytest.mark.parametrize("name", [n for n, cls in MODELS.items()
                                  if not cls.uses_generator_weight])
def test_models_without_the_phase_refuse_a_weight(name):
    cls = MODELS[name]
    with pytest.raises(ConfigError, match="has no generator weight"):
        ModelConfig(model=name, prior=PriorSpec(name=cls.supported_priors[0], dim=2),
                    generator_weight=1.0)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "1"])
def test_a_bad_weight_is_one_clear_line(bad):
    with pytest.raises(ConfigError, match="generator_weight must be"):
        ModelConfig(generator_weight=bad)


def test_a_weighed_checkpoint_resumes_with_its_optimizer_state(tmp_path):
    model = aae(1.0)
    model.train_step(BATCH)
    path = save_checkpoint(tmp_path / "ckpt", model, TrainConfig(epochs=1))
    loaded = load_checkpoint(path, with_optimizer=True).model
    assert loaded.config.generator_weight == 1.0
    state = loaded.ensure_optimizers()["reconstruction"].state
    assert state, "the autoencoder's Adam moments were not restored"
    loaded.train_step(BATCH)  # and it trains on


def test_old_checkpoints_keep_the_papers_form():
    """A config.json from before the field reads as weight 0: its own generator Adam."""
    old = ModelConfig(model="aae").to_dict()
    del old["generator_weight"]
    assert ModelConfig.from_dict(old).generator_weight == 0.0


def test_a_2d_aae_gets_the_weight_from_the_command_line_and_the_train_page():
    assert run_defaults("aae", 2)["generator_weight"] == 1.0
    assert run_defaults("aae", 8)["generator_weight"] == 0.0
    assert run_defaults("vae", 2)["generator_weight"] == 0.0
    model_cfg, _ = build_configs(model="aae", prior="gaussian", encoder="deterministic",
                                 dataset="synthetic-digits", latent_dim=2, hidden="32",
                                 epochs=1, batch_size=50, lr="1e-3")
    assert model_cfg.generator_weight == 1.0
    model_cfg, _ = build_configs(model="vae", prior="gaussian", encoder="deterministic",
                                 dataset="synthetic-digits", latent_dim=2, hidden="32",
                                 epochs=1, batch_size=50, lr="1e-3")
    assert model_cfg.generator_weight == 0.0
