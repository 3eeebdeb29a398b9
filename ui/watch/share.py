"""The lecturer's broadcast on the Watch page (aae_core/watch/broadcast.py): the owner's
"Share with the class" popover (the link and its QR code), and the read-only view a
student's link (?watch=TOKEN) opens.

A viewer's tab holds no model: its fragment reads the shared session's packets it has not
been sent and hands them to the same component as the owner's (docs/ARCHITECTURE.md,
"The lecturer's broadcast").
"""

from __future__ import annotations

import io
import uuid
from urllib.parse import urlencode, urlparse, urlunparse

import streamlit as st
from streamlit.errors import StreamlitAPIException

from aae_core.errors import AAEError
from aae_core.watch.broadcast import REGISTRY, view_period_s
from aae_core.watch.session import WatchSession
from ui import url_state
from ui.plain_text import plain
from ui.watch.component import watch_component

PARAM = "watch"  # ?watch=TOKEN: a shared run, read-only
# a viewer is sent one training packet in two (~6 a second on a CPU; the browser tweens
# between them), each bare (the still parts come once a call): a fifth of the bytes of the
# lecturer's own view, for each of many viewers
VIEW_EVERY = 2
PAGE = "pages/6_Watch_it_learn.py"


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


def _on_share(session: WatchSession) -> None:
    try:
        if st.session_state["watch_share"]:
            REGISTRY.share(session)
        else:
            REGISTRY.stop(session)
    except AAEError as exc:
        st.session_state["watch_share"] = False
        st.session_state["_watch_share_problem"] = str(exc)


def share_popover(session: WatchSession, where) -> None:
    """The owner's switch to share the run, with the link and a QR code for the room."""
    shared = REGISTRY.of(session)
    st.session_state["watch_share"] = shared is not None
    with where.popover("Share with the class", icon=":material/qr_code_2:",
                       width="stretch"):
        st.toggle("Share this run, read-only", key="watch_share", on_change=_on_share,
                  args=(session,), help="Students open the link and watch this run live on "
                  "their own screens while you step, change the prior or paint one. They "
                  "cannot change it; it trains once however many watch.")
        problem = st.session_state.pop("_watch_share_problem", None)
        if problem:
            st.warning(plain(problem), icon=":material/warning:")
        if shared is not None:
            url = link_for(shared.token)
            st.image(qr_png(url), width=320)
            st.code(url, language=None)
            st.caption(f"{len(shared.viewers)} watching. Sharing stops when you switch it "
                       "off or close this tab.")


def _own_run_link(label: str) -> None:
    """A link to this page without ?watch= (a run of the student's own)."""
    try:
        st.page_link(PAGE, label=label, icon=":material/play_arrow:")
    except StreamlitAPIException:  # the page run on its own (AppTest): no page registry
        st.markdown(f"[{label}](Watch_it_learn)")


def _leave(entry: tuple[str, str]) -> None:
    REGISTRY.leave(*entry)


@st.cache_resource(scope="session", max_entries=1, on_release=_leave, show_spinner=False)
def _viewing(token: str, viewer: str) -> tuple[str, str]:
    """Counts this tab in as a viewer of `token` until the tab closes (then _leave)."""
    REGISTRY.join(token, viewer)
    return token, viewer


def viewer(token: str, present: bool) -> None:
    """The read-only view of the run shared as `token`; what went wrong, said plainly."""
    me = st.session_state.setdefault("_watch_viewer_id", uuid.uuid4().hex)
    try:
        _viewing(token, me)
        broadcast = REGISTRY.join(token, me)  # (again: a cached entry may be stale)
    except AAEError as exc:
        _viewing.clear()
        st.warning(plain(str(exc)) + ".", icon=":material/link_off:")
        _own_run_link("Start a run of my own instead")
        return
    with st.container(key="present_hide_viewer_note"):
        st.info("You are watching the lecturer's run, live and read-only: it moves when the "
                "lecturer plays, steps a phase or changes the prior.", icon=":material/cast:")
        _own_run_link("Start a run of my own instead (it is yours to control)")

    period = view_period_s(len(broadcast.viewers))

    @st.fragment(run_every=period)
    def view() -> None:
        if not broadcast.live or REGISTRY.of(broadcast.session) is None:
            st.info("The lecturer's run is not shared any more (sharing was switched off or "
                    "the lecturer's tab closed).", icon=":material/cast:")
            return
        if view_period_s(len(broadcast.viewers), period) != period:
            st.rerun(scope="app")  # the room grew or emptied: the fragment's new interval
        watch_component(key="watch_shared_view", session=broadcast.session, paint=False,
                        present=present, on_painted=lambda: None, every=VIEW_EVERY,
                        bare=True)

    view()
