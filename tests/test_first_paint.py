"""A fresh server draws the Explore map before torch loads (ui/first_paint.py).

Unit: the kept pad arguments round-trip, go stale when the checkpoint's files change, and a
damaged, oversized or foreign file is ignored; the folder stays bounded.
Browser: a second fresh server (the first one wrote the cache) shows the map before the
page's script has finished, then the same pad, not a new one, receives the server's decode.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ui import first_paint

PAD = {"decoder": {"id": "d1", "layers": []}, "bounds": [-1.0, 1.0, -1.0, 1.0], "z": [0.0, 0.5],
       "dims": [0, 1], "cond": None, "points": None, "class_names": ["0", "1"],
       "density": None, "ends": None, "steps": 10}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(first_paint, "_kept", set())
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"x")
    return folder


def test_kept_arguments_come_back_for_the_same_checkpoint(cache):
    first_paint.remember("m", cache, PAD)
    assert first_paint.recall("m") == PAD
    assert first_paint.recall("other") is None


def test_a_changed_checkpoint_makes_them_stale(cache):
    first_paint.remember("m", cache, PAD)
    later = time.time() + 5
    os.utime(cache / "model.safetensors", (later, later))
    assert first_paint.recall("m") is None
    first_paint.remember("m", cache, {**PAD, "z": [1.0, 1.0]})  # the page keeps the new one
    assert first_paint.recall("m")["z"] == [1.0, 1.0]


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"v": 1, "name": "m"}',
                                    "[" * 100_000 + "]" * 100_000])
def test_a_damaged_file_is_ignored(cache, damage):
    first_paint.remember("m", cache, PAD)
    first_paint._file("m").write_text(damage)
    assert first_paint.recall("m") is None


def test_an_oversized_file_is_not_read(cache, monkeypatch):
    first_paint.remember("m", cache, PAD)
    monkeypatch.setattr(first_paint, "MAX_BYTES", 100)
    assert first_paint.recall("m") is None


def test_a_file_naming_another_model_is_ignored(cache):
    first_paint.remember("m", cache, PAD)
    record = json.loads(first_paint._file("m").read_text())
    first_paint._file("m").write_text(json.dumps({**record, "name": "n"}))
    assert first_paint.recall("m") is None


def test_the_folder_keeps_at_most_keep_files(cache, monkeypatch):
    monkeypatch.setattr(first_paint, "KEEP", 3)
    for i in range(6):
        first_paint.remember(f"m{i}", cache, PAD)
    kept = list((Path(os.environ["AAE_CACHE_DIR"]) / first_paint.FOLDER).glob("*.json"))
    assert len(kept) == 3
    assert first_paint.recall("m5") == PAD


def test_an_unwritable_cache_costs_nothing_but_the_head_start(tmp_path, monkeypatch, cache):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AAE_CACHE_DIR", str(blocker))
    first_paint.remember("m", cache, PAD)  # no exception
    assert first_paint.recall("m") is None


def test_only_2d_models_without_a_label_input_are_drawn_early():
    assert first_paint.eligible(2, 0)
    assert not first_paint.eligible(2, 10)
    assert not first_paint.eligible(8, 0)


def test_under_pytest_the_process_is_warm():
    import torch  # noqa: F401

    assert not first_paint.cold()


@pytest.mark.browser
@pytest.mark.slow
def test_a_fresh_server_shows_the_map_first_and_keeps_that_pad(tmp_path):
    from bench.browser import (
        artifact_path,
        enable_pad_stats,
        launch_chromium,
        require_browser,
        streamlit_server,
        wait_until,
    )

    require_browser()
    from playwright.sync_api import sync_playwright

    env = {"AAE_CACHE_DIR": str(tmp_path)}
    key = "pad::aae-mixture"
    stats = "(k) => { const s = (window.__aaePad || {})[k]; return s ? " \
            "{ready: s.ready, points: s.drawnPoints, server: !!s.server, tag: s.tag} : null; }"
    done = "[data-testid='stApp'][data-test-script-state='notRunning']"
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for _run in ("writes the cache", "draws from it"):
            with streamlit_server("app.py", env=env) as url:
                page = enable_pad_stats(browser.new_page(viewport={"width": 1400,
                                                                   "height": 1000}))
                page.goto(f"{url}/Explore?model=aae-mixture")
                page.wait_for_function(f"({stats})('{key}')?.points > 0", timeout=60_000)
                first = page.evaluate(stats, key)
                page.evaluate("(k) => { window.__aaePad[k].tag = 'first'; }", key)
                page.wait_for_selector(done, timeout=60_000)
                page.wait_for_function(f"({stats})('{key}')?.server", timeout=60_000)
                picker = page.get_by_test_id("stSidebar").get_by_text("aae-mixture")
                try:
                    wait_until(lambda p=picker: p.count() >= 1, timeout=60)  # names the model
                finally:
                    page.screenshot(path=artifact_path(f"first_paint_{len(_run)}.png"))
                last = page.evaluate(stats, key)
                page.close()
        browser.close()
    assert list((tmp_path / first_paint.FOLDER).glob("*.json"))
    # second server: the map came before the server's decode (torch not loaded yet) ...
    assert first["ready"] and first["points"] > 0 and not first["server"]
    # ... and the page's own run filled in the same pad instead of mounting a new one
    assert last["server"] and last["tag"] == "first"
