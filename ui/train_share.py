"""The lecturer's broadcast on the Train page (aae_core/broadcast.py, ui/share.py): the tab
that started a run shares it, running or finished, with the same popover as Watch it learn;
a student's link (?watch=TOKEN) opens its progress read-only: the status line, the losses,
the live latent map and the decoded samples the owner sees, and no controls.

The share belongs to the tab that switched it on (a SharedRun, released with the tab), not
to the run: the run goes on training when that tab closes, its viewers are told the run is
not shared any more. A viewer costs the server what it is sent: the charts of a shared run
are built once every CHARTS_EVERY_S for all its viewers (_shared_figures), its status line
is a copy of the run's Progress (docs/ARCHITECTURE.md, "The lecturer's broadcast").
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from aae_core.broadcast import MAX_BROADCASTS, view_period_s
from aae_core.training.runs import ServerRun
from ui import share
from ui import train_views as views

KIND = "train"
PAGE = "pages/5_Train.py"


class SharedRun:
    """A Train run as one tab shares it: the broadcast's source, closed when that tab goes
    (or when the tab has shared more than MAX_BROADCASTS runs: its oldest share ends)."""

    def __init__(self, run: ServerRun):
        self.run = run
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()


def _close(shared: SharedRun) -> None:
    shared.close()


@st.cache_resource(scope="session", max_entries=MAX_BROADCASTS, on_release=_close,
                   show_spinner=False)
def _shared_run(name: str, started_at: float, _run: ServerRun) -> SharedRun:
    """This tab's share of the run `name` (started at `started_at`: a later run of the same
    name is another); released, and so closed, when the tab closes."""
    return SharedRun(_run)


def share_popover(owner: str, run: ServerRun, where) -> None:
    """The owner's switch to share `run`, with the link and a QR code, under `where` (the
    tab that started it, or took it over, only; a queued run has nothing to show yet)."""
    if run.owner != owner or run.queued:
        return
    source = _shared_run(run.name, run.started_at, run)
    with where:
        box = st.columns([2, 3])[0]
    share.share_popover(source, KIND, box, key="train_share", what=(
        "Students open the link and follow this run live on their own screens: its "
        "progress, losses and latent map. They cannot pause or stop it; it trains once "
        "however many watch."))


@st.cache_resource(max_entries=2 * MAX_BROADCASTS, show_spinner=False)
def _shared_figures(name: str, started_at: float, stamp: int, _run: ServerRun):
    """The charts of a shared run as of time slot `stamp` (CHARTS_EVERY_S long): built by
    the first viewer to ask in that slot, handed to every other one (never changed after)."""
    return views.chart_parts(_run, _run.progress())


def _charts(run: ServerRun) -> None:
    stamp = int(time.time() // views.CHARTS_EVERY_S)
    views.show_charts(run, _shared_figures(run.name, run.started_at, stamp, run))


def viewer(token: str, present: bool) -> None:
    """The read-only view of the Train run shared as `token`; what went wrong, said
    plainly."""
    broadcast = share.join(token, KIND, page=PAGE, own_label="Train a model of my own instead")
    if broadcast is None:
        return
    run = broadcast.source.run
    with st.container(key="present_hide_viewer_note"):
        st.info("You are following the lecturer's training run, live and read-only.",
                icon=":material/cast:")
        share.own_run_link(PAGE, "Train a model of my own instead")
    period = view_period_s(len(broadcast.viewers))
    polling = run.alive

    @st.fragment(run_every=period)
    def status() -> None:  # polls while shared, so that the end of the share is told
        if not share.still_shared(broadcast):
            return
        if view_period_s(len(broadcast.viewers), period) != period or \
                (polling and not run.alive):
            st.rerun(scope="app")  # a new interval, or the run ended: its final charts
        views.status_parts(None, run, run.progress())

    @st.fragment(run_every=views.CHARTS_EVERY_S if polling else None)
    def live_charts() -> None:
        if share.is_shared(broadcast):  # else the status line says it is not any more
            _charts(run)

    left, right = st.columns([1, 2], gap="large") if present else (st.container(),) * 2
    with left:
        status()
    with right:
        live_charts()
