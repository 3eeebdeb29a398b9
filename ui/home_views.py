"""Home's picture: the held-out codes as a map, and the decoder over the same square."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from aae_core.analysis import explore
from aae_core.images import PALETTE_RGB, tile, to_png_bytes
from ui.loaders import open_checkpoint


def map_png(codes: np.ndarray, labels: np.ndarray, bounds, *, size: int = 420) -> bytes:
    """Codes (N, 2) as dots coloured by label on a white square over bounds -> PNG bytes."""
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    xmin, xmax, ymin, ymax = bounds
    px = (codes[:, 0] - xmin) / (xmax - xmin) * (size - 1)
    py = (ymax - codes[:, 1]) / (ymax - ymin) * (size - 1)
    for x, y, k in zip(px, py, labels, strict=True):
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=PALETTE_RGB[int(k) % len(PALETTE_RGB)])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@st.cache_data(max_entries=4, show_spinner=False)
def map_and_digits(name: str, key: tuple) -> tuple[bytes, bytes, int] | None:
    """(the held-out codes coloured by digit, a 10 x 10 lattice of decoded digits over the
    same box) as PNGs and the number of codes drawn, for a 2-D model without a label input;
    `key` = (folder, mtime)."""
    ckpt = open_checkpoint(name)
    if ckpt.codes is None or ckpt.model.latent_dim != 2 or ckpt.model.cond_dim:
        return None
    codes, labels = ckpt.codes.numpy(), ckpt.labels.numpy()
    bounds = explore.view_bounds(ckpt.model, codes)
    lattice = tile(explore.decode_lattice(ckpt.model, bounds, 10), cols=10, pad=0)
    return map_png(codes, labels, bounds), to_png_bytes(lattice, scale=2), len(codes)


def _box(x: float, y: float, w: float, text: str, fill: str, *, round_: bool = True) -> str:
    rx = 14 if round_ else 40
    return (f'<rect x="{x}" y="{y}" width="{w}" height="64" rx="{rx}" fill="{fill}" '
            f'stroke="#333" stroke-width="2.5"/><text x="{x + w / 2}" y="{y + 42}" '
            f'text-anchor="middle">{text}</text>')


def phases_svg() -> str:
    """The AAE's two phases as an SVG drawn here (text sizes fixed in the image itself, so
    they stay readable on a projector): image -> encoder -> code -> decoder -> x̂ in blue;
    the code (fake) and a prior sample (real) into the discriminator in red."""
    blue, red = "#1f77b4", "#d62728"
    parts = [
        _box(10, 30, 150, "image x", "#f4f4f4"), _box(210, 30, 160, "encoder", "#dbe9f6"),
        _box(420, 30, 150, "code z", "#f4f4f4", round_=False),
        _box(620, 30, 160, "decoder", "#dbe9f6"), _box(830, 30, 90, "x̂", "#f4f4f4"),
        _box(420, 200, 150, "z′ ~ p(z)", "#fde2e2", round_=False),
        _box(650, 200, 240, "discriminator", "#fde2e2"),
    ]
    arrows = [(160, 62, 208, 62, blue), (370, 62, 418, 62, blue), (570, 62, 618, 62, blue),
              (780, 62, 828, 62, blue), (540, 94, 690, 198, red), (570, 232, 648, 232, red)]
    for x0, y0, x1, y1, colour in arrows:
        parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{colour}" '
                     f'stroke-width="4" marker-end="url(#head-{colour[1:]})"/>')
    parts.append(f'<text x="640" y="140" fill="{red}">fake</text>'
                 f'<text x="578" y="222" fill="{red}">real</text>')
    heads = "".join(
        f'<marker id="head-{c[1:]}" markerWidth="8" markerHeight="8" refX="6" refY="4" '
        f'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{c}"/></marker>' for c in (blue, red))
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 930 280" '
            'font-family="Helvetica, Arial, sans-serif" font-size="28">'
            f'<defs>{heads}</defs>{"".join(parts)}</svg>')


def train_step_words() -> str:
    """The lecture's last step, as the Train page will really start it: its first model,
    dataset and budget (the form's defaults), so Home promises what Train does."""
    from aae_core.settings import run_defaults
    from aae_core.words import count
    from ui.train_settings import default_dataset

    start = run_defaults()
    data = default_dataset()
    digits = "real digits (mnist-10k)" if data == "mnist-10k" else f"{data}"
    return (f"Train your own: a {start['latent_dim']}-D {start['model'].upper()} on {digits}, "
            f"{count(start['epochs'], 'epoch')} of batches of {start['batch_size']}; a minute "
            "or two on a laptop's CPU, the curves and the map live as it learns")
