"""Latent traversals: move one dimension of a code from -2 to +2 standard deviations, hold
the others, decode, and measure what changes (Morpho-MNIST's shape measures, and whether a
judge still names the same digit).

Pure functions of numpy arrays and a model; images (.., 28, 28) float32 in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aae_core.analysis.explore import decode_points
from aae_core.analysis.morphometry import FAST, measure_digits
from aae_core.errors import ConfigError

SPAN = 2.0  # each dimension runs from -SPAN to +SPAN standard deviations of its codes
STEPS = (3, 15)  # the fewest and most digits along one traversal
MAX_DIMS = 32  # a traversal of more dimensions is refused (a page shows at most these)


@dataclass(frozen=True)
class Traversal:
    """Every traversed dimension's strip of decoded digits and what was measured on them."""

    dims: tuple[int, ...]  # (T,) the dimensions traversed
    offsets: np.ndarray  # (S,) in standard deviations, -SPAN..SPAN
    values: np.ndarray  # (T, S) the traversed dimension's value at each step
    images: np.ndarray  # (T, S, 28, 28)
    measures: np.ndarray  # (T, S, 6) morphometry.MEASURES of each digit (the fast setting)
    named: np.ndarray | None  # (T, S) the judge's digit for each image, if a judge was given
    held_named: int | None  # the judge's digit for the held code itself

    def flip_rates(self) -> np.ndarray | None:
        """(T,) the share of each strip's digits that the judge names differently from the
        digit at the held code; None without a judge."""
        if self.named is None:
            return None
        return (self.named != self.held_named).mean(axis=1)


def code_spread(codes) -> tuple[np.ndarray, np.ndarray]:
    """The mean (d,) and standard deviation (d,) of codes (N, d); a dimension whose codes
    do not vary gets 1, so that its traversal still moves."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2 or not np.isfinite(codes).all():
        raise ConfigError(f"need at least two finite codes (N, d) to find their spread, "
                          f"got shape {codes.shape}")
    sd = codes.std(axis=0)
    return codes.mean(axis=0), np.where(sd > 1e-8, sd, 1.0)


def traverse(model, held, mean, sd, *, steps: int = 9, dims=None, label: int | None = None,
             name_digits: Callable[[np.ndarray], np.ndarray] | None = None) -> Traversal:
    """Decode `held` (d,) with dimension k set to mean[k] + t * sd[k], t from -SPAN to
    +SPAN in `steps` steps, for each k in `dims` (default: every dimension); the other
    dimensions keep their held values. `label` goes to decoders that take one.
    `name_digits(images (n, 784)) -> (n,) int` is the judge naming each digit, if any."""
    d = model.latent_dim
    held, mean, sd = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (held, mean, sd))
    if not held.shape == mean.shape == sd.shape == (d,):
        raise ConfigError(f"the held code, mean and spread must each have {d} values")
    dims = tuple(range(min(d, MAX_DIMS))) if dims is None else tuple(int(k) for k in dims)
    if not dims or len(dims) > MAX_DIMS or not all(0 <= k < d for k in dims):
        raise ConfigError(f"dimensions to traverse must be 1 to {MAX_DIMS} of 0..{d - 1}")
    if not STEPS[0] <= steps <= STEPS[1]:
        raise ConfigError(f"steps must be a whole number from {STEPS[0]} to {STEPS[1]}")
    offsets = np.linspace(-SPAN, SPAN, steps)
    values = np.array([mean[k] + offsets * sd[k] for k in dims])  # (T, S)
    codes = np.repeat(held[None, None, :], len(dims), 0).repeat(steps, 1)  # (T, S, d)
    for row, k in enumerate(dims):
        codes[row, :, k] = values[row]
    flat = np.vstack([codes.reshape(-1, d), held[None]]).astype(np.float32)
    labels = None if not model.cond_dim else np.full(len(flat), label if label is not None
                                                     else 0, dtype=np.int64)
    decoded = decode_points(model, flat, labels)  # (T * S + 1, 28, 28)
    images = decoded[:-1].reshape(len(dims), steps, 28, 28)
    measures = measure_digits(images.reshape(-1, 28, 28), FAST).reshape(len(dims), steps, -1)
    named = held_named = None
    if name_digits is not None:
        all_named = np.asarray(name_digits(decoded.reshape(len(decoded), -1)))
        named, held_named = all_named[:-1].reshape(len(dims), steps), int(all_named[-1])
    return Traversal(dims, offsets, values, images, measures, named, held_named)
