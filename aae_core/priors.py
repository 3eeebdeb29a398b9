"""Priors p(z) as small nn.Modules with one contract, and their registry.

Every prior has `dim`, `sample(n, *, labels=None, generator=None) -> (n, dim)` and
`bounds()` (a box that holds almost all of its mass, for plots and lattices). Priors
with a density also have `log_prob(z) -> (n,)`. Priors with labelled parts (mixture
components, swiss-roll segments, categories) have `n_components` and accept
`labels` (n,) int64 to sample from a chosen part.

A prior is an nn.Module whose tensors are non-persistent buffers, so a model that owns
priors moves them all with `model.to(device)`, and every sample is drawn on the prior's
device (`prior.device`). `PriorSpec` is what a checkpoint stores; it validates itself on
construction, and `PRIORS` maps each name a user may pick to its class.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from aae_core.errors import ConfigError, shown

MAX_LATENT_DIM = 256  # the largest code a user may ask for
MAX_COMPONENTS = 1000  # mixture components / swiss-roll segments (each costs a (K,) buffer)


def _on(device, generator) -> torch.device:
    """Where to draw: the generator's device (a CPU generator may serve a prior on a GPU;
    the draw is then moved), or the prior's."""
    return device if generator is None else generator.device


def _randn(n: int, d: int, generator, device) -> torch.Tensor:
    return torch.randn(n, d, generator=generator, device=_on(device, generator)).to(device)


def _rand(n: int, d: int, generator, device) -> torch.Tensor:
    return torch.rand(n, d, generator=generator, device=_on(device, generator)).to(device)


def pick_labels(n, k, labels, generator, device, trusted=False) -> torch.Tensor:
    """Labels (n,) on `device`: drawn uniformly, or the given ones, checked. `trusted`
    labels (computed in a training step, in range by construction) are not checked: the
    check reads them back to the host, which would stall a GPU every step."""
    if labels is None:
        drawn = torch.randint(0, k, (n,), generator=generator, device=_on(device, generator))
        return drawn.to(device)
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    if labels.shape != (n,):
        raise ConfigError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    readable = labels.device.type != "meta"  # meta tensors have shapes but no values
    if not trusted and readable and labels.numel() and (labels.min() < 0 or labels.max() >= k):
        raise ConfigError(f"labels must lie in 0..{k - 1}")
    return labels


class Prior(nn.Module):
    """Base class; subclasses set `name`, `dim` and implement `sample` and `bounds`."""

    name = "prior"
    n_components = 0
    has_density = False
    uses_components = False  # PriorSpec.components counts this prior's labelled parts
    spread_field = "std"  # the PriorSpec field that sets its spread (--prior-std)

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        # An empty buffer that moves with the module: `device` follows `.to()`.
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)

    @property
    def device(self) -> torch.device:
        return self._anchor.device

    @classmethod
    def check_spec(cls, spec: PriorSpec) -> None:
        """This prior's own rules beyond the numbers PriorSpec checks for every prior."""

    @classmethod
    def from_spec(cls, spec: PriorSpec) -> Prior:
        raise NotImplementedError

    def sample(self, n: int, *, labels=None, generator=None,
               trusted_labels=False) -> torch.Tensor:
        raise NotImplementedError

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) over the first two dims, holding ~99.5 % of the mass."""
        raise NotImplementedError

    def variance(self) -> float:
        """The per-dimension variance averaged over the dims (kernel scales use it)."""
        raise NotImplementedError

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise ConfigError(f"the {self.name} prior has no closed-form density")


def _positive(name: str, value) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value <= 0:
        raise ConfigError(f"prior {name} must be a positive finite number, got {shown(value)}")


def _whole(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"prior {name} must be a whole number, got {shown(value)}")


@dataclass(frozen=True)
class PriorSpec:
    """What a checkpoint stores to rebuild a prior (JSON-able); valid once constructed."""

    name: str = "gaussian"
    dim: int = 2
    std: float = 1.0  # gaussian std; uniform: half-width / 2
    components: int = 10  # mixture and swiss-roll segments
    radius: float = 4.0  # mixture: distance of component means from the origin
    radial_std: float = 0.3  # mixture: std across the circle
    tangential_std: float = 0.6  # mixture: std along the circle (elongated 2:1, as in the paper)

    def __post_init__(self):
        if not isinstance(self.name, str) or self.name not in PRIORS:
            raise ConfigError(f"unknown prior {shown(self.name)}; choose one of "
                              f"{', '.join(PRIORS)}")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or \
                not 1 <= self.dim <= MAX_LATENT_DIM:
            raise ConfigError(f"latent dimension must be a whole number from 1 to "
                              f"{MAX_LATENT_DIM}, got {shown(self.dim)}")
        for name in ("std", "radius", "radial_std", "tangential_std"):
            _positive(name, getattr(self, name))
        _whole("components", self.components)
        cls = PRIORS[self.name]
        if cls.uses_components and not 2 <= self.components <= MAX_COMPONENTS:
            raise ConfigError(f"the {self.name} prior needs >= 2 components and at most "
                              f"{MAX_COMPONENTS}, got {self.components}")
        cls.check_spec(self)

    def to_dict(self) -> dict:
        return asdict(self)


class GaussianPrior(Prior):
    name = "gaussian"
    has_density = True

    def __init__(self, dim: int = 2, std: float = 1.0):
        super().__init__(dim)
        self.std = std

    @classmethod
    def from_spec(cls, spec):
        return cls(spec.dim, spec.std)

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        return _randn(n, self.dim, generator, self.device) * self.std

    def log_prob(self, z):
        var = self.std**2
        return -0.5 * (z.pow(2).sum(1) / var + self.dim * math.log(2 * math.pi * var))

    def bounds(self):
        r = 3.0 * self.std
        return (-r, r, -r, r)

    def variance(self):
        return float(self.std**2)


class MixturePrior(Prior):
    """K Gaussians with means evenly on a circle, elongated along the circle (paper Fig. 2/4).

    Component k: mean radius * (cos a_k, sin a_k), a_k = 2 pi k / K, covariance
    R_k diag(radial_std^2, tangential_std^2) R_k^T. Dims beyond 2 are N(0, radial_std^2).
    """

    name = "mixture"
    has_density = True
    uses_components = True
    spread_field = "radial_std"

    def __init__(self, dim=2, components=10, radius=4.0, radial_std=0.3, tangential_std=0.6):
        super().__init__(dim)
        self.n_components = components
        self.radius, self.radial_std, self.tangential_std = radius, radial_std, tangential_std
        angles = torch.arange(components, dtype=torch.float32) * (2 * math.pi / components)
        means = torch.zeros(components, dim)  # (K, dim)
        means[:, 0], means[:, 1] = radius * torch.cos(angles), radius * torch.sin(angles)
        self.register_buffer("angles", angles, persistent=False)  # (K,)
        self.register_buffer("_cos", torch.cos(angles), persistent=False)
        self.register_buffer("_sin", torch.sin(angles), persistent=False)
        self.register_buffer("means", means, persistent=False)

    @classmethod
    def check_spec(cls, spec):
        if spec.dim < 2:
            raise ConfigError("the mixture prior needs a latent dimension >= 2")

    @classmethod
    def from_spec(cls, spec):
        return cls(spec.dim, spec.components, spec.radius, spec.radial_std, spec.tangential_std)

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        k = pick_labels(n, self.n_components, labels, generator, self.device, trusted_labels)
        eps = _randn(n, self.dim, generator, self.device)
        c, s = self._cos[k], self._sin[k]
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

    def variance(self):
        # Means on a circle: the two plane dims share radius^2 (mean 0 for K >= 2); each
        # component adds radial_std^2 + tangential_std^2 there; other dims radial_std^2.
        plane = self.radius**2 + self.radial_std**2 + self.tangential_std**2
        return float((plane + (self.dim - 2) * self.radial_std**2) / self.dim)


class SwissRollPrior(Prior):
    """2-D swiss roll (paper Fig. 4): t ~ U(0, 1), angle 3 pi t, radius grows with t.

    Cut into `components` equal segments of t, one per label.
    """

    name = "swiss-roll"
    uses_components = True

    def __init__(self, dim=2, components=10, scale=4.0, noise=0.15):
        super().__init__(dim)
        self.n_components, self.scale, self.noise = components, scale, noise

    @classmethod
    def check_spec(cls, spec):
        if spec.dim != 2:
            raise ConfigError("the swiss-roll prior is 2-D only: use --latent-dim 2")

    @classmethod
    def from_spec(cls, spec):
        return cls(spec.dim, spec.components)

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        u = _rand(n, 2, generator, self.device)
        if labels is None:
            t = u[:, 0]
        else:
            k = pick_labels(n, self.n_components, labels, generator, self.device,
                             trusted_labels)
            t = (k.float() + u[:, 0]) / self.n_components
        t = 0.1 + 0.9 * t  # keep away from the degenerate centre
        angle = 3 * math.pi * t
        r = self.scale * t
        z = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        return z + _randn(n, 2, generator, self.device) * self.noise

    def bounds(self):
        r = self.scale + 3 * self.noise
        return (-r, r, -r, r)

    def variance(self):
        # The roll's points over a fine grid of t (no random draw), plus the noise.
        t = 0.1 + 0.9 * np.linspace(0.0, 1.0, 20_001)
        xy = self.scale * t * np.stack([np.cos(3 * np.pi * t), np.sin(3 * np.pi * t)])
        return float(xy.var(axis=1).mean() + self.noise**2)


class UniformPrior(Prior):
    """Uniform on the box [-half_width, half_width]^dim."""

    name = "uniform"
    has_density = True

    def __init__(self, dim=2, half_width=2.0):
        super().__init__(dim)
        self.half_width = half_width

    @classmethod
    def from_spec(cls, spec):
        return cls(spec.dim, 2.0 * spec.std)

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        return (_rand(n, self.dim, generator, self.device) * 2 - 1) * self.half_width

    def log_prob(self, z):
        inside = (z.abs() <= self.half_width).all(dim=1)
        value = -self.dim * math.log(2 * self.half_width)
        outside = torch.full_like(z[:, 0], -math.inf)
        return torch.where(inside, torch.full_like(z[:, 0], value), outside)

    def bounds(self):
        r = self.half_width * 1.05
        return (-r, r, -r, r)

    def variance(self):
        return float(self.half_width**2 / 3)


class CategoricalPrior(Prior):
    """One-hot samples of a uniform categorical over `components` classes: (n, K).
    Internal to the models with a categorical code (not in PRIORS: no user picks it)."""

    name = "categorical"
    uses_components = True

    def __init__(self, components=10):
        super().__init__(components)
        self.n_components = components

    def sample(self, n, *, labels=None, generator=None, trusted_labels=False):
        k = pick_labels(n, self.n_components, labels, generator, self.device, trusted_labels)
        return torch.nn.functional.one_hot(k, self.n_components).float()

    def bounds(self):
        return (0.0, 1.0, 0.0, 1.0)

    def variance(self):
        k = self.n_components
        return float((1 / k) * (1 - 1 / k))


#: The priors a user picks, by name (the registry, like aae_core.models.MODELS).
PRIORS: dict[str, type[Prior]] = {
    "gaussian": GaussianPrior,
    "mixture": MixturePrior,
    "swiss-roll": SwissRollPrior,
    "uniform": UniformPrior,
}
PRIOR_NAMES = tuple(PRIORS)


def build_prior(spec: PriorSpec) -> Prior:
    """PriorSpec (valid by construction) -> a fresh Prior on the CPU."""
    return PRIORS[spec.name].from_spec(spec)
