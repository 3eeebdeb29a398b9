"""Cold start: from launching `streamlit run app.py` to the Explore page's map and pad drawn.

    python -m bench.cold_start [--rounds 3] [--model NAME (the app's default)]

Each round starts a fresh server (a new Python process: nothing imported, nothing cached in
memory) and a fresh browser page, and times the milestones a user sees:
  health   the server answers its health check (Python + Streamlit started)
  shell    the browser has Streamlit's page (HTML + JS bundle)
  title    the page's first element (the script has started and sent its first delta)
  pad      the latent pad holds the decoder and has drawn the codes: the map is usable
  done     the script has finished (every view below the pad is there)
The baseline, run in the same process and alternated with ours, is a bare Streamlit app
drawing a 10,000-point WebGL scatter (4.1 s when the target was set). Prints the median of
each milestone over the rounds and the ratio pad / baseline.
"""

from __future__ import annotations

import statistics
import textwrap
import time
from pathlib import Path

from aae_core.paths import DEFAULT_MODEL
from bench.args import CHECKPOINT, Whole, parser, run_script
from bench.browser import (
    artifact_path,
    browser_skip_reason,
    enable_pad_stats,
    free_port,
    launch_chromium,
    streamlit_server,
)

BASELINE_APP = textwrap.dedent("""
    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    st.title("Baseline")
    xy = np.random.default_rng(0).normal(size=(10_000, 2))
    st.plotly_chart(go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers")))
""")
PAD_READY = ("(k) => window.__aaePad && window.__aaePad[k] && window.__aaePad[k].ready && "
             "window.__aaePad[k].drawnPoints")
DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _time_page(browser, url: str, ready_js: str | None, arg=None,
               ready_selector: str | None = None) -> dict[str, float]:
    """Milestones (seconds from t0 = server launch) of one page load; t0 is set by caller."""
    page = enable_pad_stats(browser.new_page(viewport={"width": 1440, "height": 900}))
    marks = {}
    start = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    marks["shell"] = time.perf_counter() - start
    page.wait_for_selector("h1", timeout=60_000)
    marks["title"] = time.perf_counter() - start
    if ready_js:
        page.wait_for_function(ready_js, arg=arg, timeout=60_000, polling="raf")
    else:
        page.wait_for_selector(ready_selector, timeout=60_000)
    marks["ready"] = time.perf_counter() - start
    page.wait_for_selector(DONE, timeout=60_000)
    marks["done"] = time.perf_counter() - start
    page.close()
    return marks


def one_round(pw, script: Path, path: str, ready_js: str | None, arg=None,
              ready_selector: str | None = None) -> dict[str, float]:
    browser = launch_chromium(pw)  # launched before t0: a user's browser is already open
    t0 = time.perf_counter()
    with streamlit_server(script, port=free_port()) as url:
        health = time.perf_counter() - t0
        marks = _time_page(browser, url + path, ready_js, arg, ready_selector)
    browser.close()
    return {"health": health, **{k: health + v for k, v in marks.items()}}


def _list(rounds: list[dict[str, float]]) -> str:
    return ", ".join(f"{r['ready']:.1f}" for r in rounds)


def build_parser():
    p = parser("python -m bench.cold_start", __doc__)
    p.add_argument("--rounds", type=Whole(1, 20), default=3)
    p.add_argument("--model", type=CHECKPOINT, default=DEFAULT_MODEL)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    reason = browser_skip_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    baseline_script = artifact_path("cold_start_baseline.py")
    baseline_script.write_text(BASELINE_APP)
    ours, base = [], []
    with sync_playwright() as pw:
        for _ in range(args.rounds):
            base.append(one_round(pw, baseline_script, "/", None,
                                  ready_selector=".js-plotly-plot .gl-container canvas, "
                                                 ".js-plotly-plot canvas"))
            ours.append(one_round(pw, Path("app.py"), f"/Explore?model={args.model}",
                                  PAD_READY, arg=f"pad::{args.model}"))
    med = {k: statistics.median(r[k] for r in ours) for k in ours[0]}
    bmed = {k: statistics.median(r[k] for r in base) for k in base[0]}
    print(f"cold start over {args.rounds} rounds (median seconds from `streamlit run`):")
    print(f"  Explore ({args.model}): health {med['health']:.1f}, shell {med['shell']:.1f}, "
          f"title {med['title']:.1f}, map + pad drawn {med['ready']:.1f}, "
          f"script done {med['done']:.1f}")
    print(f"  baseline (bare app, 10k-point WebGL scatter): health {bmed['health']:.1f}, "
          f"shell {bmed['shell']:.1f}, title {bmed['title']:.1f}, "
          f"scatter drawn {bmed['ready']:.1f}")
    print(f"  per round, map + pad drawn: {_list(ours)}; baseline: {_list(base)}")
    print(f"  ratio map + pad / baseline: {med['ready'] / bmed['ready']:.2f}x")
    return 0


if __name__ == "__main__":
    run_script(main)
