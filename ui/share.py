"""The lecturer's broadcast, the Streamlit side every sharing page uses (aae_core/broadcast.py):
the owner's "Share with the class" popover (the switch, the link and its QR code), and a
student's tab counted in as a viewer of the link's run, or told plainly why it cannot be.

A page shares a source it already shows live (Watch it learn: its session, ui/watch/share.py;
Train: the run's share of the tab that started it, ui/train_share.py); a viewer's tab builds
nothing of its own, it reads what the source already holds (docs/ARCHITECTURE.md, "The
lecturer's broadcast").
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

import streamlit as st
from streamlit.errors import StreamlitAPIException

from aae_core.broadcast import REGISTRY, Broadcast, Source
from aae_core.errors import AAEError
from ui import url_state
from ui.plain_text import plain

PARAM = "watch"  # ?watch=TOKEN: a shared run, read-only (on the page that shared it)
NOT_SHARED = ("The lecturer's run is not shared any more (sharing was switched off or the "
              "lecturer's tab closed).")


def shared_token() -> str | None:
    """The token of the shared run a link asks for (?watch=), or None."""
    token = url_state.param(PARAM)
    return token[:64] if token else None


def link_for(token: str) -> str:
    """This page's address with ?watch=TOKEN (and nothing else) for the students."""
    here = urlparse(st.context.url or "")
    return urlunparse(here._replace(query=urlencode({PARAM: token}), fragment=""))


def qr_png(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def _on_share(key: str, source: Source, kind: str) -> None:
    try:
        if st.session_state[key]:
            REGISTRY.share(source, kind)
        else:
            REGISTRY.stop(source)
    except AAEError as exc:
        st.session_state[key] = False
        st.session_state[f"_{key}_problem"] = str(exc)


def share_popover(source: Source, kind: str, where, *, key: str, what: str) -> None:
    """The owner's switch to share `source` on the `kind` page, with the link and a QR code
    for the room; `what`: the switch's help (what the students see)."""
    shared = REGISTRY.of(source)
    st.session_state[key] = shared is not None
    # keyed: it stays open across the rerun its switch causes, even when the page above it
    # changed (a flash message gone)
    with where.popover("Share with the class", icon=":material/qr_code_2:",
                       width="stretch", key=f"{key}_popover"):
        st.toggle("Share this run, read-only", key=key, on_change=_on_share,
                  args=(key, source, kind), help=what)
        problem = st.session_state.pop(f"_{key}_problem", None)
        if problem:
            st.warning(plain(problem), icon=":material/warning:")
        if shared is not None:
            url = link_for(shared.token)
            st.image(qr_png(url), width=320)
            st.code(url, language=None)
            st.caption(f"{len(shared.viewers)} watching. Sharing stops when you switch it "
                       "off or close this tab.")


def own_run_link(page: str, label: str) -> None:
    """A link to `page` without ?watch= (a run of the student's own)."""
    try:
        st.page_link(page, label=label, icon=":material/play_arrow:")
    except StreamlitAPIException:  # the page run on its own (AppTest): no page registry
        url_path = Path(page).stem.split("_", 1)[-1]  # pages/5_Train.py -> Train
        st.markdown(f"[{label}]({url_path})")


def _leave(entry: tuple[str, str]) -> None:
    REGISTRY.leave(*entry)


@st.cache_resource(scope="session", max_entries=1, on_release=_leave, show_spinner=False)
def _viewing(token: str, viewer: str, kind: str) -> tuple[str, str]:
    """Counts this tab in as a viewer of `token` until the tab closes (then _leave)."""
    REGISTRY.join(token, viewer, kind)
    return token, viewer


def join(token: str, kind: str, *, page: str, own_label: str) -> Broadcast | None:
    """The broadcast `token` leads to on the `kind` page, with this tab counted in; None
    after saying plainly why not (with a link to a run of one's own on `page`)."""
    me = st.session_state.setdefault("_share_viewer_id", uuid.uuid4().hex)
    try:
        _viewing(token, me, kind)
        return REGISTRY.join(token, me, kind)  # (again: a cached entry may be stale)
    except AAEError as exc:
        _viewing.clear()
        st.warning(plain(str(exc)) + ".", icon=":material/link_off:")
        own_run_link(page, own_label)
        return None


def is_shared(broadcast: Broadcast) -> bool:
    """True while `broadcast` is live and still shared."""
    return broadcast.live and REGISTRY.of(broadcast.source) is broadcast


def still_shared(broadcast: Broadcast) -> bool:
    """True while `broadcast` is live and shared; else False, after saying so."""
    if is_shared(broadcast):
        return True
    st.info(NOT_SHARED, icon=":material/cast:")
    return False
