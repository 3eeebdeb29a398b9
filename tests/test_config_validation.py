"""Validation: every invalid PriorSpec/ModelConfig fails on construction with one line, every
resource a config can ask for is bounded before anything is allocated, and the config
module stands on its own (no import of the models: the registry registers itself)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from aae_core.config import (
    MAX_CLASSES,
    MAX_IMAGE_DIM,
    MAX_LAYER_SIZE,
    MAX_PARAMETERS,
    MAX_STORED_CODES,
    ModelConfig,
    TrainConfig,
)
from aae_core.errors import CheckpointError, ConfigError
from aae_core.models import MODELS, build_model
from aae_core.priors import MAX_COMPONENTS, PriorSpec
from aae_core.store import checkpoints
from aae_core.store.checkpoints import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_config_does_not_import_the_models():
    code = ("import sys, aae_core.config, aae_core.priors; "
            "print(sorted(m for m in sys.modules if m.startswith('aae_core.models')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_the_registry_names_what_the_config_accepts():
    for name, cls in MODELS.items():
        assert ModelConfig(model=name, prior=PriorSpec(name=cls.supported_priors[0])).model == name


MIXTURE = {"name": "mixture"}
INVALID = {
    "unknown model": ({"model": "gan"}, "unknown model 'gan'"),
    "model not a string": ({"model": ["aae"]}, "unknown model ['aae']"),
    "prior not a spec": ({"prior": "gaussian"}, "PriorSpec must be a JSON object, got str"),
    "prior dict, unknown field": ({"prior": {"nme": "x"}}, "unknown field(s): nme"),
    "prior dict, negative radius": ({"prior": {**MIXTURE, "radius": -1.0}},
                                    "radius must be a positive"),
    "prior dict, dim text": ({"prior": {"dim": "2"}}, "latent dimension must be a whole"),
    "latent dim 300": ({"prior": {"dim": 300}}, "from 1 to 256"),
    "mixture of 10^9": ({"prior": {**MIXTURE, "components": 10**9}}, "at most 1000"),
    "no hidden layer": ({"hidden": ()}, "hidden needs at least one layer size"),
    "hidden size 0": ({"hidden": (0,)}, "each hidden size must be a whole number from 1"),
    "hidden size too big": ({"hidden": (MAX_LAYER_SIZE + 1,)}, f"from 1 to {MAX_LAYER_SIZE}"),
    "hidden text": ({"hidden": "256"}, "hidden must be a list of layer sizes"),
    "hidden float": ({"hidden": (256.0,)}, "each hidden size must be a whole number"),
    "too many layers": ({"hidden": (4,) * 17}, "at most 16 layers"),
    "disc_hidden negative": ({"disc_hidden": (-3,)}, "each disc_hidden size"),
    "one class": ({"n_classes": 1}, "n_classes must be >= 2"),
    "too many classes": ({"n_classes": MAX_CLASSES + 1}, f"from 1 to {MAX_CLASSES}"),
    "image_dim 0": ({"image_dim": 0}, "image_dim must be a whole number"),
    "image too big": ({"image_dim": MAX_IMAGE_DIM + 1}, f"from 1 to {MAX_IMAGE_DIM}"),
    "lr 0": ({"lr": 0.0}, "lr must be a finite number > 0"),
    "lr nan": ({"lr": math.nan}, "lr must be a finite number > 0"),
    "lr_adv text": ({"lr_adv": "fast"}, "lr_adv must be a finite number"),
    "beta1 1": ({"beta1": 1.0}, "beta1 must be in [0, 1)"),
    "disc noise negative": ({"disc_input_noise": -1.0}, "disc_input_noise must be"),
    "reg_weight inf": ({"reg_weight": math.inf}, "reg_weight must be"),
    "head_eta 0": ({"head_eta": 0.0}, "head_eta must be"),
    "unknown encoder": ({"encoder": "lstm"}, "unknown encoder 'lstm'"),
    "unknown kl": ({"kl": "exact"}, "kl must be auto, closed or mc"),
    "input noise on an aae": ({"encoder_input_noise": 0.3}, "does not use encoder input noise"),
    "vae with a universal encoder": ({"model": "vae", "encoder": "universal"},
                                     "always uses its own gaussian encoder"),
    "semi-supervised, gaussian encoder": ({"model": "aae-semi-supervised",
                                           "encoder": "gaussian"}, "its own deterministic"),
    "closed kl, mixture": ({"model": "vae", "prior": MIXTURE, "kl": "closed"},
                           "closed-form KL exists only for the gaussian prior"),
    "label-regularized, gaussian": ({"model": "aae-label-regularized"},
                                    "does not support the 'gaussian' prior"),
    "label-regularized, 8 parts": ({"model": "aae-label-regularized",
                                    "prior": {**MIXTURE, "components": 8}},
                                   "components=8 but n_classes=10"),
    "semi-supervised, mixture": ({"model": "aae-semi-supervised", "prior": MIXTURE},
                                 "does not support the 'mixture' prior"),
    "too many parameters": ({"hidden": (8192, 8192, 8192)},
                            f"more than the limit of {MAX_PARAMETERS:,}"),
    "wide image, many parameters": ({"image_dim": MAX_IMAGE_DIM, "hidden": (4096,)},
                                    "parameters, more than the limit"),
}


@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_every_invalid_model_config_fails_on_construction_with_one_line(case):
    fields, message = INVALID[case]
    as_json = {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}
    # In Python (a prior given as a dict is read like JSON) and from a config.json.
    for build in (lambda: ModelConfig(**fields), lambda: ModelConfig.from_dict(as_json)):
        with pytest.raises(ConfigError) as info:
            build()
        text = str(info.value)
        assert message in text and "\n" not in text and len(text) < 300, text


def test_each_bound_admits_its_limit():
    """The bounds refuse what is above them, not what is at them."""
    ModelConfig(image_dim=MAX_IMAGE_DIM, hidden=(64,))
    ModelConfig(n_classes=MAX_CLASSES, model="aae-clustering", hidden=(64,))
    ModelConfig(hidden=(MAX_LAYER_SIZE,))
    PriorSpec(name="mixture", components=MAX_COMPONENTS)
    near = ModelConfig(hidden=(4096, 4096), disc_hidden=(1024,))  # ~40 M parameters
    assert 30_000_000 < MODELS["aae"].parameter_count(near) <= MAX_PARAMETERS


def test_stored_codes_bound_is_the_loaders():
    assert checkpoints.MAX_STORED_CODES == MAX_STORED_CODES


def test_the_loader_refuses_a_huge_config_before_building_the_model(tmp_path, monkeypatch):
    small = ModelConfig(hidden=(8,), disc_hidden=(8,))
    path = save_checkpoint(tmp_path / "ckpt", build_model(small), TrainConfig(epochs=1))
    raw = json.loads((path / "config.json").read_text())
    raw["model"]["hidden"] = [8192, 8192, 8192]
    (path / "config.json").write_text(json.dumps(raw))
    built = []
    monkeypatch.setattr(checkpoints, "build_model", lambda cfg: built.append(cfg))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert "parameters, more than the limit of 50,000,000" in str(info.value)
    assert "\n" not in str(info.value) and built == []


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "checkpoints").iterdir()
                                        if (p / "config.json").is_file()))
def test_shipped_configs_still_validate(name):
    cfg, _ = checkpoints.read_config(ROOT / "checkpoints" / name)
    assert MODELS[cfg.model].parameter_count(cfg) < MAX_PARAMETERS
