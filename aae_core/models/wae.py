"""Wasserstein autoencoders: c(x, G(E(x))) + lambda * D_Z(q(z), p(z)) (Tolstikhin et al.
2017; docs/ARCHITECTURE.md, "The models").

WAE-MMD: D_Z is the unbiased IMQ-kernel MMD between codes and prior samples.
WAE-GAN: D_Z is an adversary on codes; the autoencoder step minimises
cost + lambda * generator loss in one step.
"""

from __future__ import annotations

import torch

from aae_core.losses import discriminator_loss, generator_loss, mmd_imq, squared_error_per_image
from aae_core.models.base import COMPARE_WASSERSTEIN, Batch, LatentModel, adam, run_phase
from aae_core.nets import Decoder, Discriminator, Encoder


class _WAEBase(LatentModel):
    def __init__(self, config):
        super().__init__(config)
        c = config
        self.encoder = Encoder(c.image_dim, c.hidden, c.latent_dim, kind=c.encoder)
        self.decoder = Decoder(c.latent_dim, tuple(reversed(c.hidden)), c.image_dim)
        # The IMQ kernel scale uses the prior's per-dimension variance (C = 2 d s^2), exact
        # from the prior's definition (no random draw: building a model consumes no RNG).
        self.prior_var = self.prior.variance()

    def encode(self, x):
        return self.encoder(x, sample=False)

    def reconstruct(self, x, labels=None):
        return self.decoder(self.encode(x))


class WAEMMD(_WAEBase):
    description = "WAE-MMD: codes matched to the prior by a kernel MMD penalty, no discriminator."
    comparison_role, comparison_name = COMPARE_WASSERSTEIN, "WAE-MMD"
    has_adversary = False

    def build_optimizers(self):
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        return {"autoencoder": adam(params, self.config.lr, self.config.beta1)}

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        opt = self.ensure_optimizers()
        z = self.encoder(batch.x)
        cost = squared_error_per_image(self.decoder(z), batch.x)
        mmd = mmd_imq(z, self.prior.sample(z.shape[0]), prior_var=self.prior_var)
        loss = cost + self.config.reg_weight * mmd
        out = {"loss": run_phase(opt["autoencoder"], loss)}
        return out | {"recon_loss": cost.detach(), "mmd": mmd.detach()}


class WAEGAN(_WAEBase):
    description = "WAE-GAN: an AAE with squared-error cost and adversarial weight lambda."

    def __init__(self, config):
        super().__init__(config)
        self.discriminator = Discriminator(config.latent_dim, config.disc_hidden,
                                           input_noise=config.disc_input_noise)

    def build_optimizers(self):
        c = self.config
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        return {
            "discriminator": adam(self.discriminator.parameters(), c.lr_adv, c.beta1),
            "autoencoder": adam(params, c.lr, c.beta1),
        }

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        opt = self.ensure_optimizers()
        # (1) Adversary: prior samples vs detached codes.
        z = self.encoder(batch.x)
        real = self.prior.sample(z.shape[0])
        d_loss = discriminator_loss(self.discriminator(real), self.discriminator(z.detach()))
        out = {"d_loss": run_phase(opt["discriminator"], d_loss)}
        # (2) Autoencoder: cost + lambda * adversarial term, through the updated, frozen D.
        self.discriminator.requires_grad_(False)
        try:
            cost = squared_error_per_image(self.decoder(z), batch.x)
            g_loss = generator_loss(self.discriminator(z))
            out["loss"] = run_phase(opt["autoencoder"], cost + self.config.reg_weight * g_loss)
        finally:
            self.discriminator.requires_grad_(True)
        return out | {"recon_loss": cost.detach(), "g_loss": g_loss.detach()}

