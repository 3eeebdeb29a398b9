"""A Train run shared with the class (ui/train_share.py on aae_core/broadcast.py): the tab
that started a run shares it with a link and a QR code; a student's tab opened on the link
follows its progress and charts read-only; a link whose share stopped, whose lecturer's tab
closed, or which is another page's, says so in one line. The page under AppTest (opened
through app.py, as tests/test_train_page.py does; run_every never fires, so the tests
re-run the pages)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.broadcast import BroadcastRegistry
from tests.helpers import fill, poll, press, progress_text
from ui import share, train_views

PAGE = "pages/5_Train.py"


@pytest.fixture
def registry(registry, monkeypatch):
    """conftest's fresh run service, as the page's."""
    monkeypatch.setattr(train_views, "SERVICE", registry)
    return registry


@pytest.fixture
def broadcasts(monkeypatch):
    """A fresh broadcast registry, as the pages' (the server's one is process-wide)."""
    fresh = BroadcastRegistry(max_broadcasts=2, max_viewers=3)
    monkeypatch.setattr(share, "REGISTRY", fresh)
    return fresh


def open_page(token: str | None = None) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=30)
    at.switch_page(PAGE)
    if token is not None:
        at.query_params[share.PARAM] = token
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest, *kinds: str) -> str:
    return " ".join(e.value for kind in kinds for e in at.get(kind))


def told_not_shared(at: AppTest) -> bool:
    """The page says the run is not shared any more: a warning when the page (re)opens,
    a note in the viewer's fragment when it finds out while refreshing."""
    return "not shared any more" in texts(at, "warning", "info")


def start_and_share(at: AppTest) -> str:
    """Start a run from `at`, share it; the link's token."""
    fill(at, tr_epochs=500)
    press(at, "Start training")
    poll(at, lambda t: "images/s" in t, "a logged speed")
    at.toggle(key="train_share").set_value(True).run()
    assert not at.exception
    link = next(c.value for c in at.code if f"{share.PARAM}=" in c.value)
    assert at.get("image")  # the QR code beside the link
    return link.split(f"{share.PARAM}=")[1]


def test_a_student_follows_the_lecturers_train_run_read_only(registry, runs, broadcasts):
    lecturer = open_page()
    token = start_and_share(lecturer)
    assert "1 watching" not in texts(lecturer, "caption")

    student = open_page(token)
    assert "live and read-only" in texts(student, "info")
    assert "shared by the lecturer" in texts(student, "caption")
    first = progress_text(student)
    assert first.startswith("Training epoch")
    assert student.get("plotly_chart")  # the latent map and the losses, as the owner's
    # read-only: no controls, no forms, no runs table
    assert not [b for b in student.button if b.label in ("Pause", "Stop", "Take over")]
    assert not student.sidebar.get("text_input") and not student.expander
    assert poll(student, lambda t: t != first and "images/s" in t, "the run to move")

    lecturer.run()
    assert "1 watching" in texts(lecturer, "caption")

    lecturer.toggle(key="train_share").set_value(False).run()
    student.run()
    assert told_not_shared(student)
    assert not student.get("plotly_chart") and not student.get("progress")
    gone = open_page(token)
    assert told_not_shared(gone)
    assert registry.find("aae-1").alive  # sharing stopped; the run goes on


def test_the_share_ends_with_the_lecturers_tab_and_the_run_goes_on(registry, runs,
                                                                   broadcasts):
    lecturer = open_page()
    token = start_and_share(lecturer)
    student = open_page(token)
    assert student.get("progress")
    broadcast = broadcasts.join(token, "probe", "train")
    broadcast.source.close()  # what the lecturer's session-scoped share does on close
    student.run()
    assert told_not_shared(student) and not student.get("progress")
    assert registry.find("aae-1").alive


def test_bad_links_say_why_in_one_line(registry, runs, broadcasts):
    for token in ("nope", "x" * 500, "<b>bold</b>"):
        at = open_page(token)
        assert told_not_shared(at)
        assert not at.get("progress") and not at.sidebar.get("text_input")
    lecturer = open_page()
    token = start_and_share(lecturer)
    watch_page = AppTest.from_file("../app.py", default_timeout=60)
    watch_page.switch_page("pages/6_Watch_it_learn.py")
    watch_page.query_params[share.PARAM] = token
    watch_page.run()
    assert "shared on the Train page" in texts(watch_page, "warning")


def test_a_viewer_of_a_full_share_is_told_and_a_finished_run_can_be_shared(registry, runs,
                                                                          broadcasts):
    lecturer = open_page()
    token = start_and_share(lecturer)
    student = open_page(token)
    assert student.get("progress")
    # (AppTest's tabs share one session id, so the other viewers join as the server would
    # count them: one each)
    for i in range(broadcasts.max_viewers - 1):
        broadcasts.join(token, f"another tab {i}", "train")
    late = open_page(token)
    assert "already has 3 viewers" in texts(late, "warning") and not late.get("progress")

    press(lecturer, "Stop")
    poll(lecturer, lambda t: t.startswith("Stopped"), "the run to stop")
    assert lecturer.toggle(key="train_share").value  # still shared, finished
    student.run()
    assert progress_text(student).startswith("Stopped")
    assert student.get("plotly_chart")  # its final charts
