"""Where does the label hold? Measured with a judge classifier over a grid of style codes.

A model that keeps style apart from label promises that changing z changes only the
handwriting. That is true only where the decoder was trained: far from the codes, label 4
may draw a 9. For every cell of an n x n grid over the pad this module decodes z with
each label and asks the judge (aae_core.analysis.sample_quality.Judge, trained on the dataset's
training digits) which digit it sees:

- decoders of [z, y] (supervised, semi-supervised): hold = share of labels k whose image
  the judge reads as k;
- the label-regularized AAE (the label is the mixture component z sits in): hold = 1 where
  the judge reads the image as the component's digit, else 0.

`safe_bounds` then gives the largest box, centred like the pad, in which the label holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from aae_core.analysis.explore import decode_points, lattice_points
from aae_core.analysis.style import component_of, n_labels
from aae_core.errors import ConfigError
from aae_core.models import LatentModel

HOLD_THRESHOLD = 0.9  # a cell "holds" when the judge recovers at least 90 % of the labels


@dataclass(frozen=True)
class HoldMap:
    """hold (n, n) in [0, 1] over bounds (xmin, xmax, ymin, ymax); row 0 is the top
    (largest y), column 0 the left, as lattice_points orders them."""

    bounds: tuple[float, float, float, float]
    hold: np.ndarray
    n_labels: int

    @property
    def n(self) -> int:
        return self.hold.shape[0]

    def at(self, z) -> float:
        """The hold of the cell nearest to the pad point z (x, y, ...)."""
        xmin, xmax, ymin, ymax = self.bounds
        col = round((float(z[0]) - xmin) / (xmax - xmin) * (self.n - 1))
        row = round((ymax - float(z[1])) / (ymax - ymin) * (self.n - 1))
        return float(self.hold[min(max(row, 0), self.n - 1), min(max(col, 0), self.n - 1)])

    def share_holding(self, threshold: float = HOLD_THRESHOLD) -> float:
        return float((self.hold >= threshold).mean())


@torch.no_grad()
def judge_labels(model: LatentModel, judge, z: np.ndarray) -> np.ndarray:
    """What the judge reads (n, L) when codes z (n, d) are decoded with each label 0..L-1
    (the label-regularized AAE: (n, 1), z decoded as it is)."""
    z = np.asarray(z, np.float32)
    if model.cond_dim:
        reads = []
        for k in range(n_labels(model)):
            images = decode_points(model, z, np.full(len(z), k))
            reads.append(_read(judge, images))
        return np.stack(reads, axis=1)
    return _read(judge, decode_points(model, z))[:, None]


def _read(judge, images: np.ndarray) -> np.ndarray:
    weight = next(judge.parameters(), None)
    device = weight.device if weight is not None else torch.device("cpu")
    x = torch.as_tensor(images.reshape(len(images), -1), device=device)
    return judge(x).argmax(1).cpu().numpy()


def hold_of(model: LatentModel, judge, z: np.ndarray) -> np.ndarray:
    """The hold (n,) of codes z (n, d): see the module docstring."""
    if not n_labels(model):
        raise ConfigError(f"model {model.config.model!r} does not separate style from label")
    reads = judge_labels(model, judge, z)
    if model.cond_dim:
        return (reads == np.arange(reads.shape[1])[None, :]).mean(axis=1)
    return (reads[:, 0] == component_of(z, model.prior)).astype(np.float64)


def label_hold_map(model: LatentModel, judge, bounds, *, n: int = 25) -> HoldMap:
    """The hold over an n x n grid of the pad (dims 0 and 1; other dims 0)."""
    points = lattice_points(bounds, n)  # (n*n, 2), row-major from the top-left
    z = np.zeros((len(points), model.latent_dim), np.float32)
    z[:, :2] = points
    hold = hold_of(model, judge, z).reshape(n, n)
    return HoldMap(tuple(float(b) for b in bounds), hold, n_labels(model))


def safe_bounds(hold_map: HoldMap, *, threshold: float = HOLD_THRESHOLD,
                min_share: float = 0.95, smallest: float = 0.2) -> tuple[float, ...]:
    """The largest box, shrunk about the centre of hold_map's bounds, in which at least
    `min_share` of the cells hold (>= threshold); at most the whole bounds, at least
    `smallest` of them."""
    xmin, xmax, ymin, ymax = hold_map.bounds
    cx, cy, hx, hy = (xmin + xmax) / 2, (ymin + ymax) / 2, (xmax - xmin) / 2, (ymax - ymin) / 2
    xs = np.linspace(xmin, xmax, hold_map.n)
    ys = np.linspace(ymax, ymin, hold_map.n)  # row 0 = top
    gx, gy = np.meshgrid(xs, ys)
    good = hold_map.hold >= threshold
    scale = 1.0
    for scale in np.arange(1.0, smallest - 1e-9, -0.05):
        inside = (np.abs(gx - cx) <= scale * hx + 1e-9) & (np.abs(gy - cy) <= scale * hy + 1e-9)
        if inside.any() and good[inside].mean() >= min_share:
            break
    return (cx - scale * hx, cx + scale * hx, cy - scale * hy, cy + scale * hy)
