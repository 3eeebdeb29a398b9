"""Browser decode speed of aae_core/web/pad/js/decoder.js (headless chromium), and the payload size.

    .venv/bin/python -m bench.browser_decode [--n 1000] [--hidden 256]

Prints p50/p95 of one decode and of decode + paint (28x28 ImageData on a canvas shown at
196 px with image-rendering: pixelated), for a random 2 -> H -> H -> 784 MLP.
performance.now() is coarsened in a page that is not cross-origin isolated (often to
0.1 ms), so the mean over one timed batch is printed as well.
"""

from __future__ import annotations

import json

import torch

from aae_core.config import MAX_LAYER_SIZE
from aae_core.web.pad.assets import standalone_decoder_js
from aae_core.web.pad.payload import decoder_payload, payload_nbytes
from bench.args import Whole, parser, run_script
from bench.browser import browser_skip_reason, launch_chromium

PAGE = """<!doctype html><html><body>
<canvas id="c" width="28" height="28"
        style="width:196px;height:196px;image-rendering:pixelated"></canvas></body></html>"""

BENCH_JS = """([payload, n]) => {
    const t0 = performance.now();
    const m = new AAEDecoder.MLPDecoder(JSON.parse(payload));
    const parseMs = performance.now() - t0;
    const ctx = document.getElementById('c').getContext('2d');
    const img = ctx.createImageData(28, 28);
    const z = [0, 0];
    const step = (i) => { z[0] = 3 * Math.sin(i * 0.013); z[1] = 3 * Math.cos(i * 0.007); };
    for (let i = 0; i < 200; i++) { step(i); AAEDecoder.paintGray(ctx, img, m.decode(z, null)); }
    const decode = [], both = [];
    for (let i = 0; i < n; i++) {
        step(i);
        const a = performance.now();
        m.decode(z, null);
        decode.push(performance.now() - a);
    }
    for (let i = 0; i < n; i++) {
        step(i);
        const a = performance.now();
        AAEDecoder.paintGray(ctx, img, m.decode(z, null));
        both.push(performance.now() - a);
    }
    const b0 = performance.now();
    for (let i = 0; i < n; i++) { step(i); m.decode(z, null); }
    const batchMean = (performance.now() - b0) / n;
    return {parseMs, decode, both, batchMean};
}"""


ACTS = ["relu", "relu", "sigmoid"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build_parser():
    p = parser("python -m bench.browser_decode", __doc__)
    p.add_argument("--n", type=Whole(1, 100_000), default=1000, help="decodes per measurement")
    p.add_argument("--hidden", type=Whole(1, MAX_LAYER_SIZE), default=256,
                   help="hidden width H")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    reason = browser_skip_reason()
    if reason:
        raise SystemExit(f"cannot run: {reason}")

    torch.manual_seed(0)
    h = args.hidden
    lins = [torch.nn.Linear(2, h), torch.nn.Linear(h, h), torch.nn.Linear(h, 784)]
    layers = [(lin.weight, lin.bias, act) for lin, act in zip(lins, ACTS, strict=True)]
    payload = decoder_payload(layers, latent_dim=2, cond_dim=0)
    print(f"decoder 2-{h}-{h}-784: payload {payload_nbytes(payload) / 1e6:.3f} MB (JSON)")

    from playwright.sync_api import sync_playwright

    decoder_js = standalone_decoder_js()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        page.set_content(PAGE)
        page.add_script_tag(content=decoder_js)
        res = page.evaluate(BENCH_JS, [json.dumps(payload), args.n])
        print(f"chromium {browser.version}, n={args.n}")
        browser.close()
    print(f"parse weights (base64 -> Float32Array): {res['parseMs']:.2f} ms")
    for name, key in (("decode", "decode"), ("decode + paint", "both")):
        v = res[key]
        print(
            f"{name:>15}: p50 {pct(v, 0.5):.3f} ms  p95 {pct(v, 0.95):.3f} ms  "
            f"mean {sum(v) / len(v):.3f} ms"
        )
    print(f"{'decode (batch)':>15}: mean {res['batchMean']:.4f} ms")
    return 0


if __name__ == "__main__":
    run_script(main)
