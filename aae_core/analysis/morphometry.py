"""Morphometry of 28x28 digits: area, stroke length, thickness, slant, width and height.

The six measures are those of Morpho-MNIST (Castro, Tan, Kainz, Konukoglu, Glocker: JMLR 20
(178), 2019, section 3.1), computed the same way:

1. upsample the digit `scale` times (a Gaussian pyramid step, cubic spline) so that the
   measures have sub-pixel resolution, then binarise it half-way between its darkest and
   brightest values;
2. area = the binary digit's pixels; length = its skeleton's length (8-connected steps:
   1 along a row or column, sqrt(2) diagonally); thickness = twice the mean distance from
   the skeleton to the background, i.e. the mean stroke width;
3. slant = arctan(-mu_xy / mu_yy) of the upsampled grey image's central moments: the
   horizontal shear that makes the digit upright (radians; positive leans right);
4. width and height = the extent of the de-slanted digit (x' = x - shear * (y - y_mean))
   once 1% of its ink is trimmed from each side, so that a stray pixel does not count.

Every length is given in pixels of the 28x28 digit, the area in those pixels squared.

Two settings: REFERENCE (4x upsampling and the medial axis, as published; about 20-30 ms a
digit) for datasets, measured once in a process pool and cached on disk; FAST (the same 4x
digit thinned by skeletonisation instead of the medial axis, a few ms a digit) for the few
hundred digits a page decodes along a traversal. bench/morphometry.py prints both costs
and FAST's agreement with REFERENCE.

Pure numpy/scikit-image: no torch, so that a spawned worker starts quickly.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import measure, morphology, transform

from aae_core.errors import ConfigError
from aae_core.paths import default_cache_dir

#: The measures in the order of every array this module returns: (N, 6).
MEASURES = ("area", "length", "thickness", "slant", "width", "height")
UNITS = {"area": "px²", "length": "px", "thickness": "px", "slant": "rad", "width": "px",
         "height": "px"}
#: Bumped whenever a measure's definition changes, so that stale caches are not read.
_CACHE_VERSION = 1
_TRIM = 0.02  # share of the ink trimmed (half on each side) from the de-slanted extent
_MAX_IMAGES = 200_000  # the most digits one call measures (MNIST's 70,000 fit)
_CHUNK = 250  # the most digits a worker measures per task


@dataclass(frozen=True)
class Setting:
    """How digits are measured: the upsampling factor and the skeleton."""

    name: str
    scale: int  # upsampling factor, >= 1
    skeleton: str  # "medial-axis" (Morpho-MNIST) or "thinning" (skimage.morphology.skeletonize)


REFERENCE = Setting("reference", 4, "medial-axis")
FAST = Setting("fast", 4, "thinning")


def measure_digit(image, setting: Setting = REFERENCE) -> np.ndarray:
    """The six measures of one digit (28, 28) or (784,) in [0, 1]: (6,) float64.

    A blank digit (no contrast) has no shape: all six are NaN.
    """
    image = np.asarray(image, dtype=np.float64).reshape(28, 28)
    if setting.scale > 1:  # the pyramid step may overshoot the input's range; clip back
        image = np.clip(transform.pyramid_expand(image, upscale=setting.scale, order=3,
                                                 channel_axis=None), 0.0, 1.0)
    low, high = image.min(), image.max()
    if not high - low > 1e-6:
        return np.full(len(MEASURES), np.nan)
    ink = image >= low + 0.5 * (high - low)  # (28 s, 28 s) bool
    skeleton, distance = _skeleton_and_distance(ink, setting.skeleton)
    scale = setting.scale
    thickness = 2.0 * distance[skeleton].mean() / scale if skeleton.any() else 0.0
    shear, width, height = _deslanted_box(image)
    return np.array([ink.sum() / scale**2, _skeleton_length(skeleton) / scale, thickness,
                     math.atan(-shear), width / scale, height / scale])


def _skeleton_and_distance(ink: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The skeleton (bool) and each ink pixel's Euclidean distance to the background."""
    if kind == "medial-axis":
        # A fixed rng: the medial axis breaks ties between equal pixels at random.
        return morphology.medial_axis(ink, return_distance=True, rng=42)
    if kind == "thinning":
        return morphology.skeletonize(ink), ndimage.distance_transform_edt(ink)
    raise ConfigError(f"unknown skeleton {kind!r}: use medial-axis or thinning")


def _skeleton_length(skeleton: np.ndarray) -> float:
    """Length of an 8-connected skeleton: each pair of touching pixels is one step, 1 long
    along a row or column and sqrt(2) long diagonally (every pair counted once)."""
    s = skeleton
    straight = (s[:, :-1] & s[:, 1:]).sum() + (s[:-1, :] & s[1:, :]).sum()
    diagonal = (s[:-1, :-1] & s[1:, 1:]).sum() + (s[:-1, 1:] & s[1:, :-1]).sum()
    return float(straight + math.sqrt(2.0) * diagonal)


def _deslanted_box(image: np.ndarray) -> tuple[float, float, float]:
    """The horizontal shear of a grey image (H, W) (x per unit of y, y pointing down) and the
    width and height of its de-slanted ink after trimming _TRIM of it, in its own pixels."""
    mu = measure.moments_central(image, order=2)  # mu[i, j]: i-th power of row, j-th of column
    shear = mu[1, 1] / mu[2, 0]
    rows, cols = np.indices(image.shape, dtype=np.float64)
    row_mean = (rows * image).sum() / image.sum()
    upright_x = cols - shear * (rows - row_mean) + 0.5  # pixel centres, de-slanted
    width = _trimmed_extent(upright_x, image, image.shape[1])
    height = _trimmed_extent(rows, image, image.shape[0])
    return float(shear), width, height


def _trimmed_extent(position: np.ndarray, mass: np.ndarray, n: int) -> float:
    """The distance between the _TRIM/2 and 1 - _TRIM/2 quantiles of `mass` along
    `position`, read off the share of mass lying below each whole number 0..n-1 and
    interpolated between them."""
    # A pixel lies below t from t = floor(position) + 1 on; clip into the n + 1 slots 0..n.
    first_above = np.clip(np.floor(position).astype(np.int64) + 1, 0, n)
    below = np.cumsum(np.bincount(first_above.ravel(), mass.ravel(), minlength=n + 1))[:n]
    lo, hi = np.interp([_TRIM / 2, 1 - _TRIM / 2], below / mass.sum(), np.arange(n))
    return float(hi - lo)


def measure_digits(images, setting: Setting = REFERENCE, *, workers: int = 1) -> np.ndarray:
    """The six measures of each digit: images (N, 784) or (N, 28, 28) in [0, 1] (numpy or a
    CPU tensor) -> (N, 6) float64 in MEASURES order. `workers` > 1 spreads the digits over
    that many spawned processes (a script calling it so needs the usual
    `if __name__ == "__main__":` guard, as every spawned pool does)."""
    digits = _as_digits(images)
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    if workers == 1 or len(digits) < 2 * workers:
        return _measure_chunk(digits, setting)
    size = min(_CHUNK, math.ceil(len(digits) / workers))  # every worker gets some
    chunks = [digits[i:i + size] for i in range(0, len(digits), size)]
    # spawn, not fork: the app's server holds threads, which a fork would copy mid-step.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_measure_chunk, chunks, [setting] * len(chunks)))
    return np.concatenate(parts)


def _measure_chunk(digits: np.ndarray, setting: Setting) -> np.ndarray:
    out = np.empty((len(digits), len(MEASURES)))
    for i, digit in enumerate(digits):
        out[i] = measure_digit(digit, setting)
    return out


def _as_digits(images) -> np.ndarray:
    """(N, 784) or (N, 28, 28) in [0, 1] -> float32 (N, 28, 28); anything else is refused."""
    a = np.asarray(images.detach().cpu() if hasattr(images, "detach") else images)
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(-1, 28, 28)
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        raise ConfigError(f"digits must be (N, 784) or (N, 28, 28), got shape {a.shape}")
    if len(a) > _MAX_IMAGES:
        raise ConfigError(f"{len(a)} digits are more than the {_MAX_IMAGES} measured at once")
    a = a.astype(np.float32, copy=False)
    if not np.isfinite(a).all() or a.min(initial=0.0) < 0.0 or a.max(initial=0.0) > 1.0:
        raise ConfigError("digits must be finite grey values in [0, 1]")
    return a


def cached_measures(images, setting: Setting = REFERENCE, *, cache_dir=None,
                    workers: int | None = None) -> np.ndarray:
    """measure_digits of a dataset's images, measured once and kept on disk: (N, 6).

    The file is named by a hash of the images and the setting, under
    `cache_dir`/morphometry (default: paths.default_cache_dir()); `workers` defaults to
    every core. A cache file that cannot be read is measured again and replaced.
    """
    digits = _as_digits(images)
    digest = hashlib.sha256(digits.tobytes()).hexdigest()[:32]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / "morphometry" / f"{setting.name}-v{_CACHE_VERSION}-{digest}.npy"
    try:
        kept = np.load(path, allow_pickle=False)
        if kept.shape == (len(digits), len(MEASURES)):
            return kept
    except (OSError, ValueError):
        pass  # missing or unreadable: measured below
    values = measure_digits(digits, setting, workers=workers or os.cpu_count() or 1)
    _save_atomically(path, values)
    return values


def _save_atomically(path: Path, values: np.ndarray) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.
    A cache that cannot be written is not an error (the values are still returned)."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            temporary = Path(f.name)
            np.save(f, values, allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
