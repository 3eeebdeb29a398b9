"""The Explore page's settings <-> its link, through ui/url_state.py (`parse`, `PageLink`).

A link is read when it is new (url_state.PageLink); then its settings go to the widgets'
session keys once, rejected parameters leave the URL, and every later run writes the state
back.
"""

from __future__ import annotations

import streamlit as st

from aae_core.paths import DEFAULT_MODEL
from ui import url_state
from ui.pad import pad_ends

_LINK = url_state.PageLink("explore", url_state.KEYS)
_URL = "explore_url"
# session keys of the settings a link carries, per model: (url field, key prefix)
_SETTINGS = (("seed", "sample_seed"), ("lattice", "lattice_n"))
_ENDS = ("interp_a", "interp_b")
# URL keys each view owns (removed while another view is shown)
_VIEW_KEYS = {"sample": ("seed",), "manifold": ("n",),
              "interpolate": ("from", "to", "a", "b")}
LINK_ENDS = "interp_link_ends"  # session key prefix: the link's end points, per model


def read(entries) -> url_state.UrlState:
    """The link's state: parsed anew when the URL changed under the page, else the last."""
    if _URL in st.session_state and not _LINK.is_new():
        return st.session_state[_URL]
    url = url_state.parse(_LINK.params(), model_names=[e.name for e in entries],
                          latent_dims={e.name: e.config.latent_dim for e in entries},
                          fallback=st.session_state.get("model") or DEFAULT_MODEL)
    _LINK.drop(*url.rejected)  # a rejected parameter leaves the URL (it said why, once)
    st.session_state[_URL] = url
    return url


def apply(url: url_state.UrlState, name: str, n_held_out: int) -> None:
    """Put the link's seed, lattice size and interpolation ends (held-out indices, and the
    points the ends were dragged to) into the views' session keys for model `name`, once
    per link."""
    if url.applied_to == name:
        return
    url.applied_to = name
    if url.model not in (None, name):
        return
    for field, prefix in _SETTINGS:
        value = getattr(url, field)
        if value is not None:
            st.session_state[f"{prefix}::{name}"] = value
    for end, prefix in zip(url.ends, _ENDS, strict=True):
        if end is None:
            continue
        if end < n_held_out:
            st.session_state[f"{prefix}::{name}"] = end
        else:
            url.problems.append(f"ignored interpolation end {end}: this model has "
                                f"{n_held_out:,} held-out digits")
    if any(p is not None for p in url.end_z):
        st.session_state[f"{LINK_ENDS}::{name}"] = list(url.end_z)


def write(params: dict[str, str]) -> None:
    """Update the URL with `params` and remember it as this page's own state."""
    _LINK.write(params)


def write_view(view: str | None, name: str) -> None:
    """The shown view and its settings (sample seed, lattice size, interpolation ends)."""
    params = {"view": view} if view else {}
    if view == "sample" and f"sample_seed::{name}" in st.session_state:
        params["seed"] = str(st.session_state[f"sample_seed::{name}"])
    if view == "manifold" and f"lattice_n::{name}" in st.session_state:
        params["n"] = str(st.session_state[f"lattice_n::{name}"])
    if view == "interpolate":
        for key, prefix in zip(("from", "to"), _ENDS, strict=True):
            if f"{prefix}::{name}" in st.session_state:
                params[key] = str(st.session_state[f"{prefix}::{name}"])
        for key, end in zip(("a", "b"), pad_ends(f"pad::{name}") or (), strict=False):
            params[key] = url_state.format_z(end)  # where the ends are, dragged or not
    for other, keys in _VIEW_KEYS.items():
        if other != view:
            _LINK.drop(*keys)
    write(params)
