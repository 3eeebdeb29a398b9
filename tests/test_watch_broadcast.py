"""The lecturer's broadcast (aae_core/broadcast.py, ui/share.py, ui/watch/share.py): a shared run
is read by any number of viewers without a model step of theirs; links that do not (or no
longer) lead to a shared run, a full run and a full server are said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.broadcast import (
    MAX_VIEWERS,
    PERIOD_HYSTERESIS,
    VIEW_PERIODS_S,
    BroadcastRegistry,
    view_period_s,
)
from aae_core.errors import ConfigError
from aae_core.watch import WatchConfig, WatchSession
from tests.helpers import tiny_dataset

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "6_Watch_it_learn.py")


@pytest.fixture
def session():
    config = WatchConfig(hidden=(16,), batch_size=8, n_codes=40, n_prior=50, n_arrows=12,
                         grid=12, packets_per_s=0, device="cpu")
    s = WatchSession(config, dataset=tiny_dataset())
    yield s
    s.close()


def test_viewers_read_the_one_training_and_are_bounded(session):
    registry = BroadcastRegistry(max_broadcasts=1, max_viewers=2)
    shared = registry.share(session, "watch")
    assert registry.share(session, "watch") is shared  # one broadcast per session
    assert registry.join(shared.token, "a", "watch") is shared
    assert registry.join(shared.token, "b", "watch") is shared
    with pytest.raises(ConfigError, match="already has 2 viewers"):
        registry.join(shared.token, "c", "watch")
    registry.join(shared.token, "a", "watch")  # a viewer coming back is not a new one
    registry.leave(shared.token, "b")
    registry.join(shared.token, "c", "watch")
    steps = session.step
    session.snapshot_now()
    assert session.packets_after(0)  # what every viewer reads: the ring, no step
    assert session.step == steps
    with pytest.raises(ConfigError, match="not shared any more"):
        registry.join("nope", "a", "watch")


def test_a_closed_or_unshared_run_ends_its_broadcast_and_frees_its_place(session):
    registry = BroadcastRegistry(max_broadcasts=1)
    shared = registry.share(session, "watch")
    other = WatchSession(session.config, dataset=tiny_dataset())
    try:
        with pytest.raises(ConfigError, match="1 runs are already shared"):
            registry.share(other, "watch")
        registry.stop(session)
        with pytest.raises(ConfigError, match="not shared any more"):
            registry.join(shared.token, "a", "watch")
        again = registry.share(other, "watch")
        other.close()  # the lecturer's tab went
        assert not again.live and registry.count() == 0
    finally:
        other.close()


def test_a_link_opens_on_its_own_page_only(session):
    registry = BroadcastRegistry()
    shared = registry.share(session, "watch")
    with pytest.raises(ConfigError, match="shared on the Watch it learn page"):
        registry.join(shared.token, "a", "train")
    assert not shared.viewers  # not counted in
    with pytest.raises(ConfigError, match="kind must be one of watch, train"):
        registry.share(session, "explore")


def test_a_fuller_room_is_polled_less_often_without_flapping_at_a_step():
    periods = [view_period_s(n) for n in range(1, MAX_VIEWERS + 1)]
    assert periods == sorted(periods) and periods[0] == 1.0 and periods[-1] == 1.5
    most, step_s = VIEW_PERIODS_S[0]
    longer = view_period_s(most + 1)
    assert longer > step_s
    # back under the step: the longer interval stays until the room is clearly smaller
    assert view_period_s(most, longer) == longer
    assert view_period_s(most - PERIOD_HYSTERESIS, longer) == step_s
    assert view_period_s(most + 1, step_s) == longer  # a growing room: at once


def component_data(at: AppTest) -> dict:
    (element,) = [e for e in at.main if getattr(e, "type", "") == "bidi_component"]
    data = json.loads(element.proto.json)
    data["packets"] = json.loads(data["packets"])  # sent as one JSON text (encoded once)
    return data


@pytest.mark.slow
def test_a_student_opens_the_lecturers_link_and_sees_the_same_run():
    lecturer = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not lecturer.exception, lecturer.exception
    lecturer.toggle(key="watch_share").set_value(True).run()
    link = next(c.value for c in lecturer.code if "watch=" in c.value)
    token = link.split("watch=")[1]
    lecturer.button(key="watch_step_reconstruct").click().run()
    newest = component_data(lecturer)["packets"][-1]

    student = AppTest.from_file(PAGE, default_timeout=120)
    student.query_params["watch"] = token
    student.run()
    assert not student.exception, student.exception
    seen = component_data(student)
    assert seen["packets"][-1]["seq"] == newest["seq"] and seen["meta"]["run"] == newest["run"]
    assert not student.button  # read-only: no Play, no stepper
    assert "live and read-only" in " ".join(i.value for i in student.info)

    lecturer.toggle(key="watch_share").set_value(False).run()
    student.run()
    assert "not shared any more" in " ".join(w.value for w in student.warning)
    gone = AppTest.from_file(PAGE, default_timeout=60)
    gone.query_params["watch"] = token
    gone.run()
    assert "not shared any more" in " ".join(w.value for w in gone.warning)
