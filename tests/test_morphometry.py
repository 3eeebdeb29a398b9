"""Morphometry of digits (aae_core.analysis.morphometry) against Morpho-MNIST's published
measurements, on shapes whose measures are known, and its on-disk cache.

tests/data/morpho-mnist-t10k-first300.csv holds the first 300 rows of Morpho-MNIST's
published t10k-morpho.csv ("original MNIST morphometrics": the measures of MNIST's test
images 0..299; Castro et al., JMLR 20(178), 2019; https://github.com/dccastro/Morpho-MNIST,
MIT licence). The file as the authors distribute it was read from the copy kept in
github.com/vinayprabhu/Kannada_MNIST (data/morpho_mnist/t10k-morpho.csv, blob 17e593d4).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import requires_mnist_10k

from aae_core.analysis import morphometry
from aae_core.analysis.morphometry import FAST, MEASURES, REFERENCE
from aae_core.data import load_dataset, synthetic_digits
from aae_core.errors import ConfigError

PUBLISHED = Path(__file__).parent / "data" / "morpho-mnist-t10k-first300.csv"


def published_measures() -> np.ndarray:
    """(300, 6) in MEASURES order; the file's columns are index + the six measures."""
    with PUBLISHED.open() as f:
        header = f.readline().strip().split(",")
    assert header == ["index", *MEASURES]
    table = np.loadtxt(PUBLISHED, delimiter=",", skiprows=1)
    assert np.array_equal(table[:, 0], np.arange(len(table)))
    return table[:, 1:]


@requires_mnist_10k
@pytest.mark.parametrize("setting", [REFERENCE, FAST], ids=lambda s: s.name)
def test_agrees_with_morpho_mnist_published_measures(setting):
    published = published_measures()
    # mnist-10k trains on the t10k file's images 0..7999, in file order.
    images = load_dataset("mnist-10k").train_x[: len(published)]
    ours = morphometry.measure_digits(images, setting)
    for j, name in enumerate(MEASURES):
        r = np.corrcoef(ours[:, j], published[:, j])[0, 1]
        assert r >= 0.95, f"{name}: Pearson r = {r:.3f} against the published values"
    # The measures that do not depend on the skeleton agree closely, not only in trend.
    for name in ("area", "slant", "width", "height"):
        j = MEASURES.index(name)
        scale = np.abs(published[:, j]).mean()
        assert np.abs(ours[:, j] - published[:, j]).mean() < 0.02 * scale, name


def bar(width: int, height: int, shear: float = 0.0) -> np.ndarray:
    """A (28, 28) bar `width` px wide and `height` px tall, centred; each row's x is moved
    by -shear * (row - centre) (positive shear: the top leans right, y pointing down)."""
    img = np.zeros((28, 28), np.float32)
    top = 14 - height // 2
    for row in range(top, top + height):
        left = 14 - width // 2 + round(-shear * (row - 13.5))
        img[row, left:left + width] = 1.0
    return img


@pytest.mark.parametrize("setting", [REFERENCE, FAST], ids=lambda s: s.name)
def test_a_bar_measures_as_drawn(setting):
    area, length, thickness, slant, width, height = morphometry.measure_digit(bar(4, 18),
                                                                             setting)
    assert area == pytest.approx(72, rel=0.1)
    assert thickness == pytest.approx(4, rel=0.2)
    # The skeleton runs along the bar, stopping short of its ends (thinning) or forking
    # towards its corners (the medial axis): between height - width and height + width.
    assert 18 - 4 - 1 <= length <= 18 + 4
    assert slant == pytest.approx(0, abs=0.02)
    # The upsampling smooths the bar's sharp sides: its ink spreads about half a pixel
    # further each way across (Morpho-MNIST's own code measures 4.98 px here).
    assert width == pytest.approx(4 + 1, abs=0.5)
    assert height == pytest.approx(18, abs=0.5)


def test_slant_has_the_sign_and_size_of_the_lean():
    leaning_right = morphometry.measure_digit(bar(3, 18, shear=0.4))
    leaning_left = morphometry.measure_digit(bar(3, 18, shear=-0.4))
    assert leaning_right[MEASURES.index("slant")] == pytest.approx(np.arctan(0.4), abs=0.05)
    assert leaning_left[MEASURES.index("slant")] == pytest.approx(-np.arctan(0.4), abs=0.05)
    # De-slanted, the leaning bar is as narrow as an upright one.
    assert leaning_right[MEASURES.index("width")] == pytest.approx(3 + 1, abs=1)


def test_thicker_strokes_measure_thicker_and_longer_bars_longer():
    thin, thick, tall = (morphometry.measure_digit(bar(w, h)) for w, h in
                         ((2, 12), (6, 12), (2, 22)))
    t, n = MEASURES.index("thickness"), MEASURES.index("length")
    assert thick[t] > thin[t] + 3
    assert tall[n] > thin[n] + 8


def test_a_blank_digit_has_no_measures():
    assert np.isnan(morphometry.measure_digit(np.zeros(784))).all()


@pytest.mark.parametrize("bad, why", [
    (np.zeros((3, 27, 27)), "shape"),
    (np.full((2, 784), np.nan), "finite"),
    (np.full((2, 784), 2.0), r"\[0, 1\]"),
])
def test_bad_digits_are_refused_in_one_line(bad, why):
    with pytest.raises(ConfigError, match=why):
        morphometry.measure_digits(bad)


def test_a_process_pool_gives_the_same_measures():
    images = synthetic_digits(n_train=60, n_test=1).train_x  # 2 tasks of 30 digits
    alone = morphometry.measure_digits(images, FAST)
    pooled = morphometry.measure_digits(images, FAST, workers=2)
    np.testing.assert_array_equal(alone, pooled)


def test_a_dataset_is_measured_once_then_read_from_disk(tmp_path, monkeypatch):
    images = synthetic_digits(n_train=20, n_test=1).train_x
    first = morphometry.cached_measures(images, FAST, cache_dir=tmp_path, workers=1)
    (cached,) = (tmp_path / "morphometry").iterdir()

    def must_not_measure(*args, **kwargs):
        raise AssertionError("measured again although the cache holds the values")

    monkeypatch.setattr(morphometry, "measure_digits", must_not_measure)
    np.testing.assert_array_equal(morphometry.cached_measures(images, FAST, cache_dir=tmp_path),
                                  first)
    monkeypatch.undo()
    cached.write_bytes(b"not a numpy file")  # a damaged cache is measured again and replaced
    np.testing.assert_array_equal(
        morphometry.cached_measures(images, FAST, cache_dir=tmp_path, workers=1), first)
    assert np.load(cached).shape == (20, 6)
    # Other images or another setting do not read this file.
    other = morphometry.cached_measures(images[:10], FAST, cache_dir=tmp_path, workers=1)
    assert other.shape == (10, 6)
    assert len(list((tmp_path / "morphometry").iterdir())) == 2
