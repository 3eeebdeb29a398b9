"""Checkpoints: a folder of safetensors weights + JSON, written atomically, validated on load.

Layout of a checkpoint folder:
  config.json          {"format": FORMAT, "model": ModelConfig, "train": TrainConfig}
  model.safetensors    the model's state_dict (float tensors only; nothing is unpickled)
  optimizer.safetensors  Adam moments, so a run can be resumed (optional)
  codes.safetensors    held-out codes (N, d) and labels (N,) for maps (optional)
  card.json            the model card: data and split, epochs, wall time, metrics, versions

Writing goes to a hidden temporary sibling folder that is renamed into place, so a
process killed mid-write leaves the previous checkpoint intact; `recover_root` finishes or
cleans up what a killed writer left (the CLI and the app call it at start).

Reading trusts nothing: every file must be a plain regular file directly in its folder (a
link, FIFO or device is refused without being opened, so nothing blocks), JSON is bounded
in size and nesting, weights are bounded by what the config needs, stored codes are read up
to MAX_STORED_CODES, and every failure is one CheckpointError line.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as load_bytes
from safetensors.torch import save_file

from aae_core.config import MAX_STORED_CODES, ModelConfig, TrainConfig
from aae_core.errors import AAEError, CheckpointError, WriteError
from aae_core.models import LatentModel, build_model
from aae_core.words import with_article

FORMAT = "aae-latent-explorer/1"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 32  # nesting levels of config.json / card.json (ours use 4)
MAX_CLASS_NAMES, MAX_CLASS_NAME_CHARS = 1000, 100
#: A hidden `.tmp-*` / `.old-*` folder untouched for this long belongs to a dead writer
#: (a live save touches its folder every few seconds at most).
STALE_AFTER_S = 15 * 60
_FLOAT_WEIGHTS = (torch.float16, torch.bfloat16, torch.float64)  # converted to float32
_LEFTOVER = re.compile(r"^\.(tmp|old)-(.+)-[0-9a-f]{8}$")


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
    """Write a checkpoint folder atomically; returns its path. Any failure to write (a full
    or read-only disk, a missing permission) is one CheckpointError line: "cannot write the
    checkpoint to PATH: why", and the previous checkpoint at PATH, if any, is kept."""
    path = Path(path)
    check_name(path.name)
    tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
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
    except (OSError, SafetensorError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(f"cannot write the checkpoint to {path}: {why_not_written(exc)}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_writable(path) -> None:
    """Raise WriteError unless a checkpoint can be written at `path`, before any work: a
    probe folder with one byte in it is made and removed where the save's first folder
    would go (the nearest existing folder on the way to `path`). It is named like a save's
    temporary folder, so one left by a killed process is cleaned up by `recover_root`.
    (A permission check alone says yes to root in /proc or on a read-only mount.)"""
    path = Path(os.path.abspath(path))
    folder = next(f for f in path.parents if f.exists())  # "/" at the latest
    probe = folder / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
        (probe / "probe").write_bytes(b"\0")
    except OSError as exc:
        raise WriteError(f"cannot write the checkpoint to {path}: cannot write in {folder} "
                         f"({why_not_written(exc)})") from None
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def why_not_written(exc: BaseException) -> str:
    """The reason of a write failure in a few words ("No space left on device")."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"^Error while serializing: (I/O error: )?", "", text)


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
    if path.exists() or path.is_symlink():
        return
    try:
        olds = sorted(path.parent.glob(f".old-{path.name}-*"), key=lambda p: p.stat().st_mtime)
        if olds:
            os.replace(olds[-1], path)
    except OSError:  # a read-only folder or a race with another process: read as it is
        pass


def recover_root(root, *, stale_after_s: float = STALE_AFTER_S, now: float | None = None) -> None:
    """Finish or clean up what killed writers left in `root`, as loading one would:

    - `.old-NAME-*` without NAME (killed between the two renames of a save): moved back to
      NAME, so the checkpoint is listed again;
    - `.tmp-NAME-*` (killed while writing) and `.old-NAME-*` beside a NAME (killed before
      removing it) untouched for `stale_after_s` seconds: removed. A younger one may belong
      to a save in progress and is left alone. Only real folders with exactly these names
      are touched; links and everything else stay as they are.
    """
    root, now = Path(root), time.time() if now is None else now
    try:
        leftovers = [p for p in root.iterdir() if _LEFTOVER.match(p.name)]
    except OSError:
        return
    for p in sorted(leftovers, key=lambda q: q.name):
        kind, name = _LEFTOVER.match(p.name).groups()
        try:
            if p.is_symlink() or not p.is_dir() or now - _newest_mtime(p) < stale_after_s:
                continue
            target = root / name
            if kind == "old" and not target.exists() and not target.is_symlink() \
                    and NAME_PATTERN.match(name):
                os.replace(p, target)
            else:
                shutil.rmtree(p)
        except OSError:  # another process got there first, or a read-only folder
            continue


def _newest_mtime(folder: Path) -> float:
    times = [folder.lstat().st_mtime]
    times += [f.lstat().st_mtime for f in folder.iterdir()]
    return max(times)


def _regular_file(path: Path, limit: int) -> int:
    """Check that `path` is a plain regular file of at most `limit` bytes without opening
    it (a FIFO would block, a device never ends, a link may point anywhere); its size."""
    where = f"{path.parent.name}: {path.name}"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{where} is missing") from None
    except OSError as exc:
        raise CheckpointError(f"{where} cannot be read: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise CheckpointError(f"{where} is a link; a checkpoint holds only its own plain files")
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{where} is not a plain file (a folder, FIFO or device)")
    if info.st_size > limit:
        raise CheckpointError(f"{where} is too large ({info.st_size:,} bytes; at most "
                              f"{limit:,} for this checkpoint)")
    return info.st_size


def _read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a plain regular file (see _regular_file), opened without following
    links and without blocking."""
    _regular_file(path, limit)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise CheckpointError(f"{path.parent.name}: {path.name} cannot be read: "
                              f"{exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped since the check
            raise CheckpointError(f"{path.parent.name}: {path.name} is not a plain file")
        return f.read(limit + 1)[:limit]


def _depth(obj) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            children = item.values() if isinstance(item, dict) else item
            stack += [(child, level + 1) for child in children]
    return deepest


def _read_json(path: Path) -> dict:
    if not path.exists() and not path.is_symlink():
        raise CheckpointError(f"{path.parent.name}: missing {path.name} (not a checkpoint folder)")
    if path.is_file() and not path.is_symlink() and path.stat().st_size > MAX_JSON_BYTES:
        raise CheckpointError(f"{path.parent.name}: {path.name} is too large to be a config")
    try:
        obj = json.loads(_read_bytes(path, MAX_JSON_BYTES).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{path.parent.name}: {path.name} is not valid JSON ({exc})"
        ) from None
    except RecursionError:
        obj = None  # nested beyond what Python parses: refused below
    if obj is None or _depth(obj) > MAX_JSON_DEPTH:
        raise CheckpointError(f"{path.parent.name}: {path.name} is nested too deeply "
                              f"(more than {MAX_JSON_DEPTH} levels)")
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path.parent.name}: {path.name} must hold a JSON object")
    return obj


def _read_tensors(path: Path, limit: int) -> dict[str, torch.Tensor]:
    data = _read_bytes(path, limit)
    try:
        return load_bytes(data)
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(
            f"{path.parent.name}: {path.name} is not a valid safetensors file "
            f"(corrupt, truncated or another format): {str(exc).splitlines()[0][:200]}"
        ) from None


def _check_folder(path: Path) -> None:
    """A folder (a link to one is the user's choice on the command line; the app only
    opens folders that resolve inside its own roots, see catalog.resolve)."""
    if not path.is_dir():
        raise CheckpointError(f"no checkpoint folder at {path}")


def read_config(path) -> tuple[ModelConfig, TrainConfig]:
    """Read and validate a checkpoint's config.json without loading weights."""
    path = Path(path)
    if len(os.fsencode(path)) > 4000:
        raise CheckpointError("the checkpoint path is too long")
    _recover(path)
    _check_folder(path)
    raw = _read_json(path / "config.json")
    if raw.get("format") != FORMAT:
        fmt = str(raw.get("format"))[:60]
        raise CheckpointError(
            f"{path.name}: not an AAE Latent Explorer checkpoint (format {fmt!r})"
        )
    try:
        model_cfg = ModelConfig.from_dict(raw.get("model"))
        train_cfg = TrainConfig(**raw.get("train", {}))
    except (AAEError, TypeError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"{path.name}: bad config.json: {exc}") from None
    return model_cfg, train_cfg


def _weight_bytes(model: LatentModel, copies: int = 1) -> int:
    """An upper bound of a weights file for `model`: float64 at most, plus the header."""
    numel = sum(t.numel() for t in model.state_dict().values())
    return copies * numel * 8 + (1 << 20)


def _as_float32(path: Path, key: str, tensor: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16/float64 weights are converted; any other dtype is refused."""
    if tensor.dtype == torch.float32:
        return tensor
    if tensor.dtype in _FLOAT_WEIGHTS:
        return tensor.to(torch.float32)
    raise CheckpointError(f"{path.name}: weight {key} is {str(tensor.dtype).replace('torch.', '')}"
                          f"; weights must be float32 (float16/bfloat16/float64 are converted)")


def load_checkpoint(path, *, device="cpu", with_optimizer=False) -> Checkpoint:
    """Load and validate a checkpoint; every failure is one CheckpointError line."""
    path = Path(path)
    model_cfg, train_cfg = read_config(path)
    model = build_model(model_cfg)
    weights = _read_tensors(path / "model.safetensors", _weight_bytes(model))
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path.name}: weights do not match {with_article(model_cfg.model)} model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for key, tensor in weights.items():
        if tensor.shape != expected[key].shape:
            raise CheckpointError(
                f"{path.name}: weight {key} has shape {tuple(tensor.shape)}, "
                f"the config needs {tuple(expected[key].shape)}"
            )
        weights[key] = tensor = _as_float32(path, key, tensor)
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path.name}: weight {key} holds NaN or infinite values")
    model.load_state_dict(weights)
    model.to(device).eval()
    if with_optimizer and (path / "optimizer.safetensors").exists():
        try:
            moments = _read_tensors(path / "optimizer.safetensors", _weight_bytes(model, 3))
            load_optimizer_tensors(model.ensure_optimizers(), moments)
        except CheckpointError as exc:
            raise CheckpointError(f"{path.name}: {exc}") from None
    card = {}
    if (path / "card.json").exists() or (path / "card.json").is_symlink():
        card = _read_json(path / "card.json")
    names = _check_card(path, card, model_cfg.n_classes)
    codes, labels = _read_codes(path, model.latent_dim, len(names))
    return Checkpoint(path, model, train_cfg, card, codes, labels)


def read_card(path) -> dict:
    """A checkpoint's card.json ({} when it has none), read within the size and nesting
    limits, its epochs checked; no weights are loaded."""
    path = Path(path)
    _check_folder(path)
    card = {}
    if (path / "card.json").exists() or (path / "card.json").is_symlink():
        card = _read_json(path / "card.json")
    _check_epochs(path, card)
    return card


def epochs_done(path) -> int:
    """Completed epochs of a saved checkpoint, from its card (0 when it says nothing)."""
    return read_card(path).get("epochs", 0)


def _check_epochs(path: Path, card: dict) -> None:
    epochs = card.get("epochs", 0)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 0 <= epochs <= 10_000:
        raise CheckpointError(f"{path.name}: card.json's epochs must be a whole number "
                              f"from 0 to 10000")


def _check_card(path: Path, card: dict, n_classes: int) -> list[str]:
    """Check the card's fields that code reads (epochs, class_names); returns the class
    names the stored labels may index: the card's, else '0'..'9' or more (n_classes)."""
    _check_epochs(path, card)
    names = card.get("class_names")
    if names is None:  # held-out labels are the data set's (10 digits), not the clusters
        return [str(k) for k in range(max(n_classes, 10))]
    if not isinstance(names, list) or not 1 <= len(names) <= MAX_CLASS_NAMES or not all(
            isinstance(n, str) and len(n) <= MAX_CLASS_NAME_CHARS for n in names):
        raise CheckpointError(f"{path.name}: card.json's class_names must be a list of 1 to "
                              f"{MAX_CLASS_NAMES} names of at most {MAX_CLASS_NAME_CHARS} "
                              f"characters")
    return names


def _read_codes(path: Path, latent_dim: int, n_labels: int):
    """Up to MAX_STORED_CODES held-out codes (N, d) float32 and labels (N,) int64, checked:
    finite codes of the latent size, labels naming a class. None, None when there are none."""
    file = path / "codes.safetensors"
    if not file.exists() and not file.is_symlink():
        return None, None
    _regular_file(file, 1 << 40)  # any size: only the first codes are read
    bad = CheckpointError(f"{path.name}: codes.safetensors is malformed")
    try:
        with safe_open(str(file), framework="pt") as f:
            if set(f.keys()) != {"codes", "labels"}:
                raise bad
            codes_view, labels_view = f.get_slice("codes"), f.get_slice("labels")
            shape = codes_view.get_shape()
            if len(shape) != 2 or labels_view.get_shape() != shape[:1]:
                raise bad
            n = min(shape[0], MAX_STORED_CODES)
            codes, labels = codes_view[:n], labels_view[:n]
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(f"{path.name}: codes.safetensors is not a valid safetensors file "
                              f"(corrupt, truncated or another format): "
                              f"{str(exc).splitlines()[0][:200]}") from None
    if shape[1] != latent_dim:
        raise CheckpointError(f"{path.name}: stored codes do not match the latent size")
    if n == 0:
        return None, None
    if not codes.is_floating_point() or labels.is_floating_point() or labels.is_complex() \
            or labels.dtype == torch.bool:
        raise CheckpointError(f"{path.name}: stored codes must be floats and labels integers")
    codes, labels = codes.to(torch.float32), labels.to(torch.int64)
    if not torch.isfinite(codes).all():
        raise CheckpointError(f"{path.name}: stored codes hold NaN or infinite values")
    if int(labels.min()) < 0 or int(labels.max()) >= n_labels:
        raise CheckpointError(f"{path.name}: stored labels must be from 0 to {n_labels - 1}, "
                              f"found {int(labels.min())}..{int(labels.max())}")
    return codes, labels


def list_checkpoints(*roots) -> list[Path]:
    """Checkpoint folders (those holding a config.json) directly under the given roots."""
    found = []
    for root in roots:
        root = Path(root)
        if root.is_dir():
            found += sorted(p for p in root.iterdir()
                            if p.is_dir() and not p.name.startswith(".")
                            and (p / "config.json").exists())
    return found


def finite_metrics(metrics: dict) -> dict:
    """Drop non-finite floats so a card stays valid JSON."""
    return {k: v for k, v in metrics.items()
            if not isinstance(v, float) or math.isfinite(v)}


# --- a checkpoint as bytes (sent between machines, e.g. back from a Ray worker) -------------
_FILE_NAME = re.compile(r"^[a-z_]+\.(json|safetensors)$")
#: Every file a checkpoint folder may hold (what save_checkpoint writes).
CHECKPOINT_FILES = frozenset({"config.json", "card.json", "model.safetensors",
                              "optimizer.safetensors", "codes.safetensors"})


def read_checkpoint_files(path, *, newer_than=None) -> tuple[tuple | None, dict | None]:
    """(version, {file name: bytes}) of the checkpoint folder at `path`, or (None, None) when
    there is none; the files are None when the version equals `newer_than`. The version
    changes with every save (card.json's inode and mtime): a save that lands while reading
    is caught by reading again."""
    card = Path(path) / "card.json"
    for _ in range(5):
        try:
            st = card.stat()
            version = (st.st_ino, st.st_mtime_ns)
            if version == newer_than:
                return version, None
            files = {p.name: p.read_bytes() for p in Path(path).iterdir()
                     if _FILE_NAME.match(p.name) and p.is_file() and not p.is_symlink()}
            st = card.stat()
        except FileNotFoundError:  # not saved yet, or swapped by a save: look again
            time.sleep(0.05)
            continue
        if (st.st_ino, st.st_mtime_ns) == version:
            return version, files
    return None, None


def write_checkpoint_files(path, files: dict[str, bytes]) -> Path:
    """Write a checkpoint received as bytes, atomically like save_checkpoint (the previous
    one at `path` stays until the new one is complete). Only checkpoint file names
    (lower-case .json/.safetensors) are accepted."""
    path = Path(path)
    check_name(path.name)
    bad = [n for n in files if not _FILE_NAME.match(n)]
    if bad or "config.json" not in files:
        raise CheckpointError(f"refusing checkpoint files for {path.name}: "
                              f"{', '.join(bad) or 'config.json is missing'}")
    tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        _replace_dir(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WriteError(f"cannot write the checkpoint to {path}: {why_not_written(exc)}") from exc
    return path
