"""Handwriting-like digits drawn offline from stroke templates: the `synthetic-digits`
dataset, which needs no download.

Strokes are polylines in template units: x to the right, y down, the digit's height
spanning y in [-1, 1]. They are sampled densely, bent and posed per image, splatted
into a 28x28 ink map, blurred and saturated. Everything is vectorised over images.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from aae_core.data.dataset import DIGIT_NAMES, Dataset
from aae_core.errors import ConfigError

_PX_PER_UNIT = 9.5  # template height 2 units -> about 19 px, like MNIST's 20-px box
_STEP = 0.04  # template units between samples along a stroke (about 0.4 px)
_CHUNK = 5000  # images rendered at once; bounds memory for large requests


#: The factors each synthetic digit is drawn under, in the column order of
#: Dataset.train_factors: which variant of its digit's templates (0 or 1), the bend's
#: amplitude (template units), rotation (degrees, clockwise on screen), slant (x shear per
#: unit of y; negative leans right), horizontal and vertical scale, shift of the centre
#: (pixels, right and down) and stroke weight (the ink's saturation gain). The bend's
#: frequency and phase only shape a bend whose size is its amplitude; they are not factors.
SYNTHETIC_FACTORS = ("variant", "bend", "rotation", "slant", "x_scale", "y_scale",
                     "x_shift", "y_shift", "stroke_weight")


def synthetic_digits(n_train: int = 4000, n_test: int = 1000, seed: int = 0) -> Dataset:
    """Handwriting-like 28x28 digits drawn from stroke templates, offline and seeded.

    Each image is one template of its digit under a smooth random bend, rotation,
    slant, scale, shift and stroke weight, roughly centred in a 20-pixel box as in
    MNIST. Labels are balanced within each split. The same seed gives the same tensors.
    The factors each image was drawn under come with it (SYNTHETIC_FACTORS), so that a
    model's codes can be scored against the truth.
    """
    if n_train < 1 or n_test < 1:
        raise ConfigError(
            f"synthetic digits need at least one train and one test image, got "
            f"{n_train} and {n_test}; ask for more"
        )
    rng = np.random.default_rng(seed)
    train_y, test_y = (rng.permutation(np.arange(n) % 10) for n in (n_train, n_test))
    x, factors = _draw_digits(np.concatenate([train_y, test_y]), rng)
    return Dataset(
        name="synthetic-digits",
        split=f"synthetic digits, seed {seed}: {n_train} train / {n_test} held out",
        train_x=x[:n_train].contiguous(),
        train_y=torch.from_numpy(train_y).long(),
        test_x=x[n_train:].contiguous(),
        test_y=torch.from_numpy(test_y).long(),
        class_names=DIGIT_NAMES,
        train_factors=factors[:n_train].contiguous(),
        test_factors=factors[n_train:].contiguous(),
        factor_names=SYNTHETIC_FACTORS,
    )


def _arc(cx, cy, rx, ry, deg0, deg1, n=24) -> np.ndarray:
    """(n, 2) points on an ellipse from angle deg0 to deg1 (clockwise on screen, y down)."""
    t = np.radians(np.linspace(deg0, deg1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points) -> np.ndarray:
    return np.array(points, dtype=float)


def _digit_strokes() -> dict[int, list[list[np.ndarray]]]:
    """digit -> its variants -> each variant's polylines."""
    return {
        0: [[_arc(0, 0, 0.55, 0.95, -90, 270, 40)]],
        1: [[_line((0.05, -1), (-0.05, 1))], [_line((-0.35, -0.6), (0.08, -1), (-0.02, 1))]],
        2: [
            [
                np.vstack([_arc(0, -0.45, 0.5, 0.52, -165, 25), _line((-0.55, 1))]),
                _line((-0.55, 1), (0.6, 1)),
            ],
            [
                np.vstack(
                    [_arc(0, -0.45, 0.5, 0.52, -165, 40), _arc(-0.35, 0.85, 0.2, 0.15, -80, 200)]
                ),
                _line((-0.45, 0.9), (0.6, 0.95)),
            ],
        ],
        3: [
            [_arc(0, -0.5, 0.45, 0.48, -160, 90), _arc(0, 0.48, 0.52, 0.52, -90, 160)],
            [_line((-0.45, -1), (0.45, -1), (-0.05, -0.1)), _arc(0, 0.45, 0.52, 0.55, -95, 160)],
        ],
        4: [
            [_line((0.25, -1), (-0.55, 0.35), (0.6, 0.35)), _line((0.25, -1), (0.25, 1))],
            [_line((-0.35, -1), (-0.45, 0.25), (0.55, 0.25)), _line((0.3, -0.9), (0.3, 1))],
        ],
        5: [[_line((0.5, -1), (-0.35, -1), (-0.45, -0.1)), _arc(0, 0.4, 0.5, 0.56, -125, 155)]],
        6: [[_arc(0.6, 0.4, 1.05, 1.4, -115, -180, 20), _arc(0, 0.45, 0.5, 0.52, 180, 540)]],
        7: [
            [_line((-0.55, -1), (0.55, -1), (-0.1, 1))],
            [_line((-0.55, -1), (0.55, -1), (-0.1, 1)), _line((-0.25, 0), (0.4, 0))],
        ],
        8: [[_arc(0, -0.5, 0.42, 0.48, 90, 450), _arc(0, 0.48, 0.5, 0.52, -90, 270)]],
        9: [
            [_arc(0, -0.45, 0.48, 0.52, 0, 360), _line((0.48, -0.45), (0.3, 1))],
            [_arc(0, -0.45, 0.48, 0.52, 0, 360), _arc(-0.6, -0.45, 1.08, 1.45, 0, 80, 20)],
        ],
    }


def _resample(polyline: np.ndarray) -> np.ndarray:
    """Points every _STEP units along the polyline, ends included: (k, 2)."""
    arc_len = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(polyline, axis=0).T))])
    at = np.linspace(0.0, arc_len[-1], max(2, math.ceil(arc_len[-1] / _STEP) + 1))
    return np.stack([np.interp(at, arc_len, polyline[:, i]) for i in (0, 1)], axis=1)


def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All variants as one zero-padded array (T, K, 2) float32, which of its points are
    real (T, K) bool, and each variant's digit (T,)."""
    variants = [
        (digit, np.vstack([_resample(p) for p in polylines]))
        for digit, options in _digit_strokes().items()
        for polylines in options
    ]
    k = max(len(points) for _, points in variants)
    padded = np.zeros((len(variants), k, 2), dtype=np.float32)
    real = np.zeros((len(variants), k), dtype=bool)
    for i, (_, points) in enumerate(variants):
        padded[i, : len(points)], real[i, : len(points)] = points, True
    return padded, real, np.array([digit for digit, _ in variants])


def _draw_digits(labels: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    """One random rendering per label: images (n, 784) float32 in [0, 1] and the factors
    each was drawn under, (n, len(SYNTHETIC_FACTORS)) float32."""
    templates, real, template_digit = _templates()
    n = len(labels)
    choice = np.empty(n, dtype=np.int64)
    variant = np.empty(n, dtype=np.int64)  # which of its own digit's templates
    for digit in range(10):  # a random variant of each image's own digit
        options, mine = np.flatnonzero(template_digit == digit), labels == digit
        choice[mine] = rng.choice(options, mine.sum())
        variant[mine] = choice[mine] - options[0]
    # Per-image random parameters are drawn up front, so chunking cannot change them.
    bend = [
        rng.uniform(lo, hi, (n, 1, 2)).astype(np.float32)  # amplitude, frequency, phase
        for lo, hi in ((0, 0.1), (1.5, 3.5), (0, 2 * np.pi))
    ]
    pose = _random_pose(rng, n)
    x_axis, y_axis, shift = _affine(pose)
    gain = rng.uniform(1.4, 4.0, n).astype(np.float32)  # ink saturation: stroke weight
    out = torch.empty(n, 784)
    for lo in range(0, n, _CHUNK):
        c = slice(lo, lo + _CHUNK)
        points = templates[choice[c]]  # (b, K, 2) template units
        amp, freq, phase = (b[c] for b in bend)
        points = points + amp * np.sin(freq * points[..., ::-1] + phase)  # smooth bend
        points = points[..., :1] * x_axis[c] + points[..., 1:] * y_axis[c] + shift[c]  # pixels
        out[c] = _render(points, real[choice[c]], torch.from_numpy(gain[c]))
    # The bend's size: the amplitude of its larger (x or y) component.
    factors = np.stack([variant, bend[0][:, 0].max(axis=1), pose["angle"], pose["slant"],
                        pose["sx"], pose["sy"], pose["shift"][:, 0] - 13.5,
                        pose["shift"][:, 1] - 13.5, gain], axis=1)
    return out, torch.from_numpy(factors.astype(np.float32))


def _random_pose(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Each image's rotation (degrees), slant (x += slant * y), horizontal and vertical
    scale and the pixel its centre goes to: (n,) each, shift (n, 2)."""
    return {
        "angle": rng.uniform(-12, 12, n),
        "slant": rng.uniform(-0.3, 0.25, n),  # negative leans right (y is down)
        "sx": rng.uniform(0.7, 1.1, n),
        "sy": rng.uniform(0.85, 1.08, n),
        "shift": 13.5 + rng.uniform(-1.2, 1.2, (n, 2)),  # 13.5 = centre of pixels 0..27
    }


def _affine(pose: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Affine maps from template units to pixels, as the images of the x and y unit vectors
    and a shift, each (n, 1, 2): p -> p_x * x_axis + p_y * y_axis + shift.

    The linear part is rotation @ slant @ scale, times _PX_PER_UNIT.
    """
    angle, slant, sx, sy = (pose[k] for k in ("angle", "slant", "sx", "sy"))
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x_axis = np.stack([cos * sx, sin * sx], axis=-1)
    y_axis = np.stack([(cos * slant - sin) * sy, (sin * slant + cos) * sy], axis=-1)
    return tuple(
        (a * scale)[:, None, :].astype(np.float32)
        for a, scale in ((x_axis, _PX_PER_UNIT), (y_axis, _PX_PER_UNIT), (pose["shift"], 1.0))
    )


def _render(points: np.ndarray, real: np.ndarray, gain: torch.Tensor) -> torch.Tensor:
    """Splat the real ones of (b, K, 2) pixel-space points bilinearly, blur and saturate
    the ink: (b, 784) in [0, 1]. `real` (b, K) marks points that are not padding."""
    b = len(points)
    x, y = points[..., 0], points[..., 1]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    base = np.arange(b)[:, None] * 784  # each image's offset in the flat ink buffer
    ink = np.zeros(b * 784)
    for dx, dy, w in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi, yi = x0 + dx, y0 + dy
        inside = real & (xi >= 0) & (xi < 28) & (yi >= 0) & (yi < 28)
        ink += np.bincount((base + yi * 28 + xi)[inside], w[inside], minlength=b * 784)
    blur = _blur_matrix()
    img = blur @ torch.from_numpy(ink).float().view(b, 28, 28) @ blur  # separable blur
    return torch.tanh(img * gain.view(b, 1, 1)).reshape(b, 784)


def _blur_matrix(sigma: float = 0.65, radius: int = 2) -> torch.Tensor:
    """(28, 28) banded Gaussian: M @ img blurs columns, img @ M blurs rows (M is symmetric)."""
    offset = torch.arange(28.0)[:, None] - torch.arange(28.0)[None, :]
    weights = torch.exp(-offset.pow(2) / (2 * sigma**2)) * (offset.abs() <= radius)
    return weights / weights[14].sum()  # interior rows sum to 1; edge rows lose off-canvas ink
