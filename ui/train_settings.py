"""The Train page's settings as plain values: which fields a model uses, text parsing, and
the configs they make (no streamlit here). Every bad value raises ConfigError with one line.
"""

from __future__ import annotations

from aae_core.config import ModelConfig, TrainConfig
from aae_core.data import DATASET_NAMES, available
from aae_core.errors import ConfigError
from aae_core.models import MODELS
from aae_core.priors import PriorSpec
from aae_core.settings import configs_from, parse_rate, run_defaults

DEFAULT_DATASET = "synthetic-digits"  # drawn offline: needs no download
LOG_EVERY = 10  # steps between logged losses (the live curves' resolution)
#: The form's fields and the run settings (aae_core/settings.py) they show.
FORM_SETTINGS = {"tr_latent": "latent_dim", "tr_hidden": "hidden", "tr_epochs": "epochs",
                 "tr_batch": "batch_size", "tr_lr": "lr", "tr_lr_adv": "lr_adv",
                 "tr_input_noise": "input_noise", "tr_labels": "labels", "tr_seed": "seed",
                 "tr_prior_std": "prior_std"}
#: The spreads a blank "Prior spread" leaves (PriorSpec's defaults), for the field's help.
OWN_SPREADS = f"gaussian std {PriorSpec().std:g}, mixture radial std {PriorSpec().radial_std:g}"


def uses_encoder_choice(model: str) -> bool:
    """AAEs and WAEs take any encoder kind; the VAE and the categorical models fix theirs."""
    return MODELS[model].own_encoder is None


def uses_labels(model: str) -> bool:
    """Models whose training reads labels (all, some or none: -1, N, 0)."""
    return MODELS[model].reads_labels


def uses_adversary(model: str) -> bool:
    """Models with a discriminator (a second, adversarial learning rate)."""
    return MODELS[model].has_adversary


def uses_input_noise(model: str) -> bool:
    """The categorical-code models, which may denoise (noise on the encoder's input)."""
    return MODELS[model].uses_encoder_input_noise


def form_defaults(model: str) -> dict:
    """The form's first values for `model`: the command line's defaults for it (a 2-D run),
    as the widgets show them (sizes and rates as text)."""
    d = run_defaults(model)
    values = {key: d[name] for key, name in FORM_SETTINGS.items()}
    values["tr_hidden"] = ",".join(map(str, d["hidden"]))
    for key in ("tr_lr", "tr_lr_adv", "tr_input_noise"):
        values[key] = f"{values[key]:g}"
    spread = values["tr_prior_std"]  # None: the chosen prior's own, shown as a blank field
    values["tr_prior_std"] = "" if spread is None else f"{spread:g}"
    return values


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


def _number(text, problem: str) -> float:
    """A number typed as text; anything else raises ConfigError(problem.format(repr(text)))."""
    try:
        return float(str(text).strip())
    except ValueError:
        raise ConfigError(problem.format(repr(text))) from None


def parse_noise(text, what: str) -> float:
    """A noise std typed as text ('0.3'); its range is checked by ModelConfig."""
    return _number(text, f"{what} must be a number like 0.3, got {{}}")


def parse_spread(text) -> float | None:
    """The prior's spread typed as text ('10'); blank: None, the prior's own. Its range
    (positive, finite) is checked by PriorSpec."""
    text = "" if text is None else str(text).strip()
    return _number(text, "prior spread must be a number like 10, or blank for the prior's "
                         "own; got {}") if text else None


def whole(value, what: str) -> int:
    """A number input's value as an int (a float with a fraction is refused)."""
    if isinstance(value, bool) or value is None or \
            (isinstance(value, float) and not value.is_integer()):
        raise ConfigError(f"{what} must be a whole number, got {value!r}")
    return int(value)


def build_configs(*, model: str, prior: str, encoder: str, dataset: str, latent_dim,
                  hidden: str, epochs, batch_size, lr: str, lr_adv: str | None = None,
                  input_noise: str | None = None, labels=-1, seed=0,
                  prior_std: str | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The page's fields -> (ModelConfig, TrainConfig), every value validated. A field the
    model does not use (the form hides it) takes the command line's default for the model,
    as does everything the form does not show (aae_core/settings.py)."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if dataset not in DATASET_NAMES:
        raise ConfigError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASET_NAMES)}")
    sizes = parse_sizes(hidden)
    given = {
        "model": model, "prior": prior, "prior_std": parse_spread(prior_std),
        "dataset": dataset,
        "latent_dim": whole(latent_dim, "latent size"), "hidden": sizes, "disc_hidden": sizes,
        "epochs": whole(epochs, "epochs"), "batch_size": whole(batch_size, "batch size"),
        "lr": parse_rate(lr, "learning rate"), "seed": whole(seed, "seed"),
        "encoder": encoder if uses_encoder_choice(model) else None,
        "lr_adv": parse_rate(lr_adv, "adversarial learning rate")
        if uses_adversary(model) and lr_adv is not None else None,
        "input_noise": parse_noise(input_noise, "input noise")
        if uses_input_noise(model) and input_noise is not None else None,
        "labels": whole(labels, "labels") if uses_labels(model) else None,
    }
    return configs_from(given, log_every=LOG_EVERY)
