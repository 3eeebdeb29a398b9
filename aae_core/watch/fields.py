"""What the Watch page draws on the latent plane, computed from the live model.

A square window of the plane is cut into a G x G lattice of cell centres. On it:
- `discriminator_map`: D's probability that a point came from the prior, sigma(D(z));
- `prior_density`: the prior's density (its log_prob, or a smoothed histogram of samples
  for priors without one), scaled to [0, 1] for contour lines.
At the codes themselves:
- `adversarial_push`: the push the encoder gets in the regularization phase, the negative
  gradient of the generator loss -log sigma(D(z)) with respect to each code z;
- `kl_pull`: the VAE's counterpart, the negative gradient of its KL term with respect to
  each code's mean.
Everything is a plain tensor function of the model: no streamlit, no state.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from aae_core.losses import gaussian_kl, generator_loss, monte_carlo_kl

Window = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax)


def square_window(bounds: Window, pad: float = 0.08) -> Window:
    """The smallest square holding `bounds`, widened by `pad` of its side on each edge."""
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = max(xmax - xmin, ymax - ymin) / 2 * (1 + 2 * pad)
    return (cx - half, cx + half, cy - half, cy + half)


def lattice(window: Window, size: int, device=None) -> torch.Tensor:
    """(size * size, 2) cell centres, row-major with row 0 at the TOP (largest y), so the
    array reshaped to (size, size) is the image of the window as drawn on a screen."""
    xmin, xmax, ymin, ymax = window
    dx, dy = (xmax - xmin) / size, (ymax - ymin) / size
    xs = xmin + dx * (torch.arange(size, device=device, dtype=torch.float32) + 0.5)
    ys = ymax - dy * (torch.arange(size, device=device, dtype=torch.float32) + 0.5)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


@torch.no_grad()
def discriminator_map(discriminator, window: Window, size: int) -> torch.Tensor:
    """(size, size) sigma(D(z)) on the lattice: 1 = 'a prior sample', 0 = 'a code'."""
    device = next(discriminator.parameters()).device
    was_training = discriminator.training
    discriminator.eval()  # no input noise: the map shows D itself
    try:
        logits = discriminator(lattice(window, size, device))
    finally:
        discriminator.train(was_training)
    return torch.sigmoid(logits).view(size, size)


def _sample_histogram(prior, window: Window, size: int, n: int = 20_000) -> torch.Tensor:
    """(size, size) density of `n` seeded prior samples, blurred by one cell (for priors
    without a closed-form density: swiss roll, painted)."""
    gen = torch.Generator(device=prior.device).manual_seed(1)
    z = prior.sample(n, generator=gen)[:, :2].float()
    xmin, xmax, ymin, ymax = window
    col = ((z[:, 0] - xmin) / (xmax - xmin) * size).floor().long()
    row = ((ymax - z[:, 1]) / (ymax - ymin) * size).floor().long()
    keep = (col >= 0) & (col < size) & (row >= 0) & (row < size)
    counts = torch.zeros(size * size, device=z.device)
    counts.index_add_(0, (row * size + col)[keep], torch.ones_like(col[keep], dtype=torch.float))
    kernel = torch.tensor([0.25, 0.5, 0.25], device=z.device)
    blur = (kernel[:, None] * kernel[None, :])[None, None]  # (1, 1, 3, 3)
    return F.conv2d(counts.view(1, 1, size, size), blur, padding=1).view(size, size)


@torch.no_grad()
def prior_density(prior, window: Window, size: int) -> torch.Tensor:
    """(size, size) the prior's density on the lattice, divided by its maximum: [0, 1]."""
    if getattr(prior, "has_density", False) and prior.dim == 2:
        log_p = prior.log_prob(lattice(window, size, prior.device)).view(size, size)
        density = (log_p - log_p[torch.isfinite(log_p)].max()).exp().nan_to_num(0.0)
    else:
        density = _sample_histogram(prior, window, size)
    return density / density.max().clamp_min(1e-12)


def adversarial_push(discriminator, codes: torch.Tensor) -> torch.Tensor:
    """(N, 2) -> (N, 2): -d/dz of the generator loss -log sigma(D(z)), one code at a time.

    The generator loss averages over the batch; multiplying by N gives each code's own
    gradient. D is used as in the encoder's phase: frozen, no input noise.
    """
    was_training = discriminator.training
    discriminator.eval()
    z = codes.detach().clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            loss = generator_loss(discriminator(z)) * z.shape[0]
            (grad,) = torch.autograd.grad(loss, z)
    finally:
        discriminator.train(was_training)
    return -grad


def kl_pull(vae, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(codes (N, 2), pull (N, 2)) for a VAE: the mean code of each image and -d/dmu of
    its KL term, reg_weight * KL(q(z|x) || p(z)), evaluated at z = mu (the one-sample
    estimate with eps = 0 when the KL has no closed form)."""
    with torch.no_grad():
        vae.encoder(x, sample=False)
        mu, logvar = vae.encoder.last_mu, vae.encoder.last_logvar
    mu = mu.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        if vae.kl_kind == "closed":
            kl = gaussian_kl(mu, logvar, vae.config.prior.std)
        else:
            kl = monte_carlo_kl(mu, mu, logvar, vae.prior.log_prob)
        loss = vae.config.reg_weight * kl * mu.shape[0]  # per code, not the batch mean
        (grad,) = torch.autograd.grad(loss, mu)
    return mu.detach(), -grad


def unit_scale(vectors: torch.Tensor, quantile: float = 0.9) -> torch.Tensor:
    """Arrows scaled so that the `quantile` longest has length 1 (direction kept; lengths
    comparable within one frame, never blown up by a single outlier)."""
    lengths = vectors.norm(dim=1)
    if lengths.numel() == 0:
        return vectors
    ref = torch.quantile(lengths, quantile).clamp_min(1e-12)
    return vectors / ref


def finite_or_zero(t: torch.Tensor) -> torch.Tensor:
    return torch.where(torch.isfinite(t), t, torch.zeros_like(t))


__all__ = [
    "Window", "adversarial_push", "discriminator_map", "finite_or_zero", "kl_pull", "lattice",
    "prior_density", "square_window", "unit_scale",
]
