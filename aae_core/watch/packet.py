"""Snapshot packets: what the browser needs to draw one frame of a model learning.

A packet is JSON-able and small (at most PACKET_LIMIT bytes as JSON for two models):
numbers travel as base64 of little-endian integer arrays, never as lists or figures.
- positions (codes, prior samples, arrows) as int16: round(u * POS_SCALE), where u is the
  offset from the window's centre in half-widths (so +-2 half-widths fit; further out is
  clipped, and drawn at the border);
- fields on the G x G lattice (D's map, the prior's density) as uint8, 255 = 1;
- images as 4-bit grey levels, two pixels a byte (the high nibble first): 392 bytes a digit.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import torch

from aae_core.watch.fields import Window

POS_SCALE = 16_000  # int16 units per half-width of the window
PACKET_LIMIT = 64 * 1024  # bytes of JSON for one update (both views)


def b64(array: np.ndarray, dtype: str) -> str:
    raw = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return base64.b64encode(raw).decode("ascii")


def _numpy(t) -> np.ndarray:
    return t.detach().float().cpu().numpy() if torch.is_tensor(t) else np.asarray(t, np.float32)


def positions(points, window: Window) -> str:
    """(N, 2) points of the plane -> base64 int16 (N * 2,), relative to `window`."""
    xmin, xmax, ymin, ymax = window
    p = _numpy(points)[:, :2]
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2], np.float32)
    half = np.array([(xmax - xmin) / 2, (ymax - ymin) / 2], np.float32)
    u = np.nan_to_num((p - centre) / half, nan=0.0)
    return b64(np.clip(np.round(u * POS_SCALE), -32767, 32767), "i2")


def unpack_positions(text: str, window: Window) -> np.ndarray:
    """Inverse of `positions` (tests and the benchmark read packets back with it)."""
    u = np.frombuffer(base64.b64decode(text), dtype="<i2").astype(np.float32) / POS_SCALE
    xmin, xmax, ymin, ymax = window
    u = u.reshape(-1, 2)
    return np.stack([(xmin + xmax) / 2 + u[:, 0] * (xmax - xmin) / 2,
                     (ymin + ymax) / 2 + u[:, 1] * (ymax - ymin) / 2], axis=1)


def field(values) -> str:
    """(G, G) values in [0, 1] -> base64 uint8 (G * G,), row 0 at the top."""
    return b64(np.clip(np.round(_numpy(values) * 255), 0, 255), "u1")


def unpack_field(text: str, size: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(size, size) / 255.0


def images4(images) -> str:
    """(N, 784) images in [0, 1] -> base64 of 4-bit grey levels, two pixels a byte."""
    levels = np.clip(np.round(_numpy(images) * 15), 0, 15).astype(np.uint8).reshape(-1)
    if levels.size % 2:
        levels = np.append(levels, np.uint8(0))
    return b64((levels[0::2] << 4) | levels[1::2], "u1")


def unpack_images4(text: str, n: int, pixels: int = 784) -> np.ndarray:
    packed = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    levels = np.stack([packed >> 4, packed & 15], axis=1).reshape(-1)[: n * pixels]
    return levels.reshape(n, pixels) / 15.0


def json_size(obj) -> int:
    """Bytes of `obj` as compact JSON: what one update costs on the wire."""
    return len(json.dumps(obj, separators=(",", ":")).encode())
