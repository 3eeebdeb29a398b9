"""Test app for the latent pad: a seeded decoder, two pads, the server's own decode.

Run: PYTHONPATH=. streamlit run tests/apps/pad_app.py   (tests/test_pad_browser.py does)
The texts "server z = ..." and "server image = ..." (base64 float32) let a browser test
compare the browser's decode with torch's.
"""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np
import streamlit as st
import torch
import torch.nn.functional as F

from aae_core.web.pad.payload import decoder_payload, points_payload
from ui.pad import latent_pad

LATENT_DIM, COND_DIM, HIDDEN = 3, 10, 256
LABEL = 3
Z0 = [0.0, 0.5, 0.0]
BOUNDS = (-3.0, 3.0, -3.0, 3.0)


def smooth_decoder(seed: int = 0) -> list:
    """(13) -> 256 -> 256 -> 784 MLP whose images are smooth strokes that morph with z."""
    g = torch.Generator().manual_seed(seed)
    n_in = LATENT_DIM + COND_DIM
    w1 = torch.randn(HIDDEN, n_in, generator=g) * 0.9
    b1 = torch.randn(HIDDEN, generator=g) * 0.5
    w2 = torch.randn(HIDDEN, HIDDEN, generator=g) * (2.0 / HIDDEN) ** 0.5
    b2 = torch.randn(HIDDEN, generator=g) * 0.1
    # each hidden unit paints a Gaussian-blurred noise field, faded towards the border
    fields = torch.randn(HIDDEN, 1, 28, 28, generator=g)
    k = torch.exp(-(torch.arange(-7.0, 8.0) ** 2) / (2 * 3.0**2))
    k = k / k.sum()
    fields = F.conv2d(fields, k.view(1, 1, 1, -1), padding=(0, 7))
    fields = F.conv2d(fields, k.view(1, 1, -1, 1), padding=(7, 0))
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mask = torch.exp(-((xx - 13.5) ** 2 + (yy - 13.5) ** 2) / (2 * 6.0**2)).view(784)
    fields = fields.view(HIDDEN, 784) * mask
    w3 = (fields / fields.std() * (3.5 / HIDDEN**0.5)).T.contiguous()  # (784, 256)
    b3 = -3.6 + 4.5 * mask
    return [(w1, b1, "relu"), (w2, b2, "relu"), (w3, b3, "sigmoid")]


def torch_decode(layers: list, z: list[float], cond: list[float]) -> np.ndarray:
    x = torch.tensor(z + cond, dtype=torch.float32)
    with torch.no_grad():
        for w, b, act in layers:
            x = x @ w.T + b
            x = torch.relu(x) if act == "relu" else torch.sigmoid(x)
    return x.numpy()  # (784,) in [0, 1]


@st.cache_resource
def build() -> tuple[list, dict, dict]:
    layers = smooth_decoder()
    payload = decoder_payload(layers, latent_dim=LATENT_DIM, cond_dim=COND_DIM)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=3000)
    angles = labels * 2 * np.pi / 10
    centres = np.stack([1.8 * np.cos(angles), 1.8 * np.sin(angles)], axis=1)
    codes = centres + rng.normal(scale=0.45, size=(3000, 2))
    return layers, payload, points_payload(codes, labels)


st.set_page_config(page_title="Latent pad test", layout="centered")
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
layers, payload, points = build()
cond = [1.0 if i == LABEL else 0.0 for i in range(COND_DIM)]

st.title("Latent pad")
st.caption(
    "Drag the marker: the digit is decoded in your browser on every frame. "
    "Let go and the server decodes the same z."
)


def _reset() -> None:
    st.session_state["z"] = list(Z0)


st.button("Reset z", on_click=_reset)
show = st.checkbox("Show pad", value=True)
if show:
    z = latent_pad(
        key="pad",
        decoder=payload,
        bounds=BOUNDS,
        z=st.session_state.get("z", Z0),
        dims=(0, 2),
        cond=cond,
        points=points,
    )
    st.session_state["z"] = z
else:
    z = st.session_state.get("z", Z0)

image = torch_decode(layers, z, cond)
left, right = st.columns([1, 2])
with left:
    big = np.kron(image.reshape(28, 28), np.ones((5, 5)))  # nearest-neighbour x5
    st.image((big * 255).astype(np.uint8), caption="server decode", width=140)
with right:
    st.text(f"server z = {json.dumps(z)}")
    digest = hashlib.sha256(image.astype("<f4").tobytes()).hexdigest()[:12]
    st.text(
        f"server image: mean={image.mean():.4f} min={image.min():.4f} "
        f"max={image.max():.4f} sha={digest}"
    )
    st.text(f"runs = {st.session_state['runs']}")

st.subheader("A second pad (z₁ against z₂)")
z_b = latent_pad(
    key="pad_b",
    decoder=payload,
    bounds=(-2.0, 2.0, -2.0, 2.0),
    z=Z0,
    dims=(1, 2),
    cond=cond,
    height=240,
    image_px=112,
)
st.text(f"pad_b z = {json.dumps(z_b)}")

st.text("server image = " + base64.b64encode(image.astype("<f4").tobytes()).decode("ascii"))
