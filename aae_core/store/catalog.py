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
from aae_core.store.checkpoints import (
    CHECKPOINT_FILES,
    check_name,
    list_checkpoints,
    read_card,
    read_config,
    recover_root,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: card.json's "made_by" of the runs the app itself trained (the Train page's): the only
#: checkpoints the app offers to delete.
APP_MADE = "aae-latent-explorer app"
MAX_USAGE_FILES = 100_000  # files counted by runs_usage_bytes (a bound on its walk)


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


def runs_usage_bytes() -> int:
    """Bytes of every file under runs_dir() (links not followed; at most MAX_USAGE_FILES
    files are counted, so a folder of millions cannot stall a page)."""
    total, seen = 0, 0
    for folder, dirs, files in os.walk(runs_dir()):
        for name in files:
            seen += 1
            if seen > MAX_USAGE_FILES:
                return total
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:  # removed while we looked
                continue
            total += info.st_size
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return total


def folder_bytes(path: Path) -> int:
    """Bytes of the plain files directly in `path` (a checkpoint folder)."""
    total = 0
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total


def app_made(path: Path) -> bool:
    """Whether the checkpoint at `path` is one the app trained (its card says so)."""
    try:
        return read_card(path).get("made_by") == APP_MADE
    except AAEError:
        return False


def app_runs() -> list[Entry]:
    """The user's runs that the app itself trained, readable or not, oldest name first."""
    return [e for e in entries() if e.source == "runs" and app_made(e.path)]


def delete_app_run(name: str) -> int:
    """Delete the saved run `name` (runs/<name>), which the app must have trained; returns
    the bytes freed. Only a checkpoint's own plain files are removed, then its folder: a
    folder holding anything else (a file of the user's, a link, a subfolder) is left whole
    and refused, as are shipped checkpoints, command-line runs and any other path."""
    path = resolve_run(name)
    if not app_made(path):
        raise CheckpointError(f"runs/{path.name} was not trained by this app (no app mark on "
                              "its card); delete it yourself if you mean to")
    others = sorted(e.name for e in os.scandir(path)
                    if e.name not in CHECKPOINT_FILES or not e.is_file(follow_symlinks=False))
    if others:
        raise CheckpointError(f"runs/{path.name} holds other things too "
                              f"({', '.join(others[:3])}); nothing was deleted")
    freed = folder_bytes(path)
    for file_name in CHECKPOINT_FILES:
        (path / file_name).unlink(missing_ok=True)
    try:
        path.rmdir()
    except OSError as exc:  # something was written into it meanwhile: it stays
        raise CheckpointError(f"runs/{path.name}: its checkpoint files were deleted, but the "
                              f"folder was not ({exc.strerror or exc})") from None
    _CONFIGS.pop(path, None)
    return freed
