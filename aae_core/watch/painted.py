"""A prior the student paints: uniform over the painted cells of a window of the plane.

The browser sends a mask, one byte per cell of a G x G lattice (row 0 at the top, as
drawn), non-zero where painted; values weight the cells (a soft brush edge paints less).
Sampling picks a cell with probability proportional to its weight, then a uniform point
inside it, so every sample lies inside a painted cell.
"""

from __future__ import annotations

import base64

import numpy as np
import torch

from aae_core.errors import ConfigError, shown
from aae_core.priors import Prior

MAX_SIDE = 256  # cells per side a mask may have (the page uses 64)
# The window is the plane the student painted on: the page's own windows reach about +-7
# (a mixture's ring); far larger ones put codes and D's inputs where its loss overflows.
WINDOW_LIMIT = 20.0  # every edge within +-WINDOW_LIMIT
MIN_SPAN = 0.01  # each side at least this wide


class PaintedPrior(Prior):
    """p(z) proportional to the painted mask over `window` = (xmin, xmax, ymin, ymax)."""

    name = "painted"

    def __init__(self, mask: np.ndarray, window: tuple[float, float, float, float]):
        super().__init__(dim=2)
        mask = np.asarray(mask, dtype=np.float32)
        if mask.ndim != 2 or mask.shape[0] != mask.shape[1] or not 2 <= mask.shape[0] <= MAX_SIDE:
            raise ConfigError(f"a painted prior needs a square mask of 2..{MAX_SIDE} cells a "
                              f"side, got shape {mask.shape}")
        if not np.isfinite(mask).all() or (mask < 0).any():
            raise ConfigError("a painted mask holds weights >= 0")
        if mask.sum() <= 0:
            raise ConfigError("paint at least one cell to make a prior")
        self.side, self.window = mask.shape[0], check_window(window)
        self.mask = mask
        # (G*G,) cell probabilities; a non-persistent buffer moves with the model
        self.register_buffer("weights", torch.from_numpy(mask.reshape(-1) / mask.sum()),
                             persistent=False)

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        device = generator.device if generator is not None else self.device
        weights = self.weights.to(device)
        cells = torch.multinomial(weights, n, replacement=True, generator=generator)  # (n,)
        row, col = cells // self.side, cells % self.side
        u = torch.rand(n, 2, generator=generator, device=device)  # position inside the cell
        xmin, xmax, ymin, ymax = self.window
        x = xmin + (col.float() + u[:, 0]) * (xmax - xmin) / self.side
        y = ymax - (row.float() + u[:, 1]) * (ymax - ymin) / self.side
        return torch.stack([x, y], dim=1).to(self.device)

    def bounds(self):
        rows, cols = np.nonzero(self.mask)
        xmin, xmax, ymin, ymax = self.window
        w, h = (xmax - xmin) / self.side, (ymax - ymin) / self.side
        return (xmin + cols.min() * w, xmin + (cols.max() + 1) * w,
                ymax - (rows.max() + 1) * h, ymax - rows.min() * h)

    def variance(self) -> float:
        z = self.sample(4096, generator=torch.Generator(device=self.device).manual_seed(0))
        return float(z.var(dim=0).mean())

    def contains(self, z: torch.Tensor) -> torch.Tensor:
        """(N, 2) -> (N,) bool: the point lies in a painted cell."""
        xmin, xmax, ymin, ymax = self.window
        col = ((z[:, 0] - xmin) / (xmax - xmin) * self.side).floor().long()
        row = ((ymax - z[:, 1]) / (ymax - ymin) * self.side).floor().long()
        inside = (col >= 0) & (col < self.side) & (row >= 0) & (row < self.side)
        painted = torch.from_numpy(self.mask > 0).to(z.device)
        out = torch.zeros_like(inside)
        out[inside] = painted[row[inside], col[inside]]
        return out


def check_window(window) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) as floats, each finite and within +-WINDOW_LIMIT, each side
    at least MIN_SPAN wide; else one ConfigError line."""
    try:
        edges = tuple(float(v) for v in window)
    except (TypeError, ValueError):
        edges = ()
    if len(edges) != 4 or not all(-WINDOW_LIMIT <= v <= WINDOW_LIMIT for v in edges) \
            or not (edges[1] - edges[0] >= MIN_SPAN and edges[3] - edges[2] >= MIN_SPAN):
        raise ConfigError(f"a painted prior's window must be (xmin, xmax, ymin, ymax), each a "
                          f"finite number from {-WINDOW_LIMIT:g} to {WINDOW_LIMIT:g}, with "
                          f"min < max by at least {MIN_SPAN:g}; got {shown(window)}")
    return edges


def mask_from_b64(text: str, side: int) -> np.ndarray:
    """The browser's base64 mask (side * side bytes) -> (side, side) float32 weights in [0, 1]."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise ConfigError("the painted mask is not valid base64") from None
    if len(raw) != side * side:
        raise ConfigError(f"the painted mask has {len(raw)} cells, expected {side * side}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(side, side).astype(np.float32) / 255.0
