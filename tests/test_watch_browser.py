"""The Watch page in a real browser: it opens; each stepper button runs one phase and the
view redraws what that phase changed; Play advances frames; changing the prior changes
the contours; the timeline replays; a painted prior becomes the AAE's prior; the VAE view
shows beside it.

The component's own instrumentation (globalThis.__aaeWatch, switched on by
enable_watch_stats) says what reached the browser.
Rates are the benchmark's business (bench/watch_learn.py), never asserted here.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import pytest

from bench.browser import (
    artifact_path,
    enable_watch_stats,
    launch_chromium,
    require_browser,
    streamlit_server,
    wait_for_app_run,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAST_JS = "() => globalThis.__aaeWatch ? globalThis.__aaeWatch.lastPacket : null"
COUNTS_JS = "() => { const s = globalThis.__aaeWatch; return [s.received, s.drawn]; }"
# seqs: packets received, in arrival order; played: the seq of each packet the player
# animated to, in order; perCall: packets each component call brought
PLAYBACK_JS = """() => { const s = globalThis.__aaeWatch;
  return {seqs: s.seqs.slice(), played: s.played.slice(), perCall: s.perCall.slice(),
          skipped: s.skipped}; }"""


def last(page) -> dict:
    return page.evaluate(LAST_JS)


def after(page, seq: int, timeout: float = 60) -> dict:
    """The first packet newer than `seq` that the browser has received."""
    return wait_until(lambda: (p := last(page)) and p["seq"] > seq and p, timeout=timeout)


def click(page, name: str, role: str = "button") -> None:
    """Click a button (or a segmented control's option: role "radio"), wait for the rerun."""
    page.get_by_role(role, name=name, exact=True).click()
    wait_for_app_run(page, timeout=60_000)


def playback(page) -> dict:
    return page.evaluate(PLAYBACK_JS)


def all_played(page) -> dict:
    """Playback once the browser has played every packet it received (none waiting)."""
    return wait_until(lambda: (b := playback(page)) and len(b["played"]) == len(b["seqs"]) and b,
                      timeout=60)


def test_watch_page_steps_plays_changes_prior_paints_and_shows_the_vae():
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    with streamlit_server("pages/6_Watch_it_learn.py") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = enable_watch_stats(browser.new_page(viewport={"width": 1500, "height": 1250}))
            page.goto(url)
            wait_for_app_run(page, timeout=180_000)
            start = wait_until(lambda: last(page), timeout=60)
            expect(page.locator(".ww-panel[data-model='aae'] .ww-plane")).to_be_visible()
            title = page.locator(".ww-phase-title")

            # the stepper: one phase each, on one batch; the view shows what it changed
            steps, seq = start["phase_steps"], start["seq"]
            before = start
            for key, label in (("reconstruct", "Reconstruct"),
                               ("discriminator", "Update the discriminator"),
                               ("encoder", "Update the encoder")):
                click(page, label)
                p = after(page, seq)
                assert p["phase"] == key and p["phase_steps"] == steps + 1 and p["step"] == 0
                moved = p["codes"] != before["codes"]
                heat_changed = p["heat"] != before["heat"]
                assert (moved, heat_changed) == {"reconstruct": (True, False),
                                                 "discriminator": (False, True),
                                                 "encoder": (True, False)}[key]
                expect(title).to_have_text(label)  # the diagram lights this phase
                steps, seq, before = p["phase_steps"], p["seq"], p
            page.screenshot(path=str(artifact_path("watch-stepper.png")))

            # Play: frames keep arriving and training steps advance; Pause stops them
            received, drawn = page.evaluate(COUNTS_JS)
            before_play = all_played(page)
            n_seqs, n_calls = len(before_play["seqs"]), len(before_play["perCall"])
            click(page, "Play")
            wait_until(lambda: page.evaluate(COUNTS_JS)[0] >= received + 6, timeout=90)
            wait_until(lambda: page.evaluate(COUNTS_JS)[1] >= drawn + 6, timeout=30)
            playing = wait_until(lambda: (p := last(page)) and p["step"] >= 3 and p, timeout=90)
            assert playing["phase"] == "train"
            # a fragment run brings several packets at once ...
            wait_until(lambda: max(playback(page)["perCall"][n_calls:], default=0) >= 2,
                       timeout=90)
            click(page, "Pause")
            # ... and the browser plays each of them, once, in the order they were built
            played = all_played(page)
            new = played["seqs"][n_seqs:]
            assert len(new) >= 6 and new == sorted(set(new))
            assert played["played"][n_seqs:] == new and played["skipped"] == 0

            # the timeline replays the run in the browser, then goes back to live
            page.locator(".ww-scrub").evaluate(
                "s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
            expect(page.locator(".ww-time")).to_contain_text("replay 1 of")
            page.locator(".ww-live").click()
            expect(page.locator(".ww-live")).to_have_text("● Live")

            # a new prior: new contours (the density field), and the codes get pushed to it
            density = last(page)["density"]
            click(page, "Mixture of 10", "radio")
            p = wait_until(lambda: (q := last(page)) and q["prior"] == "mixture" and q,
                           timeout=30)
            assert p["density"] != density

            # draw your own prior: paint on the AAE's plane, then use it
            click(page, "Draw your own", "radio")
            bar = page.locator(".ww-paintbar")
            expect(bar).to_be_visible()
            box = page.locator(".ww-panel[data-model='aae'] .ww-plane").bounding_box()
            cx, cy = box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3
            page.mouse.move(cx, cy)
            page.mouse.down()
            for i in range(12):
                page.mouse.move(cx - 6 * i, cy + 4 * i)
            page.mouse.up()
            bar.get_by_role("button", name="Use this prior").click()
            p = wait_until(lambda: (q := last(page)) and q["prior"] == "painted" and q,
                           timeout=30)
            assert p["density"] != density

            # the VAE beside it
            page.get_by_text("Show a VAE beside it").click()
            wait_for_app_run(page)
            p = wait_until(lambda: (q := last(page)) and q["vae"] and q, timeout=60)
            expect(page.locator(".ww-panel[data-model='vae'] .ww-plane")).to_be_visible()
            note = page.locator(".ww-panel[data-model='vae'] .ww-note")
            expect(note).to_contain_text("needs a prior with a density")
            expect(note).to_contain_text(f"The VAE started from scratch at step {p['step']}")
            page.screenshot(path=str(artifact_path("watch-vae.png")), full_page=True)
            # replayed from before it was on, the VAE's plane says so and draws no codes
            page.locator(".ww-scrub").evaluate(
                "s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
            blank = wait_until(lambda: page.evaluate(
                "() => globalThis.__aaeWatch.blank.vae"), timeout=10)
            assert blank == f"The VAE was not on yet: it started from scratch at step {p['step']}."
            page.screenshot(path=str(artifact_path("watch-vae-replay.png")), full_page=True)
        finally:
            browser.close()
