"""Images as numpy arrays: grids and PNG bytes (Pillow), shared by the CLI and the app."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image


def tile(images: np.ndarray, *, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """(n, h, w) in [0, 1] -> one (H, W) grid image, `pad` pixels of 0 between tiles."""
    n, h, w = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = img
    return grid


def side_by_side(left: np.ndarray, right: np.ndarray, *, gap: int = 8,
                 value: float = 0.55) -> np.ndarray:
    """Two grid images (H, W1), (H', W2) joined left to right with a `gap`-pixel band of
    grey `value` between them; the shorter one is padded with 0 at the bottom."""
    h = max(left.shape[0], right.shape[0])
    parts = [np.pad(a, ((0, h - a.shape[0]), (0, 0))) for a in (left, right)]
    band = np.full((h, gap), value, dtype=np.float32)
    return np.concatenate([parts[0], band, parts[1]], axis=1).astype(np.float32)


def to_png_bytes(image: np.ndarray, *, scale: int = 1) -> bytes:
    """(H, W) in [0, 1] -> PNG bytes, nearest-neighbour upscaled by `scale`."""
    pixels = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    img = Image.fromarray(pixels, mode="L")
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


#: The class colours, everywhere (figures, the latent pad, PNGs): D3 category10, which is
#: also Plotly's default qualitative palette. Class k gets PALETTE[k % 10].
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
PALETTE_RGB = tuple(tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in PALETTE)
