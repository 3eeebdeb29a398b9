"""Watch it learn: updates delivered to the browser, bytes per update, training watched
vs unwatched.

1. unwatched  a WatchSession training at full speed in this process, no packets built
              (the same models, data, batch and torch threads as the page's);
   packets    the same with packets built (the page's rate: 12 a second at most on a CPU,
              30 on a GPU), but no browser; and the share of the thread's time spent
              building them (at most WatchConfig.packet_share, 20%);
2. watched    `streamlit run pages/6_Watch_it_learn.py` + headless Chromium on the same
              machine: pick the dataset, Full speed, Play; then, over --seconds, count the
              packets the component received and played (its own instrumentation,
              globalThis.__aaeWatch; one fragment run hands it several packets, played one
              after the other, so updates played a second = packets a second), the component
              calls, their JSON bytes, the browser's drawing time per animation frame, and
              the training steps the packets report.

Targets (docs/ARCHITECTURE.md, "Decisions and their measurements"): >= 10 updates/s on a
2-core CPU (>= 30 on a GPU), <= 64 KB an update, watched training >= 0.75x unwatched.

    python -m bench.watch_learn [--dataset mnist-10k] [--seconds 20] [--vae]

mnist-10k is read from $AAE_DATA_DIR (or the data cache); without it, say
--dataset synthetic-digits.
"""

from __future__ import annotations

import os
import statistics
import time

from aae_core.watch.session import DATASETS
from bench.args import Number, parser, run_script

STATS_JS = """() => { const s = globalThis.__aaeWatch; if (!s || !s.lastPacket) return null;
  return {received: s.received, drawn: s.drawn, skipped: s.skipped, played: s.played.slice(-400),
          calls: s.calls, step: s.lastPacket.step, now: performance.now(),
          bytes: s.bytes.slice(-400), callBytes: s.callBytes.slice(-200),
          frameMs: s.frameMs.slice(-600), vae: s.lastPacket.vae}; }"""


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def in_process(dataset: str, seconds: float, packets_per_s: float | None,
               vae: bool) -> tuple[float, float, float]:
    """Steps per second of a playing WatchSession (after a 3 s warm-up), packets per
    second, and the share of the time its thread spent building packets."""
    from aae_core.watch import WatchConfig, WatchSession

    session = WatchSession(WatchConfig(dataset=dataset, packets_per_s=packets_per_s))
    try:
        session.show_vae(vae)
        session.set_speed("full")
        session.play()
        time.sleep(3)
        s0, q0, b0, t0 = session.step, session.seq, session.build_s, time.perf_counter()
        time.sleep(seconds)
        dt = time.perf_counter() - t0
        return ((session.step - s0) / dt, (session.seq - q0) / dt, (session.build_s - b0) / dt)
    finally:
        session.close()


def watched(dataset: str, seconds: float, vae: bool) -> dict:
    from playwright.sync_api import expect, sync_playwright

    from bench.browser import (
        enable_watch_stats,
        launch_chromium,
        streamlit_server,
        wait_for_app_run,
    )

    with streamlit_server("pages/6_Watch_it_learn.py") as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = enable_watch_stats(browser.new_page(viewport={"width": 1500, "height": 1200}))
        page.goto(url)
        wait_for_app_run(page, timeout=180_000)
        if dataset != "synthetic-digits":
            page.get_by_text(dataset, exact=True).click()
            wait_for_app_run(page, timeout=180_000)
        expect(page.get_by_role("radio", name="Full speed")).to_be_visible(timeout=180_000)
        if vae:
            page.get_by_text("Show a VAE beside it").click()
            wait_for_app_run(page)
        page.get_by_role("radio", name="Full speed").click()
        wait_for_app_run(page)
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(4000)  # warm-up
        a = page.evaluate(STATS_JS)
        page.wait_for_timeout(seconds * 1000)
        b = page.evaluate(STATS_JS)
        browser.close()
    dt = (b["now"] - a["now"]) / 1000
    new = b["received"] - a["received"]
    calls = b["calls"] - a["calls"]
    played = b["played"][-(b["drawn"] - a["drawn"]):] if b["drawn"] > a["drawn"] else []
    return {"updates_per_s": new / dt, "played_per_s": len(played) / dt,
            "in_order": played == sorted(played), "skipped": b["skipped"] - a["skipped"],
            "steps_per_s": (b["step"] - a["step"]) / dt,
            "bytes": b["bytes"][-new:] if new else [], "call_bytes": b["callBytes"][-calls:],
            "calls_per_s": calls / dt, "frame_ms": b["frameMs"], "vae": b["vae"]}


def build_parser():
    p = parser("python -m bench.watch_learn", __doc__)
    p.add_argument("--dataset", choices=DATASETS, default="mnist-10k")
    p.add_argument("--seconds", type=Number(1, 600), default=20,
                   help="seconds of each measurement")
    p.add_argument("--vae", action="store_true", help="with the VAE beside the AAE")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from aae_core.data import available
    from aae_core.errors import DataError

    if not available(args.dataset):  # the page would not offer it either; no download here
        raise DataError(f"{args.dataset} is not on this machine: set AAE_DATA_DIR to a folder "
                        f"with the MNIST test files (t10k-*), or give --dataset "
                        f"synthetic-digits")

    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} default threads; "
          f"dataset {args.dataset}; AAE 2x256, batch 100{' + VAE' if args.vae else ''}")
    print(load())
    unwatched = in_process(args.dataset, args.seconds, 0, args.vae)[0]
    print(f"unwatched (in process, no packets):  {unwatched:7.1f} steps/s   ({load()})")
    packets, built, share = in_process(args.dataset, args.seconds, None, args.vae)
    print(f"packets built, no browser:           {packets:7.1f} steps/s "
          f"({packets / unwatched:.2f}x), {built:.1f} packets/s, building them "
          f"{100 * share:.0f}% of the thread's time (cap 20%)   ({load()})")
    w = watched(args.dataset, args.seconds, args.vae)
    print(f"watched (server + chromium):         {w['steps_per_s']:7.1f} steps/s "
          f"({w['steps_per_s'] / unwatched:.2f}x unwatched; target >= 0.75x)   ({load()})")
    print(f"updates played in the browser:       {w['played_per_s']:7.1f} /s "
          f"(target >= 10 on CPU; in seq order: {w['in_order']}, skipped {w['skipped']})")
    print(f"packets received by the browser:     {w['updates_per_s']:7.1f} /s, "
          f"in {w['calls_per_s']:.1f} component calls/s")
    if w["bytes"]:
        calls = w["call_bytes"]
        print(f"bytes per update (packet JSON):      mean {statistics.mean(w['bytes']):,.0f}, "
              f"max {max(w['bytes']):,} (limit 65,536)")
        if calls:
            print(f"bytes per component call:            mean {statistics.mean(calls):,.0f}, "
                  f"max {max(calls):,}; per update (calls / packets) "
                  f"{sum(calls) / len(w['bytes']):,.0f} (meta included)")
    if w["frame_ms"]:
        frames = sorted(w["frame_ms"])
        print(f"browser drawing per animation frame: median {statistics.median(frames):.1f} ms, "
              f"p90 {frames[int(0.9 * (len(frames) - 1))]:.1f} ms")
    return 0


if __name__ == "__main__":
    run_script(main)
