"""The take-home page in Chromium, opened from a file:// URL with every request blocked.

One page (aae-mixture and a short recorded Watch run) is written once; each test opens it
in a fresh context whose router aborts anything that is not the file itself and records
it, so "no fetch" is proved, not assumed. A laptop (1366 x 768, a real mouse drag) and a
phone (390 x 844, a real touch drag through the DevTools protocol). The screenshots go to
tests/artifacts/take-home-{1366,390}.png (a test run never changes a tracked file); the
README's docs/take-home-*.png are copies of them, refreshed by copying after a run. Last,
Explore's "Download as a web page" button in the app, end to end: the file it downloads
opens offline with its pad.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aae_core.store.checkpoints import load_checkpoint
from aae_core.watch.recording import record_run
from aae_core.web.take_home import build_take_home
from bench.browser import (
    artifact_path,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]

# red channel of a canvas, as a list (the digits are grey)
PIXELS_JS = """(sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    return Array.from(d.filter((_, i) => i % 4 === 0));
}"""

# page coordinates (CSS px) of a latent point on the pad
TO_PAGE_JS = """([x, y]) => {
    const pad = globalThis.__takeHome.pad;
    const r = pad.canvas.getBoundingClientRect();
    const [px, py] = pad.geom.toPx(x, y);
    return [r.left + px, r.top + py];
}"""


@pytest.fixture(scope="module")
def page_url(tmp_path_factory) -> str:
    require_browser()
    ckpt = load_checkpoint(ROOT / "checkpoints" / "aae-mixture")
    page = build_take_home(ckpt, title="aae-mixture", recording=record_run(60, 7))
    path = tmp_path_factory.mktemp("take-home") / "aae-mixture-take-home.html"
    path.write_text(page.html, encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


def open_page(chromium, url: str, **context_args):
    """A fresh context on the file, every other request aborted and listed in `.blocked`;
    script errors listed in `.errors`, alert/confirm dialogs in `.dialogs`."""
    context = chromium.new_context(**context_args)
    page = context.new_page()
    page.blocked, page.errors, page.dialogs = [], [], []

    def route(r):
        if r.request.url == url:
            return r.continue_()
        page.blocked.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_selector(".aae-pad-root[data-ready='1']", timeout=20_000)
    # the replay drew its first frame, or says there is none (selectors: the page's CSP
    # forbids the eval a string wait_for_function needs)
    page.wait_for_selector(".th-replay-body[data-frame='0'], .th-replay-none:not([hidden])")
    return page


def drag(page, start, end, steps=12) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, steps + 1):
        t = k / steps
        page.mouse.move(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]))
    page.mouse.up()


def changed(before, after) -> int:
    return sum(abs(a - b) > 8 for a, b in zip(before, after, strict=True))


def test_laptop_drag_sample_interpolate_and_replay_offline(chromium, page_url):
    page = open_page(chromium, page_url, viewport={"width": 1366, "height": 768})
    # the pad: a real mouse drag from the marker across the map changes the decoded digit
    z0 = page.evaluate("globalThis.__takeHome.pad.z.slice()")
    digit0 = page.evaluate(PIXELS_JS, ".aae-preview")
    start = page.evaluate(TO_PAGE_JS, z0)
    drag(page, start, (start[0] - 120, start[1] - 110))
    z1 = page.evaluate("globalThis.__takeHome.pad.z.slice()")
    assert abs(z1[0] - z0[0]) > 0.5 and abs(z1[1] - z0[1]) > 0.5
    assert changed(digit0, page.evaluate(PIXELS_JS, ".aae-preview")) > 40

    # sampling from the prior: a click decodes new digits
    samples0 = page.evaluate(PIXELS_JS, ".th-samples")
    page.get_by_role("button", name="Draw 16 samples").click()
    assert page.eval_on_selector(".th-samples", "c => c.dataset.draws") == "2"
    assert changed(samples0, page.evaluate(PIXELS_JS, ".th-samples")) > 200

    # the interpolation strip: drag end A; the strip's digits follow
    page.get_by_role("button", name="Interpolate").click()
    page.wait_for_selector(".aae-strip:not([hidden])")
    ends0 = page.evaluate("globalThis.__takeHome.pad.ends.map((e) => e.slice())")
    strip0 = page.evaluate(PIXELS_JS, ".aae-strip")
    a = page.evaluate(TO_PAGE_JS, ends0[0])
    drag(page, a, (a[0] + 90, a[1] + 130))
    ends1 = page.evaluate("globalThis.__takeHome.pad.ends.map((e) => e.slice())")
    assert ends1[1] == ends0[1] and abs(ends1[0][1] - ends0[0][1]) > 0.5
    assert changed(strip0, page.evaluate(PIXELS_JS, ".aae-strip")) > 100

    # the replay: scrubbing the timeline with the keyboard redraws the plane and the digits
    plane0 = page.evaluate(PIXELS_JS, ".th-plane")
    strip0 = page.evaluate(PIXELS_JS, ".th-strip")
    page.locator(".th-scrub").focus()
    page.keyboard.press("End")
    wait_until(lambda: page.eval_on_selector(".th-replay-body", "b => b.dataset.frame") == "6")
    assert page.locator(".th-time").inner_text().startswith("step 60 · 7 of 7")
    assert changed(plane0, page.evaluate(PIXELS_JS, ".th-plane")) > 500
    assert changed(strip0, page.evaluate(PIXELS_JS, ".th-strip")) > 200
    page.locator(".th-scrub").press("ArrowLeft")
    assert page.eval_on_selector(".th-replay-body", "b => b.dataset.frame") == "5"

    page.get_by_role("button", name="Explore").click()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifact_path("take-home-1366.png")))
    assert page.blocked == [] and page.errors == []


def touch_drag(page, start, end, steps=10) -> None:
    """A one-finger drag through the DevTools protocol: real touch events, as a phone."""
    cdp = page.context.new_cdp_session(page)
    point = lambda p: [{"x": p[0], "y": p[1], "id": 1}]  # noqa: E731
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point(start)})
    for k in range(1, steps + 1):
        t = k / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": point(
            (start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])))})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_phone_touch_drag_fits_390_px(chromium, page_url):
    page = open_page(chromium, page_url, viewport={"width": 390, "height": 844},
                     device_scale_factor=2, is_mobile=True, has_touch=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    box = page.locator(".aae-pad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    z0 = page.evaluate("globalThis.__takeHome.pad.z.slice()")
    digit0 = page.evaluate(PIXELS_JS, ".aae-preview")
    page.locator(".aae-pad").scroll_into_view_if_needed()
    start = page.evaluate(TO_PAGE_JS, z0)
    target = (box["x"] + box["width"] * 0.3, start[1] - 60)
    scroll0 = page.evaluate("window.scrollY")
    touch_drag(page, start, target)
    z1 = page.evaluate("globalThis.__takeHome.pad.z.slice()")
    assert abs(z1[0] - z0[0]) > 0.3
    assert changed(digit0, page.evaluate(PIXELS_JS, ".aae-preview")) > 40
    assert page.evaluate("window.scrollY") == scroll0  # the drag moved z, not the page
    for button in page.locator(".th-section button:visible").all():  # buttons wrap, not overflow
        b = button.bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifact_path("take-home-390.png")))
    assert page.blocked == [] and page.errors == []


def test_hostile_checkpoint_text_shows_as_text(chromium, tmp_path):
    from tests.helpers import HOSTILE_TITLE as HOSTILE
    from tests.tiny_checkpoints import make_tiny

    folder = make_tiny(tmp_path, "aae-supervised")
    card = json.loads((folder / "card.json").read_text())
    names = [f"{HOSTILE}{k}"[-100:] for k in range(10)]
    (folder / "card.json").write_text(json.dumps(card | {"class_names": names}))
    path = tmp_path / "hostile.html"
    path.write_text(build_take_home(load_checkpoint(folder), title=HOSTILE).html)
    page = open_page(chromium, path.as_uri(), viewport={"width": 1366, "height": 768})
    assert page.locator(".th-title").inner_text() == HOSTILE
    assert page.locator(".th-label").first.inner_text() == names[0]  # the label buttons
    assert page.locator(".aae-chip").first.inner_text() == names[0]  # the pad's legend
    assert page.locator("img").count() == 0 and page.dialogs == []
    samples = page.evaluate(PIXELS_JS, ".th-samples")  # the same codes, with another label
    page.locator(".th-label").nth(3).click()
    assert page.locator(".th-label").nth(3).get_attribute("aria-pressed") == "true"
    assert changed(samples, page.evaluate(PIXELS_JS, ".th-samples")) > 0
    assert page.blocked == [] and page.errors == []


def test_explore_downloads_a_page_that_opens_offline(chromium, tmp_path):
    with streamlit_server("app.py") as url:
        page = chromium.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{url}/Explore?model=aae-gaussian")
        wait_for_app_run(page)
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Download as a web page").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        page.close()
    assert saved.name == "aae-gaussian-take-home.html"
    offline = open_page(chromium, saved.as_uri(), viewport={"width": 1366, "height": 768})
    assert offline.locator(".th-title").inner_text() == "aae-gaussian"
    assert offline.blocked == [] and offline.errors == []
