"""Loss functions as pure tensor functions: no modules, no optimizers, no state.

Shapes: images x, x_hat are (B, D) with values in [0, 1]; codes z are (B, d).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: IMQ kernel scales of the WAE paper's MNIST code (multiples of 2 * d * s^2).
IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def bce_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy summed over pixels, averaged over the batch: a scalar.

    A NaN in x_hat (a diverged decoder) makes the loss NaN instead of an error: torch's BCE
    refuses values outside [0, 1], on a GPU with a device-side assert that ends every CUDA
    call of the process, and the trainer only reads losses when it logs. For finite x_hat
    the value and the gradient are exactly torch's (0 * sum adds 0.0, outside autograd)."""
    bce = F.binary_cross_entropy(x_hat.nan_to_num(0.5), x, reduction="sum")
    return (bce + 0.0 * x_hat.detach().sum()) / x.shape[0]


def squared_error_per_image(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error summed over pixels, averaged over the batch (the WAE cost c)."""
    return (x_hat - x).pow(2).sum() / x.shape[0]


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, prior_std: float = 1.0) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, prior_std^2 I)), summed over dims, mean over batch.

    With prior_std = 1 this is sum(exp(logvar) - (1 + logvar) + mu^2) / 2
    (docs/ARCHITECTURE.md, "The models": VAE).
    """
    var_p = prior_std**2
    kl = 0.5 * (
        (logvar.exp() + mu.pow(2)) / var_p - 1.0 - logvar + math.log(var_p)
    )
    return kl.sum(dim=1).mean()


def gaussian_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) per row: (B, d) -> (B,)."""
    return -0.5 * (
        (z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)
    ).sum(dim=1)


def monte_carlo_kl(z, mu, logvar, log_prior) -> torch.Tensor:
    """One-sample estimate of KL(q(z|x) || p(z)) = E_q[log q(z|x) - log p(z)], batch mean.

    `log_prior` maps (B, d) -> (B,); used for priors without a closed-form KL (mixtures).
    """
    return (gaussian_log_density(z, mu, logvar) - log_prior(z)).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """D's loss: prior samples are real (1), encoder codes are fake (0)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The encoder's adversarial loss: make D call its codes real (non-saturating)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def _imq_kernel_sum(sq_dist: torch.Tensor, base: float, scales) -> torch.Tensor:
    # k(x, y) = C / (C + ||x - y||^2), summed over C = base * scale.
    return sum(base * s / (base * s + sq_dist) for s in scales)


def mmd_imq(
    x: torch.Tensor, y: torch.Tensor, *, prior_var: float = 1.0, scales=IMQ_SCALES
) -> torch.Tensor:
    """Unbiased MMD^2 between samples x (n, d) and y (m, d), inverse multiquadratic kernel.

    C = 2 * d * prior_var (WAE paper), summed over several scales. Can be slightly
    negative (unbiased estimate); about 0 when x and y come from one distribution.
    """
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    if n < 2 or m < 2:
        raise ValueError("MMD needs at least two samples on each side")
    base = 2.0 * d * prior_var
    k_xx = _imq_kernel_sum(torch.cdist(x, x).pow(2), base, scales)
    k_yy = _imq_kernel_sum(torch.cdist(y, y).pow(2), base, scales)
    k_xy = _imq_kernel_sum(torch.cdist(x, y).pow(2), base, scales)
    off_diag_xx = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
    off_diag_yy = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return off_diag_xx + off_diag_yy - 2.0 * k_xy.mean()


def cluster_head_penalty(heads: torch.Tensor, eta: float) -> torch.Tensor:
    """sum over pairs i < j of max(0, eta - ||h_i - h_j||): heads (m, n) -> scalar (paper §7)."""
    dist = torch.pdist(heads)  # (m * (m - 1) / 2,)
    return F.relu(eta - dist).sum()
