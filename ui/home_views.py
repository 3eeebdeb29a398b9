"""Home's picture: the held-out codes as a map, and the decoder over the same square."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from aae_core import explore
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
def map_and_digits(name: str, key: tuple) -> tuple[bytes, bytes] | None:
    """(the held-out codes coloured by digit, a 10 x 10 lattice of decoded digits over the
    same box) as PNGs, for a 2-D model without a label input; `key` = (folder, mtime)."""
    ckpt = open_checkpoint(name)
    if ckpt.codes is None or ckpt.model.latent_dim != 2 or ckpt.model.cond_dim:
        return None
    codes, labels = ckpt.codes.numpy(), ckpt.labels.numpy()
    bounds = explore.view_bounds(ckpt.model, codes)
    lattice = tile(explore.decode_lattice(ckpt.model, bounds, 10), cols=10, pad=0)
    return map_png(codes, labels, bounds), to_png_bytes(lattice, scale=2)
