"""The Train page in a real browser: start a short run, watch it move, stop it, then find
the new model in the Explore page's picker. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re

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


def choose(page, scope, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label` (inside `scope`)."""
    scope.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_train_watch_stop_then_explore_the_new_model(tmp_path):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    runs = tmp_path / "runs"
    env = {"AAE_RUNS_DIR": str(runs), "AAE_MAX_RUNS": "1"}
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1250})
            page.goto(f"{url}/Train")
            wait_for_app_run(page)
            expect(page.get_by_text("No runs yet")).to_be_visible()
            side = page.get_by_test_id("stSidebar")
            choose(page, side, "Dataset", "synthetic-digits")
            side.get_by_label("Hidden sizes", exact=True).fill("32")
            side.get_by_label("Epochs", exact=True).fill("300")
            name = side.get_by_label("Run name", exact=True).input_value()
            assert re.fullmatch(r"aae-\d+", name)
            side.get_by_role("button", name="Start training").click()

            bar = page.get_by_test_id("stProgress").first

            def progress() -> str:
                return bar.inner_text() if bar.count() else ""

            first = wait_until(lambda: "images/s" in progress() and progress(), timeout=60)
            moved = wait_until(lambda: progress() != first and "images/s" in progress() and
                               progress(), timeout=30)  # run_every refreshes the panel
            assert moved.startswith("Training epoch")
            charts = page.get_by_test_id("stPlotlyChart")
            expect(charts).to_have_count(2, timeout=20_000)
            for k in range(2):  # drawn (Plotly loads lazily), not just placed
                expect(charts.nth(k).locator(".main-svg").first).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stImage")).to_have_count(1)
            page.screenshot(path=artifact_path("train_running.png"))

            page.get_by_role("button", name="Stop").click()
            wait_until(lambda: progress().startswith("Stopped"), timeout=60)
            wait_for_app_run(page)
            expect(page.get_by_text(f"saved where it got to as runs/{name}")).to_be_visible()
            assert (runs / name / "config.json").is_file()
            expect(charts.nth(0).locator(".main-svg").first).to_be_visible(timeout=30_000)
            page.screenshot(path=artifact_path("train_stopped.png"))

            # The page link keeps the session: the Explore picker opens the new model.
            page.get_by_role("link", name=f"Explore runs/{name}").click()
            wait_for_app_run(page, timeout=60_000)
            picker = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Model")
            expect(picker).to_have_value(re.compile(f"^runs/{name} "), timeout=30_000)
            page.screenshot(path=artifact_path("explore_after_training.png"))

            # Back on the Train page (same session), the run is still shown.
            page.get_by_test_id("stSidebar").get_by_role("link", name="Train").click()
            wait_for_app_run(page)
            expect(page.get_by_role("heading", name=name)).to_be_visible()
        finally:
            browser.close()


def test_closing_the_tab_does_not_stop_the_run_and_another_tab_can_take_it_over(tmp_path):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    runs = tmp_path / "runs"
    env = {"AAE_RUNS_DIR": str(runs), "AAE_MAX_RUNS": "1"}
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1100})
            first = context.new_page()
            first.goto(f"{url}/Train")
            wait_for_app_run(first)
            side = first.get_by_test_id("stSidebar")
            choose(first, side, "Dataset", "synthetic-digits")
            side.get_by_label("Hidden sizes", exact=True).fill("32")
            side.get_by_label("Epochs", exact=True).fill("300")
            side.get_by_role("button", name="Start training").click()
            expect(first.get_by_text("images/s")).to_be_visible(timeout=60_000)

            second = context.new_page()  # another tab: it watches, it cannot stop
            second.goto(f"{url}/Train")
            wait_for_app_run(second)
            expect(second.get_by_text("owner: another tab")).to_be_visible()
            expect(second.get_by_role("button", name="Stop")).to_have_count(0)

            first.close()  # the session ends; the run goes on without an owner
            take_over = second.get_by_role("button", name="Take over")
            expect(take_over).to_be_visible(timeout=30_000)
            expect(second.get_by_text("owner: nobody (tab closed)")).to_be_visible()
            bar = second.get_by_test_id("stProgress").first
            before = bar.inner_text()
            wait_until(lambda: bar.inner_text() != before, timeout=30)  # still training
            second.screenshot(path=artifact_path("train_take_over.png"))
            take_over.click()
            second.get_by_role("button", name="Stop").click()
            wait_until(lambda: bar.inner_text().startswith("Stopped"), timeout=60)
            assert (runs / "aae-1" / "config.json").is_file()
        finally:
            browser.close()
