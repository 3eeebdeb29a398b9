"""Where the project keeps what it can rebuild, and how it tells a folder changed.

Torch-free on purpose: a fresh app server reads its caches before torch has loaded.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The shipped checkpoint (checkpoints/<name>) the app opens when nothing else is asked
#: for: Home's picture and picker, Explore, and the benchmarks that load one model. Here,
#: torch-free, because Explore's first paint needs it before torch has loaded.
DEFAULT_MODEL = "aae-mixture"


def default_cache_dir() -> Path:
    """$AAE_CACHE_DIR if set, else ~/.cache/aae-latent-explorer."""
    env = os.environ.get("AAE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "aae-latent-explorer"


def folder_stamp(path: Path) -> float:
    """The newest modification time of a folder's files (0.0 when unreadable): a retrained
    or replaced checkpoint gets a new stamp, so whatever was derived from it is rebuilt."""
    try:
        return max(p.stat().st_mtime for p in Path(path).iterdir())
    except (OSError, ValueError):
        return 0.0
