"""The Explore page in a real browser, on the shipped checkpoints.

1. For every shipped model, the browser's decoder (aae_core/web/pad/js/decoder.js) and torch
   agree within 1e-3 per pixel on 200 random codes over the model's view box.
2. Dragging the marker with page.mouse changes the decoded digit during the drag, and after
   release the server's (unseen) decode of the same z matches the browser's image.
3. The one map: a legend chip hides its class; a click on a code puts the marker on it.
4. Interpolate: dragging an end redraws the strip in the browser.
5. Presentation mode fits a 1280x720 projector; on a 390x844 phone the digit stays on
   screen while the pad is dragged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aae_core.analysis.explore import view_bounds
from aae_core.store import catalog
from aae_core.store.checkpoints import load_checkpoint
from aae_core.web.pad.assets import standalone_decoder_js
from aae_core.web.pad.payload import decoder_payload
from bench.browser import (
    artifact_path,
    enable_pad_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)
from tests.helpers import browser_decode

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHIPPED = [e for e in catalog.entries() if e.source == "shipped" and e.config is not None]
TOLERANCE = 1e-3
STATS_JS = """(k) => { const s = (window.__aaePad || {})[k]; if (!s) return null;
  return {frames: s.frames, z: s.z, ready: s.ready, releases: s.releases,
          lastImage: s.lastImage ? Array.from(s.lastImage) : null}; }"""


@pytest.fixture(scope="module")
def pw_browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.mark.skipif(not SHIPPED, reason="no shipped checkpoints")
def test_browser_and_torch_decoders_agree_on_every_shipped_model(pw_browser):
    page = pw_browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=standalone_decoder_js())
    gen = torch.Generator().manual_seed(0)
    worst = {}
    for entry in SHIPPED:
        ckpt = load_checkpoint(entry.path)
        model = ckpt.model
        xmin, xmax, ymin, ymax = view_bounds(model, ckpt.codes.numpy())
        u = torch.rand(200, 2, generator=gen)
        z = torch.stack([xmin + u[:, 0] * (xmax - xmin), ymin + u[:, 1] * (ymax - ymin)], 1)
        labels = torch.randint(0, max(1, model.cond_dim), (200,), generator=gen)
        cond = model.label_vector(labels) if model.cond_dim else None
        payload = decoder_payload(model.decoder.layers(), latent_dim=model.latent_dim,
                                  cond_dim=model.cond_dim)
        with torch.no_grad():
            expected = model.decoder(z, cond)
        got = browser_decode(page, payload, z, cond)
        worst[entry.name] = float((got - expected).abs().max())
    page.close()
    assert max(worst.values()) <= TOLERANCE, worst


needs_mixture = pytest.mark.skipif(not any(e.name == "aae-mixture" for e in SHIPPED),
                                   reason="the shipped aae-mixture checkpoint is missing")
KEY = "pad::aae-mixture"
CLIENT_JS = "([k, x, y]) => window.__aaePad[k].clientOf(x, y)"


@pytest.fixture(scope="module")
def explore_url():
    require_browser()
    with streamlit_server("app.py") as url:
        yield url


def open_explore(browser, url: str, query: str = "", *, width=1400, height=1100):
    """A page on Explore with aae-mixture, the pad's instrumentation on, once it is ready."""
    page = enable_pad_stats(browser.new_page(viewport={"width": width, "height": height}))
    page.goto(f"{url}/Explore?model=aae-mixture{query}")
    wait_for_app_run(page, timeout=60_000)
    wait_until(lambda: (page.evaluate(STATS_JS, KEY) or {}).get("ready"), timeout=30)
    page.wait_for_timeout(200)  # a layout pass after the fonts arrive
    return page


def pad_stats(page, fields: str) -> dict:
    """Some fields of the pad's instrumentation, JSON-friendly."""
    return page.evaluate(f"(k) => {{ const s = window.__aaePad[k]; return {{{fields}}}; }}", KEY)


def mixture_codes() -> tuple[np.ndarray, np.ndarray]:
    ckpt = load_checkpoint(catalog.resolve("aae-mixture"))
    return ckpt.codes.numpy(), ckpt.labels.numpy()


@needs_mixture
def test_dragging_on_explore_morphs_the_digit_and_the_server_agrees(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url)
    path = [(4.0 * np.cos(a), 4.0 * np.sin(a)) for a in np.linspace(0, 2.5, 30)]
    page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, *path[0]]))
    page.mouse.down()
    images = []
    for i, (x, y) in enumerate(path):
        page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, x, y]))
        if i % 10 == 5:
            page.wait_for_timeout(50)
            images.append(np.array(page.evaluate(STATS_JS, KEY)["lastImage"]))
    page.screenshot(path=artifact_path("explore_dragging.png"))
    page.mouse.up()
    final = page.evaluate(STATS_JS, KEY)
    # the digit changed during the drag (the ring's components decode to other digits)
    assert all(np.abs(a - b).max() > 0.1 for a, b in zip(images, images[1:], strict=False))
    z = final["z"]
    # the server decodes the released z (unseen: the user sees one digit) and sends it back
    server = wait_until(lambda: pad_stats(page, "z: s.server && s.server.z, image: "
                                                "s.server && Array.from(s.server.image)")
                        if pad_stats(page, "z: s.server && s.server.z")["z"] == z else None,
                        timeout=20)
    assert np.abs(np.array(server["image"]) - np.array(final["lastImage"])).max() <= TOLERANCE
    model = load_checkpoint(catalog.resolve("aae-mixture")).model
    with torch.no_grad():
        expected = model.decode(torch.tensor([z], dtype=torch.float32))[0].numpy()
    assert np.abs(np.array(final["lastImage"]) - expected).max() <= TOLERANCE
    wait_until(lambda: "z=" in page.evaluate("() => location.search"), timeout=10)
    # one digit on the page: the pad's; no second (server) image, no second map
    assert page.get_by_test_id("stImage").count() == 0 or page.evaluate(
        "() => !document.querySelector('[data-testid=stImage] img[alt*=server]')")
    assert page.locator(".js-plotly-plot").count() == 0
    page.close()


@needs_mixture
def test_legend_toggles_hide_a_class(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url)
    _, labels = mixture_codes()
    before = pad_stats(page, "drawn: s.drawnPoints, hidden: s.hidden")
    assert before == {"drawn": len(labels), "hidden": []}
    chip = page.locator(".aae-chip[data-cls='3']")
    chip.click()
    after = wait_until(lambda: (lambda v: v if v["hidden"] == [3] else None)(
        pad_stats(page, "drawn: s.drawnPoints, hidden: s.hidden")), timeout=10)
    assert after["drawn"] == len(labels) - int((labels == 3).sum())
    assert chip.get_attribute("aria-pressed") == "false"
    page.locator(".aae-bg[data-bg='prior']").click()
    wait_until(lambda: pad_stats(page, "bg: s.background")["bg"] == "prior", timeout=10)
    page.locator(".aae-pad-root").first.screenshot(path=artifact_path("explore_legend.png"))
    chip.click()
    wait_until(lambda: pad_stats(page, "drawn: s.drawnPoints")["drawn"] == len(labels), timeout=10)
    page.close()


@needs_mixture
def test_clicking_a_code_moves_the_marker_onto_it(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url)
    codes, labels = mixture_codes()
    z0 = np.array(pad_stats(page, "z: s.z")["z"])
    gaps = np.sqrt(((codes[:, None] - codes[None]) ** 2).sum(-1)) + np.eye(len(codes)) * 1e9
    lonely = np.flatnonzero((gaps.min(1) > 0.35) & (np.abs(codes - z0).max(1) > 1.0))
    i = int(lonely[0])
    x, y = page.evaluate(CLIENT_JS, [KEY, float(codes[i, 0]), float(codes[i, 1])])
    page.mouse.click(x + 3, y - 2)  # a little off the dot: a click still lands on it
    s = wait_until(lambda: (lambda v: v if v["picked"] else None)(
        pad_stats(page, "z: s.z, picked: s.picked")), timeout=10)
    assert s["picked"]["index"] == i and s["picked"]["label"] == int(labels[i])
    assert np.allclose(s["z"], codes[i], atol=1e-6)
    assert page.locator(".aae-picked").inner_text().startswith(f"held-out #{i}")
    wait_until(lambda: np.allclose(pad_stats(page, "z: s.server && s.server.z")["z"] or [9e9],
                                   codes[i], atol=1e-6), timeout=20)
    page.close()


@needs_mixture
def test_dragging_an_interpolation_end_redraws_the_strip(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url, "&view=interpolate")
    first = pad_stats(page, "ends: s.ends, strip: s.strip && s.strip.map((a) => Array.from(a))")
    a, b = first["ends"]
    assert len(first["strip"]) == 10
    page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, *a]))
    page.mouse.down()
    strips = []
    for t in np.linspace(0, 1, 12)[1:]:
        page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, a[0] * (1 - t) - 3.5 * t,
                                                   a[1] * (1 - t) + 0.5 * t]), steps=2)
        page.wait_for_timeout(30)
        strips.append(np.array(pad_stats(page, "strip: s.strip.map((a) => Array.from(a))")
                               ["strip"]))
    page.mouse.up()
    # the end A moved; each strip's first digit is the decode of A, B's last stayed put
    assert all(np.abs(x[0] - y[0]).max() > 0.02 for x, y in zip(strips[::4], strips[4::4],
                                                                 strict=False))
    assert np.allclose(strips[-1][-1], first["strip"][-1])
    moved = pad_stats(page, "ends: s.ends")["ends"]
    assert abs(moved[0][0] + 3.5) < 0.1 and moved[1] == b
    wait_until(lambda: "a point you chose" in page.get_by_test_id("stMarkdown").filter(
        has_text="A =").first.inner_text(), timeout=20)
    page.screenshot(path=artifact_path("explore_interpolate.png"))
    page.close()


def inside(box: dict, width: int, height: int) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5
            and box["y"] + box["height"] <= height + 0.5)


@needs_mixture
def test_presentation_mode_fills_a_1280x720_projector_without_scrolling(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url, "&present=1", width=1280, height=720)
    pad_box = page.locator(".aae-pad").first.bounding_box()
    digit_box = page.locator(".aae-preview").first.bounding_box()
    assert inside(pad_box, 1280, 720) and inside(digit_box, 1280, 720), (pad_box, digit_box)
    assert pad_box["height"] >= 500 and digit_box["height"] >= 300, (pad_box, digit_box)
    assert not page.get_by_test_id("stSidebar").is_visible()
    assert page.get_by_role("switch", name="Present").is_checked()
    page.close()


@needs_mixture
def test_on_a_phone_the_digit_stays_visible_while_dragging(pw_browser, explore_url):
    page = open_explore(pw_browser, explore_url, width=390, height=844)
    pad = page.locator(".aae-pad").first
    pad.evaluate("(el) => el.scrollIntoView({block: 'end'})")  # the whole pad on screen
    page.wait_for_timeout(200)
    f0 = pad_stats(page, "frames: s.frames")["frames"]
    page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, -2.0, -2.0]))
    page.mouse.down()
    for x in np.linspace(-2.0, 2.0, 8):
        page.mouse.move(*page.evaluate(CLIENT_JS, [KEY, float(x), -2.0 + float(x) / 2]))
        page.wait_for_timeout(30)
        assert inside(page.locator(".aae-preview").first.bounding_box(), 390, 844)
    page.screenshot(path=artifact_path("explore_phone_dragging.png"))
    page.mouse.up()
    assert pad_stats(page, "frames: s.frames")["frames"] > f0 + 4
    assert inside(pad.bounding_box(), 390, 844)
    page.close()


@needs_mixture
def test_on_a_phone_the_views_wrap_and_a_drawn_digit_gets_its_star(pw_browser, explore_url):
    """At 390 px the row of views wraps (Draw stays on screen); a digit drawn with the mouse
    on the real canvas is encoded, and the map draws a ★ at its code."""
    import re

    page = open_explore(pw_browser, explore_url, "&view=draw", width=390, height=844)
    views = page.get_by_test_id("stButtonGroup").first.locator("button")
    for i in range(views.count()):
        box = views.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, box)
    assert pad_stats(page, "star: s.star")["star"] is None  # nothing drawn yet
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    canvas.hover()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 112, box["y"] + 30)
    page.wait_for_timeout(100)  # the canvas drops a stroke whose events share one frame
    page.mouse.down()
    page.wait_for_timeout(100)
    for t in np.linspace(0, 1, 12)[1:]:
        page.mouse.move(box["x"] + 112, box["y"] + 30 + 160 * t)
        page.wait_for_timeout(30)
    page.mouse.up()
    caption = page.get_by_text(re.compile(r"code z = \(.*the ★ on the map"))
    caption.wait_for(timeout=60_000)
    code = [float(v) for v in re.search(r"\((.*)\)", caption.inner_text()).group(1).split(",")]
    star = wait_until(lambda: pad_stats(page, "star: s.star")["star"], timeout=30)
    assert np.allclose(star, code, atol=0.006)  # the caption rounds to two decimals
    page.locator(".aae-pad").first.scroll_into_view_if_needed()
    page.screenshot(path=artifact_path("explore_phone_star.png"))
    page.close()
