"""Streamlit-side cached loaders: checkpoints, browser payloads, held-out data.

Models are cached as resources (shared, never mutated: eval mode, no training in place);
a checkpoint's folder mtime is part of the key, so a retrained model is picked up.
"""

from __future__ import annotations

import streamlit as st

from aae_core.paths import folder_stamp
from aae_core.store import catalog
from aae_core.store.checkpoints import Checkpoint, load_checkpoint
from aae_core.web.pad.payload import decoder_payload, points_payload
from ui.model_choice import pick_model  # noqa: F401  (pages import it from here)


@st.cache_resource(max_entries=24, show_spinner=False)
def load_at(path: str, stamp: float) -> Checkpoint:
    """The checkpoint in folder `path`, cached per (path, stamp): cache_key(name)'s pair, so
    a cached result keyed by the same pair can reopen its model."""
    return load_checkpoint(path)


def open_checkpoint(name: str) -> Checkpoint:
    """A checkpoint by catalogue name; raises AAEError with one clear line."""
    path = catalog.resolve(name)
    return load_at(str(path), folder_stamp(path))


@st.cache_data(max_entries=24, show_spinner=False)
def _payload(path: str, stamp: float) -> dict:
    model = load_at(path, stamp).model
    return decoder_payload(model.decoder.layers(), latent_dim=model.latent_dim,
                           cond_dim=model.cond_dim)


def pad_payload(name: str) -> dict:
    """The decoder weights for the browser, built once per model."""
    path = catalog.resolve(name)
    return _payload(str(path), folder_stamp(path))


@st.cache_data(max_entries=24, show_spinner=False)
def _points(path: str, stamp: float, dims: tuple[int, int]) -> dict | None:
    ckpt = load_at(path, stamp)
    if ckpt.codes is None:
        return None
    codes = ckpt.codes.numpy()[:, list(dims)]
    return points_payload(codes, ckpt.labels.numpy())


def pad_points(name: str, dims=(0, 1)) -> dict | None:
    path = catalog.resolve(name)
    return _points(str(path), folder_stamp(path), tuple(dims))


def model_entries() -> list[catalog.Entry]:
    """Every checkpoint, shipped first, then the user's runs (a fresh listing each run:
    a model trained on the Train page appears at once)."""
    return catalog.entries()


def cache_key(name: str) -> tuple[str, float]:
    """(folder, newest file mtime) of a checkpoint: the key for st.cache_data results that
    depend on it, so a retrained model is measured again."""
    path = catalog.resolve(name)
    return str(path), folder_stamp(path)
