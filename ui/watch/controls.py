"""The Watch page's Streamlit side: the session per tab, the controls, the live fragment.

A tab owns one WatchSession (st.cache_resource, scope="session"): when the tab closes, the
session's thread stops and the models are dropped (a watched run is a demonstration,
nothing is saved). The session trains, so it holds one of the server's training places
(the run service's budget, shared with the Train page's runs) while it lives. Widgets call
the session's controls in on_click/on_change callbacks;
the live view is a fragment that reruns every FRAGMENT_PERIOD_S while the model plays.
"""

from __future__ import annotations

import uuid

import streamlit as st

from aae_core.data import available
from aae_core.device import cpu_threads
from aae_core.errors import AAEError
from aae_core.training.runs import BusyError
from aae_core.watch import (
    DATASETS,
    PHASES,
    SPEEDS,
    PaintedPrior,
    WatchConfig,
    WatchSession,
    mask_from_b64,
)
from ui.plain_text import plain
from ui.run_service import SERVICE
from ui.watch.component import watch_component

# A fragment run (a script rerun plus a browser render) costs the training far more than a
# packet: one a second carries the ~12 packets built since (12 a second on a CPU), and the
# browser plays them one by one, so updates shown a second = packets built a second.
# (bench/watch_learn.py: every 0.5 s, training watched ran at 0.71-0.78x unwatched; every
# 1 s, 0.90x, with the same 11-12 updates a second; the view lags the model by ~1 s.)
FRAGMENT_PERIOD_S = 1.0
VIEW_KEY = "watch_view"
SESSION_DATASET_KEY = "_watch_session_dataset"  # the digits of the tab's live session
CONTROL_KEYS = ("watch_speed", "watch_slow", "watch_prior", "watch_vae")
PRIORS = {"gaussian": "Gaussian", "mixture": "Mixture of 10", "swiss-roll": "Swiss roll",
          "uniform": "Uniform", "painted": "Draw your own"}
SPEED_LABELS = {"slow": "Slow", "steady": "Steady", "fast": "Fast", "full": "Full speed"}


def _close(session: WatchSession) -> None:
    session.close()


@st.cache_resource(scope="session", max_entries=1, on_release=_close, show_spinner=False)
def _session(dataset: str, _holder: str) -> WatchSession:
    """A new session on `dataset`, in a training place of `_holder` (this tab: a tab that
    switches its digits holds one place throughout)."""
    place = SERVICE.take_place(_holder)
    try:
        return WatchSession(WatchConfig(dataset=dataset, threads=cpu_threads()), place=place)
    except BaseException:
        place.release()
        raise


def open_session(dataset: str) -> WatchSession | None:
    """This tab's session on `dataset`, or None after showing one clear line. When the tab
    switches its digits, its old session is released before the new one is built (and the
    tab holds one training place throughout, see _session)."""
    holder = st.session_state.setdefault("watch_holder", f"watch-{uuid.uuid4().hex}")
    if st.session_state.get(SESSION_DATASET_KEY, dataset) != dataset:
        _session.clear()  # this tab's entry only (a session-scoped cache); calls _close
        for key in CONTROL_KEYS:  # the controls start again from the new session's state
            st.session_state.pop(key, None)
    st.session_state[SESSION_DATASET_KEY] = dataset
    try:
        return _session(dataset, holder)
    except BusyError as exc:  # every training place is taken: a shared run needs none
        st.error(plain(f"{exc}. You can still follow a shared run: ask the lecturer for "
                       "its link."), icon=":material/error:")
        return None
    except AAEError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None


def dataset_choice() -> str:
    usable = [d for d in DATASETS if available(d)]
    return st.sidebar.radio("Digits", usable, key="watch_dataset",
                            help="mnist-10k: the 10,000 MNIST test digits (8,000 trained on)")


def _flash(text: str) -> None:
    st.session_state["_watch_flash"] = text


def show_flash() -> None:
    text = st.session_state.pop("_watch_flash", None)
    if text:
        st.warning(plain(text), icon=":material/warning:")


def _call(action, *args) -> None:
    try:
        action(*args)
    except AAEError as exc:
        _flash(str(exc))


def _choice_state(key: str, current: str) -> None:
    """A segmented control's first value, put in its state rather than given as `default`:
    its on_change puts the value back when the control is cleared, and a widget given a
    default that also has its value set through st.session_state makes Streamlit log a
    warning with a stack (streamlit/elements/lib/policies.py, check_session_state_rules)."""
    st.session_state.setdefault(key, current)


def _on_speed(session: WatchSession) -> None:
    choice = st.session_state["watch_speed"]
    if choice is None:  # a segmented control can be cleared: keep the speed
        st.session_state["watch_speed"] = session.speed
    else:
        _call(session.set_speed, choice)


def _on_prior(session: WatchSession) -> None:
    choice = st.session_state["watch_prior"]
    if choice is None:  # a segmented control can be cleared: keep the prior
        st.session_state["watch_prior"] = session.prior_choice
    elif choice != "painted":
        _call(session.set_prior, choice)


def _on_painted(session: WatchSession) -> None:
    state = st.session_state.get(VIEW_KEY) or {}
    painted = state.get("painted") if hasattr(state, "get") else None
    if not isinstance(painted, dict):
        return
    try:
        side = int(painted.get("side", 0))
        mask = mask_from_b64(str(painted.get("mask", "")), side)
        session.set_painted_prior(PaintedPrior(mask, painted.get("window")))
    except AAEError as exc:
        _flash(str(exc))
    except (TypeError, ValueError):
        _flash("the painted prior could not be read; paint again")


def transport(session: WatchSession):
    """Play/pause, reset, speed, slow motion; returns the row's last column (free for the
    share popover)."""
    play, reset, speed, slow, last = st.columns([1.1, 1, 2.6, 2, 1.6],
                                                vertical_alignment="center")
    playing = session.playing
    play.button("Pause" if playing else "Play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=session.pause if playing else session.play, key="watch_play")
    reset.button("Reset", icon=":material/restart_alt:", width="stretch",
                 on_click=session.reset, key="watch_reset")
    _choice_state("watch_speed", session.speed)
    speed.segmented_control("Speed", list(SPEEDS), format_func=SPEED_LABELS.get,
                            key="watch_speed", on_change=_on_speed, args=(session,),
                            label_visibility="collapsed")
    slow.toggle("Slow motion: one phase at a time", key="watch_slow", value=session.slow_motion,
                on_change=lambda: session.set_slow_motion(st.session_state["watch_slow"]))
    return last


def stepper(session: WatchSession) -> None:
    """One button per phase: exactly that phase, on one batch."""
    cols = st.columns([1.3, 1, 1.4, 1.3], vertical_alignment="center")
    cols[0].markdown("**One phase, one batch:**")
    for col, (key, _, label) in zip(cols[1:], PHASES, strict=True):
        col.button(label, key=f"watch_step_{key}", width="stretch", disabled=session.playing,
                   on_click=_call, args=(session.step_phase, key),
                   help="Pause first" if session.playing else None)


def prior_and_vae(session: WatchSession) -> bool:
    """The prior (four named ones or a painted one) and the VAE toggle; True = paint mode."""
    label, left, right = st.columns([1.3, 3.7, 2], vertical_alignment="center")
    label.markdown("**The prior, live:**")
    _choice_state("watch_prior", session.prior_choice)
    left.segmented_control("Prior", list(PRIORS), format_func=PRIORS.get, key="watch_prior",
                           on_change=_on_prior, args=(session,), label_visibility="collapsed")
    right.toggle("Show a VAE beside it", key="watch_vae", value=session.vae is not None,
                 on_change=lambda: session.show_vae(st.session_state["watch_vae"]))
    return st.session_state.get("watch_prior") == "painted"


def live_view(session: WatchSession, paint: bool, present: bool = False) -> None:
    """The component, in a fragment that polls for packets while the model plays
    (`present`: it sizes its planes so that the page fits the window)."""
    @st.fragment(run_every=FRAGMENT_PERIOD_S if session.playing else None)
    def view() -> None:
        notice = session.take_notice()
        if notice:  # the models diverged and were started again, paused: the whole page
            _flash(notice)  # shows it, with Play instead of Pause
            st.rerun(scope="app")
        watch_component(key=VIEW_KEY, session=session, paint=paint, present=present,
                        on_painted=lambda: _on_painted(session))

    view()
