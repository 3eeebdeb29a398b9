"""The Explore page in a real browser, on the shipped checkpoints.

1. For every shipped model, the browser's decoder (ui/pad/js/decoder.js) and torch agree within
   1e-3 per pixel on 200 random codes over the model's view box.
2. Dragging the marker with page.mouse changes the decoded digit during the drag, and after
   release the server shows the same z and the browser image matches torch's decode of it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from aae_core import catalog
from aae_core.checkpoints import load_checkpoint
from aae_core.explore import view_bounds
from tests.browser_helpers import (
    artifact_path,
    enable_pad_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)
from tests.test_browser_decoder import DECODER_JS, browser_decode
from ui.pad.payload import decoder_payload

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
    page.add_script_tag(content=DECODER_JS)
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


@pytest.mark.skipif(not any(e.name == "aae-mixture" for e in SHIPPED),
                    reason="the shipped aae-mixture checkpoint is missing")
def test_dragging_on_explore_morphs_the_digit_and_the_server_agrees(pw_browser):
    key = "pad::aae-mixture"
    with streamlit_server("app.py") as url:
        page = enable_pad_stats(pw_browser.new_page(viewport={"width": 1400, "height": 1100}))
        page.goto(f"{url}/Explore?model=aae-mixture")
        wait_for_app_run(page, timeout=60_000)
        wait_until(lambda: (page.evaluate(STATS_JS, key) or {}).get("ready"), timeout=30)
        client = "([k, x, y]) => window.__aaePad[k].clientOf(x, y)"
        path = [(4.0 * np.cos(a), 4.0 * np.sin(a)) for a in np.linspace(0, 2.5, 30)]
        page.mouse.move(*page.evaluate(client, [key, *path[0]]))
        page.mouse.down()
        images = []
        for i, (x, y) in enumerate(path):
            page.mouse.move(*page.evaluate(client, [key, x, y]))
            if i % 10 == 5:
                page.wait_for_timeout(50)
                images.append(np.array(page.evaluate(STATS_JS, key)["lastImage"]))
        page.screenshot(path=artifact_path("explore_dragging.png"))
        page.mouse.up()
        final = page.evaluate(STATS_JS, key)
        # the digit changed during the drag (the ring's components decode to other digits)
        assert all(np.abs(a - b).max() > 0.1 for a, b in zip(images, images[1:], strict=False))
        z = final["z"]
        shown = f"= ({z[0]:.3f}, {z[1]:.3f})"

        def server_text():
            return " ".join(page.locator("[data-testid='stMarkdown']").all_inner_texts())

        wait_until(lambda: shown in server_text(), timeout=20)
        page.screenshot(path=artifact_path("explore_released.png"))
        assert re.search(r"z = \(", server_text())
        model = load_checkpoint(catalog.resolve("aae-mixture")).model
        with torch.no_grad():
            expected = model.decode(torch.tensor([z], dtype=torch.float32))[0].numpy()
        assert np.abs(np.array(final["lastImage"]) - expected).max() <= TOLERANCE
        assert json.loads(page.evaluate("() => JSON.stringify(location.search)")).count("z=")
