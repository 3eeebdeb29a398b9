"""Run settings: the one per-model source of a new run's settings, and how they become configs.

A run is described by its settings, named as the command line's `train` flags (model,
prior, latent_dim, hidden, lr, lr_adv, batch_size, epochs, ...). A setting the user leaves
out takes, in this order: the model's `preferred_settings(latent_dim)` (e.g. the 2-D AAE's
measured budget, RESULTS.md "The shipped 2-D models"), then the shared defaults of
ModelConfig and TrainConfig. The command line, its help text, the Train page's form, the
Watch page and checkpoints/make_checkpoints.sh all read them from here
(`python -m aae_core settings --model vae` prints them).
"""

from __future__ import annotations

from dataclasses import replace

from aae_core.config import ModelConfig, TrainConfig, check_learning_rate
from aae_core.errors import ConfigError, shown

DEFAULT_MODEL = "aae"


def _prior_spread(spec):
    """The value of the PriorSpec field that --prior-std sets for this prior (the prior's
    class names it: std, or a mixture's radial_std)."""
    from aae_core.priors import PRIORS

    return getattr(spec, PRIORS[spec.name].spread_field)


#: The settings that make up an experiment (a resumed run takes them from its checkpoint):
#: name -> how to read it from (ModelConfig, TrainConfig). Their defaults are read the same
#: way from the configs' own defaults (`run_defaults`).
RUN_SETTINGS = {
    "model": lambda m, t: m.model,
    "prior": lambda m, t: m.prior.name,
    "prior_std": lambda m, t: _prior_spread(m.prior),
    "components": lambda m, t: m.prior.components,
    "encoder": lambda m, t: m.encoder,
    "latent_dim": lambda m, t: m.latent_dim,
    "hidden": lambda m, t: m.hidden,
    "disc_hidden": lambda m, t: m.disc_hidden,
    "n_classes": lambda m, t: m.n_classes,
    "lr": lambda m, t: m.lr,
    "lr_adv": lambda m, t: m.lr_adv,
    "beta1": lambda m, t: m.beta1,
    "reg_weight": lambda m, t: m.reg_weight,
    "generator_weight": lambda m, t: m.generator_weight,
    "disc_noise": lambda m, t: m.disc_input_noise,
    "input_noise": lambda m, t: m.encoder_input_noise,
    "dataset": lambda m, t: t.dataset,
    "batch_size": lambda m, t: t.batch_size,
    "labels": lambda m, t: t.labels,
    "seed": lambda m, t: t.seed,
    "lr_decay_to": lambda m, t: t.lr_decay_to,
}
#: Every setting of a new run: the experiment's, and how long it trains.
SETTING_NAMES = (*RUN_SETTINGS, "epochs")


def _model_class(model: str):
    from aae_core.models import MODELS

    if not isinstance(model, str) or model not in MODELS:
        raise ConfigError(f"unknown model {shown(model)}; choose one of {', '.join(MODELS)}")
    return MODELS[model]


def run_defaults(model: str | None = None, latent_dim: int | None = None) -> dict:
    """Every setting of a new run of `model` with `latent_dim` left unset: the model's
    preferred_settings for that latent size over ModelConfig's and TrainConfig's defaults
    (prior_std: None, the chosen prior's own spread)."""
    m, t = ModelConfig(), TrainConfig()
    out = {name: read(m, t) for name, read in RUN_SETTINGS.items()}
    out |= {"prior_std": None, "epochs": t.epochs, "model": model or DEFAULT_MODEL}
    out["latent_dim"] = latent_dim or out["latent_dim"]
    return out | _model_class(out["model"]).preferred_settings(out["latent_dim"])


def settings_of(model_cfg: ModelConfig, train_cfg: TrainConfig) -> dict:
    """The settings a pair of configs was made from (the inverse of `configs_from`)."""
    return {name: read(model_cfg, train_cfg) for name, read in RUN_SETTINGS.items()} | \
        {"epochs": train_cfg.epochs}


def complete(given: dict) -> dict:
    """`given` (names of SETTING_NAMES; None or absent: unset) with every unset setting
    taken from run_defaults for its model and latent size."""
    unknown = sorted(set(given) - set(SETTING_NAMES))
    if unknown:
        raise ConfigError(f"unknown run setting(s): {', '.join(unknown)}")
    defaults = run_defaults(given.get("model"), given.get("latent_dim"))
    return {name: defaults[name] if given.get(name) is None else given[name]
            for name in SETTING_NAMES}


def configs_from(given: dict, *, device: str = "auto",
                 log_every: int | None = None) -> tuple[ModelConfig, TrainConfig]:
    """Settings (unset ones completed) -> (ModelConfig, TrainConfig), both validated: the one
    place a run's settings become configs (CLI, Train page, Watch page, sweeps)."""
    from aae_core.priors import PRIORS, PriorSpec

    s = complete(given)
    if s["prior"] not in PRIORS:
        raise ConfigError(f"unknown prior {shown(s['prior'])}; choose one of "
                          f"{', '.join(PRIORS)}")
    spec = PriorSpec(name=s["prior"], dim=s["latent_dim"], components=s["components"])
    if s["prior_std"] is not None:
        spec = replace(spec, **{PRIORS[s["prior"]].spread_field: s["prior_std"]})
    model_cfg = ModelConfig(model=s["model"], prior=spec, encoder=s["encoder"],
                            hidden=s["hidden"], disc_hidden=s["disc_hidden"],
                            n_classes=s["n_classes"], lr=s["lr"], lr_adv=s["lr_adv"],
                            beta1=s["beta1"], reg_weight=s["reg_weight"],
                            generator_weight=s["generator_weight"],
                            disc_input_noise=s["disc_noise"],
                            encoder_input_noise=s["input_noise"])
    extra = {} if log_every is None else {"log_every": log_every}
    train_cfg = TrainConfig(dataset=s["dataset"], epochs=s["epochs"],
                            batch_size=s["batch_size"], labels=s["labels"], seed=s["seed"],
                            lr_decay_to=s["lr_decay_to"], device=device, **extra)
    return model_cfg, train_cfg


def parse_rate(text, what: str) -> float:
    """A learning rate typed as text ('1e-3'), checked as ModelConfig checks it."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ConfigError(f"{what} must be a number like 1e-3, got {text!r}") from None
    return check_learning_rate(what, value, text)


def flag(name: str) -> str:
    """A setting's command-line flag: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def _text(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def as_flags(settings: dict) -> list[str]:
    """`train` arguments that give exactly these settings (None values left out)."""
    out = []
    for name in SETTING_NAMES:
        if settings.get(name) is not None:
            out += [flag(name), _text(settings[name])]
    return out


def default_help(name: str) -> str:
    """The help text's default of a setting: the shared one, then each model whose 2-D form
    departs from it (e.g. "default 10; a 2-D aae: 24")."""
    from aae_core.models import MODELS

    m, t = ModelConfig(), TrainConfig()
    shared = t.epochs if name == "epochs" else RUN_SETTINGS[name](m, t)
    per_model = name not in ("model", "latent_dim")
    departures = [f"a 2-D {model}: {_text(value)}" for model in MODELS
                  if per_model and (value := run_defaults(model, 2)[name]) != shared]
    return "; ".join([f"default {_text(shared)}", *departures])
