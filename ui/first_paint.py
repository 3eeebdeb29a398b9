"""A fresh server draws the Explore map before torch has loaded.

Where a cold start went (bench/cold_start.py, quiet 2-core machine): Streamlit's own start
and the browser's page about 5 s, as for a bare app; then `import torch` about 2.5 s, then
the checkpoint, the payloads and the map. The map needs no torch: the pad decodes in the
browser. So the Explore page keeps, per model, the pad's arguments as it first drew them
(decoder weights, codes, bounds, legend, prior background) in a JSON file in the cache
folder, tied to the checkpoint's file times. A page run that starts before torch is
imported (the first one of a server) draws the controls and the pad from that file, then
loads the rest and reruns once: the rerun draws the same controls and pad in the same
places, so the browser keeps them, now with the rest of the page.

Only what needs nothing else is drawn early: a 2-D model without a label input, a link
with no state beyond model, view and presentation, a view with one marker. Anything else
takes the page's normal path.

`remember` and `recall` keep any JSON-able value per checkpoint, in a folder of its own
(`room`): AAE vs VAE keeps its measured numbers the same way (ui/compare_views.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import streamlit as st

from aae_core.paths import default_cache_dir, folder_stamp
from ui import url_state

FOLDER = "first-paint"
VERSION = 2
KEEP = 32  # files kept (one per model; the oldest go): at most ~50 MB for 2-D decoders
MAX_BYTES = 16 * 2**20  # a larger file is not read (the pad's payload is ~1.5 MB)
EARLY_PARAMS = {"model", "view", "present"}  # a link with more takes the normal path
EARLY_VIEWS = {"manifold", "sample", "draw"}  # one marker (Interpolate has two ends)


_kept: set[tuple[str, float]] = set()  # (file, stamp) written by this process


def cold() -> bool:
    """True until this server process has imported torch (its first page run)."""
    return "torch" not in sys.modules


def _file(name: str, room: str = FOLDER) -> Path:
    digest = hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:24]
    return default_cache_dir() / room / f"{digest}.json"


def eligible(latent_dim: int, cond_dim: int) -> bool:
    """A model whose map can be drawn with nothing else known: 2-D, no label input."""
    return latent_dim == 2 and cond_dim == 0


def remember(name: str, folder: Path, value: dict, stamp: float | None = None, *,
             room: str = FOLDER) -> None:
    """Keep `value` (JSON-able: the pad's arguments, payload dicts, lists, numbers) for
    `name`'s checkpoint in `folder` (`stamp`: its folder_stamp, when the caller has it
    already), unless it is kept already. Never raises: a cache that cannot be written only
    costs the next cold start its head start."""
    path = _file(name, room)
    stamp = folder_stamp(folder) if stamp is None else stamp
    if (str(path), stamp) in _kept:
        return
    _kept.add((str(path), stamp))  # once per process: the page calls this on every run
    try:
        if path.exists() and json.loads(path.read_text()).get("stamp") == stamp:
            return
    except (OSError, ValueError, AttributeError):
        pass
    record = {"v": VERSION, "name": name, "folder": str(folder), "stamp": stamp, "value": value}
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            json.dump(record, out, separators=(",", ":"))
        os.replace(tmp, path)
        tmp = None
        _prune(path.parent)
    except (OSError, TypeError, ValueError):
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Keep the KEEP most recently written files; drop temporary files a killed server
    left (older than an hour: a live write takes well under a second)."""
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
    for stray in folder.glob("*.tmp"):
        if time.time() - stray.stat().st_mtime > 3600:
            stray.unlink(missing_ok=True)


def recall(name: str, *, room: str = FOLDER) -> dict | None:
    """The value kept for `name` (the pad's arguments, by default), or None when absent,
    stale (the checkpoint's files changed since) or unreadable."""
    path = _file(name, room)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        record = json.loads(path.read_text())
        if record.get("v") != VERSION or record.get("name") != name:
            return None
        if record.get("stamp") != folder_stamp(Path(record["folder"])):
            return None
        value = record["value"]
        return value if isinstance(value, dict) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def explore(default_model: str) -> None:
    """On a cold server only: the Explore page's view controls and map from the cache, then
    torch and the page's modules load and the page reruns (see the module's docstring).
    Returns without drawing anything when the early map cannot be the page's own."""
    if not cold():
        return
    params = url_state.current()
    if set(params) - EARLY_PARAMS or params.get("view", "manifold") not in EARLY_VIEWS:
        return
    name = params.get("model", default_model)
    pad = recall(name)
    if pad is None:
        return
    from ui.explore_controls import pad_look, view_controls
    from ui.pad import latent_pad

    _, present = view_controls(params.get("view"))
    # In a fragment, as on the page: the same place in the page, so the browser keeps it.
    st.fragment(lambda: latent_pad(key=f"pad::{name}", **pad, **pad_look(present)))()
    import ui.explore_views  # noqa: F401  (torch and the page's modules, while the map shows)
    import ui.loaders  # noqa: F401

    st.rerun()
