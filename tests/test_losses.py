"""Loss functions: known values, closed forms and pinned numbers."""

from __future__ import annotations

import math

import pytest
import torch

from aae_core.losses import (
    bce_per_image,
    cluster_head_penalty,
    discriminator_loss,
    gaussian_kl,
    gaussian_log_density,
    generator_loss,
    mmd_imq,
    monte_carlo_kl,
    squared_error_per_image,
)
from aae_core.priors import GaussianPrior


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- reconstruction -------------------------------------------------------------------


def test_bce_per_image_sums_pixels_and_averages_images():
    x = (torch.rand(3, 784, generator=gen()) > 0.5).float()
    assert bce_per_image(torch.full_like(x, 0.5), x).item() == pytest.approx(784 * math.log(2))
    assert bce_per_image(x, x).item() == pytest.approx(0.0, abs=1e-6)


def test_squared_error_per_image_sums_pixels_and_averages_images():
    x = torch.zeros(2, 4)
    x_hat = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]])
    assert squared_error_per_image(x_hat, x).item() == pytest.approx((1.0 + 4 * 0.25) / 2)


# --- KL -------------------------------------------------------------------------------


def test_kl_of_the_prior_to_itself_is_zero():
    zeros = torch.zeros(5, 3)
    assert gaussian_kl(zeros, zeros).item() == 0.0
    assert gaussian_kl(zeros, torch.full((5, 3), math.log(4.0)), prior_std=2.0).item() == \
        pytest.approx(0.0, abs=1e-6)


def test_gaussian_kl_pinned_value():
    # Per dim: (exp(logvar) - (1 + logvar) + mu^2) / 2 = (1 - 1 + 1) / 2 and (4 - 1 - ln 4 + 4) / 2.
    mu, logvar = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, math.log(4.0)]])
    assert gaussian_kl(mu, logvar).item() == pytest.approx(0.5 + (7.0 - math.log(4.0)) / 2)


@pytest.mark.parametrize("prior_std", [1.0, 3.0])
def test_gaussian_kl_matches_torch_distributions(prior_std):
    mu, logvar = torch.randn(6, 4, generator=gen()), torch.randn(6, 4, generator=gen(1))
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.full((4,), prior_std))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    assert gaussian_kl(mu, logvar, prior_std).item() == pytest.approx(expected.item(), rel=1e-5)


def test_gaussian_log_density_matches_torch_distributions():
    z, mu, logvar = (torch.randn(5, 3, generator=gen(s)) for s in range(3))
    expected = torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(1)
    assert torch.allclose(gaussian_log_density(z, mu, logvar), expected, atol=1e-5)


def test_monte_carlo_kl_approximates_the_closed_form():
    n = 200_000
    mu = torch.tensor([0.5, -1.0]).expand(n, 2)
    logvar = torch.tensor([math.log(0.25), 0.5]).expand(n, 2)
    z = mu + torch.randn(n, 2, generator=gen()) * (0.5 * logvar).exp()
    estimate = monte_carlo_kl(z, mu, logvar, GaussianPrior(2, 1.0).log_prob).item()
    assert estimate == pytest.approx(gaussian_kl(mu, logvar).item(), abs=0.01)


# --- adversarial ----------------------------------------------------------------------


def test_adversarial_losses_at_an_undecided_discriminator():
    zeros = torch.zeros(8, 1)
    assert discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))
    assert generator_loss(zeros).item() == pytest.approx(math.log(2))


def test_adversarial_losses_reward_the_right_side():
    sure = torch.full((8, 1), 10.0)
    # D sure and right: near 0; D sure and wrong: large.
    assert discriminator_loss(sure, -sure).item() < 1e-3
    assert discriminator_loss(-sure, sure).item() > 19
    # The generator wins when D calls its codes real.
    assert generator_loss(sure).item() < 1e-3 < generator_loss(-sure).item()


# --- MMD ------------------------------------------------------------------------------


def test_mmd_is_about_zero_for_one_distribution_and_large_for_a_shift():
    x, y = torch.randn(1000, 2, generator=gen(0)), torch.randn(1000, 2, generator=gen(1))
    same = mmd_imq(x, y).item()
    shifted = mmd_imq(x, y + 1.0).item()
    assert abs(same) < 0.02
    assert shifted > 0.5
    assert mmd_imq(x, y + 0.3).item() > 3 * abs(same)


def test_mmd_is_symmetric():
    x, y = torch.randn(50, 3, generator=gen(0)), torch.randn(70, 3, generator=gen(1)) + 0.5
    assert mmd_imq(x, y).item() == pytest.approx(mmd_imq(y, x).item(), rel=1e-5)


def test_mmd_pinned_value():
    # Two points each, 1-D, one scale, C = 2 * d * prior_var = 2:
    # k_xx = k(0, 1) = 2 / 3, k_yy = k(3, 4) = 2 / 3, k_xy mean = (2/11 + 2/18 + 2/6 + 2/11) / 4.
    x, y = torch.tensor([[0.0], [1.0]]), torch.tensor([[3.0], [4.0]])
    k_xy = (2 / 11 + 2 / 18 + 2 / 6 + 2 / 11) / 4
    assert mmd_imq(x, y, scales=(1.0,)).item() == pytest.approx(4 / 3 - 2 * k_xy, rel=1e-5)


def test_mmd_needs_two_samples_per_side():
    with pytest.raises(ValueError, match="at least two samples"):
        mmd_imq(torch.zeros(1, 2), torch.zeros(5, 2))


# --- cluster heads --------------------------------------------------------------------


def test_cluster_head_penalty_is_zero_for_far_heads():
    heads = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert cluster_head_penalty(heads, eta=3.0).item() == 0.0


def test_cluster_head_penalty_pinned_for_close_heads():
    # Pairwise distances 1, 2, 1 on a line: (3 - 1) + (3 - 2) + (3 - 1) = 5.
    heads = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    assert cluster_head_penalty(heads, eta=3.0).item() == pytest.approx(5.0)


def test_cluster_head_penalty_pushes_close_heads_apart():
    heads = torch.tensor([[0.0, 0.0], [0.5, 0.0]], requires_grad=True)
    cluster_head_penalty(heads, eta=3.0).backward()
    moved = heads.detach() - 0.1 * heads.grad
    assert torch.dist(moved[0], moved[1]) > torch.dist(heads[0], heads[1])


def test_bce_of_a_nan_image_is_nan_not_an_error():
    """A diverged decoder: NaN, read at the next log (on a GPU torch's BCE would assert)."""
    x = torch.rand(2, 784, generator=gen())
    x_hat = torch.rand(2, 784, generator=gen(), requires_grad=True)
    assert bce_per_image(x_hat, x).item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum").item() / 2)
    poisoned = x_hat.detach().clone()
    poisoned[0, 3] = math.nan
    assert math.isnan(bce_per_image(poisoned, x).item())
