"""Decoding helpers behind the explorer views: lattices, interpolations, label sweeps.

All functions are pure (model in, numpy images out) and run under no_grad.
Images come back as (n, 28, 28) float32 arrays in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch

from aae_core.errors import ConfigError
from aae_core.models import LatentModel

MAX_LATTICE = 40  # 40 x 40 = 1,600 decodes: instant on a CPU, still readable


def _images(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().view(-1, 28, 28).numpy()


def full_code(model: LatentModel, z2, *, base=None, dims=(0, 1)) -> torch.Tensor:
    """Put 2-D points (n, 2) into full codes (n, d): dims[0], dims[1] from z2, the rest
    from `base` (d,) (zeros by default). For 2-D models this is just z2."""
    z2 = torch.as_tensor(np.asarray(z2, dtype=np.float32)).view(-1, 2)
    d = model.latent_dim
    if d == 2 and tuple(dims) == (0, 1):
        return z2
    if not (0 <= dims[0] < d and 0 <= dims[1] < d and dims[0] != dims[1]):
        raise ConfigError(f"dims must be two different indices below {d}, got {dims}")
    z = torch.zeros(len(z2), d) if base is None else \
        torch.as_tensor(np.asarray(base, dtype=np.float32)).view(1, d).repeat(len(z2), 1)
    z[:, dims[0]], z[:, dims[1]] = z2[:, 0], z2[:, 1]
    return z


@torch.no_grad()
def decode_points(model: LatentModel, z, labels=None) -> np.ndarray:
    """Codes (n, d) [+ labels (n,)] -> images (n, 28, 28)."""
    z = torch.as_tensor(np.asarray(z, dtype=np.float32)).to(model.device)
    if model.cond_dim and labels is None:
        raise ConfigError("this model decodes a code and a label: choose a label")
    return _images(model.decode(z, labels if model.cond_dim else None))


def lattice_points(bounds, n: int) -> np.ndarray:
    """n x n grid over (xmin, xmax, ymin, ymax), row-major from the top-left: (n*n, 2)."""
    if not 2 <= n <= MAX_LATTICE:
        raise ConfigError(f"lattice size must be from 2 to {MAX_LATTICE}, got {n}")
    xmin, xmax, ymin, ymax = bounds
    xs = np.linspace(xmin, xmax, n, dtype=np.float32)
    ys = np.linspace(ymax, ymin, n, dtype=np.float32)  # top row = largest y, like a plot
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def decode_lattice(model: LatentModel, bounds, n: int, *, label=None, base=None,
                   dims=(0, 1)) -> np.ndarray:
    """The manifold view: images (n*n, 28, 28) decoded over an n x n lattice."""
    z = full_code(model, lattice_points(bounds, n), base=base, dims=dims)
    labels = None if label is None else torch.full((len(z),), int(label), dtype=torch.long)
    return decode_points(model, z, labels)


def interpolate(z0, z1, steps: int, *, spherical: bool = False) -> np.ndarray:
    """Codes (steps, d) from z0 to z1: linear, or slerp (for Gaussian priors in high d)."""
    if not 2 <= steps <= 64:
        raise ConfigError(f"interpolation steps must be from 2 to 64, got {steps}")
    a, b = np.asarray(z0, np.float32), np.asarray(z1, np.float32)
    t = np.linspace(0, 1, steps, dtype=np.float32)[:, None]
    if not spherical:
        return (1 - t) * a + t * b
    omega = np.arccos(np.clip(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b)), -1, 1))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


@torch.no_grad()
def encode_images(model: LatentModel, images: np.ndarray) -> np.ndarray:
    """Images (n, 28, 28) or (n, 784) in [0, 1] -> codes (n, d)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).view(-1, 784).to(model.device)
    return model.encode(x).cpu().numpy()


@torch.no_grad()
def reconstruct_images(model: LatentModel, images: np.ndarray) -> np.ndarray:
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).view(-1, 784).to(model.device)
    return _images(model.reconstruct(x))


@torch.no_grad()
def sample_images(model: LatentModel, n: int, *, label=None, seed: int = 0) -> np.ndarray:
    """n prior samples decoded; `label` picks a mixture component / class / cluster head."""
    if not 1 <= n <= 1024:
        raise ConfigError(f"number of samples must be from 1 to 1024, got {n}")
    labels = None
    if label is not None:
        labels = torch.full((n,), int(label), dtype=torch.long, device=model.device)
    gen = torch.Generator(device=model.device).manual_seed(seed)
    return _images(model.sample(n, labels=labels, generator=gen))


def label_parts(model: LatentModel) -> int:
    """How many labelled parts a model's sampling can choose from (0 = none)."""
    return model.sample_parts


def view_bounds(model: LatentModel, codes: np.ndarray | None, dims=(0, 1)) -> tuple:
    """A square box for pads, maps and lattices: the prior's box, widened to hold 99 % of the
    held-out codes (a dimensionality-reduction model's codes live around its cluster heads,
    not in its style prior's box). Returns (xmin, xmax, ymin, ymax)."""
    xmin, xmax, ymin, ymax = model.prior.bounds() if model.codes_fill_prior_box else (0.0,) * 4
    if codes is not None and len(codes):
        pts = np.asarray(codes)[:, list(dims)]
        lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
        xmin, xmax = min(xmin, lo[0]), max(xmax, hi[0])
        ymin, ymax = min(ymin, lo[1]), max(ymax, hi[1])
    half = max(xmax - xmin, ymax - ymin) / 2 * 1.05
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (float(cx - half), float(cx + half), float(cy - half), float(cy + half))


def prior_density(prior, bounds, *, n: int = 120, seed: int = 0) -> tuple:
    """(xs, ys, density (n, n)) of the prior over bounds: exact log_prob where the prior has
    one, else a smoothed histogram of 200,000 samples (swiss roll)."""
    xmin, xmax, ymin, ymax = bounds
    xs, ys = np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)
    if prior.has_density and prior.dim == 2:
        gx, gy = np.meshgrid(xs, ys)
        z = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
        dens = prior.log_prob(z).exp().view(n, n).numpy()
    else:
        gen = torch.Generator().manual_seed(seed)
        s = prior.sample(200_000, generator=gen).numpy()
        dens, _, _ = np.histogram2d(s[:, 1], s[:, 0], bins=n, range=[[ymin, ymax], [xmin, xmax]])
        dens = _blur(dens)
    return xs, ys, dens / max(dens.max(), 1e-12)


def _blur(a: np.ndarray) -> np.ndarray:
    k = np.array([1, 4, 6, 4, 1], dtype=np.float64)
    k /= k.sum()
    a = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 0, a)
    return np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, a)


def typical_code(codes: np.ndarray, labels: np.ndarray, k: int, *, neighbours: int = 15,
                 candidates: int = 400) -> int:
    """Held-out index of the most typical code of class k: the one whose `neighbours`
    nearest codes are most often of class k too (ties: the denser spot), so the decoder
    there draws a k, not its neighbour class (a class's median can lie among another's
    codes). Looks at the `candidates` members nearest the class's median."""
    members = np.flatnonzero(labels == k)
    if not len(members):
        return 0
    centre = np.median(codes[members], axis=0)
    near = members[np.argsort(((codes[members] - centre) ** 2).sum(axis=1))[:candidates]]
    d = ((codes[near, None, :] - codes[None, :, :]) ** 2).sum(axis=-1)  # (candidates, N)
    nn = np.argpartition(d, neighbours, axis=1)[:, 1:neighbours + 1]
    purity = (labels[nn] == k).mean(axis=1)
    spread = np.take_along_axis(d, nn, axis=1).mean(axis=1)
    return int(near[np.lexsort((spread, -purity))[0]])
