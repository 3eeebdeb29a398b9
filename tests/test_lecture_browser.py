"""The teacher's lecture, walked in a real browser on one server, start to end.

Home (the lecture steps, the picture) -> pick vae-mixture and follow the link: the picker
names it, also after a round trip through the sidebar -> Explore: drag the pad -> Draw:
strokes drawn with the mouse on the real canvas give a code and a reconstruction, and a
drawn "1" decodes to a digit the judge classifier reads as 1 -> Style vs Label: the
measured statement and the map of where the label holds -> AAE vs VAE -> Classify: switching
the model kind moves the picker without a false warning -> Train a short run on
synthetic-digits and open it in Explore -> share the link: a new tab opens the same model,
view and seed -> bad links and an unknown page say what happened.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import numpy as np
import pytest

from bench.browser import (
    artifact_path,
    enable_pad_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]

# Three ways to write a 1 on the 224 x 224 canvas: (x, y) points of one stroke.
ONES = ([(112, 28), (112, 196)], [(122, 30), (104, 194)], [(100, 32), (116, 112), (120, 194)])


def choose(page, scope, label: str, option) -> None:
    """Pick `option` (text or regex) in the selectbox labelled `label` inside `scope`."""
    scope.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).first.click()
    wait_for_app_run(page)


def picker(page, label: str = "Model"):
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name=label)


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def view_button(page, name: str):
    """A segment of the Explore page's View control."""
    return page.get_by_test_id("stButtonGroup").locator("button").filter(
        has_text=re.compile(rf"{name}$")).first


def sidebar_link(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=name, exact=True).click()
    wait_for_app_run(page, timeout=60_000)


def stroke(page, canvas, points) -> None:
    """Draw one stroke with the mouse: down, a few moves per segment, up. Fabric (the
    canvas) drops a stroke whose events all arrive in the same frame: hence the pauses."""
    canvas.hover()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.wait_for_timeout(100)
    page.mouse.down()
    page.wait_for_timeout(100)
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for t in np.linspace(0, 1, 12)[1:]:
            page.mouse.move(box["x"] + x0 + t * (x1 - x0), box["y"] + y0 + t * (y1 - y0))
            page.wait_for_timeout(30)
    page.mouse.up()


def image_pixels(page, caption: str) -> np.ndarray:
    """The (28, 28) image shown above `caption` (fetched like the browser does), in [0, 1]."""
    from io import BytesIO

    from PIL import Image

    figure = page.get_by_test_id("stImage").filter(has_text=caption).first
    src = figure.locator("img").get_attribute("src")
    with urllib.request.urlopen(urljoin(page.url, src), timeout=10) as resp:
        img = Image.open(BytesIO(resp.read())).convert("L").resize((28, 28), Image.BOX)
    return np.asarray(img, np.float32) / 255.0


def judge_reads(images: list[np.ndarray]) -> list[int]:
    """The digits (n,) the shipped models' judge (checkpoints/.judges, trained on MNIST's
    60,000 training images) reads in images (n, 28, 28); needs no images of its own."""
    import torch

    from aae_core.analysis.sample_quality import stored_judge
    from aae_core.data import default_cache_dir
    from ui.analysis_views import JUDGES

    judge = stored_judge("mnist", default_cache_dir(), shipped_dir=ROOT / "checkpoints" / JUDGES)
    assert judge is not None, "the shipped mnist judge is missing"
    with torch.no_grad():
        x = torch.as_tensor(np.stack(images).reshape(len(images), -1))
        return judge(x).argmax(1).tolist()


def home_and_the_model_picker(page, url: str, expect) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout=90_000)
    expect(page.get_by_text("A lecture in seven steps")).to_be_visible()
    for k in range(1, 8):
        expect(page.get_by_role("link", name=re.compile(rf"^{k}\. "))).to_be_visible()
    # the map, its digits and the diagram of the two phases
    expect(page.get_by_test_id("stImage")).to_have_count(3)
    # (2a) pick vae-mixture on Home and follow the link: the picker names it
    choose(page, page.get_by_test_id("stMain"), "Model to explore", re.compile("^vae-mixture "))
    page.get_by_role("link", name="Drag through its latent space").click()
    wait_for_app_run(page, timeout=60_000)
    expect(picker(page)).to_have_value(re.compile("^vae-mixture "), timeout=30_000)
    assert query(page)["model"] == "vae-mixture"
    # (2c) through the sidebar and back: still vae-mixture, not the default
    sidebar_link(page, "Home")
    sidebar_link(page, "Explore")
    expect(picker(page)).to_have_value(re.compile("^vae-mixture "), timeout=30_000)


def drag_the_pad(page) -> None:
    pad = page.locator("canvas.aae-pad").first
    pad.wait_for(timeout=30_000)
    readout = page.locator(".aae-readout").first
    before = readout.inner_text()
    box = pad.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for t in np.linspace(0, 1, 10)[1:]:
        page.mouse.move(cx + 60 * t, cy - 40 * t)
    page.mouse.up()
    wait_until(lambda: readout.inner_text() != before, timeout=30)  # the digit followed


def draw_a_one(page, expect) -> list[np.ndarray]:
    view_button(page, "Draw").click()
    wait_for_app_run(page)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    recons = []
    for i, points in enumerate(ONES):
        if i:
            page.get_by_role("button", name="Reset canvas & history").first.click()
            wait_for_app_run(page)
        stroke(page, canvas, points)
        wait_for_app_run(page, timeout=30_000)
        expect(page.get_by_text("its reconstruction")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile(r"code z = \("))).to_be_visible()
        expect(page.get_by_text("the image is empty")).to_have_count(0)
        recons.append(image_pixels(page, "its reconstruction"))
    page.screenshot(path=artifact_path("lecture_draw.png"))
    return recons


def interpolate_by_dragging_an_end(page, expect) -> None:
    """Interpolate: the two ends are markers on the map; dragging end A redraws the strip
    in the browser and the page then names A as a point the user chose."""
    view_button(page, "Interpolate").click()
    wait_for_app_run(page)
    key = "pad::aae-mixture"
    ends = "(k) => window.__aaePad[k].ends"
    strip = "(k) => Array.from(window.__aaePad[k].strip[0])"
    wait_until(lambda: page.evaluate("(k) => !!(window.__aaePad[k] || {}).strip", key),
               timeout=30)
    (ax, ay), _ = page.evaluate(ends, key)
    first = np.array(page.evaluate(strip, key))
    to_client = "([k, x, y]) => window.__aaePad[k].clientOf(x, y)"
    page.mouse.move(*page.evaluate(to_client, [key, ax, ay]))
    page.mouse.down()
    for t in np.linspace(0, 1, 8)[1:]:
        page.mouse.move(*page.evaluate(to_client, [key, ax * (1 - t) - 2.0 * t, ay]), steps=2)
    page.mouse.up()
    assert np.abs(np.array(page.evaluate(strip, key)) - first).max() > 0.05  # A's digit moved
    expect(page.get_by_text(re.compile("a point you chose"))).to_be_visible(timeout=30_000)
    page.screenshot(path=artifact_path("lecture_interpolate.png"))


def style_vs_label(page, url: str, expect) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout=60_000)
    page.get_by_role("link", name=re.compile(r"^3\. Style vs label")).click()
    wait_for_app_run(page, timeout=120_000)  # measures where the label holds (once)
    expect(picker(page)).to_have_value(re.compile("^aae-supervised "), timeout=30_000)
    # the shipped judge measures where the label holds, with or without MNIST's files here
    expect(page.get_by_text("as judged by a classifier")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("green where the judge recovers"))).to_be_visible()
    page.screenshot(path=artifact_path("lecture_style.png"))


def aae_vs_vae_and_classify(page, url: str, expect) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout=60_000)
    page.get_by_role("link", name=re.compile(r"^4\. AAE vs VAE")).click()
    wait_for_app_run(page, timeout=120_000)
    expect(page.get_by_role("heading", name="AAE vs VAE: who fills the prior?")).to_be_visible()
    assert query(page).get("prior") == "mixture"  # where the lesson shows
    # (2d) Classify: switching the model kind moves the picker, with no false warning
    sidebar_link(page, "Classify and Cluster")
    expect(picker(page)).to_have_value(re.compile("^aae-semi-supervised "), timeout=30_000)
    view_button(page, "Unsupervised clustering").click()
    wait_for_app_run(page, timeout=120_000)
    expect(picker(page)).to_have_value(re.compile("^aae-clustering "), timeout=30_000)
    expect(page.get_by_text("no longer available")).to_have_count(0)
    assert query(page)["model"] == "aae-clustering"


def train_and_explore(page, url: str, expect) -> str:
    page.goto(url)
    wait_for_app_run(page, timeout=60_000)
    page.get_by_role("link", name=re.compile(r"^\d\. Train")).click()
    wait_for_app_run(page, timeout=60_000)
    side = page.get_by_test_id("stSidebar")
    choose(page, side, "Dataset", "synthetic-digits")
    side.get_by_label("Hidden sizes", exact=True).fill("32")
    side.get_by_label("Epochs", exact=True).fill("1")
    name = side.get_by_label("Run name", exact=True).input_value()
    side.get_by_role("button", name="Start training").click()
    finished = page.get_by_text(f"Finished: saved as runs/{name}")
    expect(finished.first).to_be_visible(timeout=180_000)
    # the run's end redraws the whole page once; while it does, the live panel's old
    # elements can still stand beside the new ones, so wait until one link is left
    link = page.get_by_role("link", name=f"Explore runs/{name}")
    expect(link).to_have_count(1, timeout=60_000)
    expect(finished).to_have_count(1, timeout=60_000)
    link.click()  # (2b) the picker names the run
    wait_for_app_run(page, timeout=60_000)
    expect(picker(page)).to_have_value(re.compile(f"^runs/{name} "), timeout=30_000)
    return name


def share_a_link(browser, page, expect, run_name: str) -> None:
    view_button(page, "Sample").click()
    wait_for_app_run(page)
    page.get_by_role("button", name="Sample 64 new digits").click()
    wait_for_app_run(page)
    shared = query(page)
    assert (shared["model"], shared["view"], shared["seed"]) == (f"runs/{run_name}", "sample",
                                                                  "1")
    other = browser.new_page(viewport={"width": 1440, "height": 900})  # a new session
    other.goto(page.url)
    wait_for_app_run(other, timeout=60_000)
    expect(picker(other)).to_have_value(re.compile(f"^runs/{run_name} "), timeout=30_000)
    expect(other.get_by_text(re.compile("prior samples.*seed 1"))).to_be_visible()
    reopened = query(other)
    assert reopened["z"] == shared["z"] and reopened["seed"] == "1"
    other.close()


def bad_links_say_what_happened(page, url: str, expect) -> None:
    page.goto(f"{url}/Explore?model=nope&label=x&z=50,-50")
    wait_for_app_run(page, timeout=60_000)
    shown = picker(page).input_value().split(" ")[0]
    expect(page.get_by_text(f"showing {shown} instead")).to_be_visible()
    expect(page.get_by_text(re.compile("is outside this model's map"))).to_be_visible()
    wait_until(lambda: "label" not in query(page), timeout=10)  # the rejected one is gone
    page.goto(f"{url}/Nope")
    wait_for_app_run(page, timeout=60_000)
    expect(page.get_by_text(re.compile("There is no page called"))).to_be_visible()


def test_the_lecture_walks_end_to_end(tmp_path):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    env = {"AAE_RUNS_DIR": str(tmp_path / "runs"), "AAE_MAX_RUNS": "1"}
    with streamlit_server("app.py", env=env) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = enable_pad_stats(browser.new_page(viewport={"width": 1440, "height": 900}))
            home_and_the_model_picker(page, url, expect)
            drag_the_pad(page)
            choose(page, page.get_by_test_id("stSidebar"), "Model", re.compile("^aae-mixture "))
            recons = draw_a_one(page, expect)
            reads = judge_reads(recons)
            assert sum(r == 1 for r in reads) >= 2, f"the judge read {reads}"
            interpolate_by_dragging_an_end(page, expect)
            style_vs_label(page, url, expect)
            aae_vs_vae_and_classify(page, url, expect)
            run_name = train_and_explore(page, url, expect)
            share_a_link(browser, page, expect, run_name)
            bad_links_say_what_happened(page, url, expect)
        except Exception:
            page.screenshot(path=artifact_path("lecture_failure.png"))
            raise
        finally:
            browser.close()
