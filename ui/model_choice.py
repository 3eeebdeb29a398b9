"""The model in view: one choice shared by every page, the sidebar pickers and the URL.

- `st.session_state["model"]` (MODEL_KEY) is the single source of truth. It changes only
  when the user picks a model (any page's picker), opens a link naming one (?model=...,
  also what page links such as Home's "Drag through its latent space" carry), or when the
  model it names disappears.
- Each page's picker is a selectbox with its own widget key, set from the shared choice
  before it is drawn, so it always names the model the page shows. A page that cannot show
  the shared model (Style vs Label needs a style model) shows a fitting one and leaves the
  shared choice alone, so going back to Explore shows what the user last chose.
- The URL: a `model` parameter is read when it is new (a link was opened); every page
  writes the model it shows, and that value counts as seen, so a stale parameter never
  overrides a later choice.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from aae_core.store import catalog
from ui import url_state
from ui.plain_text import plain

MODEL_KEY = "model"
_LINK = url_state.PageLink("model", ("model",))  # ?model=, shared by every page


def _readable() -> list[catalog.Entry]:
    return [e for e in catalog.entries() if e.config is not None]


def choose(name: str) -> None:
    """Make `name` the model in view (a picker's on_change, a button)."""
    st.session_state[MODEL_KEY] = name


def read_link(readable: list[str]) -> str | None:
    """Adopt a new ?model= from the URL; returns the asked name when it is not here."""
    asked = _LINK.params().get("model")
    if not asked or not _LINK.is_new():
        return None
    _LINK.seen()
    if asked in readable:
        choose(asked)
        return None
    return asked


def write_link(name: str) -> None:
    """Put the shown model in the URL (a shareable link), and remember it as seen."""
    _LINK.write({"model": name})


def pick_model(label: str = "Model", *, key: str, accept: Callable | None = None,
               default: str | None = None, in_url: bool = True, where=None) -> str | None:
    """A selectbox over readable checkpoints (those `accept(entry)` allows) that names the
    model in view; returns the shown name, or None when none fits.

    It shows the shared choice when it fits, else `default`, else the first fitting model.
    One message when a link named a model that is not here or the shared model vanished;
    none when the page's filter merely excludes it (e.g. another model kind was chosen).
    `where`: the container for the selectbox (st.sidebar); messages go to the current one.
    """
    readable = _readable()
    all_names = [e.name for e in readable]
    rejected = read_link(all_names)
    entries = [e for e in readable if accept is None or accept(e)]
    if not entries:
        return None
    names, labels = [e.name for e in entries], {e.name: e.label for e in entries}
    shared = st.session_state.get(MODEL_KEY)
    vanished = shared if shared is not None and shared not in all_names else None
    want = next(n for n in (shared, default, names[0]) if n in names)
    if st.session_state.get(key) not in names or st.session_state.get(key) != want and \
            shared in names:
        st.session_state[key] = want  # the picker follows the shared choice
    shown = st.session_state[key]
    if rejected is not None:
        st.warning(f"The link names a model that is not here ({plain(rejected, limit=60)}); "
                   f"showing {plain(shown)} instead.", icon=":material/link_off:")
    if vanished is not None:
        st.warning(f"{plain(vanished)} is no longer available (deleted or unreadable); "
                   f"showing {plain(shown)} instead.", icon=":material/delete:")
    if vanished is not None or shared is None or rejected is not None:
        choose(shown)
    name = (where or st).selectbox(label, names, key=key, format_func=labels.get,
                        on_change=lambda: choose(st.session_state[key]))
    if in_url:
        write_link(name)
    return name
