"""Priors p(z) as objects with one small contract.

Every prior has `dim`, `sample(n, *, labels=None, generator=None) -> (n, dim)` and
`bounds()` (a box that holds almost all of its mass, for plots and lattices). Priors
with a density also have `log_prob(z) -> (n,)`. Priors with labelled parts (mixture
components, swiss-roll segments, categories) have `n_components` and accept
`labels` (n,) int64 to sample from a chosen part.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from aae_core.errors import ConfigError


def _randn(n: int, d: int, generator, device) -> torch.Tensor:
    return torch.randn(n, d, generator=generator, device=device)


def _rand(n: int, d: int, generator, device) -> torch.Tensor:
    return torch.rand(n, d, generator=generator, device=device)


def _pick_labels(n, k, labels, generator, device) -> torch.Tensor:
    if labels is None:
        return torch.randint(0, k, (n,), generator=generator, device=device)
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    if labels.shape != (n,):
        raise ConfigError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= k):
        raise ConfigError(f"labels must lie in 0..{k - 1}")
    return labels


class Prior:
    """Base class; subclasses set `name`, `dim` and implement `sample` and `bounds`."""

    name = "prior"
    dim = 2
    n_components = 0
    has_density = False
    device = torch.device("cpu")

    def sample(self, n: int, *, labels=None, generator=None) -> torch.Tensor:
        raise NotImplementedError

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) over the first two dims, holding ~99.5 % of the mass."""
        raise NotImplementedError

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise ConfigError(f"the {self.name} prior has no closed-form density")

    def to(self, device) -> Prior:
        self.device = torch.device(device)
        return self


@dataclass(frozen=True)
class PriorSpec:
    """What a checkpoint stores to rebuild a prior (JSON-able)."""

    name: str = "gaussian"
    dim: int = 2
    std: float = 1.0  # gaussian std; uniform: half-width / 2
    components: int = 10  # mixture and swiss-roll segments; categorical classes
    radius: float = 4.0  # mixture: distance of component means from the origin
    radial_std: float = 0.3  # mixture: std across the circle
    tangential_std: float = 0.6  # mixture: std along the circle (elongated 2:1, as in the paper)

    def to_dict(self) -> dict:
        return asdict(self)


class GaussianPrior(Prior):
    name = "gaussian"
    has_density = True

    def __init__(self, dim: int = 2, std: float = 1.0):
        self.dim, self.std = dim, std

    def sample(self, n, *, labels=None, generator=None):
        return _randn(n, self.dim, generator, self.device) * self.std

    def log_prob(self, z):
        var = self.std**2
        return -0.5 * (z.pow(2).sum(1) / var + self.dim * math.log(2 * math.pi * var))

    def bounds(self):
        r = 3.0 * self.std
        return (-r, r, -r, r)


class MixturePrior(Prior):
    """K Gaussians with means evenly on a circle, elongated along the circle (paper Fig. 2/4).

    Component k: mean radius * (cos a_k, sin a_k), a_k = 2 pi k / K, covariance
    R_k diag(radial_std^2, tangential_std^2) R_k^T. Dims beyond 2 are N(0, radial_std^2).
    """

    name = "mixture"
    has_density = True

    def __init__(self, dim=2, components=10, radius=4.0, radial_std=0.3, tangential_std=0.6):
        self.dim, self.n_components = dim, components
        self.radius, self.radial_std, self.tangential_std = radius, radial_std, tangential_std
        angles = torch.arange(components, dtype=torch.float32) * (2 * math.pi / components)
        self.angles = angles
        self._cos, self._sin = torch.cos(angles), torch.sin(angles)

    @property
    def means(self) -> torch.Tensor:
        """(K, dim) component means."""
        m = torch.zeros(self.n_components, self.dim)
        m[:, 0], m[:, 1] = self.radius * self._cos, self.radius * self._sin
        return m

    def sample(self, n, *, labels=None, generator=None):
        k = _pick_labels(n, self.n_components, labels, generator, self.device)
        eps = _randn(n, self.dim, generator, self.device)
        c, s = self._cos.to(self.device)[k], self._sin.to(self.device)[k]
        radial = self.radius + eps[:, 0] * self.radial_std
        tangential = eps[:, 1] * self.tangential_std
        z = eps * self.radial_std
        z[:, 0] = radial * c - tangential * s
        z[:, 1] = radial * s + tangential * c
        return z

    def component_log_probs(self, z: torch.Tensor) -> torch.Tensor:
        """(B, K): log N(z; component k) without the mixture weight."""
        c, s = self._cos.to(z.device), self._sin.to(z.device)
        x, y = z[:, :1], z[:, 1:2]  # (B, 1)
        # Rotate each point into component k's frame: u along the radius, v along the circle.
        u = x * c + y * s - self.radius  # (B, K)
        v = -x * s + y * c
        log_2d = -0.5 * ((u / self.radial_std) ** 2 + (v / self.tangential_std) ** 2)
        log_2d = log_2d - math.log(2 * math.pi * self.radial_std * self.tangential_std)
        if self.dim > 2:
            rest = z[:, 2:]
            log_rest = -0.5 * (rest.pow(2).sum(1, keepdim=True) / self.radial_std**2) - (
                (self.dim - 2) * 0.5 * math.log(2 * math.pi * self.radial_std**2)
            )
            log_2d = log_2d + log_rest
        return log_2d

    def log_prob(self, z):
        return torch.logsumexp(self.component_log_probs(z), dim=1) - math.log(self.n_components)

    def bounds(self):
        r = self.radius + 3.0 * max(self.radial_std, self.tangential_std)
        return (-r, r, -r, r)


class SwissRollPrior(Prior):
    """2-D swiss roll (paper Fig. 4): t ~ U(0, 1), angle 3 pi t, radius grows with t.

    Cut into `components` equal segments of t, one per label.
    """

    name = "swiss-roll"

    def __init__(self, dim=2, components=10, scale=4.0, noise=0.15):
        if dim != 2:
            raise ConfigError("the swiss-roll prior is 2-D only: use --latent-dim 2")
        self.dim, self.n_components, self.scale, self.noise = dim, components, scale, noise

    def sample(self, n, *, labels=None, generator=None):
        u = _rand(n, 2, generator, self.device)
        if labels is None:
            t = u[:, 0]
        else:
            k = _pick_labels(n, self.n_components, labels, generator, self.device)
            t = (k.float() + u[:, 0]) / self.n_components
        t = 0.1 + 0.9 * t  # keep away from the degenerate centre
        angle = 3 * math.pi * t
        r = self.scale * t
        z = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        return z + _randn(n, 2, generator, self.device) * self.noise

    def bounds(self):
        r = self.scale + 3 * self.noise
        return (-r, r, -r, r)


class UniformPrior(Prior):
    """Uniform on the box [-half_width, half_width]^dim."""

    name = "uniform"
    has_density = True

    def __init__(self, dim=2, half_width=2.0):
        self.dim, self.half_width = dim, half_width

    def sample(self, n, *, labels=None, generator=None):
        return (_rand(n, self.dim, generator, self.device) * 2 - 1) * self.half_width

    def log_prob(self, z):
        inside = (z.abs() <= self.half_width).all(dim=1)
        value = -self.dim * math.log(2 * self.half_width)
        outside = torch.full_like(z[:, 0], -math.inf)
        return torch.where(inside, torch.full_like(z[:, 0], value), outside)

    def bounds(self):
        r = self.half_width * 1.05
        return (-r, r, -r, r)


class CategoricalPrior(Prior):
    """One-hot samples of a uniform categorical over `components` classes: (n, K)."""

    name = "categorical"

    def __init__(self, components=10):
        self.dim = self.n_components = components

    def sample(self, n, *, labels=None, generator=None):
        k = _pick_labels(n, self.n_components, labels, generator, self.device)
        return torch.nn.functional.one_hot(k, self.n_components).float()

    def bounds(self):
        return (0.0, 1.0, 0.0, 1.0)


#: The priors a user picks (categorical is internal to the models that need it).
PRIOR_NAMES = ("gaussian", "mixture", "swiss-roll", "uniform")


def build_prior(spec: PriorSpec) -> Prior:
    """PriorSpec -> Prior, validating every number."""
    if spec.dim < 1:
        raise ConfigError(f"latent dimension must be >= 1, got {spec.dim}")
    if not (spec.std > 0 and math.isfinite(spec.std)):
        raise ConfigError(f"prior std must be a positive number, got {spec.std}")
    if spec.name == "gaussian":
        return GaussianPrior(spec.dim, spec.std)
    if spec.name in ("mixture", "swiss-roll", "categorical") and spec.components < 2:
        raise ConfigError(f"the {spec.name} prior needs >= 2 components, got {spec.components}")
    if spec.name == "mixture":
        if spec.dim < 2:
            raise ConfigError("the mixture prior needs a latent dimension >= 2")
        for value in (spec.radius, spec.radial_std, spec.tangential_std):
            if not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"mixture radius and stds must be positive, got {value}")
        return MixturePrior(
            spec.dim, spec.components, spec.radius, spec.radial_std, spec.tangential_std
        )
    if spec.name == "swiss-roll":
        return SwissRollPrior(spec.dim, spec.components)
    if spec.name == "uniform":
        return UniformPrior(spec.dim, 2.0 * spec.std)
    if spec.name == "categorical":
        return CategoricalPrior(spec.components)
    raise ConfigError(f"unknown prior {spec.name!r}; choose one of {', '.join(PRIOR_NAMES)}")
