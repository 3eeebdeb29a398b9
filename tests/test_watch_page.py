"""The Watch page's script (AppTest): controls drive the session, the component gets the
packets. The component itself is a bidi_component to AppTest; its data is read as JSON.

One AppTest walks through the page as one user would (AppTests share one session-scoped
cache entry, so separate tests would share one WatchSession anyway).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from aae_core.images import PALETTE
from aae_core.watch.packet import PACKET_LIMIT, json_size

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "6_Watch_it_learn.py")

pytestmark = pytest.mark.slow  # builds two 2x256 models


def view_data(at: AppTest) -> dict:
    (element,) = [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    data = json.loads(element.proto.json)
    data["packets"] = json.loads(data["packets"])  # sent as one JSON text (encoded once)
    return data


def newest(at: AppTest) -> dict:
    return view_data(at)["packets"][-1]


def test_without_a_free_training_place_the_page_says_so_plainly(monkeypatch, tmp_path):
    """Watch sessions take their place from the run service's budget (runs included).
    The AppTests of the whole run share one session-scoped cache, so a session built by an
    earlier test (any page visit) would be reused without a place: the cache is cleared."""
    from aae_core.training.runs import RunService
    from ui.watch import controls

    st.cache_resource.clear()  # earlier modules' AppTests may have left a session cached
    full = RunService(max_runs=1)
    held = full.take_place("another-tab")
    monkeypatch.setattr(controls, "SERVICE", full)
    try:
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [
            "all 1 training place on this server are taken (0 runs training, 1 watched "
            "live); a Watch it learn session needs one: try again when one ends. You can "
            "still follow a shared run: ask the lecturer for its link."]
        assert not [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    finally:
        held.release()


def test_the_page_as_a_student_uses_it():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    data = view_data(at)
    assert not data["playing"] and not data["vae"] and not data["paint"]
    assert data["palette"] == list(PALETTE)  # the class colours travel from Python
    assert json_size(newest(at)) <= PACKET_LIMIT
    assert [b.label for b in at.button] == ["Play", "Reset", "Reconstruct",
                                            "Update the discriminator", "Update the encoder"]
    at.button(key="watch_reset").click().run()
    start = newest(at)
    assert (start["phase"], start["step"]) == ("reset", 0)

    # the stepper: one phase a click, no training step
    for n, key in enumerate(("reconstruct", "discriminator", "encoder"), start=1):
        at.button(key=f"watch_step_{key}").click().run()
        packets = view_data(at)["packets"]
        assert len(packets) == 1, [(p["seq"], p["phase"]) for p in packets]
        packet = packets[0]  # only what this tab has not been sent
        assert packet["phase"] == key and packet["step"] == 0
        # a phase's packet has its digit images, so the call needs no others
        assert packet["images"] and "recon" in packet["aae"]
        assert view_data(at)["images"] is None
        assert packet["phase_steps"] == start["phase_steps"] + n

    # play disables the stepper; pause enables it again
    at.button(key="watch_play").click().run()
    assert view_data(at)["playing"] and at.button(key="watch_step_encoder").disabled
    at.button(key="watch_play").click().run()
    assert not view_data(at)["playing"] and not at.button(key="watch_step_encoder").disabled

    # a new prior, the VAE beside it, then paint mode (the prior stays until painted)
    at.segmented_control(key="watch_prior").set_value("swiss-roll").run()
    assert newest(at)["prior"] == "swiss-roll"
    at.toggle(key="watch_vae").set_value(True).run()
    data = view_data(at)
    assert data["vae"] and newest(at)["vae"] is not None
    assert "needs a prior with a density" in newest(at)["vae_note"]
    assert json_size(newest(at)) <= PACKET_LIMIT
    at.segmented_control(key="watch_prior").set_value("painted").run()
    assert view_data(at)["paint"] and newest(at)["prior"] == "swiss-roll"
    assert not at.exception and not at.warning


def test_switching_the_digits_at_the_cap_releases_the_old_session_first():
    """Every training place taken (this tab holds one): switching the digits releases the
    tab's old session first, and the new one gets the tab's place."""
    from ui.run_service import SERVICE

    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    assert "mnist-10k" in at.sidebar.radio(key="watch_dataset").options, "needs AAE_DATA_DIR"
    others = []  # other tabs fill the server's places
    try:
        while SERVICE.watch_count() + SERVICE.active_count() < SERVICE.max_runs():
            others.append(SERVICE.take_place(f"another-tab-{len(others)}"))
        watched = SERVICE.watch_count()
        at.sidebar.radio(key="watch_dataset").set_value("mnist-10k").run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert view_data(at)["packets"], "no view after switching the digits"
        assert SERVICE.watch_count() == watched
        at.sidebar.radio(key="watch_dataset").set_value("synthetic-digits").run()
        assert not at.error and view_data(at)["packets"]
    finally:
        for place in others:
            place.release()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.mark.parametrize("key", ["watch_prior", "watch_speed"])
def test_clearing_a_choice_keeps_it_and_logs_no_session_state_warning(monkeypatch, key):
    import streamlit.elements.lib.policies as policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # once a process
    records = _Records()
    policies._LOGGER.addHandler(records)
    try:
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        before = at.segmented_control(key=key).value
        for _ in range(2):  # every time, not only the first
            at.segmented_control(key=key).set_value(None).run()
            assert at.segmented_control(key=key).value == before
    finally:
        policies._LOGGER.removeHandler(records)
    assert not at.exception, at.exception
    assert not [m for m in records.messages if "Session State" in m], records.messages


def test_a_diverged_model_is_said_and_started_again_never_shown_as_nan(monkeypatch):
    import torch

    from ui.watch import controls

    made = []

    class Recorded(controls.WatchSession):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(controls, "WatchSession", Recorded)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.sidebar.radio(key="watch_dataset").set_value("mnist-10k").run()  # a new session
    try:
        session = made[-1]  # the mnist-10k one
        with torch.no_grad():  # what an overflowing loss leaves behind: NaN weights
            next(session.aae.encoder.parameters()).fill_(float("nan"))
        at.button(key="watch_step_discriminator").click().run()
        assert not at.exception, at.exception
        assert [w.value for w in at.warning if "Training diverged" in w.value], at.warning
        losses = [v for p in view_data(at)["packets"] for v in p["losses"].values()]
        assert all(np.isfinite(losses)), losses
        assert at.button(key="watch_play").label == "Play"
    finally:
        at.sidebar.radio(key="watch_dataset").set_value("synthetic-digits").run()
