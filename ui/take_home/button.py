"""Explore's "Download as a web page" button (the one streamlit part of ui/take_home).

The page is built only when the button is clicked (Streamlit calls `data` then, on its own
thread), so showing the button costs nothing. Built pages are kept per checkpoint version,
and one recorded Watch run serves every page of this server process (recording trains a
2-D AAE for a few seconds); both caches are bounded and guarded by a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from aae_core.errors import AAEError
from aae_core.store.checkpoints import load_checkpoint
from aae_core.watch.recording import record_run
from aae_core.web.take_home.build import MAX_PAGE_BYTES, build_take_home

PAGES_KEPT = 4  # built pages kept (a few MB each)
RECORDED_STEPS, RECORDED_FRAMES = 300, 40

_lock = threading.Lock()
_pages: OrderedDict[tuple[str, float], bytes] = OrderedDict()
_recording: list[dict | None] = []  # [] until recorded once; [None] if it could not be


def _watch_recording() -> dict | None:
    """The server's recorded Watch run (recorded on first use); None when no Watch session
    can start now (the server's watched-model limit): the page then has no replay."""
    if not _recording:
        try:
            _recording.append(record_run(RECORDED_STEPS, RECORDED_FRAMES))
        except AAEError:
            return None
    return _recording[0]


def take_home_bytes(folder: str, stamp: float, title: str) -> bytes:
    """The take-home page of the checkpoint in `folder` (its version: `stamp`)."""
    with _lock:
        key = (folder, stamp)
        if key not in _pages:
            page = build_take_home(load_checkpoint(folder), title=title,
                                   recording=_watch_recording())
            _pages[key] = page.html.encode("utf-8")
            while len(_pages) > PAGES_KEPT:
                _pages.popitem(last=False)
        _pages.move_to_end(key)
        return _pages[key]


def decoder_fits(model) -> bool:
    """Whether the decoder's weights (base64 float32) leave room in a take-home page."""
    weights = sum(p.numel() for p in model.decoder.parameters())
    return weights * 4 * 4 / 3 < MAX_PAGE_BYTES * 0.85


def take_home_button(model, name: str, folder: str, stamp: float) -> None:
    """The download button for the checkpoint `name` (shown as text, never markup)."""
    fits = decoder_fits(model)
    st.download_button(
        "Download as a web page", data=lambda: take_home_bytes(folder, stamp, name),
        file_name=f"{name.replace('/', '-')}-take-home.html", mime="text/html",
        key=f"take_home::{name}", icon=":material/download:", on_click="ignore",
        disabled=not fits,
        help="One HTML file to keep: the pad, prior samples, the interpolation strip and a "
             "recorded Watch it learn run. It opens from disk on a laptop or a phone, with "
             "no server and no network." if fits else
             "This model's decoder is too large for a take-home page of a few MB.")
