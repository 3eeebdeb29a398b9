"""The latent pad in a real browser: live decode while dragging, authoritative decode on release.

Starts tests/apps/pad_app.py with `streamlit run`, drives headless chromium with page.mouse
and reads the pad's instrumentation (window.__aaePad[key]). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import base64
import json
import math

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

TOLERANCE = 1e-3

# The pad's instrumentation, made JSON-friendly (lastImage is a Float32Array).
STATS_JS = """(key) => {
    const s = (window.__aaePad || {})[key];
    if (!s) return null;
    return {frames: s.frames, z: s.z, seq: s.seq, releases: s.releases, dragging: s.dragging,
            ready: s.ready, parses: s.parses, decoderSent: s.decoderSent, needs: s.needs,
            nDecodes: s.decodeMs.length,
            lastImage: s.lastImage ? Array.from(s.lastImage) : null};
}"""


@pytest.fixture(scope="module")
def app_url():
    require_browser()
    with streamlit_server("tests/apps/pad_app.py") as url:
        yield url


@pytest.fixture(scope="module")
def app_page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = enable_pad_stats(browser.new_page(viewport={"width": 1000, "height": 1100}))
        page.goto(app_url)
        wait_for_app_run(page)
        page.wait_for_selector(".aae-pad-root[data-key='pad'][data-ready='1']", timeout=20_000)
        yield page
        browser.close()


# 50 pointermoves in one task, then two animation frames: how many decodes did they cost?
BURST_JS = """(canvas, key) => new Promise((done) => {
    const s = window.__aaePad[key];
    const f0 = s.frames;
    const r = canvas.getBoundingClientRect();
    for (let i = 0; i < 50; i++) {
        canvas.dispatchEvent(new PointerEvent("pointermove", {
            bubbles: true, pointerId: 1, isPrimary: true,
            clientX: r.left + r.width * (0.3 + 0.008 * i), clientY: r.top + r.height * 0.4}));
    }
    requestAnimationFrame(() => requestAnimationFrame(() => done(s.frames - f0)));
})"""

# the preview canvas's red channel (0..255) for the pad with this key
PREVIEW_JS = """(canvas) => {
    const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from(d.filter((_, i) => i % 4 === 0));
}"""


def stats(page, key: str = "pad") -> dict:
    return page.evaluate(STATS_JS, key)


def client_xy(page, x: float, y: float, key: str = "pad") -> tuple[float, float]:
    """Page coordinates of latent point (x, y) on the pad."""
    return tuple(page.evaluate("([k, x, y]) => window.__aaePad[k].clientOf(x, y)", [key, x, y]))


def server_text(page, prefix: str) -> str:
    loc = page.locator("[data-testid='stText']", has_text=prefix).first
    return loc.inner_text().strip().removeprefix(prefix).strip()


def server_z(page) -> list[float]:
    return json.loads(server_text(page, "server z ="))


def server_image(page) -> np.ndarray:
    return np.frombuffer(base64.b64decode(server_text(page, "server image =")), dtype="<f4")


def runs(page) -> int:
    return int(server_text(page, "runs ="))


def settle(page, expected_z: list[float]) -> None:
    """Wait for the rerun that follows a release to reach the page."""
    wait_until(lambda: np.allclose(server_z(page), expected_z, atol=1e-9), timeout=20)
    wait_for_app_run(page)


def test_drag_decodes_every_frame_and_server_agrees(app_page):
    page = app_page
    before = stats(page)
    assert before["ready"] and before["lastImage"] is not None
    assert before["decoderSent"], "the first render must carry the weights"
    assert server_z(page) == [0.0, 0.5, 0.0]

    # a path around the origin, in latent coordinates (pad dims are z0 and z2)
    path = [(2.2 * math.cos(t), 2.2 * math.sin(t)) for t in np.linspace(0, 1.6 * math.pi, 60)]
    root = page.locator(".aae-pad-root[data-key='pad']")
    preview, pad_canvas = root.locator(".aae-preview"), root.locator(".aae-pad")
    page.mouse.move(*client_xy(page, 0.0, 0.0))
    page.mouse.down()
    samples, canvases = [], []
    for i, (x, y) in enumerate(path):
        page.mouse.move(*client_xy(page, x, y), steps=2)
        if i % 12 == 11:
            page.wait_for_timeout(50)  # let an animation frame run
            samples.append(stats(page))
            canvases.append(preview.evaluate(PREVIEW_JS))
    page.screenshot(path=artifact_path("pad_dragging.png"))
    burst_frames = pad_canvas.evaluate(BURST_JS, "pad")
    page.mouse.up()

    # during the drag: still dragging, frames advancing, z following, images changing
    assert all(s["dragging"] for s in samples)
    frames = [s["frames"] for s in samples]
    assert frames == sorted(frames) and frames[-1] > frames[0] + 4, frames
    assert len({tuple(np.round(s["z"], 6)) for s in samples}) == len(samples)
    images = [np.array(s["lastImage"]) for s in samples]
    changes = [np.abs(a - b).max() for a, b in zip(images[:-1], images[1:], strict=True)]
    assert min(changes) > 0.02, f"preview barely changed between samples: {changes}"
    for s, red in zip(samples, canvases, strict=True):  # what is painted is what was decoded
        painted = np.array(red, dtype=float) / 255
        assert np.abs(painted - np.clip(s["lastImage"], 0, 1)).max() <= 1 / 255 + 1e-6
    assert 1 <= burst_frames <= 2, f"50 moves in one task cost {burst_frames} decodes"
    assert runs(page) == 1, "a drag must not rerun the script before the release"

    after = stats(page)
    assert not after["dragging"] and after["releases"] == 1
    browser_z = after["z"]
    assert browser_z[1] == 0.5  # the pad moves z0 and z2 only
    assert math.dist((browser_z[0], browser_z[2]), path[-1]) < 0.05

    settle(page, browser_z)
    assert server_z(page) == browser_z
    diff = np.abs(server_image(page) - np.array(stats(page)["lastImage"])).max()
    print(f"\nmax |browser - server| after release: {diff:.3e}")
    assert diff <= TOLERANCE
    final = stats(page)
    assert final["z"] == browser_z, "the rerun must not move the marker"
    # both pads mount in one render and either may parse first: one parse per page
    assert final["parses"] + stats(page, "pad_b")["parses"] == 1
    assert not final["decoderSent"], "weights must not be resent once the browser holds them"

    ms = np.array(page.evaluate("() => window.__aaePad.pad.decodeMs"))
    print(
        f"in-app decode+paint over {ms.size} frames: p50 {np.median(ms):.2f} ms, "
        f"p95 {np.percentile(ms, 95):.2f} ms"
    )
    root.screenshot(path=artifact_path("pad_component.png"))
    page.screenshot(path=artifact_path("pad_app.png"), full_page=True)


def test_same_position_release_still_registers(app_page):
    page = app_page
    z = stats(page)["z"]
    n_runs = runs(page)
    xy = client_xy(page, z[0], z[2])
    page.mouse.click(*xy)
    wait_until(lambda: runs(page) > n_runs, timeout=20)
    wait_for_app_run(page)
    assert np.allclose(server_z(page), z, atol=1e-3)
    assert stats(page)["releases"] >= 2


def test_python_sets_z_and_marker_follows(app_page):
    page = app_page
    page.get_by_role("button", name="Reset z").click()
    wait_for_app_run(page)
    wait_until(lambda: stats(page)["z"] == [0.0, 0.5, 0.0], timeout=20)
    assert server_z(page) == [0.0, 0.5, 0.0]
    diff = np.abs(server_image(page) - np.array(stats(page)["lastImage"])).max()
    assert diff <= TOLERANCE


def test_two_pads_are_independent(app_page):
    page = app_page
    a_before, b_before = stats(page, "pad"), stats(page, "pad_b")
    assert b_before["ready"] and a_before["ready"]
    assert a_before["parses"] + b_before["parses"] == 1, "one pad parses, the other reuses it"
    page.locator(".aae-pad-root[data-key='pad_b'] .aae-pad").scroll_into_view_if_needed()
    page.mouse.move(*client_xy(page, -1.0, 1.0, key="pad_b"))
    page.mouse.down()
    page.mouse.move(*client_xy(page, 1.5, -1.5, key="pad_b"), steps=10)
    page.mouse.up()
    wait_until(
        lambda: json.loads(server_text(page, "pad_b z =")) == stats(page, "pad_b")["z"], timeout=20
    )
    wait_for_app_run(page)
    b = stats(page, "pad_b")
    assert b["z"][0] == 0.0 and abs(b["z"][1] - 1.5) < 0.05 and abs(b["z"][2] + 1.5) < 0.05
    assert stats(page, "pad")["z"] == a_before["z"]


def test_remount_with_evicted_cache_asks_for_weights(app_page):
    """Python omits weights the browser reported; if the browser lost them it asks ("need")."""
    page = app_page
    toggle = page.get_by_test_id("stCheckbox").filter(has_text="Show pad").locator("label")
    toggle.click()
    wait_for_app_run(page)
    page.evaluate("() => { globalThis.__aaePadCache.models.clear(); delete window.__aaePad.pad; }")
    toggle.click()
    wait_for_app_run(page)
    page.wait_for_selector(".aae-pad-root[data-key='pad'][data-ready='1']", timeout=20_000)
    s = stats(page)
    assert s["needs"], "the pad should have asked for the weights"
    assert s["parses"] == 1 and s["z"] == server_z(page)


def test_without_the_test_flag_the_pad_keeps_no_statistics(app_page, app_url):
    """A plain page (no enable_pad_stats): no window.__aaePad, yet dragging still morphs the
    digit and moves the readout, which is what the user sees."""
    page = app_page.context.browser.new_page(viewport={"width": 1000, "height": 1100})
    page.goto(app_url)
    wait_for_app_run(page, timeout=60_000)
    root = page.locator(".aae-pad-root[data-key='pad'][data-ready='1']")
    root.wait_for(timeout=30_000)
    readout, preview = root.locator(".aae-readout"), root.locator(".aae-preview")
    before = (readout.inner_text(), preview.evaluate(PREVIEW_JS))
    box = root.locator(".aae-pad").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    wait_until(lambda: readout.inner_text() != before[0], timeout=10)
    assert preview.evaluate(PREVIEW_JS) != before[1]
    assert page.evaluate("() => typeof window.__aaePad") == "undefined"
    page.close()
