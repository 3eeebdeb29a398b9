"""Variational autoencoder, for comparison with the AAE on the same prior (paper §2.1;
docs/ARCHITECTURE.md, "The models").

loss = BCE(x, G(z)) + reg_weight * KL(q(z|x) || p(z)), z = mu + sigma * eps.
KL: closed form for a Gaussian prior, one-sample Monte Carlo for a mixture.
"""

from __future__ import annotations

import torch

from aae_core.errors import ConfigError
from aae_core.losses import bce_per_image, gaussian_kl, monte_carlo_kl
from aae_core.models.base import COMPARE_VARIATIONAL, Batch, LatentModel, adam, run_phase
from aae_core.nets import Decoder, Encoder


class VAE(LatentModel):
    description = "Variational autoencoder: each q(z|x) is pulled towards the prior by a KL term."
    comparison_role, comparison_name = COMPARE_VARIATIONAL, "VAE"
    supported_priors = ("gaussian", "mixture")
    own_encoder = "gaussian"
    has_adversary = False

    def __init__(self, config):
        super().__init__(config)
        c = config
        self.encoder = Encoder(c.image_dim, c.hidden, c.latent_dim, kind="gaussian")
        self.decoder = Decoder(c.latent_dim, tuple(reversed(c.hidden)), c.image_dim)

    @classmethod
    def check_settings(cls, config):
        super().check_settings(config)
        if config.kl == "closed" and config.prior.name != "gaussian":
            raise ConfigError("a closed-form KL exists only for the gaussian prior; use --kl mc")

    @property
    def kl_kind(self) -> str:
        if self.config.kl != "auto":
            return self.config.kl
        return "closed" if self.config.prior.name == "gaussian" else "mc"

    def build_optimizers(self):
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        return {"vae": adam(params, self.config.lr, self.config.beta1)}

    def encode(self, x):
        return self.encoder(x, sample=False)

    def reconstruct(self, x, labels=None):
        return self.decoder(self.encode(x))

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        opt = self.ensure_optimizers()
        z = self.encoder(batch.x)  # (B, d) sampled with the reparameterization trick
        mu, logvar = self.encoder.last_mu, self.encoder.last_logvar
        recon = bce_per_image(self.decoder(z), batch.x)
        if self.kl_kind == "closed":
            kl = gaussian_kl(mu, logvar, self.config.prior.std)
        else:
            kl = monte_carlo_kl(z, mu, logvar, self.prior.log_prob)
        loss = recon + self.config.reg_weight * kl
        out = {"loss": run_phase(opt["vae"], loss)}
        return out | {"recon_loss": recon.detach(), "kl": kl.detach()}

