"""Checkpoints: a folder of safetensors weights + JSON, written atomically, validated on load.

Layout of a checkpoint folder:
  config.json          {"format": FORMAT, "model": ModelConfig, "train": TrainConfig}
  model.safetensors    the model's state_dict (float tensors only; nothing is unpickled)
  optimizer.safetensors  Adam moments, so a run can be resumed (optional)
  codes.safetensors    held-out codes (N, d) and labels (N,) for maps (optional)
  card.json            the model card: data and split, epochs, wall time, metrics, versions

Writing goes to a hidden temporary sibling folder that is renamed into place, so a
process killed mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import AAEError, CheckpointError
from aae_core.models import LatentModel, build_model

FORMAT = "aae-latent-explorer/1"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
MAX_JSON_BYTES = 1 << 20


@dataclass
class Checkpoint:
    path: Path
    model: LatentModel
    train: TrainConfig
    card: dict = field(default_factory=dict)
    codes: torch.Tensor | None = None  # (N, d) held-out codes
    labels: torch.Tensor | None = None  # (N,) their labels

    @property
    def name(self) -> str:
        return self.path.name


def check_name(name: str) -> str:
    """A checkpoint name: letters, digits, '.', '_' and '-' only (no paths, no traversal)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or ".." in name:
        raise CheckpointError(
            f"bad checkpoint name {name!r}: use letters, digits, '.', '_' and '-' (max 80)"
        )
    return name


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n")


def optimizer_tensors(optimizers: dict) -> dict[str, torch.Tensor]:
    """Flatten Adam states to named tensors: '{opt}.{param_index}.{exp_avg|exp_avg_sq|step}'."""
    out = {}
    for opt_name, opt in optimizers.items():
        for idx, state in opt.state_dict()["state"].items():
            for key, value in state.items():
                out[f"{opt_name}.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    return out


def load_optimizer_tensors(optimizers: dict, tensors: dict[str, torch.Tensor]) -> None:
    """Inverse of optimizer_tensors; refuses names and shapes that do not fit `optimizers`
    (torch's load_state_dict checks neither, and a bad moment only fails at the next step)."""
    for name in tensors:
        parts = name.rsplit(".", 2)
        if len(parts) != 3 or parts[0] not in optimizers or not parts[1].isdigit():
            raise CheckpointError(f"optimizer state has an unknown entry {name!r}")
    for opt_name, opt in optimizers.items():
        sd = opt.state_dict()
        params = [p for group in opt.param_groups for p in group["params"]]
        state: dict[int, dict] = {}
        for name, value in tensors.items():
            prefix, idx, key = name.rsplit(".", 2)
            if prefix == opt_name:
                if int(idx) >= len(params) or (
                        key != "step" and value.shape != params[int(idx)].shape):
                    raise CheckpointError(f"optimizer state {name} does not match the model")
                state.setdefault(int(idx), {})[key] = value
        sd["state"] = state
        try:
            opt.load_state_dict(sd)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"optimizer state does not match the model: {exc}") from None


def save_checkpoint(path, model: LatentModel, train: TrainConfig, *, card: dict | None = None,
                    codes=None, labels=None, with_optimizer: bool = True) -> Path:
    """Write a checkpoint folder atomically; returns its path."""
    path = Path(path)
    check_name(path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(weights, str(tmp / "model.safetensors"))
        if with_optimizer and model.optimizers:
            save_file(optimizer_tensors(model.optimizers), str(tmp / "optimizer.safetensors"))
        if codes is not None:
            extras = {"codes": torch.as_tensor(codes, dtype=torch.float32).cpu().contiguous(),
                      "labels": torch.as_tensor(labels, dtype=torch.int64).cpu().contiguous()}
            save_file(extras, str(tmp / "codes.safetensors"))
        _write_json(tmp / "config.json",
                    {"format": FORMAT, "model": model.config.to_dict(), "train": train.to_dict()})
        _write_json(tmp / "card.json", card or {})
        _replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _replace_dir(new: Path, target: Path) -> None:
    """Move `new` to `target`; an existing target is moved aside first, then removed.
    If the second move fails, the old checkpoint goes back in place."""
    old = None
    if target.exists():
        old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _recover(path: Path) -> None:
    """If a write died between its two renames, bring the previous checkpoint back."""
    if path.exists():
        return
    olds = sorted(path.parent.glob(f".old-{path.name}-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.replace(olds[-1], path)


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"{path.parent.name}: missing {path.name} (not a checkpoint folder)")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise CheckpointError(f"{path.parent.name}: {path.name} is too large to be a config")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{path.parent.name}: {path.name} is not valid JSON ({exc})"
        ) from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path.parent.name}: {path.name} must hold a JSON object")
    return obj


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path.parent.name}: {path.name} is not a valid safetensors file "
            f"(corrupt, truncated or another format): {exc}"
        ) from None


def read_config(path) -> tuple[ModelConfig, TrainConfig]:
    """Read and validate a checkpoint's config.json without loading weights."""
    path = Path(path)
    _recover(path)
    if not path.is_dir():
        raise CheckpointError(f"no checkpoint folder at {path}")
    raw = _read_json(path / "config.json")
    if raw.get("format") != FORMAT:
        raise CheckpointError(
            f"{path.name}: not an AAE Latent Explorer checkpoint (format {raw.get('format')!r})"
        )
    try:
        model_cfg = ModelConfig.from_dict(raw.get("model"))
        train_cfg = TrainConfig(**raw.get("train", {}))
    except (AAEError, TypeError) as exc:
        raise CheckpointError(f"{path.name}: bad config.json: {exc}") from None
    return model_cfg, train_cfg


def load_checkpoint(path, *, device="cpu", with_optimizer=False) -> Checkpoint:
    """Load and validate a checkpoint; every failure is one CheckpointError line."""
    path = Path(path)
    model_cfg, train_cfg = read_config(path)
    model = build_model(model_cfg)
    weights = _read_tensors(path / "model.safetensors")
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path.name}: weights do not match a {model_cfg.model} model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for key, tensor in weights.items():
        if tensor.shape != expected[key].shape:
            raise CheckpointError(
                f"{path.name}: weight {key} has shape {tuple(tensor.shape)}, "
                f"the config needs {tuple(expected[key].shape)}"
            )
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path.name}: weight {key} holds NaN or infinite values")
    model.load_state_dict(weights)
    model.to(device).eval()
    if with_optimizer and (path / "optimizer.safetensors").is_file():
        try:
            load_optimizer_tensors(model.ensure_optimizers(),
                                   _read_tensors(path / "optimizer.safetensors"))
        except CheckpointError as exc:
            raise CheckpointError(f"{path.name}: {exc}") from None
    card = _read_json(path / "card.json") if (path / "card.json").exists() else {}
    codes = labels = None
    if (path / "codes.safetensors").is_file():
        extras = _read_tensors(path / "codes.safetensors")
        codes, labels = extras.get("codes"), extras.get("labels")
        if codes is None or labels is None or codes.ndim != 2 or len(codes) != len(labels):
            raise CheckpointError(f"{path.name}: codes.safetensors is malformed")
        if codes.shape[1] != model.latent_dim:
            raise CheckpointError(f"{path.name}: stored codes do not match the latent size")
    return Checkpoint(path, model, train_cfg, card, codes, labels)


def list_checkpoints(*roots) -> list[Path]:
    """Checkpoint folders (those holding a config.json) directly under the given roots."""
    found = []
    for root in roots:
        root = Path(root)
        if root.is_dir():
            found += sorted(p for p in root.iterdir()
                            if p.is_dir() and not p.name.startswith(".")
                            and (p / "config.json").is_file())
    return found


def finite_metrics(metrics: dict) -> dict:
    """Drop non-finite floats so a card stays valid JSON."""
    return {k: v for k, v in metrics.items()
            if not isinstance(v, float) or math.isfinite(v)}
