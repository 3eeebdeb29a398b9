"""AAEs with a categorical code y and a continuous style code z (paper §5, §6, §7).

One encoder trunk gives K class logits and a style code; D_cat matches softmax(y) to a
one-hot Categorical(K), D_gauss matches z to the style prior.
- SemiSupervisedAAE: decoder gets [z, softmax(y)]; plus a classification phase.
- ClusteringAAE: the same without labels; y's argmax is the cluster.
- DimReductionAAE: the representation W_c softmax(y) + z (learned cluster heads W_c) is
  decoded; close heads are penalised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aae_core.losses import bce_per_image, cluster_head_penalty
from aae_core.models.base import (
    LABEL_CLASS,
    LABEL_CLUSTER,
    LABEL_HEAD,
    Batch,
    LatentModel,
    adam,
    adversarial_phases,
    run_phase,
)
from aae_core.nets import Decoder, Discriminator, Encoder
from aae_core.priors import CategoricalPrior, pick_labels


class SemiSupervisedAAE(LatentModel):
    description = "Semi-supervised AAE: a categorical code for the class, a style code for style."
    supported_priors = ("gaussian", "uniform")
    own_encoder = "deterministic"  # one trunk: class logits and a style code
    reads_labels = True
    needs_labels = True
    needs_labelled_examples = True  # the classification phase needs some
    has_classifier = True
    classification_phase = True
    uses_encoder_input_noise = True
    uses_generator_weight = True
    label_meaning = LABEL_CLASS

    def __init__(self, config):
        super().__init__(config)
        c, k = config, config.n_classes
        self.categorical = CategoricalPrior(k)
        # The trunk outputs [logits (K), style (d)]; the style head is deterministic.
        self.encoder = Encoder(c.image_dim, c.hidden, k + c.latent_dim)
        self.decoder = Decoder(c.latent_dim, tuple(reversed(c.hidden)), c.image_dim,
                               cond_dim=self._decoder_cond_dim())
        self.disc_cat = Discriminator(k, c.disc_hidden, input_noise=c.disc_input_noise)
        self.disc_style = Discriminator(c.latent_dim, c.disc_hidden,
                                        input_noise=c.disc_input_noise)

    def _decoder_cond_dim(self) -> int:
        return self.config.n_classes

    def build_optimizers(self):
        c = self.config
        autoencoder = [*self.encoder.parameters(), *self.decoder.parameters()]
        optimizers = {
            "reconstruction": adam(autoencoder, c.lr, c.beta1),
            "discriminator_cat": adam(self.disc_cat.parameters(), c.lr_adv, c.beta1),
            "discriminator_style": adam(self.disc_style.parameters(), c.lr_adv, c.beta1),
        }
        if not c.generator_weight:  # the paper's form: each generator has its own Adam
            optimizers |= {"generator_cat": adam(self.encoder.parameters(), c.lr_adv, c.beta1),
                           "generator_style": adam(self.encoder.parameters(), c.lr_adv,
                                                   c.beta1)}
        optimizers["classification"] = adam(self.encoder.parameters(), c.lr_adv, c.beta1)
        return optimizers

    def _split(self, x):
        """(B, D) -> logits (B, K), style (B, d)."""
        out = self.encoder(x)
        return out[:, : self.config.n_classes], out[:, self.config.n_classes :]

    def _decode_parts(self, probs, style):
        return self.decoder(style, probs)

    def encode(self, x):
        return self._split(x)[1]

    def classify(self, x):
        return F.softmax(self._split(x)[0], dim=1)

    def reconstruct(self, x, labels=None):
        logits, style = self._split(x)
        return self._decode_parts(F.softmax(logits, dim=1), style)

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D) plus N(0, encoder_input_noise^2) noise: what the encoder sees in training."""
        std = self.config.encoder_input_noise
        return x + std * torch.randn_like(x) if std > 0 else x

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:

        opt = self.ensure_optimizers()
        n = batch.x.shape[0]
        # (1) Reconstruction phase: encode a noisy x (when configured), rebuild the clean x.
        logits, style = self._split(self._noisy(batch.x))
        recon = bce_per_image(self._decode_parts(F.softmax(logits, 1), style), batch.x)
        out = {"recon_loss": run_phase(opt["reconstruction"], recon + self._extra_penalty())}
        # (2) Regularization phase, for each adversarial pair (fresh codes after step 1).
        logits, style = self._split(batch.x)
        g_opt, g_weight = self.generator_step("generator_cat")
        cat = adversarial_phases(opt["discriminator_cat"], g_opt, self.disc_cat,
                                 F.softmax(logits, 1), self.categorical.sample(n),
                                 g_weight=g_weight)
        logits, style = self._split(batch.x)
        g_opt, g_weight = self.generator_step("generator_style")
        sty = adversarial_phases(opt["discriminator_style"], g_opt, self.disc_style, style,
                                 self.prior.sample(n), g_weight=g_weight)
        out |= {"d_cat_loss": cat["d_loss"], "g_cat_loss": cat["g_loss"],
                "d_style_loss": sty["d_loss"], "g_style_loss": sty["g_loss"]}
        # (3) Semi-supervised classification phase on a labelled mini-batch.
        if self.classification_phase and batch.x_lab is not None and len(batch.x_lab):
            ce = F.cross_entropy(self._split(self._noisy(batch.x_lab))[0], batch.y_lab)
            out["class_loss"] = run_phase(opt["classification"], ce)
        return out

    def _extra_penalty(self) -> torch.Tensor:
        return torch.zeros((), device=self.device)


class ClusteringAAE(SemiSupervisedAAE):
    description = "Unsupervised clustering AAE: the categorical code finds K clusters."
    reads_labels = False
    needs_labels = False
    needs_labelled_examples = False
    classification_phase = False
    label_meaning = LABEL_CLUSTER


class DimReductionAAE(SemiSupervisedAAE):
    description = "Dimensionality-reduction AAE: code = cluster head W_c y + style z."
    needs_labels = False  # uses labels when given (semi-supervised), works without
    needs_labelled_examples = False
    label_meaning = LABEL_HEAD
    codes_fill_prior_box = False  # codes lie around the heads W_c, not in the style prior

    def __init__(self, config):
        super().__init__(config)
        # (latent_dim, K) heads, spread on a circle at init so they start apart. Computed on
        # the CPU even inside a meta-device context (parameter_count): math on the meta
        # device costs seconds of imports the first time.
        with torch.device("cpu"):
            angle = torch.arange(config.n_classes) * (2 * torch.pi / config.n_classes)
            heads = torch.zeros(config.latent_dim, config.n_classes)
            heads[0], heads[1 % config.latent_dim] = 4 * angle.cos(), 4 * angle.sin()
        self.heads = nn.Parameter(heads)

    def _decoder_cond_dim(self) -> int:
        return 0

    def build_optimizers(self):
        opt = super().build_optimizers()
        opt["reconstruction"].add_param_group({"params": [self.heads]})
        return opt

    def _decode_parts(self, probs, style):
        return self.decoder(probs @ self.heads.T + style)

    def encode(self, x):
        logits, style = self._split(x)
        return F.softmax(logits, 1) @ self.heads.T + style  # (B, d)

    def _extra_penalty(self):
        return cluster_head_penalty(self.heads.T, self.config.head_eta)

    @property
    def sample_parts(self) -> int:
        return self.config.n_classes  # the cluster heads

    def sample(self, n, *, labels=None, generator=None):
        """Pick a head k (given or uniform), add a style sample, decode W_c[:, k] + z."""
        heads = pick_labels(n, self.config.n_classes, labels, generator, self.device)  # (n,)
        style = self.prior.sample(n, generator=generator)
        return self.decoder(self.heads.T[heads] + style)
