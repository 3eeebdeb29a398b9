"""The Style vs label page in a real browser, with the shipped checkpoints.

Vary style: changing the fixed digit changes the pad's in-browser preview (the decoder's
label input) while z stays. Vary label: the ten digits drawn at one style all differ, and
stepping the label moves the highlight, changes the preview and, for the label-regularized
AAE, moves z into the next component. Also renders the AAE vs VAE and Classify pages and
saves full-page screenshots of all three to tests/artifacts/.
"""

from __future__ import annotations

import io
import itertools
import re

import numpy as np
import pytest

from aae_core.store.checkpoints import list_checkpoints, read_config
from bench.browser import (
    REPO_ROOT,
    artifact_path,
    enable_pad_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KINDS = {p.name: read_config(p)[0].model for p in list_checkpoints(REPO_ROOT / "checkpoints")}
STYLE_NAMES = [n for n in ("aae-supervised", "aae-label-regularized") if n in KINDS]

PAD_JS = """(key) => {
    const s = (window.__aaePad || {})[key];
    return s && s.ready && s.lastImage ? {z: s.z, image: Array.from(s.lastImage)} : null;
}"""


@pytest.fixture(scope="module")
def browser_page():
    require_browser()
    if not STYLE_NAMES:
        pytest.skip("no shipped aae-supervised / aae-label-regularized checkpoint yet")
    from playwright.sync_api import sync_playwright

    with streamlit_server("app.py") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = enable_pad_stats(browser.new_page(viewport={"width": 1400, "height": 2000}))
        yield page, url
        browser.close()


def pad(page, key: str, *, other_than: dict | None = None, timeout: float = 20) -> dict:
    """The pad's state once it is ready (and its image differs from `other_than`)."""
    def ready():
        s = page.evaluate(PAD_JS, key)
        if s and other_than is not None and np.allclose(s["image"], other_than["image"]):
            return None
        return s
    return wait_until(ready, timeout=timeout)


def segment(page, label: str, option: str) -> None:
    """Click `option` of the segmented control labelled `label`."""
    group = page.get_by_role("radiogroup", name=label, exact=True)
    group.get_by_role("radio", name=option).click()
    wait_for_app_run(page)


def row_images(page, url: str) -> list[np.ndarray]:
    """The ten digits of the "one style, every digit" row, as pixel arrays."""
    from PIL import Image

    out = []
    for k in range(10):
        caption = page.get_by_test_id("stImageCaption").filter(
            has_text=re.compile(rf"^(▶ )?{k}( ◀)?$"))
        img = page.get_by_test_id("stImage").filter(has=caption).locator("img").first
        src = img.get_attribute("src")
        body = page.request.get(src if src.startswith("http") else url + src).body()
        out.append(np.asarray(Image.open(io.BytesIO(body)).convert("L"), dtype=float) / 255)
    return out


@pytest.mark.parametrize("name", STYLE_NAMES or ["none"])
def test_vary_style_then_vary_label(browser_page, name):
    page, url = browser_page
    key = f"style_pad::{name}"
    page.goto(f"{url}/Style_vs_Label?model={name}")
    wait_for_app_run(page)
    first = pad(page, key)

    # vary style: another digit, same z -> another preview (or, label-regularized, another z)
    segment(page, "Digit", "7")
    seven = pad(page, key, other_than=first)
    if KINDS[name] == "aae-label-regularized":
        assert seven["z"] != first["z"]
    else:
        assert seven["z"] == first["z"]
    page.screenshot(path=artifact_path(f"style_vary_style_{name}.png"), full_page=True)

    # vary label: ten different digits at one style
    segment(page, "What to vary", "Vary label (style fixed)")
    images = wait_until(lambda: row_images(page, url), timeout=20)
    diffs = [np.abs(a - b).mean() for a, b in itertools.combinations(images, 2)]
    print(f"\n{name}: mean |difference| between the ten digits: min {min(diffs):.3f}, "
          f"median {np.median(diffs):.3f}")
    assert min(diffs) > 0.01, "two labels decoded to (nearly) the same image"
    assert page.get_by_test_id("stImageCaption").filter(has_text="▶ 7 ◀").count() == 1

    page.get_by_role("button", name="Next label").click()
    wait_for_app_run(page)
    eight = pad(page, key, other_than=seven)
    assert page.get_by_test_id("stImageCaption").filter(has_text="▶ 8 ◀").count() == 1
    if KINDS[name] == "aae-label-regularized":
        assert eight["z"] != seven["z"]  # moved into component 8
    else:
        assert eight["z"] == seven["z"]  # the style stays
    page.screenshot(path=artifact_path(f"style_vary_label_{name}.png"), full_page=True)

    # the style x label grid from real held-out digits (originals on the left)
    segment(page, "Rows: styles from", "real held-out digits")
    grid = page.get_by_test_id("stImage").filter(
        has=page.get_by_test_id("stImageCaption").filter(has_text="columns: labels"))
    assert "the real held-out digit" in grid.inner_text()
    grid.scroll_into_view_if_needed()
    page.screenshot(path=artifact_path(f"style_grid_held_out_{name}.png"), full_page=True)


@pytest.mark.parametrize(("path", "shot"), [
    ("AAE_vs_VAE", "compare_gaussian.png"),
    ("AAE_vs_VAE?mixture", "compare_mixture.png"),
    ("Classify_and_Cluster?model=aae-semi-supervised", "classify_semi.png"),
    ("Classify_and_Cluster?model=aae-clustering", "classify_clustering.png"),
    ("Classify_and_Cluster?model=aae-dim-reduction", "classify_dimred.png"),
])
def test_analysis_pages_render(browser_page, path, shot):
    page, url = browser_page
    page.set_viewport_size({"width": 1400, "height": 2600})  # the whole page in one shot
    page.goto(f"{url}/{path.replace('?mixture', '')}")
    wait_for_app_run(page)
    if path.endswith("?mixture"):
        segment(page, "Prior", "Mixture of 10 Gaussians")
    page.wait_for_timeout(1500)  # let Plotly draw
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=artifact_path(shot), full_page=True)
