"""What every model shares: the contract the trainer, metrics, CLI and app rely on.

A model is an nn.Module that owns its prior, its networks and its optimizers.
`train_step(batch)` runs the model's phases (each a labelled step with its own
zero_grad/backward/step) and returns named 0-d loss tensors on the model's device. A step
never reads a value back to the host (no .item(), no branch on a tensor): on a GPU that
would stall the queue every phase, and it would stop the step from being captured in a
CUDA graph (aae_core/training/step.py). The trainer reads the losses when it logs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from aae_core.config import MAX_PARAMETERS, ModelConfig
from aae_core.errors import ConfigError
from aae_core.losses import discriminator_loss, generator_loss
from aae_core.priors import PRIOR_NAMES, build_prior

# What a "label" means to a model (LatentModel.label_meaning):
LABEL_CLASS = "class"  # a digit class: a decoder input, or the prior part z is pushed into
LABEL_CLUSTER = "cluster"  # a cluster the categorical code found without labels
LABEL_HEAD = "head"  # a learned cluster head W_c[:, k] the code is built around


@dataclass
class Batch:
    x: torch.Tensor  # (B, D) images in [0, 1]
    y: torch.Tensor  # (B,) int64 labels, -1 where the example is unlabelled
    x_lab: torch.Tensor | None = None  # (B_l, D) a labelled mini-batch (classification phase)
    y_lab: torch.Tensor | None = None  # (B_l,)


def adam(params, lr: float, beta1: float) -> torch.optim.Adam:
    """Adam with the fused kernel (one pass per parameter; ~3x faster on CPU than the
    per-op loop, measured in bench/train_throughput.py)."""
    return torch.optim.Adam(list(params), lr=lr, betas=(beta1, 0.999), fused=True)


#: How a model shapes its codes, for the packing comparison (LatentModel.comparison_role).
COMPARE_ADVERSARIAL, COMPARE_VARIATIONAL, COMPARE_WASSERSTEIN = (
    "adversarial", "variational", "wasserstein")


class LatentModel(nn.Module):
    """Base class. Subclasses build networks in __init__ and implement the abstract bits.

    The class attributes below are everything the rest of the project may ask about a
    model (the trainer, evaluation, CLI and pages read them; nothing outside
    aae_core/models asks for a model by its name). Subclasses override what differs.
    """

    description = ""
    supported_priors: tuple[str, ...] = PRIOR_NAMES  # names in aae_core.priors.PRIORS
    own_encoder: str | None = None  # the encoder kind it always uses; None: config.encoder
    has_adversary = True  # a discriminator, trained at its own rate config.lr_adv
    reads_labels = False  # training uses labels when given (-1 all, N some, 0 none)
    needs_labels = False  # the dataset's classes must fit in config.n_classes
    needs_labelled_examples = False  # training refuses a run with no labelled example
    has_classifier = False  # `classify(x)` gives (B, n_classes) probabilities
    uses_encoder_input_noise = False  # train_step honours config.encoder_input_noise
    uses_generator_weight = False  # its generator phase honours config.generator_weight
    #: What a label given to decode/sample means: LABEL_CLASS, LABEL_CLUSTER, LABEL_HEAD,
    #: or None (labels, if any, pick the prior's parts: mixture components, roll segments).
    label_meaning: str | None = None
    label_in_prior = False  # the class is where z sits (a prior part), not a decoder input
    codes_fill_prior_box = True  # held-out codes lie in prior.bounds() (not around heads)
    #: Its place on the "AAE vs VAE" page: COMPARE_ADVERSARIAL, COMPARE_VARIATIONAL,
    #: COMPARE_WASSERSTEIN, or None (not compared); `comparison_name` is its column title.
    comparison_role: str | None = None
    comparison_name = ""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        # the prior is a few small buffers, always built on the CPU and moved with the model:
        # so counting parameters on the meta device never runs its math there (a first
        # meta-device op costs seconds of imports at every app start)
        with torch.device("cpu"):
            self.prior = build_prior(config.prior)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    # --- configuration -------------------------------------------------------------
    @classmethod
    def separates_style_from_label(cls) -> bool:
        """The digit class and the handwriting live apart (the Style vs label views)."""
        return cls.label_meaning == LABEL_CLASS

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Refuse a config this model cannot build or train, with one clear line.
        ModelConfig calls it on construction, through the registry: the model's settings,
        then its size (counted only once the settings are known to build)."""
        cls.check_settings(config)
        count = cls.parameter_count(config)
        if count > MAX_PARAMETERS:
            raise ConfigError(f"this model would have {count:,} parameters, more than the "
                              f"limit of {MAX_PARAMETERS:,}: use fewer or smaller hidden layers")

    @classmethod
    def check_settings(cls, config: ModelConfig) -> None:
        """This model's rules for a config (subclasses add theirs after super's)."""
        if config.prior.name not in cls.supported_priors:
            raise ConfigError(
                f"model {config.model!r} does not support the {config.prior.name!r} prior; "
                f"choose one of {', '.join(cls.supported_priors)}"
            )
        # "deterministic" is the config's default, which older checkpoints keep
        if cls.own_encoder and config.encoder not in ("deterministic", cls.own_encoder):
            raise ConfigError(f"model {config.model!r} always uses its own {cls.own_encoder} "
                              f"encoder; leave the encoder at its default")
        if config.encoder_input_noise > 0 and not cls.uses_encoder_input_noise:
            raise ConfigError(f"model {config.model!r} does not use encoder input noise; "
                              "it is for the models with a categorical code")
        if config.generator_weight > 0 and not cls.uses_generator_weight:
            raise ConfigError(f"model {config.model!r} has no generator weight: it has no "
                              "generator phase to weigh (the aae models have)")

    @classmethod
    def preferred_settings(cls, latent_dim: int) -> dict:
        """Run settings that suit this model better than the shared defaults of ModelConfig
        and TrainConfig, by the command line's names (lr, lr_adv, batch_size, epochs, ...):
        a new run with `latent_dim` starts from them unless the user gives the flag."""
        return {}

    @classmethod
    def parameter_count(cls, config: ModelConfig) -> int:
        """Weights the model would have, counted on the meta device: shapes only, nothing
        allocated and no random number drawn."""
        return _parameter_count(cls, config)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def cond_dim(self) -> int:
        """Size of the label vector appended to z at the decoder's input (0 = none)."""
        return self.decoder.cond_dim

    @property
    def sample_parts(self) -> int:
        """How many labelled parts `sample(labels=...)` can pick from (0 = none): the
        prior's parts, or the decoder's label values."""
        return self.prior.n_components or self.cond_dim

    @property
    def device(self) -> torch.device:
        """Where the model is. Its priors are submodules holding buffers, so `.to(device)`
        moves them with the networks."""
        return next(self.parameters()).device

    # --- inference -----------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, latent_dim): the code shown on maps (the mean for stochastic encoders)."""
        raise NotImplementedError

    def label_vector(self, labels) -> torch.Tensor:
        """Labels (B,) int -> decoder condition (B, cond_dim) one-hot."""
        labels = torch.as_tensor(labels, dtype=torch.long, device=self.device)
        readable = labels.device.type != "meta"  # meta tensors have shapes but no values
        if readable and labels.numel() and (labels.min() < 0 or labels.max() >= self.cond_dim):
            raise ConfigError(f"labels must lie in 0..{self.cond_dim - 1}")
        return F.one_hot(labels, self.cond_dim).float()

    def decode(self, z: torch.Tensor, labels=None) -> torch.Tensor:
        """(B, latent_dim) [+ labels (B,)] -> images (B, D) in [0, 1]."""
        cond = None
        if self.cond_dim:
            if labels is None:
                raise ConfigError(f"model {self.config.model!r} decodes a code and a label")
            cond = self.label_vector(labels)
        return self.decoder(z, cond)

    def reconstruct(self, x: torch.Tensor, labels=None) -> torch.Tensor:
        """(B, D) [+ labels (B,), used by decoders of [z, y]] -> images (B, D) in [0, 1]."""
        raise NotImplementedError

    def sample(self, n: int, *, labels=None, generator=None) -> torch.Tensor:
        """n images decoded from prior samples (labels pick mixture parts / digit classes)."""
        z = self.prior.sample(n, labels=labels if self.prior.n_components else None,
                              generator=generator)
        if not self.cond_dim:
            return self.decode(z)
        if labels is not None:
            return self.decode(z, labels)
        # Labels drawn here are in range by construction: no check that reads them back.
        where = self.device if generator is None else generator.device
        drawn = torch.randint(0, self.cond_dim, (n,), generator=generator, device=where)
        return self.decoder(z, F.one_hot(drawn.to(self.device), self.cond_dim).float())

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, K) class probabilities; only for models with `has_classifier`."""
        raise ConfigError(f"model {self.config.model!r} has no classifier")

    # --- training ------------------------------------------------------------------
    def build_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def ensure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        if not self.optimizers:
            self.optimizers = self.build_optimizers()
        return self.optimizers

    def generator_step(self, name: str = "generator") -> tuple[torch.optim.Optimizer, float]:
        """(optimizer, loss weight) of the generator phase `name` (uses_generator_weight
        models): its own Adam at full weight (the paper's form), or, when
        config.generator_weight = w > 0, the autoencoder's Adam ("reconstruction"), whose
        moments the reconstruction gradients dominate, so w x the generator loss moves the
        encoder in proportion to them instead of by a full step of its own."""
        opt, weight = self.ensure_optimizers(), self.config.generator_weight
        return (opt["reconstruction"], weight) if weight else (opt[name], 1.0)

    def check_training_labels(self, labels: torch.Tensor) -> None:
        """Refuse training labels (N,) (-1 = hidden) this model cannot use, with one line.
        Called once before training: train_step itself never looks at label values."""

    def train_step(self, batch: Batch) -> dict[str, torch.Tensor]:
        raise NotImplementedError


@functools.lru_cache(maxsize=256)  # configs are frozen; replace() makes equal ones often
def _parameter_count(cls: type[LatentModel], config: ModelConfig) -> int:
    with torch.device("meta"):
        model = cls(config)
    return sum(p.numel() for p in model.parameters())


def run_phase(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> torch.Tensor:
    """One labelled phase: zero_grad, backward, step. Returns the loss, detached (0-d, on
    the device: reading it here would synchronise the host every phase)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def discriminator_phase(d_opt, disc, fake, real, cond_real=None, cond_fake=None) -> torch.Tensor:
    """(2a) D learns to tell prior samples `real` (1) from detached codes `fake` (0)."""
    loss = discriminator_loss(disc(real, cond_real), disc(fake.detach(), cond_fake))
    return run_phase(d_opt, loss)


def generator_phase(g_opt, disc, fake, cond_fake=None, weight: float = 1.0) -> torch.Tensor:
    """(2b) The encoder learns to make D call its codes `fake` real; D is frozen (no grads).
    `weight` scales the loss the optimizer sees (it matters when g_opt also takes the
    reconstruction's steps: Adam then weighs the two gradients against each other); the
    loss returned is the unweighted one, comparable across settings."""
    disc.requires_grad_(False)
    try:
        loss = generator_loss(disc(fake, cond_fake))
        run_phase(g_opt, weight * loss)
        return loss.detach()
    finally:
        disc.requires_grad_(True)


def adversarial_phases(d_opt, g_opt, disc, fake, real, cond_real=None, cond_fake=None,
                       g_weight: float = 1.0):
    """Regularization phase (paper §2) on codes `fake` (B, d) computed after the
    reconstruction step: (a) update D on prior samples `real` vs detached codes,
    (b) update the encoder through the freshly updated D (D frozen: it gets no grads),
    on `g_weight` x the generator loss. Returns {"d_loss", "g_loss"} (g_loss unweighted)."""
    d_value = discriminator_phase(d_opt, disc, fake, real, cond_real, cond_fake)
    g_value = generator_phase(g_opt, disc, fake, cond_fake, weight=g_weight)
    return {"d_loss": d_value, "g_loss": g_value}
