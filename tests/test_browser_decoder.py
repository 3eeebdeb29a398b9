"""decoder.js in headless chromium agrees with torch (<= 1e-3 per pixel)."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from aae_core.web.pad.assets import standalone_decoder_js
from aae_core.web.pad.payload import decoder_payload
from bench.browser import launch_chromium, require_browser
from tests.helpers import browser_decode

pytestmark = pytest.mark.browser

DECODER_JS = standalone_decoder_js()
TOLERANCE = 1e-3
N_CODES = 200

_ACT = {
    "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "none": lambda x: x,
}


def random_mlp(widths: list[int], acts: list[str], seed: int, gain: float = 1.5) -> list:
    """[(W (out, in), b, act)] like a trained decoder: torch init, scaled up by `gain`."""
    gen = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out, act in zip(widths[:-1], widths[1:], acts, strict=True):
        bound = gain / n_in**0.5
        w = (torch.rand(n_out, n_in, generator=gen) * 2 - 1) * bound
        b = (torch.rand(n_out, generator=gen) * 2 - 1) * bound
        layers.append((w, b, act))
    return layers


def torch_decode(layers: list, x: torch.Tensor) -> torch.Tensor:
    for w, b, act in layers:
        x = _ACT[act](x @ w.T + b)
    return x


@pytest.fixture(scope="module")
def js_page():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        pg = browser.new_page()
        pg.set_content("<!doctype html><html><body><canvas id='c'></canvas></body></html>")
        pg.add_script_tag(content=DECODER_JS)
        yield pg
        browser.close()


CASES = {
    # name: (latent_dim, cond_dim, hidden widths, hidden act, cond kind)
    "2-256-256-784 relu": (2, 0, [256, 256], "relu", None),
    "2+10-256-256-784 leaky_relu one-hot": (2, 10, [256, 256], "leaky_relu", "onehot"),
    "8+10-512-512-784 relu probabilities": (8, 10, [512, 512], "relu", "probs"),
    "2-1000-1000-784 leaky_relu": (2, 0, [1000, 1000], "leaky_relu", None),
    "3+10-64-tanh-32-none-784": (3, 10, [64, 32], ["tanh", "none"], "onehot"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_browser_decode_matches_torch(js_page, case):
    latent_dim, cond_dim, hidden, act, cond_kind = CASES[case]
    acts = list(act) if isinstance(act, list) else [act] * len(hidden)
    widths = [latent_dim + cond_dim, *hidden, 784]
    layers = random_mlp(widths, [*acts, "sigmoid"], seed=len(case))
    payload = decoder_payload(layers, latent_dim=latent_dim, cond_dim=cond_dim)

    gen = torch.Generator().manual_seed(1)
    z = torch.randn(N_CODES, latent_dim, generator=gen) * 2.0
    cond = None
    if cond_kind == "onehot":
        cond = F.one_hot(torch.randint(0, cond_dim, (N_CODES,), generator=gen), cond_dim).float()
    elif cond_kind == "probs":
        cond = torch.softmax(torch.randn(N_CODES, cond_dim, generator=gen) * 2, dim=1)

    expected = torch_decode(layers, z if cond is None else torch.cat([z, cond], dim=1))
    got = browser_decode(js_page, payload, z, cond)
    diff = (got - expected).abs().max().item()
    print(f"\n[{case}] max |browser - torch| over {N_CODES} codes x 784 px = {diff:.3e}")
    assert got.shape == expected.shape
    assert expected.std().item() > 0.05, "degenerate test decoder: images barely vary"
    assert diff <= TOLERANCE


def test_paint_gray_quantizes_pixels(js_page):
    """paintGray writes round(255 * v) to R, G and B of a 28x28 canvas, opaque."""
    values = torch.linspace(-0.1, 1.1, 784)
    rgba = js_page.evaluate(
        """(values) => {
            const c = document.getElementById('c'); c.width = c.height = 28;
            const ctx = c.getContext('2d');
            AAEDecoder.paintGray(ctx, ctx.createImageData(28, 28), Float32Array.from(values));
            return Array.from(ctx.getImageData(0, 0, 28, 28).data);
        }""",
        values.tolist(),
    )
    px = torch.tensor(rgba).reshape(784, 4)
    expected = (values.clamp(0, 1) * 255).round()
    assert (px[:, 0] - expected).abs().max().item() <= 1
    assert torch.equal(px[:, 0], px[:, 1]) and torch.equal(px[:, 0], px[:, 2])
    assert (px[:, 3] == 255).all()


def test_bad_payload_raises_in_browser(js_page):
    layers = random_mlp([2, 8, 784], ["relu", "sigmoid"], seed=0)
    payload = decoder_payload(layers, latent_dim=2, cond_dim=0)
    payload["layers"][1]["in"] = 9
    with pytest.raises(Exception, match="expects 9 inputs"):
        js_page.evaluate("(p) => new AAEDecoder.MLPDecoder(JSON.parse(p))", json.dumps(payload))
