"""The Explore page in headless Chromium: drag smoothness, round trips, cold start, memory.

    .venv/bin/python -m bench.browser_drag [--seconds 5] [--model NAME (the app's default)]

Prints:
- cold start: from launching `streamlit run app.py` to the whole Explore page run and its pad
  ready with its 2,000-point map drawn (bench.cold_start times the milestones: the map
  comes first);
- a scripted drag of `--seconds` s (mouse moves every ~16 ms): frames per second the pad
  painted, and per-frame decode+paint time p50/p95 measured in the page (performance.now);
- for comparison, the server round trip per move: pointer release -> the server's decode of
  that z back in the page (what every frame would cost if decoding ran in Python);
- the decoder payload per model and the server's resident memory with every shipped
  model opened once.
"""

from __future__ import annotations

import math
import time

import numpy as np

from aae_core.paths import DEFAULT_MODEL
from aae_core.store import catalog
from aae_core.web.pad.payload import payload_nbytes
from bench.args import CHECKPOINT, Number, parser, run_script
from bench.browser import (
    browser_skip_reason,
    enable_pad_stats,
    free_port,
    launch_chromium,
    streamlit_server,
    wait_for_app_run,
)

# the server's decode (sent back into the pad's data) is new and of the pad's released z
# (a click may have snapped onto a nearby code, so that z, not the clicked point)
SERVER_Z = ("([k, prev]) => { const s = window.__aaePad[k]; return !!s.server && "
            "JSON.stringify(s.server.z) !== prev && "
            "JSON.stringify(s.server.z) === JSON.stringify(s.z); }")
SERVER_NOW = "(k) => JSON.stringify((window.__aaePad[k].server || {}).z || null)"
STATS = "(k) => { const s = (window.__aaePad || {})[k]; return s ? {frames: s.frames, " \
        "decode: s.decodeMs.slice(), frame: s.frameMs.slice(), ready: s.ready} : null; }"


def rss_mb(port: int) -> float:
    """Resident memory of the streamlit process listening on `port` (from /proc)."""
    import subprocess

    pid = subprocess.run(["fuser", f"{port}/tcp"], capture_output=True, text=True).stdout.split()
    for p in pid:
        try:
            with open(f"/proc/{p.strip()}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS"):
                        return int(line.split()[1]) / 1024
        except OSError:
            continue
    return math.nan


def drag(page, key: str, seconds: float) -> dict:
    client = "([k, x, y]) => window.__aaePad[k].clientOf(x, y)"
    before = page.evaluate(STATS, key)
    x0, y0 = page.evaluate(client, [key, 0.0, 0.0])
    page.mouse.move(x0, y0)
    page.mouse.down()
    t0, i = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        angle = i * 0.05
        x, y = page.evaluate(client, [key, 2.5 * math.cos(angle), 2.5 * math.sin(angle)])
        page.mouse.move(x, y)
        page.wait_for_timeout(16)
        i += 1
    elapsed = time.perf_counter() - t0
    page.mouse.up()
    after = page.evaluate(STATS, key)
    n = after["frames"] - before["frames"]
    decode = np.array(after["decode"][len(before["decode"]):])
    frame = np.array(after["frame"][len(before["frame"]):])
    return {"moves": i, "seconds": elapsed, "fps": n / elapsed, "frames": n,
            "decode_p50": np.percentile(decode, 50), "decode_p95": np.percentile(decode, 95),
            "frame_p50": np.percentile(frame, 50), "frame_p95": np.percentile(frame, 95)}


IN_PAGE_DRAG = """async ([k, seconds]) => {
  // A drag scripted inside the page: one pointermove per animation frame, as a real mouse
  // delivers them (Playwright's page.mouse is limited by its own round trip per move).
  const s = window.__aaePad[k];
  const find = (root) => {  // the pad lives in the component's shadow root
    const hit = root.querySelector('.aae-pad');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  const canvas = find(document);
  const at = (x, y) => { const [cx, cy] = s.clientOf(x, y); return {clientX: cx, clientY: cy}; };
  const ev = (type, p) => new PointerEvent(type, {...p, bubbles: true, pointerId: 1,
                                                  pointerType: 'mouse', buttons: 1});
  const f0 = s.frames, d0 = s.decodeMs.length;
  canvas.dispatchEvent(ev('pointerdown', at(2.5, 0)));
  const t0 = performance.now();
  let i = 0;
  await new Promise((done) => {
    const tick = () => {
      const a = i++ * 0.05;
      canvas.dispatchEvent(ev('pointermove', at(2.5 * Math.cos(a), 2.5 * Math.sin(a))));
      if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - t0) / 1000;
  canvas.dispatchEvent(ev('pointerup', at(2.5, 0)));
  return {moves: i, seconds: elapsed, frames: s.frames - f0,
          decode: s.decodeMs.slice(d0), frame: s.frameMs.slice(d0)};
}"""


def drag_in_page(page, key: str, seconds: float) -> dict:
    r = page.evaluate(IN_PAGE_DRAG, [key, seconds])
    decode, frame = np.array(r["decode"]), np.array(r["frame"])
    return {"moves": r["moves"], "seconds": r["seconds"], "frames": r["frames"],
            "fps": r["frames"] / r["seconds"],
            "decode_p50": np.percentile(decode, 50), "decode_p95": np.percentile(decode, 95),
            "frame_p50": np.percentile(frame, 50), "frame_p95": np.percentile(frame, 95)}


def round_trips(page, key: str, n: int = 10) -> np.ndarray:
    """Release at a new point, time until the server's decode of it is back in the page."""
    client = "([k, x, y]) => window.__aaePad[k].clientOf(x, y)"
    times = []
    for j in range(n):
        zx, zy = -2.0 + 0.4 * j, 1.0
        x, y = page.evaluate(client, [key, zx, zy])
        prev = page.evaluate(SERVER_NOW, key)
        t0 = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function(SERVER_Z, arg=[key, prev], timeout=30_000, polling="raf")
        times.append((time.perf_counter() - t0) * 1e3)
    return np.array(times)


def build_parser():
    p = parser("python -m bench.browser_drag", __doc__)
    p.add_argument("--seconds", type=Number(0.5, 300), default=5.0, help="seconds of each drag")
    p.add_argument("--model", type=CHECKPOINT, default=DEFAULT_MODEL)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    reason = browser_skip_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    from playwright.sync_api import sync_playwright

    port = free_port()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = enable_pad_stats(browser.new_page(viewport={"width": 1400, "height": 1000}))
        t0 = time.perf_counter()
        with streamlit_server("app.py", port=port) as url:
            page.goto(f"{url}/Explore?model={args.model}")
            wait_for_app_run(page, timeout=60_000)
            key = f"pad::{args.model}"
            page.wait_for_function("(k) => window.__aaePad && window.__aaePad[k] && "
                                   "window.__aaePad[k].ready && window.__aaePad[k].drawnPoints",
                                   arg=key, timeout=60_000, polling="raf")
            cold = time.perf_counter() - t0
            d = drag(page, key, args.seconds)
            wait_for_app_run(page)
            d2 = drag_in_page(page, key, args.seconds)
            wait_for_app_run(page)
            rt = round_trips(page, key)
            for entry in catalog.entries():
                if entry.source == "shipped" and entry.config is not None:
                    page.goto(f"{url}/Explore?model={entry.name}")
                    wait_for_app_run(page, timeout=60_000)
            memory = rss_mb(port)
        browser.close()
    from aae_core.store.checkpoints import load_checkpoint
    from aae_core.web.pad.payload import decoder_payload

    sizes = []
    for entry in catalog.entries():
        if entry.source == "shipped" and entry.config is not None:
            m = load_checkpoint(entry.path).model
            sizes.append(payload_nbytes(decoder_payload(m.decoder.layers(),
                                                        latent_dim=m.latent_dim,
                                                        cond_dim=m.cond_dim)))
    print(f"cold start (streamlit run -> whole page run, pad ready; see bench.cold_start): "
          f"{cold:.1f} s")
    print(f"Playwright drag {d['seconds']:.1f} s, {d['moves']} mouse moves: "
          f"{d['frames']} frames painted, "
          f"{d['fps']:.1f} frames/s")
    print(f"per-frame decode+paint: p50 {d['decode_p50']:.2f} ms, p95 {d['decode_p95']:.2f} ms "
          f"(whole frame incl. pad redraw: p50 {d['frame_p50']:.2f}, p95 {d['frame_p95']:.2f})")
    print(f"in-page drag {d2['seconds']:.1f} s (one pointermove per animation frame): "
          f"{d2['frames']} frames painted, {d2['fps']:.1f} frames/s; decode+paint p50 "
          f"{d2['decode_p50']:.2f} ms, p95 {d2['decode_p95']:.2f} ms")
    print(f"server round trip per move (release -> server decode shown): "
          f"p50 {np.percentile(rt, 50):.0f} ms, p95 {np.percentile(rt, 95):.0f} ms")
    print(f"decoder payload per model: max {max(sizes) / 1e6:.2f} MB over {len(sizes)} models")
    print(f"server resident memory with all shipped models opened: {memory:.0f} MB")
    return 0


if __name__ == "__main__":
    run_script(main)
