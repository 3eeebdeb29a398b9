"""One source of run settings (aae_core/settings.py): the same model and settings give the
same configs from the command line, the Train page's form, the Watch page and
checkpoints/make_checkpoints.sh; the help text and `settings` print that source."""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from aae_core.cli import build_parser, main, train_configs
from aae_core.config import check_learning_rate
from aae_core.errors import ConfigError
from aae_core.models import MODELS
from aae_core.priors import PriorSpec
from aae_core.settings import SETTING_NAMES, as_flags, configs_from, run_defaults, settings_of
from aae_core.store.checkpoints import read_config
from aae_core.watch.session import WatchConfig, WatchSession
from ui import train_settings as ts

ROOT = Path(__file__).resolve().parents[1]


def cli(*flags: str):
    """What `python -m aae_core train FLAGS --out x` would train."""
    return train_configs(["train", *flags, "--out", "x"])


def same_run(a, b) -> None:
    """Two (ModelConfig, TrainConfig) pairs train the same run (the Train page logs its
    losses more often: log_every is the live curves' resolution, not a setting of the run)."""
    assert a[0] == b[0]
    assert replace(a[1], log_every=1) == replace(b[1], log_every=1)


def form(model: str, **changes):
    """The Train form with its first values for `model` (as the page fills them), changed."""
    values = ts.form_defaults(model) | changes
    return ts.build_configs(model=model, prior=MODELS[model].supported_priors[0],
                            encoder="deterministic", dataset="synthetic-digits",
                            latent_dim=values["tr_latent"], hidden=values["tr_hidden"],
                            epochs=values["tr_epochs"], batch_size=values["tr_batch"],
                            lr=values["tr_lr"], lr_adv=values["tr_lr_adv"],
                            input_noise=values["tr_input_noise"], labels=values["tr_labels"],
                            seed=values["tr_seed"])


@pytest.mark.parametrize("model", list(MODELS))
def test_the_train_form_starts_from_the_command_lines_defaults_for_each_model(model):
    prior = MODELS[model].supported_priors[0]
    same_run(form(model), cli("--model", model, "--prior", prior))


def test_the_defaults_differ_per_model_where_the_model_prefers_others():
    assert ts.form_defaults("vae")["tr_epochs"] == 10 and ts.form_defaults("vae")["tr_batch"] == 100
    assert ts.form_defaults("aae")["tr_epochs"] == 24 and ts.form_defaults("aae")["tr_batch"] == 50
    semi = form("aae-semi-supervised")[0]
    assert semi.encoder_input_noise == cli("--model", "aae-semi-supervised")[0] \
        .encoder_input_noise == 0.0  # the page no longer adds noise the CLI does not
    assert form("vae")[0].lr_adv == cli("--model", "vae")[0].lr_adv == 1e-3


@pytest.mark.parametrize("model, changes, flags", [
    ("aae", {"tr_latent": 8, "tr_hidden": "64,32", "tr_epochs": 3, "tr_batch": 20,
             "tr_lr": "5e-4", "tr_lr_adv": "2e-4", "tr_seed": 7},
     ("--latent-dim", "8", "--hidden", "64,32", "--disc-hidden", "64,32", "--epochs", "3",
      "--batch-size", "20", "--lr", "5e-4", "--lr-adv", "2e-4", "--seed", "7")),
    ("aae-semi-supervised", {"tr_input_noise": "0.3", "tr_labels": 100, "tr_epochs": 2},
     ("--input-noise", "0.3", "--labels", "100", "--epochs", "2")),
    ("vae", {"tr_lr": "2e-3", "tr_batch": 64}, ("--lr", "2e-3", "--batch-size", "64")),
])
def test_the_same_settings_give_the_same_run_from_the_form_and_the_command_line(
        model, changes, flags):
    prior = MODELS[model].supported_priors[0]
    same_run(form(model, **changes), cli("--model", model, "--prior", prior, *flags))


def script_commands() -> dict[str, list[str]]:
    """checkpoints/make_checkpoints.sh's commands, by checkpoint name (its --print mode)."""
    out = subprocess.run(["bash", "checkpoints/make_checkpoints.sh", "--print"], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={"PY": sys.executable, "PATH": "/usr/bin:/bin"}).stdout
    commands = {}
    for line in out.splitlines():
        argv = shlex.split(line)[3:]  # after "python -m aae_core"
        commands[Path(argv[argv.index("--out") + 1]).name] = argv
    return commands


def test_the_checkpoint_script_rebuilds_exactly_the_shipped_settings():
    """Each command of make_checkpoints.sh, through the CLI's own parsing and the one source
    of defaults, gives the config.json of the checkpoint it ships."""
    commands = script_commands()
    shipped = sorted(p.parent.name for p in (ROOT / "checkpoints").glob("*/config.json"))
    assert sorted(commands) == shipped
    for name, argv in commands.items():
        model_cfg, train_cfg = train_configs(argv)
        saved_model, saved_train = read_config(ROOT / "checkpoints" / name)
        assert model_cfg == saved_model, name
        assert settings_of(model_cfg, train_cfg) == settings_of(saved_model, saved_train), name


def test_the_train_form_rebuilds_the_shipped_2d_aae():
    """A teacher who types the shipped 2-D AAE's budget into the Train form (its other fields
    left at their first values) gets the shipped command's run exactly."""
    first = ts.form_defaults("aae")
    page = ts.build_configs(model="aae", prior="gaussian", encoder="deterministic",
                            dataset="mnist", latent_dim=2, hidden="512,512", epochs=60,
                            batch_size=100, lr=first["tr_lr"], lr_adv=first["tr_lr_adv"], seed=0,
                            prior_std="10")
    same_run(train_configs(script_commands()["aae-gaussian"]), page)


def test_the_watched_aae_is_the_command_lines_but_for_its_departures():
    session = SimpleNamespace(config=WatchConfig())
    spec = PriorSpec(name="gaussian", dim=2)
    watched = WatchSession._model_config(session, "aae", spec)
    assert watched == cli("--model", "aae", "--generator-weight", "0")[0]
    assert WatchSession._model_config(session, "vae", spec) == cli("--model", "vae")[0]


def test_settings_prints_the_flags_of_a_new_run(capsys):
    assert main(["settings", "--model", "vae"]) == 0
    flags = shlex.split(capsys.readouterr().out)
    assert flags[flags.index("--epochs") + 1] == "10"
    assert cli(*flags) == cli("--model", "vae")
    assert main(["settings", "--model", "aae", "--show", "epochs,batch-size"]) == 0
    assert capsys.readouterr().out.split() == ["--batch-size", "50", "--epochs", "24"]
    assert as_flags(run_defaults("vae"))[:2] == ["--model", "vae"]


def test_bad_settings_are_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["settings", "--show", "nope"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(ConfigError, match="unknown run setting"):
        configs_from({"speed": 3})


def test_the_help_text_reads_the_defaults_from_the_source():
    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.values()
                 if a.prog.endswith("train"))
    helps = {a.dest: a.help for a in train._actions}
    d = run_defaults("aae", 8)  # no preferred settings: the shared ones
    assert f"default {d['epochs']}; a 2-D aae: {run_defaults('aae')['epochs']}" in helps["epochs"]
    assert f"default {d['batch_size']}; a 2-D aae: 50" in helps["batch_size"]
    assert set(SETTING_NAMES) <= set(helps)


@pytest.mark.parametrize("value", [0, -1e-3, 1.5, float("nan"), float("inf")])
def test_learning_rates_are_checked_in_one_place(value):
    message = "must be a finite number > 0 and <= 1"
    with pytest.raises(ConfigError, match=f"lr {message}"):
        check_learning_rate("lr", value)
    with pytest.raises(ConfigError, match=f"lr_adv {message}"):
        configs_from({"lr_adv": value})
    with pytest.raises(ConfigError, match=f"learning rate {message}"):
        ts.build_configs(model="aae", prior="gaussian", encoder="deterministic",
                         dataset="synthetic-digits", latent_dim=2, hidden="32", epochs=1,
                         batch_size=10, lr=str(value))
