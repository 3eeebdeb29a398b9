"""Untrusted text in a real browser: a Markdown link or image in ?model=, or in a card's
split / class names and a config's dataset, shows as literal text; no link is made and
the browser never requests the image's URL."""

from __future__ import annotations

import json
import shutil
from urllib.parse import quote, urlparse

import pytest

from bench.browser import (
    artifact_path,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
)
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINK = "[Session expired - click to log in](https://evil.example/login)"
IMAGE = "![tracker](https://evil.example/pixel.png)"


def hostile_run(runs) -> str:
    """A copy of the shipped semi-supervised checkpoint with hostile card/config text."""
    folder = runs / "evil-card"
    shutil.copytree(ROOT / "checkpoints" / "aae-semi-supervised", folder)
    card = json.loads((folder / "card.json").read_text())
    card["split"] = f"split {LINK} {IMAGE}"
    card["class_names"] = [f"{IMAGE}{k}" if k == 3 else str(k) for k in range(10)]
    (folder / "card.json").write_text(json.dumps(card))
    config = json.loads((folder / "config.json").read_text())
    config["train"]["dataset"] = f"data {LINK}"
    (folder / "config.json").write_text(json.dumps(config))
    return "runs/evil-card"


def links_and_images(page) -> dict:
    return page.evaluate("""() => ({
      links: [...document.querySelectorAll('a[href*="evil.example"]')].map(a => a.href),
      images: [...document.querySelectorAll('img[src*="evil.example"]')].map(i => i.src),
      text: document.body.innerText.replaceAll("\u2060", "")})""")


def test_markdown_in_urls_and_checkpoint_text_renders_as_plain_text(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    runs = tmp_path / "runs"
    runs.mkdir()
    evil_card = hostile_run(runs)
    requested = []
    with streamlit_server("app.py", env={"AAE_RUNS_DIR": str(runs)}) as url, \
            sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: requested.append(r.url)
                if urlparse(r.url).hostname == "evil.example" else None)
        page.route("**/*evil.example*", lambda route: route.abort())
        cases = [("Style_vs_Label", LINK), ("Style_vs_Label", IMAGE), ("Explore", LINK),
                 ("Explore", IMAGE), ("Classify_and_Cluster", evil_card)]
        for path, model in cases:
            page.goto(f"{url}/{path}?model={quote(model)}")
            wait_for_app_run(page, timeout=240_000)
            page.wait_for_timeout(1500)  # images and links would be in the DOM by now
            found = links_and_images(page)
            assert found["links"] == [] and found["images"] == [], (path, model, found)
            if model != evil_card:  # shown literally (Explore cuts it at 60 characters)
                assert model[:40] in found["text"], (path, model)
        assert "split [Session expired - click to log in](https://evil.example/login)" \
            in found["text"]
        assert "data [Session expired" in found["text"]
        page.screenshot(path=str(artifact_path("untrusted-text-classify.png")), full_page=True)
        browser.close()
    assert requested == []
