"""The Explore page <-> its URL (streamlit side of ui/url_state.py).

A link is read when the query differs from what this page last wrote (a link was opened,
or the page was entered with parameters); then its settings go to the widgets' session
keys once, rejected parameters leave the URL, and every later run writes the state back.
"""

from __future__ import annotations

import streamlit as st

from ui import url_state

_WRITTEN = "_explore_url_written"
_URL = "explore_url"
# session keys of the settings a link carries, per model: (url field, key prefix)
_SETTINGS = (("seed", "sample_seed"), ("lattice", "lattice_n"))
_ENDS = ("interp_a", "interp_b")
# URL keys each view owns (removed while another view is shown)
_VIEW_KEYS = {"sample": ("seed",), "manifold": ("n",), "interpolate": ("from", "to")}


def _snapshot() -> dict[str, str]:
    return {k: st.query_params.get(k) for k in url_state.KEYS if k in st.query_params}


def read(entries) -> url_state.UrlState:
    """The link's state: parsed anew when the URL changed under the page, else the last."""
    if _URL in st.session_state and _snapshot() == st.session_state.get(_WRITTEN):
        return st.session_state[_URL]
    url = url_state.parse(st.query_params, model_names=[e.name for e in entries],
                          latent_dims={e.name: e.config.latent_dim for e in entries},
                          fallback=st.session_state.get("model") or "aae-mixture")
    for key in url.rejected:  # a rejected parameter leaves the URL (it said why, once)
        del st.query_params[key]
    st.session_state[_URL] = url
    st.session_state[_WRITTEN] = _snapshot()
    return url


def apply(url: url_state.UrlState, name: str, n_held_out: int) -> None:
    """Put the link's seed, lattice size and interpolation ends into the views' session
    keys for model `name`, once per link."""
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


def write(params: dict[str, str]) -> None:
    """Update the URL with `params` and remember it as this page's own state."""
    st.query_params.update(params)
    st.session_state[_WRITTEN] = _snapshot()


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
    for other, keys in _VIEW_KEYS.items():
        if other != view:
            for key in keys:
                if key in st.query_params:
                    del st.query_params[key]
    write(params)
