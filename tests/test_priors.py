"""Priors p(z): the shapes and moments a user relies on, densities, labelled parts, bad specs."""

from __future__ import annotations

import math

import pytest
import torch

from aae_core.errors import ConfigError
from aae_core.priors import (
    PRIOR_NAMES,
    CategoricalPrior,
    MixturePrior,
    PriorSpec,
    build_prior,
)

N = 20_000  # samples for moment checks: standard errors ~ 1 / sqrt(N) = 0.007


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def all_priors():
    """Every prior a user can pick, plus the models' internal categorical one."""
    return [build_prior(PriorSpec(name=name)) for name in PRIOR_NAMES] + [CategoricalPrior(10)]


PRIORS = all_priors()
PRIOR_IDS = [p.name for p in PRIORS]


# --- the shared contract --------------------------------------------------------------


@pytest.mark.parametrize("prior", PRIORS, ids=PRIOR_IDS)
def test_sample_shape_and_finite(prior):
    z = prior.sample(64, generator=gen())
    assert z.shape == (64, prior.dim)
    assert z.dtype == torch.float32
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("prior", PRIORS, ids=PRIOR_IDS)
def test_generator_makes_sampling_reproducible(prior):
    first = prior.sample(32, generator=gen(7))
    assert torch.equal(first, prior.sample(32, generator=gen(7)))
    assert not torch.equal(first, prior.sample(32, generator=gen(8)))
    if prior.n_components:
        labels = torch.arange(32) % prior.n_components
        assert torch.equal(prior.sample(32, labels=labels, generator=gen(7)),
                           prior.sample(32, labels=labels, generator=gen(7)))


@pytest.mark.parametrize("prior", PRIORS, ids=PRIOR_IDS)
def test_bounds_hold_almost_all_samples(prior):
    z = prior.sample(N, generator=gen())
    xmin, xmax, ymin, ymax = prior.bounds()
    inside = (z[:, 0] >= xmin) & (z[:, 0] <= xmax) & (z[:, 1] >= ymin) & (z[:, 1] <= ymax)
    assert inside.float().mean() >= 0.99


@pytest.mark.parametrize("prior", [p for p in PRIORS if p.n_components], ids=lambda p: p.name)
def test_labels_of_wrong_shape_or_range_are_refused(prior):
    with pytest.raises(ConfigError, match="shape"):
        prior.sample(4, labels=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ConfigError, match="0..9"):
        prior.sample(2, labels=torch.tensor([0, 10]))
    with pytest.raises(ConfigError, match="0..9"):
        prior.sample(2, labels=torch.tensor([-1, 0]))


# --- moments and supports -------------------------------------------------------------


@pytest.mark.parametrize("dim", [1, 2, 8])
@pytest.mark.parametrize("std", [1.0, 3.0])
def test_gaussian_moments(dim, std):
    z = build_prior(PriorSpec(name="gaussian", dim=dim, std=std)).sample(N, generator=gen())
    assert z.shape == (N, dim)
    assert torch.allclose(z.mean(0), torch.zeros(dim), atol=0.05 * std)
    assert torch.allclose(z.std(0), torch.full((dim,), std), rtol=0.03)


@pytest.mark.parametrize("dim", [2, 5])
def test_uniform_fills_its_box(dim):
    prior = build_prior(PriorSpec(name="uniform", dim=dim, std=1.5))
    z = prior.sample(N, generator=gen())
    half = prior.half_width
    assert z.shape == (N, dim)
    assert z.abs().max() <= half
    # U(-h, h) has mean 0 and std h / sqrt(3); every dimension reaches both ends.
    assert torch.allclose(z.std(0), torch.full((dim,), half / math.sqrt(3)), rtol=0.03)
    assert (z.min(0).values < -0.99 * half).all() and (z.max(0).values > 0.99 * half).all()


def test_categorical_samples_are_uniform_one_hot_vectors():
    prior = CategoricalPrior(4)
    z = prior.sample(N, generator=gen())
    assert set(z.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(z.sum(1), torch.ones(N))
    assert torch.allclose(z.mean(0), torch.full((4,), 0.25), atol=0.02)
    labels = torch.tensor([3, 0, 2])
    assert torch.equal(prior.sample(3, labels=labels).argmax(1), labels)


# --- labelled parts -------------------------------------------------------------------


def test_mixture_label_picks_its_component():
    """Components far enough apart: a sample of label k lies nearest mean k."""
    prior = build_prior(PriorSpec(name="mixture", tangential_std=0.3))
    labels = torch.arange(N) % prior.n_components
    z = prior.sample(N, labels=labels, generator=gen())
    nearest = torch.cdist(z, prior.means).argmin(1)
    assert (nearest == labels).float().mean() > 0.99


def test_mixture_component_moments_match_the_spec():
    """Default spec: component k is centred on its mean, stretched along the circle."""
    prior = build_prior(PriorSpec(name="mixture"))
    for k in range(prior.n_components):
        z = prior.sample(5000, labels=torch.full((5000,), k), generator=gen(k))
        assert torch.allclose(z.mean(0), prior.means[k], atol=0.1)
        a = prior.angles[k]
        radial = z @ torch.stack([a.cos(), a.sin()])
        tangential = z @ torch.stack([-a.sin(), a.cos()])
        assert radial.std().item() == pytest.approx(prior.radial_std, rel=0.05)
        assert tangential.std().item() == pytest.approx(prior.tangential_std, rel=0.05)


@pytest.mark.parametrize("dim", [3, 6])
def test_mixture_in_higher_dims(dim):
    prior = build_prior(PriorSpec(name="mixture", dim=dim))
    z = prior.sample(N, labels=torch.zeros(N, dtype=torch.long), generator=gen())
    assert z.shape == (N, dim)
    extra = z[:, 2:]  # dims beyond the circle are N(0, radial_std^2)
    assert torch.allclose(extra.mean(0), torch.zeros(dim - 2), atol=0.02)
    assert torch.allclose(extra.std(0), torch.full((dim - 2,), prior.radial_std), rtol=0.03)
    assert prior.log_prob(z).shape == (N,)


def test_swiss_roll_segments_are_ordered_by_radius():
    prior = build_prior(PriorSpec(name="swiss-roll"))
    radii = []
    for k in range(prior.n_components):
        z = prior.sample(2000, labels=torch.full((2000,), k), generator=gen(k))
        radii.append(z.norm(dim=1).mean().item())
    assert radii == sorted(radii)
    assert len(set(radii)) == prior.n_components
    assert radii[-1] > 3 * radii[0]


# --- densities ------------------------------------------------------------------------


def brute_force_mixture_log_prob(prior: MixturePrior, z: torch.Tensor) -> torch.Tensor:
    """log of the average of K full-covariance 2-D Gaussian densities."""
    dens = torch.zeros(z.shape[0], dtype=torch.float64)
    for k in range(prior.n_components):
        a = prior.angles[k].double()
        rot = torch.stack([torch.stack([a.cos(), -a.sin()]), torch.stack([a.sin(), a.cos()])])
        cov = rot @ torch.diag(torch.tensor([prior.radial_std, prior.tangential_std]) ** 2
                               ).double() @ rot.T
        mvn = torch.distributions.MultivariateNormal(prior.means[k].double(), cov)
        dens += mvn.log_prob(z.double()).exp()
    return (dens / prior.n_components).log()


def test_mixture_log_prob_matches_a_brute_force_sum():
    prior = build_prior(PriorSpec(name="mixture", components=6, radius=3.0))
    z = torch.tensor([[0.0, 0.0], [3.0, 0.0], [1.0, 2.0], [-2.5, -1.0], [0.3, -3.1]])
    assert torch.allclose(prior.log_prob(z).double(), brute_force_mixture_log_prob(prior, z),
                          atol=1e-4)


@pytest.mark.parametrize("name", ["gaussian", "mixture", "uniform"])
def test_density_integrates_to_one(name):
    prior = build_prior(PriorSpec(name=name))
    xmin, xmax, ymin, ymax = prior.bounds()
    pad = 2.0  # the bounds hold ~99.5 %; integrate a bit wider
    xs = torch.linspace(xmin - pad, xmax + pad, 401)
    ys = torch.linspace(ymin - pad, ymax + pad, 401)
    grid = torch.cartesian_prod(xs, ys)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert (prior.log_prob(grid).exp().sum() * cell).item() == pytest.approx(1.0, abs=0.01)


def test_gaussian_log_prob_matches_torch_distributions():
    prior = build_prior(PriorSpec(name="gaussian", dim=3, std=2.0))
    z = prior.sample(10, generator=gen())
    expected = torch.distributions.Normal(0.0, 2.0).log_prob(z).sum(1)
    assert torch.allclose(prior.log_prob(z), expected, atol=1e-5)


def test_uniform_log_prob_is_flat_inside_and_minus_inf_outside():
    prior = build_prior(PriorSpec(name="uniform", dim=2, std=1.0))  # box [-2, 2]^2
    lp = prior.log_prob(torch.tensor([[0.0, 0.0], [1.9, -1.9], [2.1, 0.0]]))
    assert lp[0].item() == pytest.approx(-math.log(16.0))
    assert lp[1] == lp[0]
    assert lp[2] == -math.inf


@pytest.mark.parametrize("prior", [p for p in PRIORS if not p.has_density], ids=lambda p: p.name)
def test_priors_without_density_say_so(prior):
    assert {p.name for p in PRIORS if not p.has_density} == {"swiss-roll", "categorical"}
    with pytest.raises(ConfigError, match="no closed-form density"):
        prior.log_prob(torch.zeros(1, 2))


# --- bad specs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"std": 0.0}, "std must be a positive"),
        ({"std": -1.0}, "std must be a positive"),
        ({"std": math.nan}, "std must be a positive"),
        ({"dim": 0}, "latent dimension must be a whole number from 1 to 256"),
        ({"dim": 257}, "latent dimension must be a whole number from 1 to 256"),
        ({"dim": 2.0}, "latent dimension must be a whole number"),
        ({"name": "mixture", "components": 1001}, "needs >= 2 components and at most 1000"),
        ({"name": "mixture", "components": 10**9}, "needs >= 2 components and at most 1000"),
        ({"name": "swiss-roll", "components": True}, "components must be a whole number"),
        ({"std": "1"}, "std must be a positive"),
        ({"name": ["mixture"]}, "unknown prior"),
        ({"name": "mixture", "components": 1}, "needs >= 2 components"),
        ({"name": "swiss-roll", "components": 1}, "needs >= 2 components"),
        ({"name": "swiss-roll", "dim": 3}, "2-D only"),
        ({"name": "mixture", "dim": 1}, "dimension >= 2"),
        ({"name": "mixture", "radial_std": 0.0}, "radial_std must be a positive"),
        ({"name": "mixture", "radius": math.inf}, "radius must be a positive"),
        ({"name": "mixture", "radius": -1.0}, "radius must be a positive"),
        ({"name": "cauchy"}, "unknown prior 'cauchy'"),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_bad_specs_are_refused_on_construction(fields, message):
    with pytest.raises(ConfigError, match=message) as info:  # a ValueError, one line
        PriorSpec(**fields)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
