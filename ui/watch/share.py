"""The lecturer's broadcast on the Watch page (aae_core/broadcast.py, ui/share.py): the
owner's "Share with the class" popover for its session, and the read-only view a student's
link (?watch=TOKEN) opens.

A viewer's tab holds no model: its fragment reads the shared session's packets it has not
been sent and hands them to the same component as the owner's, bare (docs/ARCHITECTURE.md,
"The lecturer's broadcast").
"""

from __future__ import annotations

import streamlit as st

from aae_core.broadcast import view_period_s
from aae_core.watch.session import WatchSession
from ui import share
from ui.watch.component import watch_component

KIND = "watch"
# a viewer is sent one training packet in two (~6 a second on a CPU; the browser tweens
# between them), each bare (the still parts come once a call): less than half the bytes of
# the lecturer's own view, for each of many viewers
VIEW_EVERY = 2
PAGE = "pages/6_Watch_it_learn.py"


def share_popover(session: WatchSession, where) -> None:
    """The owner's switch to share the run, with the link and a QR code for the room."""
    share.share_popover(session, KIND, where, key="watch_share", what=(
        "Students open the link and watch this run live on their own screens while you "
        "step, change the prior or paint one. They cannot change it; it trains once however "
        "many watch."))


def viewer(token: str, present: bool) -> None:
    """The read-only view of the run shared as `token`; what went wrong, said plainly."""
    broadcast = share.join(token, KIND, page=PAGE, own_label="Start a run of my own instead")
    if broadcast is None:
        return
    with st.container(key="present_hide_viewer_note"):
        st.info("You are watching the lecturer's run, live and read-only: it moves when the "
                "lecturer plays, steps a phase or changes the prior.", icon=":material/cast:")
        share.own_run_link(PAGE, "Start a run of my own instead (it is yours to control)")
    period = view_period_s(len(broadcast.viewers))

    @st.fragment(run_every=period)
    def view() -> None:
        if not share.still_shared(broadcast):
            return
        if view_period_s(len(broadcast.viewers), period) != period:
            st.rerun(scope="app")  # the room grew or emptied: the fragment's new interval
        watch_component(key="watch_shared_view", session=broadcast.source, paint=False,
                        present=present, on_painted=lambda: None, every=VIEW_EVERY,
                        bare=True)

    view()
