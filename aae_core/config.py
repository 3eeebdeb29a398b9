"""Plain dataclass configs, validated on construction, saved beside the weights.

`ModelConfig` rebuilds a model (it is what a checkpoint's config.json holds);
`TrainConfig` describes one run (data, schedule, seed). Neither is ever mutated:
`dataclasses.replace` makes a changed copy. Every invalid config fails on construction
with one ConfigError line, before anything is allocated.

This module never imports the models: the model registry (aae_core.models) registers its
classes here (`register_models`), and ModelConfig runs the named model's own checks
(`check_config`: its priors, encoders, labels, parameter count) from that registry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Protocol

from aae_core.errors import ConfigError, shown
from aae_core.nets import ENCODER_KINDS
from aae_core.priors import PriorSpec

#: The app's default networks: small enough for a CPU and for the browser decoder
#: (2 -> 256 -> 256 -> 784 is ~1.1 MB of float32 weights). The paper used 2 x 1000.
APP_HIDDEN = (256, 256)
PAPER_HIDDEN = (1000, 1000)

# Bounds on what a config may ask for: each is a resource a user could exhaust
# (docs/ARCHITECTURE.md, "Resource bounds").
#: Weights of one model (all networks): 50 M float32 = 200 MB, plus as much again for
#: Adam's moments and gradients each. The paper's 2 x 1000 nets have about 5 M.
MAX_PARAMETERS = 50_000_000
MAX_LAYER_SIZE = 8192  # units in one hidden layer
MAX_LAYERS = 16  # hidden layers of one network
MAX_IMAGE_DIM = 128 * 128  # pixels of one (flattened, grey) image
MAX_CLASSES = 1000  # labels / clusters / cluster heads
#: Held-out codes a checkpoint loader reads (the first ones; the rest are ignored): the
#: maps and pickers stay fast (1,000,000 codes took Explore 36 s).
MAX_STORED_CODES = 20_000


class ModelRules(Protocol):
    """What ModelConfig asks of a registered model class (LatentModel implements it)."""

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Raise ConfigError (one line) when the model cannot be built or trained from it."""


#: Model name -> its class, filled by aae_core.models when it is imported.
_MODEL_RULES: dict[str, ModelRules] = {}


def register_models(models: Mapping[str, ModelRules]) -> None:
    """Called once by the model registry: the names ModelConfig accepts and their checks."""
    _MODEL_RULES.update(models)


def _positive_int(name: str, value, *, upper: int = 1_000_000) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise ConfigError(f"{name} must be a whole number from 1 to {upper}, "
                          f"got {shown(value)}")


def _positive_float(name: str, value, *, upper: float = math.inf, allow_zero=False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0) and value <= upper
    if not ok:
        low = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be a finite number {low} and <= {upper}, "
                          f"got {shown(value)}")


MAX_LEARNING_RATE = 1.0


def check_learning_rate(name: str, value, text=None) -> float:
    """The one learning-rate check: a finite number > 0 and <= 1 (`text`: what the user
    typed, shown in the message instead of the parsed value)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value) and 0 < value <= MAX_LEARNING_RATE
    if not ok:
        got = repr(text) if text is not None else shown(value)
        raise ConfigError(f"{name} must be a finite number > 0 and <= {MAX_LEARNING_RATE:g}, "
                          f"got {got}")
    return value


@dataclass(frozen=True)
class ModelConfig:
    model: str = "aae"
    prior: PriorSpec = field(default_factory=PriorSpec)
    encoder: str = "deterministic"  # deterministic | gaussian | universal (paper §2)
    hidden: tuple[int, ...] = APP_HIDDEN  # encoder and decoder hidden sizes
    disc_hidden: tuple[int, ...] = APP_HIDDEN  # discriminator hidden sizes
    n_classes: int = 10  # labels (supervised), clusters (clustering), heads (dim-reduction)
    image_dim: int = 784
    lr: float = 1e-3  # reconstruction / autoencoder Adam learning rate
    lr_adv: float = 1e-3  # D and generator learning rate (= lr fills the prior best, measured)
    # The AAE's generator phase (paper §2, phase 2b): 0 steps its own Adam at lr_adv (the paper's
    # form); w > 0 steps the autoencoder's Adam on w x the generator loss, so the pull
    # toward the prior is weighed against the reconstruction's gradients instead of taking
    # a full-size step of its own (RESULTS.md, "The shipped 2-D models")
    generator_weight: float = 0.0
    beta1: float = 0.5
    disc_input_noise: float = 0.0  # std of Gaussian noise on D's input
    # (docs/ARCHITECTURE.md, "Lessons from public implementations")
    # std of Gaussian noise on the encoder's input while training the categorical-code
    # models (semi-supervised, clustering, dim-reduction): they reconstruct the clean image
    # from a noisy one, which regularises the class head (measured in RESULTS.md)
    encoder_input_noise: float = 0.0
    reg_weight: float = 1.0  # lambda: WAE weight, VAE beta
    kl: str = "auto"  # vae: "closed" (gaussian prior), "mc" (Monte Carlo), "auto"
    head_eta: float = 3.0  # dim-reduction: head-distance threshold (paper §7)

    @property
    def latent_dim(self) -> int:
        return self.prior.dim

    def __post_init__(self):
        rules = _model_rules(self.model)
        if not isinstance(self.prior, PriorSpec):  # JSON: a dict, checked field by field
            object.__setattr__(self, "prior", prior_spec_from_dict(self.prior))
        self._check_sizes()
        if self.encoder not in ENCODER_KINDS:
            kinds = ", ".join(ENCODER_KINDS)
            raise ConfigError(f"unknown encoder {shown(self.encoder)}; choose {kinds}")
        for name in ("lr", "lr_adv"):
            check_learning_rate(name, getattr(self, name))
        if isinstance(self.beta1, bool) or not (isinstance(self.beta1, (int, float))
                                                 and 0 <= self.beta1 < 1):
            raise ConfigError(f"beta1 must be in [0, 1), got {shown(self.beta1)}")
        _positive_float("disc_input_noise", self.disc_input_noise, upper=10, allow_zero=True)
        _positive_float("encoder_input_noise", self.encoder_input_noise, upper=10,
                        allow_zero=True)
        _positive_float("reg_weight", self.reg_weight, upper=1e6, allow_zero=True)
        _positive_float("generator_weight", self.generator_weight, upper=1e6, allow_zero=True)
        _positive_float("head_eta", self.head_eta, upper=1e3)
        if self.kl not in ("auto", "closed", "mc"):
            raise ConfigError(f"kl must be auto, closed or mc, got {shown(self.kl)}")
        rules.check_config(self)  # the model's own rules, the parameter count last

    def _check_sizes(self) -> None:
        """Layer sizes, classes and image size: whole numbers within their bounds."""
        for name in ("hidden", "disc_hidden"):
            sizes = getattr(self, name)
            if not isinstance(sizes, (tuple, list)):
                raise ConfigError(f"{name} must be a list of layer sizes, got {shown(sizes)}")
            if not sizes:
                raise ConfigError(f"{name} needs at least one layer size")
            if len(sizes) > MAX_LAYERS:
                raise ConfigError(f"{name} may have at most {MAX_LAYERS} layers, "
                                  f"got {len(sizes)}")
            object.__setattr__(self, name, tuple(sizes))
            for size in sizes:
                _positive_int(f"each {name} size", size, upper=MAX_LAYER_SIZE)
        _positive_int("n_classes", self.n_classes, upper=MAX_CLASSES)
        if self.n_classes < 2:
            raise ConfigError(f"n_classes must be >= 2, got {self.n_classes}")
        _positive_int("image_dim", self.image_dim, upper=MAX_IMAGE_DIM)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"], d["disc_hidden"] = list(self.hidden), list(self.disc_hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        return _from_dict(cls, d)


def _model_rules(name) -> ModelRules:
    if not _MODEL_RULES:
        raise ConfigError("no models are registered: import aae_core.models first")
    if not isinstance(name, str) or name not in _MODEL_RULES:
        raise ConfigError(f"unknown model {shown(name)}; "
                          f"choose one of {', '.join(_MODEL_RULES)}")
    return _MODEL_RULES[name]


def prior_spec_from_dict(d: dict) -> PriorSpec:
    return _from_dict(PriorSpec, d)


def _from_dict(cls, d):
    """Build a dataclass from JSON, refusing unknown keys and wrong types with one line
    (the dataclasses check their own values on construction)."""
    if not isinstance(d, dict):
        raise ConfigError(f"{cls.__name__} must be a JSON object, got {type(d).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"{cls.__name__} has unknown field(s): {', '.join(unknown)}")
    kwargs = dict(d)
    if cls is ModelConfig and "prior" in kwargs:
        kwargs["prior"] = prior_spec_from_dict(kwargs["prior"])
    try:
        return cls(**kwargs)
    except TypeError as exc:  # e.g. a list where a number belongs
        raise ConfigError(f"bad {cls.__name__}: {exc}") from None


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "synthetic-digits"
    epochs: int = 10
    batch_size: int = 100
    labels: int = -1  # labelled training examples: -1 = all, 0 = none, N = N (class-balanced)
    seed: int = 0
    device: str = "auto"
    log_every: int = 20  # steps between progress snapshots
    # The learning-rate schedule: both rates (lr, lr_adv) fall along a half cosine, epoch by
    # epoch, from their set values at the first epoch to `lr_decay_to` x those at the last;
    # 1 keeps them constant (the default, and every run before the schedule existed). The
    # paper decayed its rates; ours were constant (RESULTS.md, "Settings chosen on mnist-val").
    lr_decay_to: float = 1.0

    def __post_init__(self):
        _positive_int("epochs", self.epochs, upper=10_000)
        _positive_float("lr_decay_to", self.lr_decay_to, upper=1)
        _positive_int("batch size", self.batch_size, upper=65_536)
        _positive_int("log_every", self.log_every, upper=1_000_000)
        if isinstance(self.labels, bool) or not isinstance(self.labels, int) or self.labels < -1:
            raise ConfigError("labels must be -1 (all), 0 (none) or a count, "
                              f"got {shown(self.labels)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number >= 0, got {shown(self.seed)}")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not str(self.device).startswith(
            "cuda:"
        ):
            raise ConfigError(f"device must be auto, cpu, cuda or mps, got {shown(self.device)}")

    def to_dict(self) -> dict:
        return asdict(self)

    def lr_factor(self, epoch: int) -> float:
        """The factor on both learning rates during `epoch` (0-based): 1 at the first epoch,
        lr_decay_to at the last, a half cosine between."""
        if self.lr_decay_to == 1 or self.epochs == 1:
            return 1.0
        done = min(max(epoch, 0), self.epochs - 1) / (self.epochs - 1)
        return self.lr_decay_to + (1 - self.lr_decay_to) * 0.5 * (1 + math.cos(math.pi * done))
