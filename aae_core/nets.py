"""The networks: plain MLPs. Encoders come in the three kinds of paper §2.

Images are flattened: x is (B, 784) in [0, 1]. No batch norm anywhere (the
discriminator must not have it: docs/ARCHITECTURE.md, "Lessons from public
implementations"; the others are small enough not to need it).
"""

from __future__ import annotations

import torch
from torch import nn

ENCODER_KINDS = ("deterministic", "gaussian", "universal")


def mlp(sizes: list[int], *, hidden_act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers between consecutive sizes, `hidden_act` after all but the last."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(hidden_act())
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """x (B, D) -> code (B, out_dim); the kind decides where randomness enters.

    deterministic: z = f(x).
    gaussian: z = mu(x) + sigma(x) * eps; `last_mu`/`last_logvar` keep the moments.
    universal: z = f(x, eta), eta ~ N(0, I) of size `noise_dim` appended to x.
    `forward(x, sample=False)` returns the mean code (gaussian) or eta = 0 (universal).
    """

    def __init__(self, in_dim, hidden, out_dim, kind="deterministic", noise_dim=8):
        super().__init__()
        self.kind, self.out_dim, self.noise_dim = kind, out_dim, noise_dim
        extra = noise_dim if kind == "universal" else 0
        heads = 2 * out_dim if kind == "gaussian" else out_dim
        self.net = mlp([in_dim + extra, *hidden, heads])
        self.last_mu = self.last_logvar = None

    def forward(self, x: torch.Tensor, *, sample: bool = True) -> torch.Tensor:
        if self.kind == "universal":
            # Draw eta only when sampling: encoding the mean must not consume the global
            # random stream (live snapshots would otherwise change a seeded run).
            shape = (x.shape[0], self.noise_dim)
            eta = torch.randn(shape, device=x.device) if sample else x.new_zeros(shape)
            x = torch.cat([x, eta], dim=1)
        out = self.net(x)
        if self.kind != "gaussian":
            return out
        mu, logvar = out.chunk(2, dim=1)
        logvar = logvar.clamp(-12.0, 8.0)  # keeps exp() finite early in training
        self.last_mu, self.last_logvar = mu, logvar
        if not sample:
            return mu
        return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


class Decoder(nn.Module):
    """[z, cond] (B, latent + cond_dim) -> image (B, D) in [0, 1] (sigmoid output)."""

    def __init__(self, latent_dim, hidden, out_dim, cond_dim=0):
        super().__init__()
        self.latent_dim, self.cond_dim = latent_dim, cond_dim
        self.net = mlp([latent_dim + cond_dim, *hidden, out_dim])

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.cond_dim:
            z = torch.cat([z, cond], dim=1)
        return torch.sigmoid(self.net(z))

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor, str]]:
        """[(W (out, in), b (out,), activation)] for decoding outside torch (the browser)."""
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        acts = ["relu"] * (len(linears) - 1) + ["sigmoid"]
        return [(m.weight.detach(), m.bias.detach(), a) for m, a in zip(linears, acts, strict=True)]


class Discriminator(nn.Module):
    """code (B, d) [+ cond] -> logit (B, 1). LeakyReLU, no batch norm, optional input noise."""

    def __init__(self, in_dim, hidden, cond_dim=0, input_noise=0.0):
        super().__init__()
        self.cond_dim, self.input_noise = cond_dim, input_noise
        self.net = mlp([in_dim + cond_dim, *hidden, 1], hidden_act=lambda: nn.LeakyReLU(0.2))

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        if self.training and self.input_noise > 0:
            z = z + torch.randn_like(z) * self.input_noise
        if self.cond_dim:
            z = torch.cat([z, cond], dim=1)
        return self.net(z)
