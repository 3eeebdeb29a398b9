"""One contract, run over every (model, prior) pair the registry supports.

What the trainer, the CLI and the app rely on: shapes and ranges, finite named losses,
phases that update exactly their own weights, identical outputs after save -> load,
label-conditioned decoding and class probabilities where a model offers them.
"""

from __future__ import annotations

import re

import pytest
import torch

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import ConfigError
from aae_core.losses import discriminator_loss, generator_loss
from aae_core.models import MODELS, Batch, build_model
from aae_core.models.base import adam, adversarial_phases
from aae_core.nets import Decoder, Discriminator, Encoder
from aae_core.priors import PRIOR_NAMES, PriorSpec
from aae_core.store.checkpoints import load_checkpoint, save_checkpoint
from tests.helpers import PHASES, module_of

CASES = [(name, prior) for name, cls in MODELS.items() for prior in cls.supported_priors]
CASE_IDS = [f"{name}-{prior}" for name, prior in CASES]

B = 8  # batch size of every check
_data = torch.Generator().manual_seed(0)
X = torch.rand(B, 784, generator=_data)  # (B, 784) in [0, 1]
Y = torch.arange(B) % 10  # (B,) labels
BATCH = Batch(X, Y, x_lab=X[:4], y_lab=Y[:4])  # a labelled mini-batch, as the Trainer gives



def tiny_config(name: str, prior: str, **changes) -> ModelConfig:
    """Tiny networks; a 3-D code where the prior allows it, so no '2' hides in a shape."""
    dim = 2 if prior == "swiss-roll" else 3
    # Distinct rates: Adam's first step moves every weight by exactly +-lr, so with
    # lr == lr_adv a weight pushed one way by the reconstruction phase and back by the
    # generator phase can land exactly where it started.
    changes = {"lr": 1e-3, "lr_adv": 7e-4, **changes}
    return ModelConfig(model=name, prior=PriorSpec(name=prior, dim=dim), hidden=(32,),
                       disc_hidden=(16,), **changes)


def tiny_model(name: str, prior: str):
    torch.manual_seed(0)
    return build_model(tiny_config(name, prior))


@pytest.fixture(params=CASES, ids=CASE_IDS)
def model(request):
    return tiny_model(*request.param)


COND_CASES = [c for c in CASES if tiny_model(*c).cond_dim]
CLASSIFIER_CASES = [c for c in CASES if MODELS[c[0]].has_classifier]


def labels_for(model, n: int = B):
    """Labels the decoder needs (None for decoders of z alone)."""
    return Y[:n] if model.cond_dim else None


def assert_images(images: torch.Tensor, n: int) -> None:
    assert images.shape == (n, 784)
    assert torch.isfinite(images).all()
    assert images.min() >= 0 and images.max() <= 1


def same_grad(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and torch.equal(a, b))


def record_phases(model, batch, monkeypatch) -> list[tuple[str, set[str], set[str]]]:
    """Run one train_step with a spy on every optimizer's step.

    For each step, in order: (optimizer name, modules whose weights the step changed,
    modules whose gradients changed since the previous step, i.e. what its loss reached).
    """
    params = dict(model.named_parameters())
    log, previous = [], [{n: None for n in params}]

    for opt_name, opt in model.ensure_optimizers().items():
        def spy(*args, _name=opt_name, _step=opt.step, **kwargs):
            grads = {n: None if p.grad is None else p.grad.clone() for n, p in params.items()}
            reached = {module_of(n) for n in params if not same_grad(grads[n], previous[0][n])}
            before = {n: p.detach().clone() for n, p in params.items()}
            result = _step(*args, **kwargs)
            moved = {module_of(n) for n, p in params.items() if not torch.equal(before[n], p)}
            log.append((_name, moved, reached))
            previous[0] = grads
            return result

        monkeypatch.setattr(opt, "step", spy)
    model.train_step(batch)
    return log


# --- inference ------------------------------------------------------------------------


@torch.no_grad()
def test_encode_decode_reconstruct_shapes_and_range(model):
    z = model.encode(X)
    assert z.shape == (B, model.latent_dim)
    assert torch.isfinite(z).all()
    assert_images(model.decode(z, labels_for(model)), B)
    assert_images(model.reconstruct(X, Y), B)


@torch.no_grad()
def test_sample_shapes_range_and_reproducibility(model):
    def draw(**kw):
        return model.sample(5, generator=torch.Generator().manual_seed(3), **kw)

    assert_images(draw(), 5)
    assert torch.equal(draw(), draw())
    parts = model.prior.n_components or model.cond_dim
    if parts:  # labels pick a mixture component / swiss-roll segment / digit class
        assert_images(draw(labels=torch.arange(5) % parts), 5)


@pytest.mark.parametrize(("name", "prior"), COND_CASES,
                         ids=[f"{n}-{p}" for n, p in COND_CASES])
@torch.no_grad()
def test_decoder_of_z_and_label_follows_the_label(name, prior):
    model = tiny_model(name, prior)
    z = model.prior.sample(1, generator=torch.Generator().manual_seed(0)).expand(
        model.cond_dim, -1)
    images = model.decode(z, torch.arange(model.cond_dim))  # one code, every label
    assert_images(images, model.cond_dim)
    assert torch.cdist(images, images).fill_diagonal_(1.0).min() > 0  # each label differs
    with pytest.raises(ConfigError, match="decodes a code and a label"):
        model.decode(z)
    with pytest.raises(ConfigError, match=f"labels must lie in 0..{model.cond_dim - 1}"):
        model.decode(z[:1], torch.tensor([model.cond_dim]))


@pytest.mark.parametrize(("name", "prior"), CLASSIFIER_CASES,
                         ids=[f"{n}-{p}" for n, p in CLASSIFIER_CASES])
@torch.no_grad()
def test_classifier_gives_probabilities(name, prior):
    model = tiny_model(name, prior)
    probs = model.classify(X)
    assert probs.shape == (B, model.config.n_classes)
    assert (probs >= 0).all()
    assert torch.allclose(probs.sum(1), torch.ones(B))


@pytest.mark.parametrize("name", [n for n, cls in MODELS.items() if not cls.has_classifier])
def test_models_without_classifier_say_so(name):
    model = tiny_model(name, MODELS[name].supported_priors[0])
    with pytest.raises(ConfigError, match="has no classifier"):
        model.classify(X)


# --- training -------------------------------------------------------------------------


def test_every_model_declares_its_phases():
    assert set(PHASES) == set(MODELS)


def test_train_step_returns_finite_named_loss_tensors_on_the_device(model):
    """0-d tensors, detached, where the model is: the trainer reads them when it logs."""
    losses = model.train_step(BATCH)
    assert "recon_loss" in losses
    for key, value in losses.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key), key
        assert torch.is_tensor(value) and value.shape == (), (key, value)
        assert value.device == model.device and not value.requires_grad, key
        assert torch.isfinite(value), (key, value)


def test_one_train_step_changes_every_weight(model):
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.train_step(BATCH)
    unchanged = [n for n, p in model.named_parameters() if torch.equal(before[n], p)]
    assert not unchanged


def test_each_phase_updates_exactly_its_own_weights(model, monkeypatch):
    log = record_phases(model, BATCH, monkeypatch)
    expected = PHASES[model.config.model]
    assert [name for name, _, _ in log] == [name for name, _ in expected]
    for (name, moved, reached), (_, modules) in zip(log, expected, strict=True):
        assert moved == modules, f"phase {name} changed {moved}, expected {modules}"
        assert reached == modules, f"phase {name}'s loss reached {reached}, expected {modules}"


def test_adversarial_phases_update_d_then_the_encoder_through_the_new_d():
    """Paper §2 (phases 2a, 2b): D on prior vs detached codes, then E through the updated,
    frozen D."""
    torch.manual_seed(0)
    encoder, decoder = Encoder(784, (32,), 2), Decoder(2, (32,), 784)
    disc = Discriminator(2, (16,))
    d_opt, g_opt = adam(disc.parameters(), 1e-2, 0.5), adam(encoder.parameters(), 1e-2, 0.5)
    fake, real = encoder(X), torch.randn(B, 2)
    nets = {"encoder": encoder, "decoder": decoder, "discriminator": disc}
    d_before = {k: [p.detach().clone() for p in m.parameters()] for k, m in nets.items()}
    with torch.no_grad():
        expected_d = discriminator_loss(disc(real), disc(fake)).item()

    out = adversarial_phases(d_opt, g_opt, disc, fake, real)

    changed = {k for k, m in nets.items()
               if any(not torch.equal(a, b)
                      for a, b in zip(d_before[k], m.parameters(), strict=True))}
    assert changed == {"encoder", "discriminator"}  # the decoder sits the phase out
    assert out["d_loss"].item() == pytest.approx(expected_d, rel=1e-6)
    with torch.no_grad():  # the generator step used D after D's own step
        assert out["g_loss"].item() == pytest.approx(generator_loss(disc(fake)).item(),
                                                     rel=1e-6)

    assert all(p.requires_grad for p in disc.parameters())  # unfrozen afterwards


# --- checkpoints ----------------------------------------------------------------------


@torch.no_grad()
def outputs(model) -> dict[str, torch.Tensor]:
    model.eval()
    z = model.encode(X)
    out = {"encode": z, "decode": model.decode(z, labels_for(model)),
           "reconstruct": model.reconstruct(X, Y),
           "sample": model.sample(6, generator=torch.Generator().manual_seed(1))}
    if model.has_classifier:
        out["classify"] = model.classify(X)
    return out


def test_save_load_gives_identical_outputs(model, tmp_path):
    model.train_step(BATCH)  # weights away from their initial values
    path = save_checkpoint(tmp_path / "ckpt", model, TrainConfig(epochs=1))
    loaded = load_checkpoint(path).model
    assert loaded.config == model.config
    expected, got = outputs(model), outputs(loaded)
    for key in expected:
        assert torch.equal(expected[key], got[key]), key


# --- configuration --------------------------------------------------------------------

UNSUPPORTED = [(n, p) for n, cls in MODELS.items() for p in PRIOR_NAMES
               if p not in cls.supported_priors]


@pytest.mark.parametrize(("name", "prior"), UNSUPPORTED,
                         ids=[f"{n}-{p}" for n, p in UNSUPPORTED])
def test_unsupported_prior_is_refused_with_the_choices(name, prior):
    with pytest.raises(ConfigError) as info:
        tiny_config(name, prior)
    message = str(info.value)
    assert f"{name!r} does not support the {prior!r} prior" in message
    assert ", ".join(MODELS[name].supported_priors) in message


def test_label_regularized_needs_one_component_per_class():
    spec = PriorSpec(name="mixture", components=8)
    with pytest.raises(ConfigError, match="components=8 but n_classes=10"):
        ModelConfig(model="aae-label-regularized", prior=spec, n_classes=10)
    ModelConfig(model="aae-label-regularized", prior=spec, n_classes=8)  # matching: fine
