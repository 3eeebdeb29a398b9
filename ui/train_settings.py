"""The Train page's settings as plain values: which fields a model uses, text parsing, and
the configs they make (no streamlit here). Every bad value raises ConfigError with one line.
"""

from __future__ import annotations

import math

from aae_core.cli import run_defaults
from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import DATASET_NAMES, available
from aae_core.errors import ConfigError
from aae_core.models import MODELS
from aae_core.priors import PriorSpec

DEFAULT_DATASET = "synthetic-digits"  # drawn offline: needs no download
# Encoder input noise for the categorical-code models: on mnist-10k with 1000 labels it took
# the semi-supervised error from 5.8 % to 4.9 % (RESULTS.md, "what we tried").
DENOISE_STD = 0.3
LOG_EVERY = 10  # steps between logged losses (the live curves' resolution)


def uses_encoder_choice(model: str) -> bool:
    """AAEs and WAEs take any encoder kind; the VAE and the categorical models fix theirs."""
    return MODELS[model].own_encoder is None


def uses_labels(model: str) -> bool:
    """Models whose training reads labels (all, some or none: -1, N, 0)."""
    return MODELS[model].reads_labels


def uses_adversary(model: str) -> bool:
    """Models with a discriminator (a second, adversarial learning rate)."""
    return MODELS[model].has_adversary


def local_datasets() -> set[str]:
    """Datasets that load without a download (every file their loader reads is here)."""
    return {name for name in DATASET_NAMES if available(name)}


def default_dataset() -> str:
    """mnist-10k when its files are here (real digits, no download), else synthetic digits."""
    return "mnist-10k" if "mnist-10k" in local_datasets() else DEFAULT_DATASET


def dataset_label(name: str, local: set[str]) -> str:
    return name if name in local else f"{name} (downloads first)"


def parse_sizes(text: str, what: str = "hidden sizes") -> tuple[int, ...]:
    """'256,256' -> (256, 256); the numbers themselves are checked by ModelConfig."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"{what} must be whole numbers separated by commas, like 256,256; "
                          f"got {text!r}") from None
    return sizes


def parse_rate(text, what: str) -> float:
    """A learning rate typed as text ('1e-3'): a finite number in (0, 1]."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ConfigError(f"{what} must be a number like 1e-3, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 1):
        raise ConfigError(f"{what} must be a finite number > 0 and <= 1, got {text!r}")
    return value


def whole(value, what: str) -> int:
    """A number input's value as an int (a float with a fraction is refused)."""
    if isinstance(value, bool) or value is None or \
            (isinstance(value, float) and not value.is_integer()):
        raise ConfigError(f"{what} must be a whole number, got {value!r}")
    return int(value)


def build_configs(*, model: str, prior: str, encoder: str, dataset: str, latent_dim,
                  hidden: str, epochs, batch_size, lr: str, lr_adv: str = "1e-3",
                  labels=-1, seed=0) -> tuple[ModelConfig, TrainConfig]:
    """The page's fields -> (ModelConfig, TrainConfig), every value validated."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if dataset not in DATASET_NAMES:
        raise ConfigError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASET_NAMES)}")
    sizes = parse_sizes(hidden)
    spec = PriorSpec(name=prior, dim=whole(latent_dim, "latent size"))  # checks itself
    # what the form does not show comes from the command line's defaults for this model and
    # latent size (a 2-D AAE weighs its generator phase: AAE.preferred_settings)
    unshown = run_defaults(model, spec.dim)
    model_cfg = ModelConfig(
        model=model, prior=spec, encoder=encoder if uses_encoder_choice(model) else "deterministic",
        hidden=sizes, disc_hidden=sizes, lr=parse_rate(lr, "learning rate"),
        lr_adv=parse_rate(lr_adv, "adversarial learning rate") if uses_adversary(model) else 2e-4,
        encoder_input_noise=DENOISE_STD if MODELS[model].uses_encoder_input_noise else 0.0,
        generator_weight=unshown["generator_weight"],
    )
    train_cfg = TrainConfig(
        dataset=dataset, epochs=whole(epochs, "epochs"), batch_size=whole(batch_size, "batch size"),
        labels=whole(labels, "labels") if uses_labels(model) else -1,
        seed=whole(seed, "seed"), log_every=LOG_EVERY,
    )
    return model_cfg, train_cfg
