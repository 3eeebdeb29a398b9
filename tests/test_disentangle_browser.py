"""The Disentanglement page in a real browser with the shipped checkpoints: a link restores
its state, the real widgets change the strips and the URL, and it is readable at 1920 x
1080 and usable on a 390-pixel phone (screenshots of both go to tests/artifacts/; those in
docs/ are copies of them)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from bench.browser import (
    artifact_path,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
)
from tests.conftest import requires_full_mnist

pytestmark = [pytest.mark.browser, pytest.mark.slow, requires_full_mnist]

LINK = "/Disentanglement?model=aae-supervised&at=5&label=3&steps=7"


@pytest.fixture(scope="module")
def server():
    require_browser()
    from playwright.sync_api import sync_playwright

    with streamlit_server("app.py") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser, url
        browser.close()


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def strip_headings(page):
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"^z\[\d+\]"))


def test_a_link_restores_the_page_and_the_widgets_drive_it(server):
    from playwright.sync_api import expect

    browser, url = server
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(url + LINK)
    wait_for_app_run(page, timeout=180_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(page.get_by_role("heading", name=re.compile("^Disentanglement"))).to_be_visible()
    expect(sidebar.get_by_role("radio", name="a held-out digit's code")).to_be_checked()
    expect(sidebar.get_by_test_id("stNumberInputField")).to_have_value("5")
    expect(page.get_by_test_id("stMetric")).to_have_count(6)
    expect(strip_headings(page)).to_have_count(2)  # the 2-D style code: two strips
    expect(page.get_by_text("held-out digit #5's code", exact=False)).to_be_visible()
    page.screenshot(path=str(artifact_path("disentanglement-1920.png")))

    # Take two more digits along each traversal, and hold at the mean code instead.
    thumb = sidebar.get_by_role("slider")
    thumb.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"[?&]steps=9(&|$)"), timeout=60_000)
    wait_for_app_run(page, timeout=60_000)
    sidebar.get_by_test_id("stRadio").get_by_text("the mean code").click()
    page.wait_for_url(re.compile(r"[?&]at=mean(&|$)"), timeout=60_000)
    wait_for_app_run(page, timeout=60_000)
    expect(page.get_by_text("the others held at the mean code", exact=False)).to_be_visible()
    assert query(page) == {"model": "aae-supervised", "at": "mean", "label": "3", "steps": "9"}
    # Every strip is one image of nine digits: 9 x 30 px wide, scaled twice.
    widths = page.get_by_test_id("stImage").locator("img").evaluate_all(
        "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [2 * (9 * 30 + 2)] * 2
    page.close()


def test_usable_on_a_phone(server):
    from playwright.sync_api import expect

    browser, url = server
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page.goto(url + LINK)
    wait_for_app_run(page, timeout=180_000)
    expect(strip_headings(page)).to_have_count(2)
    # Nothing wider than the phone: the columns stack, the strips shrink to fit.
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390
    first = page.get_by_test_id("stImage").first
    first.scroll_into_view_if_needed()
    box = first.bounding_box()
    assert box is not None and 300 <= box["width"] <= 390
    strip_headings(page).first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)  # the charts settle after the scroll
    page.screenshot(path=str(artifact_path("disentanglement-390.png")))
    page.close()
