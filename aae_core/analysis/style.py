"""Style vs label (paper §4 and §2.3): where a model keeps the digit and where it keeps
the handwriting.

Two kinds of models separate them:
- decoders of [z, one-hot(y)] (supervised and semi-supervised AAE): z is the style, the label
  is a separate input, so "same style, another digit" is the same z with another one-hot;
- the label-regularized AAE (decoder of z only, mixture or swiss-roll prior): the label is
  *where* z sits (component k), the style is z's position inside its component, so "same
  style, another digit" moves z to the same relative position inside component k.

Pure functions: model or prior in, numpy out (images (.., 28, 28) float32 in [0, 1]).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from aae_core.analysis.explore import decode_points
from aae_core.errors import ConfigError
from aae_core.models import MODELS, LatentModel
from aae_core.priors import MixturePrior, Prior, SwissRollPrior

#: The models whose style and label can be varied independently (their class says so).
STYLE_MODELS = tuple(name for name, cls in MODELS.items() if cls.separates_style_from_label())

_ROLL_GRID = 4001  # points along the swiss roll searched for the nearest one


def _codes(z) -> tuple[np.ndarray, bool]:
    """(d,) or (n, d) -> float64 (n, d) and whether the input was a single code."""
    a = np.asarray(z, dtype=np.float64)
    if a.ndim not in (1, 2) or a.shape[-1] < 2:
        raise ConfigError(f"codes must be (d,) or (n, d) with d >= 2, got shape {a.shape}")
    return a.reshape(-1, a.shape[-1]), a.ndim == 1


def _check_part(prior: Prior, k: int) -> int:
    if not 0 <= int(k) < prior.n_components:
        raise ConfigError(f"component must lie in 0..{prior.n_components - 1}, got {k}")
    return int(k)


# ---------------------------------------------------------------- mixture: rotated frames


def _mixture_frame(z: np.ndarray, prior: MixturePrior) -> tuple[np.ndarray, ...]:
    """Nearest component j of each code and its offsets in j's frame: u along the radius
    (from the mean), v along the circle. Nearest = highest component density, i.e. the
    smallest Mahalanobis distance (all components share one shape)."""
    j = prior.component_log_probs(torch.as_tensor(z, dtype=torch.float32)).argmax(1).numpy()
    a = prior.angles.double().cpu().numpy()[j]  # (n,)
    x, y = z[:, 0], z[:, 1]
    u = x * np.cos(a) + y * np.sin(a) - prior.radius
    v = -x * np.sin(a) + y * np.cos(a)
    return j, u, v


def _mixture_move(z: np.ndarray, prior: MixturePrior, k: int) -> np.ndarray:
    _, u, v = _mixture_frame(z, prior)
    a = float(prior.angles[k])
    out = z.copy()  # dims beyond 2 are not part of the frame: they stay
    out[:, 0] = (prior.radius + u) * math.cos(a) - v * math.sin(a)
    out[:, 1] = (prior.radius + u) * math.sin(a) + v * math.cos(a)
    return out


# ---------------------------------------------------------------- swiss roll: arc position


def _roll(prior: SwissRollPrior, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point (n, 2) and unit tangent (n, 2) of the roll at position s in [0, 1]
    (the prior's u before t = 0.1 + 0.9 u; segment k covers s in [k/K, (k+1)/K])."""
    t = 0.1 + 0.9 * s
    th = 3 * math.pi * t
    point = prior.scale * t[:, None] * np.stack([np.cos(th), np.sin(th)], 1)
    tangent = np.stack([np.cos(th) - th * np.sin(th), np.sin(th) + th * np.cos(th)], 1)
    return point, tangent / np.linalg.norm(tangent, axis=1, keepdims=True)


def _roll_frame(z: np.ndarray, prior: SwissRollPrior):
    """Nearest roll position s of each code and its offset (along, across) the roll there."""
    grid = np.linspace(0.0, 1.0, _ROLL_GRID)
    pts, _ = _roll(prior, grid)
    d2 = ((z[:, None, :2] - pts[None]) ** 2).sum(-1)  # (n, G)
    s = grid[d2.argmin(1)]
    point, tan = _roll(prior, s)
    off = z[:, :2] - point
    normal = np.stack([-tan[:, 1], tan[:, 0]], 1)
    return s, (off * tan).sum(1), (off * normal).sum(1)


def _roll_move(z: np.ndarray, prior: SwissRollPrior, k: int) -> np.ndarray:
    n_parts = prior.n_components
    s, along, across = _roll_frame(z, prior)
    j = np.minimum((s * n_parts).astype(int), n_parts - 1)
    frac = s * n_parts - j
    point, tan = _roll(prior, (k + frac) / n_parts)
    normal = np.stack([-tan[:, 1], tan[:, 0]], 1)
    out = z.copy()
    out[:, :2] = point + along[:, None] * tan + across[:, None] * normal
    return out


# ---------------------------------------------------------------- public


def component_of(z, prior: Prior) -> np.ndarray:
    """The labelled part (n,) int64 each code (n, d) sits in: the mixture component of
    highest density, or the swiss-roll segment of the nearest roll point."""
    a, _ = _codes(z)
    if isinstance(prior, MixturePrior):
        return _mixture_frame(a, prior)[0].astype(np.int64)
    if isinstance(prior, SwissRollPrior):
        s = _roll_frame(a, prior)[0]
        return np.minimum((s * prior.n_components).astype(np.int64), prior.n_components - 1)
    raise ConfigError(f"the {prior.name} prior has no labelled components")


def move_to_component(z, prior: Prior, k: int) -> np.ndarray:
    """Move codes (d,) or (n, d) to the same relative position inside component k.

    Mixture: express z in its nearest component j's rotated frame (radial offset u from
    the mean, tangential offset v along the circle) and rebuild it in component k's frame,
    i.e. rotate z about the origin by angle_k - angle_j. Swiss roll: keep the relative
    position inside the segment and the offset (along, across) the roll.
    Dims beyond the first two are kept. Returns float32 of z's shape.
    """
    a, single = _codes(z)
    k = _check_part(prior, k) if prior.n_components else k
    if isinstance(prior, MixturePrior):
        out = _mixture_move(a, prior, k)
    elif isinstance(prior, SwissRollPrior):
        out = _roll_move(a, prior, k)
    else:
        raise ConfigError(f"the {prior.name} prior has no labelled components to move to")
    out = out.astype(np.float32)
    return out[0] if single else out


def n_labels(model: LatentModel) -> int:
    """How many labels the style/label views offer (0: the model does not separate them)."""
    if not model.separates_style_from_label():
        return 0
    return model.cond_dim or model.prior.n_components


def label_in_prior(model: LatentModel) -> bool:
    """True when the label is where z sits (label-regularized), False when it is a
    decoder input."""
    return model.label_in_prior


def _check_style_model(model: LatentModel) -> None:
    if not n_labels(model):
        raise ConfigError(
            f"model {model.config.model!r} does not separate style from label; use one of "
            f"{', '.join(STYLE_MODELS)}"
        )


def place(model: LatentModel, z, label: int) -> np.ndarray:
    """The code to decode for style z (d,) or (n, d) and digit `label`: z itself for
    decoders of [z, y], z moved into component `label` for the label-regularized AAE."""
    _check_style_model(model)
    if not 0 <= int(label) < n_labels(model):
        raise ConfigError(f"label must lie in 0..{n_labels(model) - 1}, got {label}")
    if label_in_prior(model):
        return move_to_component(z, model.prior, int(label))
    return np.asarray(z, dtype=np.float32)


def style_label_grid(model: LatentModel, styles, labels=None) -> np.ndarray:
    """Paper Fig. 6: images (n_styles, n_labels, 28, 28), row i = style i, column j = label j.

    styles: (n, d) style codes (prior samples or held-out codes); labels: the columns
    (default: every label the model has).
    """
    _check_style_model(model)
    s, _ = _codes(styles)
    cols = list(range(n_labels(model))) if labels is None else [int(k) for k in labels]
    if not cols or len(s) == 0:
        raise ConfigError("a style x label grid needs at least one style and one label")
    z = np.concatenate([place(model, s, k) for k in cols])  # column-major: (L * n, d)
    lab = np.repeat(np.asarray(cols), len(s)) if model.cond_dim else None
    images = decode_points(model, z, lab)  # (L * n, 28, 28)
    return images.reshape(len(cols), len(s), 28, 28).transpose(1, 0, 2, 3).copy()


def sample_styles(model: LatentModel, n: int, *, seed: int = 0) -> np.ndarray:
    """n style codes (n, d) drawn from the model's prior (its style prior for decoders of
    [z, y]; the whole mixture for the label-regularized AAE, whose style is the relative
    position inside a component)."""
    if not 1 <= n <= 64:
        raise ConfigError(f"number of styles must be from 1 to 64, got {n}")
    gen = torch.Generator().manual_seed(int(seed))
    prior = model.prior
    return prior.sample(n, generator=gen).cpu().numpy().astype(np.float32)


def pick_held_out(labels, n: int, *, seed: int = 0) -> np.ndarray:
    """n indices (n,) into held-out labels (N,), cycling through the classes present (so a
    grid's rows show different digits), chosen at random with `seed` inside each class."""
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.size == 0:
        raise ConfigError("held-out labels must be a non-empty (N,) array")
    if not 1 <= n <= min(64, lab.size):
        raise ConfigError(f"number of held-out styles must be from 1 to {min(64, lab.size)}")
    rng = np.random.default_rng(seed)
    pools = [rng.permutation(np.flatnonzero(lab == c)) for c in np.unique(lab)]
    order = rng.permutation(len(pools))
    picked, depth = [], 0
    while len(picked) < n:
        for c in order:
            if depth < len(pools[c]) and len(picked) < n:
                picked.append(int(pools[c][depth]))
        depth += 1
    return np.asarray(picked, dtype=np.int64)
