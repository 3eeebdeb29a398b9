"""The lecturer's broadcast in real browsers: the lecturer shares the Watch run (a link and
a QR code), a student's tab opens the link and follows the run read-only: a phase the
lecturer steps reaches the student's view; when sharing stops the student is told."""

from __future__ import annotations

import pytest

from bench.browser import (
    artifact_path,
    enable_watch_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAST_JS = "() => globalThis.__aaeWatch ? globalThis.__aaeWatch.lastPacket : null"


def test_a_student_follows_the_lecturers_shared_run():
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    with streamlit_server("pages/6_Watch_it_learn.py") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            lecturer = enable_watch_stats(browser.new_page(
                viewport={"width": 1500, "height": 1000}))
            lecturer.goto(url)
            wait_for_app_run(lecturer, timeout=180_000)
            lecturer.get_by_role("button", name="Share with the class").click()
            lecturer.get_by_text("Share this run, read-only").click()
            wait_for_app_run(lecturer, timeout=60_000)
            code = lecturer.get_by_test_id("stCode").filter(has_text="watch=")
            expect(code).to_be_visible(timeout=30_000)
            expect(lecturer.get_by_test_id("stImage").first).to_be_visible()  # the QR code
            link = code.inner_text().strip()
            lecturer.screenshot(path=str(artifact_path("watch-share.png")))
            lecturer.keyboard.press("Escape")

            student = enable_watch_stats(browser.new_context(
                viewport={"width": 1300, "height": 900}).new_page())
            student.goto(link)
            wait_for_app_run(student, timeout=120_000)
            expect(student.get_by_text("live and read-only")).to_be_visible()
            expect(student.locator(".ww-panel[data-model='aae'] .ww-plane")).to_be_visible()
            assert student.get_by_role("button", name="Play").count() == 0  # read-only
            first = wait_until(lambda: student.evaluate(LAST_JS), timeout=60)

            lecturer.get_by_role("button", name="Update the discriminator").click()
            wait_for_app_run(lecturer, timeout=60_000)
            seen = wait_until(lambda: (p := student.evaluate(LAST_JS)) and
                              p["seq"] > first["seq"] and p, timeout=30)
            assert seen["phase"] == "discriminator"  # the lecturer's step, on the student's
            student.screenshot(path=str(artifact_path("watch-student.png")))

            lecturer.get_by_role("button", name="Share with the class").click()
            lecturer.get_by_text("Share this run, read-only").click()
            wait_for_app_run(lecturer, timeout=60_000)
            expect(student.get_by_text("not shared any more")).to_be_visible(timeout=30_000)
        finally:
            browser.close()
