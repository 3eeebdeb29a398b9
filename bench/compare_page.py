"""AAE vs VAE page: seconds to its first figures and to switch the prior, in a real browser.

    python -m bench.compare_page [--rounds 2]

One server (warmed first on Home, so `import torch` is not counted: Explore's "about 2 s"
is a warm server's too), a fresh disk cache (AAE_CACHE_DIR in a temporary folder). Each
round opens /AAE_vs_VAE?prior=mixture in a new browser page and times:
  figures  both packing panels drawn (the AAE's and the VAE's codes on their canvases,
           ui/packing.py)
  done     the script has finished (numbers, occupancy bars and lattices below)
  switch   a click on "Gaussian N(0, I)" until that run has finished
Round 1 is the first visit of a server that kept no numbers on disk: it reads them from the
model cards when they hold them (compare.from_card), else measures each model once; later
rounds find the numbers kept on disk. Explore, timed the same way on the same server
(goto until the pad has drawn its map) right after each round, so both see the same load,
is printed beside it, with each time as a multiple of Explore's.
"""

from __future__ import annotations

import statistics
import tempfile
import time

from aae_core.paths import DEFAULT_MODEL
from bench.args import Whole, parser, run_script
from bench.browser import (
    DONE_JS,
    ELAPSED_JS,
    RERUN_JS,
    browser_skip_reason,
    enable_pad_stats,
    launch_chromium,
    streamlit_server,
    wait_for_app_run,
)
from bench.cold_start import PAD_READY

# the packing component reports the dots it drew per panel (aae_core/web/packing/js/panels.js)
TWO_FIGURES = ("() => { const r = globalThis.__aaePacking && globalThis.__aaePacking.cmp_panels;"
               " return !!r && r.drawn.filter((n) => n > 0).length >= 2; }")


def one_visit(browser, url: str) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    start = time.perf_counter()
    page.goto(f"{url}/AAE_vs_VAE?prior=mixture", wait_until="domcontentloaded")
    page.wait_for_function(TWO_FIGURES, timeout=120_000, polling=50)
    marks = {"figures": time.perf_counter() - start}
    wait_for_app_run(page, timeout=120_000)
    marks["done"] = time.perf_counter() - start - 0.31  # wait_for_app_run's own pauses
    page.wait_for_timeout(8_000)  # a user reading the page: the other prior is measured
    page.evaluate(RERUN_JS)
    page.get_by_test_id("stButtonGroup").locator("button").filter(
        has_text="Gaussian N(0, I)").first.click()
    page.wait_for_function(DONE_JS, timeout=120_000, polling=50)
    marks["switch"] = page.evaluate(ELAPSED_JS) / 1000
    page.close()
    return marks


def explore_visit(browser, url: str) -> float:
    page = enable_pad_stats(browser.new_page(viewport={"width": 1440, "height": 900}))
    start = time.perf_counter()
    page.goto(f"{url}/Explore?model={DEFAULT_MODEL}", wait_until="domcontentloaded")
    page.wait_for_function(PAD_READY, arg=f"pad::{DEFAULT_MODEL}", timeout=120_000,
                           polling="raf")
    seconds = time.perf_counter() - start
    page.close()
    return seconds


def build_parser():
    p = parser("python -m bench.compare_page", __doc__)
    p.add_argument("--rounds", type=Whole(2, 10), default=2)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    reason = browser_skip_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache, sync_playwright() as pw, \
            streamlit_server("app.py", env={"AAE_CACHE_DIR": cache}, timeout=180) as url:
        browser = launch_chromium(pw)
        warm = browser.new_page()
        warm.goto(url)
        wait_for_app_run(warm, timeout=120_000)  # torch imported, shipped models listed
        warm.close()
        rounds, explore = [], []
        for _ in range(args.rounds):  # interleaved: a change of load hits both pages
            rounds.append(one_visit(browser, url))
            explore.append(explore_visit(browser, url))
        browser.close()
    first, kept = rounds[0], rounds[1:]
    base = statistics.median(explore)
    kept_med = {k: statistics.median(r[k] for r in kept) for k in first}
    print("AAE vs VAE page (warm server, 1440x900, seconds from opening the link):")
    print(f"  first visit (nothing kept on disk yet): first figures {first['figures']:.1f}, "
          f"done {first['done']:.1f}, switch prior {first['switch']:.1f}")
    print(f"  numbers kept on disk ({len(kept)} rounds, median): first figures "
          f"{kept_med['figures']:.1f}, done {kept_med['done']:.1f}, switch prior "
          f"{kept_med['switch']:.1f}")
    print(f"  Explore on the same server, map drawn (median of {len(explore)}): {base:.1f}")
    print(f"  as multiples of Explore's: first figures {first['figures'] / base:.1f}x "
          f"(first visit), {kept_med['figures'] / base:.1f}x (kept); switch prior "
          f"{first['switch'] / base:.1f}x, {kept_med['switch'] / base:.1f}x")
    figures = ", ".join(f"{r['figures']:.1f}" for r in rounds)
    print(f"  per round: first figures {figures}; Explore "
          f"{', '.join(f'{s:.1f}' for s in explore)}")
    return 0


if __name__ == "__main__":
    run_script(main)
