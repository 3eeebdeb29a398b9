"""Plain dataclass configs, validated on construction, saved beside the weights.

`ModelConfig` rebuilds a model (it is what a checkpoint's config.json holds);
`TrainConfig` describes one run (data, schedule, seed). Neither is ever mutated:
`dataclasses.replace` makes a changed copy.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from aae_core.errors import ConfigError
from aae_core.nets import ENCODER_KINDS
from aae_core.priors import PriorSpec

#: The app's default networks: small enough for a CPU and for the browser decoder
#: (2 -> 256 -> 256 -> 784 is ~1.1 MB of float32 weights). The paper used 2 x 1000.
APP_HIDDEN = (256, 256)
PAPER_HIDDEN = (1000, 1000)


def _positive_int(name: str, value, *, upper: int = 1_000_000) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise ConfigError(f"{name} must be a whole number from 1 to {upper}, got {value!r}")


def _positive_float(name: str, value, *, upper: float = math.inf, allow_zero=False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0) and value <= upper
    if not ok:
        low = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be a finite number {low} and <= {upper}, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    model: str = "aae"
    prior: PriorSpec = field(default_factory=PriorSpec)
    encoder: str = "deterministic"  # deterministic | gaussian | universal (SPEC 1)
    hidden: tuple[int, ...] = APP_HIDDEN  # encoder and decoder hidden sizes
    disc_hidden: tuple[int, ...] = APP_HIDDEN  # discriminator hidden sizes
    n_classes: int = 10  # labels (supervised), clusters (clustering), heads (dim-reduction)
    image_dim: int = 784
    lr: float = 1e-3  # reconstruction / autoencoder Adam learning rate
    lr_adv: float = 1e-3  # D and generator learning rate (= lr fills the prior best, measured)
    beta1: float = 0.5
    disc_input_noise: float = 0.0  # std of Gaussian noise on D's input (SPEC 9)
    # std of Gaussian noise on the encoder's input while training the categorical-code
    # models (semi-supervised, clustering, dim-reduction): they reconstruct the clean image
    # from a noisy one, which regularises the class head (measured in RESULTS.md)
    encoder_input_noise: float = 0.0
    reg_weight: float = 1.0  # lambda: WAE weight, VAE beta
    kl: str = "auto"  # vae: "closed" (gaussian prior), "mc" (Monte Carlo), "auto"
    head_eta: float = 3.0  # dim-reduction: head-distance threshold (SPEC 6)

    @property
    def latent_dim(self) -> int:
        return self.prior.dim

    def __post_init__(self):
        from aae_core.models import MODELS  # registry; imported late to avoid a cycle

        if self.model not in MODELS:
            raise ConfigError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if isinstance(self.prior, dict):
            object.__setattr__(self, "prior", prior_spec_from_dict(self.prior))
        for name in ("hidden", "disc_hidden"):
            sizes = tuple(getattr(self, name))
            object.__setattr__(self, name, sizes)
            if not sizes:
                raise ConfigError(f"{name} needs at least one layer size")
            for size in sizes:
                _positive_int(f"each {name} size", size, upper=8192)
        if self.encoder not in ENCODER_KINDS:
            kinds = ", ".join(ENCODER_KINDS)
            raise ConfigError(f"unknown encoder {self.encoder!r}; choose {kinds}")
        _positive_int("latent dimension", self.prior.dim, upper=256)
        _positive_int("n_classes", self.n_classes, upper=1000)
        if self.n_classes < 2:
            raise ConfigError(f"n_classes must be >= 2, got {self.n_classes}")
        _positive_int("image_dim", self.image_dim, upper=1 << 20)
        for name in ("lr", "lr_adv"):
            _positive_float(name, getattr(self, name), upper=1.0)
        if not (isinstance(self.beta1, (int, float)) and 0 <= self.beta1 < 1):
            raise ConfigError(f"beta1 must be in [0, 1), got {self.beta1!r}")
        _positive_float("disc_input_noise", self.disc_input_noise, upper=10, allow_zero=True)
        _positive_float("encoder_input_noise", self.encoder_input_noise, upper=10,
                        allow_zero=True)
        _positive_float("reg_weight", self.reg_weight, upper=1e6, allow_zero=True)
        _positive_float("head_eta", self.head_eta, upper=1e3)
        if self.kl not in ("auto", "closed", "mc"):
            raise ConfigError(f"kl must be auto, closed or mc, got {self.kl!r}")
        MODELS[self.model].check_config(self)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"], d["disc_hidden"] = list(self.hidden), list(self.disc_hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        return _from_dict(cls, d)


def prior_spec_from_dict(d: dict) -> PriorSpec:
    return _from_dict(PriorSpec, d)


def _from_dict(cls, d):
    """Build a dataclass from JSON, refusing unknown keys and wrong types with one line."""
    if not isinstance(d, dict):
        raise ConfigError(f"{cls.__name__} must be a JSON object, got {type(d).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ConfigError(f"{cls.__name__} has unknown field(s): {', '.join(unknown)}")
    kwargs = {}
    for name, value in d.items():
        default = getattr(cls(), name) if cls is PriorSpec else None
        widened = isinstance(default, float) and isinstance(value, int)
        if cls is PriorSpec and not isinstance(value, type(default)) and not widened:
            raise ConfigError(f"prior field {name!r} must be {type(default).__name__}")
        if name == "prior":
            value = prior_spec_from_dict(value)
        kwargs[name] = value
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

    def __post_init__(self):
        _positive_int("epochs", self.epochs, upper=10_000)
        _positive_int("batch size", self.batch_size, upper=65_536)
        _positive_int("log_every", self.log_every, upper=1_000_000)
        if isinstance(self.labels, bool) or not isinstance(self.labels, int) or self.labels < -1:
            raise ConfigError(f"labels must be -1 (all), 0 (none) or a count, got {self.labels!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not str(self.device).startswith(
            "cuda:"
        ):
            raise ConfigError(f"device must be auto, cpu, cuda or mps, got {self.device!r}")

    def to_dict(self) -> dict:
        return asdict(self)
