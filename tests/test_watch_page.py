"""The Watch page's script (AppTest): controls drive the session, the component gets the
packets. The component itself is a bidi_component to AppTest; its data is read as JSON.

One AppTest walks through the page as one user would (AppTests share one session-scoped
cache entry, so separate tests would share one WatchSession anyway).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.watch.packet import PACKET_LIMIT, json_size

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "6_Watch_it_learn.py")

pytestmark = pytest.mark.slow  # builds two 2x256 models


def view_data(at: AppTest) -> dict:
    (element,) = [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    return json.loads(element.proto.json)


def newest(at: AppTest) -> dict:
    return view_data(at)["packets"][-1]


def test_without_a_free_training_place_the_page_says_so_plainly(monkeypatch, tmp_path):
    """Watch sessions take their place from the run service's budget (runs included).
    First in this module: the AppTests here share one session-scoped cache, so a session
    built by a later test would be reused without a place."""
    from aae_core.training.runs import RunService
    from ui.watch import controls

    full = RunService(max_runs=1)
    held = full.take_place("another-tab")
    monkeypatch.setattr(controls, "SERVICE", full)
    try:
        at = AppTest.from_file(PAGE, default_timeout=120).run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [
            "all 1 training place on this server are taken (0 runs training, 1 watched "
            "live); a Watch it learn session needs one: try again when one ends"]
        assert not [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    finally:
        held.release()


def test_the_page_as_a_student_uses_it():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    data = view_data(at)
    assert not data["playing"] and not data["vae"] and not data["paint"]
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

