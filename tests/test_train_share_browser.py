"""A Train run shared with the class, in real browsers: the lecturer starts a run, shares it
(a link and a QR code), a student's phone opens the link and follows the run read-only as
its fragments refresh it; when sharing stops the student is told. Screenshots of both, at a
projector's size and a phone's, go to tests/artifacts/ (docs/train-*.png are copies)."""

from __future__ import annotations

import pytest

from bench.browser import (
    artifact_path,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def progress(page) -> str:
    bar = page.get_by_test_id("stProgress").first
    return bar.inner_text() if bar.count() else ""


def start_a_run(page) -> None:
    side = page.get_by_test_id("stSidebar")
    side.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name="synthetic-digits", exact=True).click()
    side.get_by_label("Hidden sizes", exact=True).fill("32")
    side.get_by_label("Epochs", exact=True).fill("300")
    side.get_by_role("button", name="Start training").click()
    wait_until(lambda: "images/s" in progress(page), timeout=60)


def open_share(page):
    page.get_by_role("button", name="Share with the class").click()
    return page.get_by_test_id("stPopoverBody")


def test_a_student_follows_the_lecturers_train_run(tmp_path):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    env = {"AAE_RUNS_DIR": str(tmp_path / "runs"), "AAE_MAX_RUNS": "1"}
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            lecturer = browser.new_page(viewport=PROJECTOR)
            lecturer.goto(f"{url}/Train")
            wait_for_app_run(lecturer)
            start_a_run(lecturer)
            open_share(lecturer).get_by_text("Share this run, read-only").click()
            wait_for_app_run(lecturer, timeout=60_000)
            code = lecturer.get_by_test_id("stCode").filter(has_text="watch=")
            expect(code).to_be_visible(timeout=30_000)
            body = lecturer.get_by_test_id("stPopoverBody")
            expect(body.get_by_test_id("stImage")).to_be_visible()  # the QR code
            link = code.inner_text().strip()
            lecturer.screenshot(path=str(artifact_path("train-share-1920.png")))
            lecturer.set_viewport_size(PHONE)
            expect(code).to_be_visible()
            lecturer.screenshot(path=str(artifact_path("train-share-390.png")))
            lecturer.keyboard.press("Escape")
            lecturer.set_viewport_size(PROJECTOR)

            student = browser.new_context(viewport=PHONE).new_page()
            student.goto(link)
            wait_for_app_run(student, timeout=60_000)
            expect(student.get_by_text("live and read-only")).to_be_visible()
            expect(student.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=30_000)
            assert student.get_by_role("button", name="Pause").count() == 0  # read-only
            assert student.get_by_role("button", name="Start training").count() == 0
            first = wait_until(lambda: "images/s" in progress(student) and progress(student),
                               timeout=30)
            moved = wait_until(lambda: progress(student) != first and progress(student),
                               timeout=30)  # its fragment follows the run
            assert moved.startswith("Training epoch")
            student.screenshot(path=str(artifact_path("train-student-390.png")))
            student.set_viewport_size(PROJECTOR)
            student.wait_for_timeout(500)
            student.screenshot(path=str(artifact_path("train-student-1920.png")))

            open_share(lecturer).get_by_text("Share this run, read-only").click()
            wait_for_app_run(lecturer, timeout=60_000)
            expect(student.get_by_text("not shared any more")).to_be_visible(timeout=30_000)
            assert "Training" in progress(lecturer) or "Finished" in lecturer.inner_text(
                "body")  # the run goes on
        finally:
            browser.close()
