"""Decoder weights, latent codes and a density grid as compact JSON for the latent pad.

No streamlit here: this module only turns arrays into base64 strings so that the pad's
JavaScript (aae_core/web/pad/js/decoder.js) can rebuild the decoder as Float32Arrays and run it on
every drag frame. The content hash ("id") lets the browser cache a model and lets Python
skip resending weights the browser already holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "none")  # leaky_relu slope: 0.2
PAYLOAD_VERSION = 1


def _to_numpy(x: Any) -> np.ndarray:
    """Tensor or array-like -> numpy, without importing torch."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _b64(array: np.ndarray, dtype: str) -> str:
    """Row-major little-endian bytes of `array` as `dtype`, base64-encoded."""
    raw = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return base64.b64encode(raw).decode("ascii")


def _check_layer(i: int, w: np.ndarray, b: np.ndarray, act: str, n_in: int) -> None:
    if w.ndim != 2:
        raise ValueError(f"layer {i}: W must be 2-D (out, in), got shape {w.shape}")
    if b.shape != (w.shape[0],):
        raise ValueError(f"layer {i}: b has shape {b.shape}, expected ({w.shape[0]},)")
    if w.shape[1] != n_in:
        raise ValueError(f"layer {i}: W takes {w.shape[1]} inputs, previous width is {n_in}")
    if act not in ACTIVATIONS:
        raise ValueError(f"layer {i}: unknown activation {act!r}; use one of {ACTIVATIONS}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError(f"layer {i}: weights contain NaN or infinity")


def decoder_payload(
    layers: Sequence[tuple[Any, Any, str]], *, latent_dim: int, cond_dim: int
) -> dict:
    """JSON-able description of an MLP decoder for the browser.

    layers: [(W (out, in) float32, b (out,), act), ...]; the input of the first layer is
    concat([z (latent_dim), cond (cond_dim)]) and the last layer outputs side*side pixels
    in [0, 1] (784 = 28x28, row-major).
    Returns {"v", "id", "latent_dim", "cond_dim", "side", "layers": [{"w", "b", "in", "out",
    "act"}, ...]} where "w"/"b" are base64 float32 little-endian (W row-major (out, in)).
    """
    if latent_dim < 1 or cond_dim < 0:
        raise ValueError(f"need latent_dim >= 1 and cond_dim >= 0, got {latent_dim}, {cond_dim}")
    if not layers:
        raise ValueError("the decoder needs at least one layer")
    digest = hashlib.sha256(f"v{PAYLOAD_VERSION}:{latent_dim}:{cond_dim}".encode())
    out_layers = []
    n_in = latent_dim + cond_dim
    for i, (w_t, b_t, act) in enumerate(layers):
        w = _to_numpy(w_t).astype(np.float32, copy=False)
        b = _to_numpy(b_t).astype(np.float32, copy=False)
        _check_layer(i, w, b, act, n_in)
        layer = {
            "w": _b64(w, "f4"),
            "b": _b64(b, "f4"),
            "in": n_in,
            "out": int(w.shape[0]),
            "act": act,
        }
        digest.update(f"|{act}:{w.shape[0]}x{n_in}|".encode())
        digest.update(layer["w"].encode())
        digest.update(layer["b"].encode())
        out_layers.append(layer)
        n_in = int(w.shape[0])
    side = int(round(n_in**0.5))
    if side * side != n_in:
        raise ValueError(f"the last layer must output a square image (e.g. 784), got {n_in}")
    return {
        "v": PAYLOAD_VERSION,
        "id": digest.hexdigest()[:16],
        "latent_dim": int(latent_dim),
        "cond_dim": int(cond_dim),
        "side": side,
        "layers": out_layers,
    }


def points_payload(codes: Any, labels: Any, *, index: Any = None) -> dict:
    """Held-out latent codes for the pad's background dots (and for clicking a code).

    codes: (N, 2) floats (the two pad dimensions); labels: (N,) ints in 0..255 (colour);
    index: (N,) the held-out number of each row (default 0..N-1; a subsample gives its own).
    Returns {"id", "n", "xy": base64 float32 interleaved x0 y0 x1 y1 ..., "labels": base64
    uint8, "index": base64 uint32 held-out index of each kept point}. Rows with a NaN or an
    infinity are left out, so "index" maps a dot back to its held-out number.
    """
    xy = _to_numpy(codes).astype(np.float32, copy=False)
    lab = _to_numpy(labels)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"codes must have shape (N, 2), got {xy.shape}")
    if lab.shape != (xy.shape[0],):
        raise ValueError(f"labels must have shape ({xy.shape[0]},), got {lab.shape}")
    if lab.size and (lab.min() < 0 or lab.max() > 255):
        raise ValueError("labels must lie in 0..255")
    rows = np.arange(xy.shape[0]) if index is None else _to_numpy(index)
    if rows.shape != (xy.shape[0],) or (rows.size and (rows.min() < 0 or rows.max() >= 2**32)):
        raise ValueError(f"index must hold {xy.shape[0]} held-out numbers in 0..2**32-1")
    keep = np.isfinite(xy).all(axis=1)
    xy_b64 = _b64(xy[keep], "f4")
    lab_b64 = _b64(lab[keep], "u1")
    index_b64 = _b64(rows[keep], "u4")
    digest = hashlib.sha256(f"points:{xy_b64}:{lab_b64}:{index_b64}".encode()).hexdigest()[:16]
    return {"id": digest, "n": int(keep.sum()), "xy": xy_b64, "labels": lab_b64,
            "index": index_b64}


def density_payload(density: Any) -> dict:
    """A density over the pad's bounds (e.g. the prior's), drawn as contour bands.

    density: (ny, nx) >= 0, row 0 at the bottom (y = ymin), column 0 at x = xmin; it is
    scaled to its maximum and sent as uint8 (0..255). Returns {"id", "nx", "ny", "grid"}.
    """
    grid = _to_numpy(density).astype(np.float64, copy=False)
    if grid.ndim != 2 or min(grid.shape) < 2:
        raise ValueError(f"density must be a 2-D grid of at least 2 x 2, got {grid.shape}")
    if not np.isfinite(grid).all() or grid.min() < 0:
        raise ValueError("density must be finite and >= 0")
    top = grid.max()
    scaled = np.round(grid / top * 255) if top > 0 else np.zeros_like(grid)
    grid_b64 = _b64(scaled, "u1")
    digest = hashlib.sha256(f"density:{grid.shape}:{grid_b64}".encode()).hexdigest()[:16]
    return {"id": digest, "nx": int(grid.shape[1]), "ny": int(grid.shape[0]), "grid": grid_b64}


def floats_b64(values: Any) -> str:
    """Any float array as base64 float32 little-endian (flattened row-major): how an image
    travels to the browser (AAEBase64.float32 in aae_core/web/shared_js/base64.js reads it)."""
    return _b64(_to_numpy(values).astype(np.float32).reshape(-1), "f4")


def payload_nbytes(payload: dict) -> int:
    """Size in bytes of the payload as JSON (what goes over the websocket)."""
    return len(json.dumps(payload).encode("utf-8"))
