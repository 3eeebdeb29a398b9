"""Where checkpoints live: the shipped ones (read-only) and the user's own runs.

The app only ever names checkpoints (never takes a path from a user): `resolve` maps a
name to a folder inside one of these roots, refusing anything else.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import AAEError, CheckpointError
from aae_core.store.checkpoints import check_name, list_checkpoints, read_config, recover_root

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def shipped_dir() -> Path:
    return Path(os.environ.get("AAE_SHIPPED_DIR", PROJECT_ROOT / "checkpoints"))


def runs_dir() -> Path:
    """The user's trained models: $AAE_RUNS_DIR or <project>/runs."""
    return Path(os.environ.get("AAE_RUNS_DIR", PROJECT_ROOT / "runs"))


@dataclass(frozen=True)
class Entry:
    name: str  # unique: shipped names as they are, runs as "runs/<name>"
    path: Path
    source: str  # "shipped" | "runs"
    config: ModelConfig | None
    train: TrainConfig | None
    problem: str = ""  # why it cannot be opened (shown, never raised)

    @property
    def label(self) -> str:
        if self.config is None:
            return f"{self.name} (unreadable)"
        c = self.config
        where = "" if self.source == "shipped" else " · yours"
        return f"{self.name} — {c.model}, {c.prior.name} prior, {c.latent_dim}-D{where}"


RECOVER_EVERY_S = 60.0  # how often entries() looks for what killed writers left
_last_recovery = {"at": -RECOVER_EVERY_S}


def recover(*, force: bool = False) -> None:
    """Finish saves a killed process left half-renamed and remove stale temporary folders
    in both roots (checkpoints.recover_root), as the CLI does: at the app's start and at
    most once a minute after that."""
    now = time.monotonic()
    if force or now - _last_recovery["at"] >= RECOVER_EVERY_S:
        _last_recovery["at"] = now
        for root in (shipped_dir(), runs_dir()):
            recover_root(root)


def entries() -> list[Entry]:
    """Every checkpoint in both roots, readable or not (unreadable ones carry `problem`)."""
    recover()
    out = []
    for source, root in (("shipped", shipped_dir()), ("runs", runs_dir())):
        for path in list_checkpoints(root):
            name = path.name if source == "shipped" else f"runs/{path.name}"
            cfg, train, problem = _config_of(path)
            out.append(Entry(name, path, source, cfg, train, problem))
    return out


_CONFIGS: dict[Path, tuple] = {}  # folder -> (config.json's stat key, cfg, train, problem)
_CONFIGS_MAX = 512


def _config_of(path: Path) -> tuple[ModelConfig | None, TrainConfig | None, str]:
    """read_config, remembered while config.json is unchanged: every page lists the
    checkpoints on every rerun of every session, and parsing and validating each config
    each time was a tenth of an Explore rerun."""
    try:
        info = os.lstat(path / "config.json")
        key = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_mode)
    except OSError:
        key = None
    hit = _CONFIGS.get(path)
    if key is not None and hit is not None and hit[0] == key:
        return hit[1:]
    try:
        cfg, train = read_config(path)
        result = (cfg, train, "")
    except AAEError as exc:
        result = (None, None, str(exc))
    if key is not None:
        if len(_CONFIGS) >= _CONFIGS_MAX:
            _CONFIGS.pop(next(iter(_CONFIGS)))
        _CONFIGS[path] = (key, *result)
    return result


def resolve(name: str) -> Path:
    """A checkpoint name from the UI or a URL -> its folder, only inside the two roots."""
    if not isinstance(name, str):
        raise CheckpointError("a checkpoint name must be text")
    source, _, leaf = name.rpartition("/")
    if source not in ("", "runs"):
        raise CheckpointError(f"bad checkpoint name {name!r}")
    check_name(leaf)
    root = runs_dir() if source == "runs" else shipped_dir()
    path = (root / leaf).resolve()
    if path.parent != root.resolve() or not (path / "config.json").is_file():
        raise CheckpointError(f"no checkpoint named {name!r}")
    return path


def resolve_run(name_or_folder) -> Path:
    """One of the user's saved runs, by its name or its folder (which must lie directly in
    runs_dir()); anything else is "no saved run named ...". """
    given = Path(name_or_folder)
    leaf = given.name
    root = runs_dir().resolve()
    try:
        if len(given.parts) > 1 and given.resolve().parent != root:
            raise CheckpointError(leaf)
        return resolve(f"runs/{leaf}")
    except (CheckpointError, OSError, ValueError):
        raise CheckpointError(f"no saved run named {leaf!r} in {root}") from None
