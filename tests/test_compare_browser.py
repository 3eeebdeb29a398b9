"""The AAE vs VAE page in a real browser, on the shipped checkpoints: the packing panels are
canvases (ui/packing.py), not Plotly, so the page loads no chart library.

1. Each model's panel draws every one of its held-out codes; the page holds no Plotly chart
   (the occupancy bars are inline SVG).
2. A legend chip hides that digit's codes in every panel, and shows them again.
3. Pointing at a code names it (digit, held-out number, z) over the panel.
4. Switching the prior redraws the panels on the other prior's axes.
5. On a 390-pixel phone the panels stack, one a row, inside the screen.
"""

from __future__ import annotations

import re

import pytest

from aae_core.analysis.compare import candidates
from aae_core.store import catalog
from bench.browser import (
    artifact_path,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PANELS_JS = "() => (globalThis.__aaePacking || {}).cmp_panels || null"


def _shipped_pair(prior: str) -> bool:
    cands = candidates(catalog.entries(), prior)
    return bool(cands["aae"]) and bool(cands["vae"])


needs_mixture = pytest.mark.skipif(not _shipped_pair("mixture"),
                                   reason="no shipped AAE and VAE with the mixture prior")


@pytest.fixture(scope="module")
def server():
    require_browser()
    from playwright.sync_api import sync_playwright

    with streamlit_server("app.py", timeout=180) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield url, browser
        browser.close()


def open_compare(server, size):
    url, browser = server
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{url}/AAE_vs_VAE?prior=mixture")
    wait_for_app_run(page, timeout=180_000)
    wait_until(lambda: (page.evaluate(PANELS_JS) or {}).get("drawn"), timeout=60)
    return page


def held_out_counts(page) -> list[int | None]:
    """Codes per slot, from the panels' titles ("AAE · 2,000 held-out codes")."""
    titles = page.locator(".aae-panel-title").all_inner_texts()
    return [int(re.search(r"([\d,]+) held-out codes", t)[1].replace(",", "")) for t in titles]


@needs_mixture
def test_panels_draw_every_code_hide_a_digit_and_name_a_code(server):
    page = open_compare(server, (1440, 900))
    panels = page.evaluate(PANELS_JS)
    drawn = [n for n in panels["drawn"] if n is not None]
    assert len(drawn) >= 2 and drawn == held_out_counts(page)
    assert page.locator(".js-plotly-plot").count() == 0  # no chart library on the page
    assert page.locator(".st-key-cmp_occupancy svg rect title").count() >= 20

    chip = page.locator(".aae-chip", has_text=re.compile(r"^3$"))
    chip.click()
    wait_until(lambda: page.evaluate(PANELS_JS)["hidden"] == [3], timeout=10)
    fewer = [n for n in page.evaluate(PANELS_JS)["drawn"] if n is not None]
    assert all(f < d for f, d in zip(fewer, drawn, strict=True))  # in every panel
    chip.click()
    wait_until(lambda: page.evaluate(PANELS_JS)["hidden"] == [], timeout=10)
    assert [n for n in page.evaluate(PANELS_JS)["drawn"] if n is not None] == drawn

    canvas = page.locator(".aae-panel-plot").first
    readout = page.locator(".aae-panel-readout").first
    box = canvas.bounding_box()
    named = None
    for fx, fy in [(a / 8, b / 8) for a in range(2, 7) for b in range(2, 7)]:
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        if readout.is_visible():
            named = readout.inner_text()
            break
    assert named and re.fullmatch(r"\d · held-out #\d+ · z = \(−?\d+\.\d\d, −?\d+\.\d\d\)",
                                  named), named
    page.mouse.move(1, 1)
    assert not readout.is_visible()

    mixture_bounds = panels["bounds"]
    page.get_by_test_id("stButtonGroup").locator("button").filter(
        has_text="Gaussian N(0, σ²I)").first.click()
    wait_for_app_run(page, timeout=120_000)
    wait_until(lambda: page.evaluate(PANELS_JS)["bounds"] != mixture_bounds, timeout=30)
    again = page.evaluate(PANELS_JS)
    assert [n for n in again["drawn"] if n is not None] == held_out_counts(page)
    page.screenshot(path=artifact_path("compare-panels-1440.png"))
    page.close()


@needs_mixture
def test_on_a_phone_the_panels_stack_inside_the_screen(server):
    page = open_compare(server, (390, 844))
    panels = page.evaluate(PANELS_JS)
    assert panels["stacked"] and panels["side"] <= 390
    boxes = [page.locator(".aae-panel-plot").nth(i).bounding_box()
             for i in range(page.locator(".aae-panel-plot").count())]
    assert len(boxes) >= 2 and all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
    assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"]  # one a row
    page.screenshot(path=artifact_path("compare-panels-390.png"))
    page.close()
