"""The synthetic digits carry the factors each was drawn under, and those factors are the
truth: the digits' measured shape follows them. The images themselves are unchanged by
carrying them (pinned figures of the renderer as it was before)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aae_core.analysis.morphometry import FAST, MEASURES, measure_digits
from aae_core.data import Dataset, synthetic_digits
from aae_core.data.synthetic import SYNTHETIC_FACTORS
from aae_core.errors import DataError


def test_every_image_comes_with_its_factors():
    ds = synthetic_digits(200, 50, seed=3)
    assert ds.has_factors and ds.factor_names == SYNTHETIC_FACTORS
    assert ds.train_factors.shape == (200, len(SYNTHETIC_FACTORS))
    assert ds.test_factors.shape == (50, len(SYNTHETIC_FACTORS))
    assert ds.train_factors.dtype == torch.float32
    low, high = ds.train_factors.min(0).values.numpy(), ds.train_factors.max(0).values.numpy()
    assert set(ds.train_factors[:, 0].tolist()) <= {0.0, 1.0}  # variant of its digit
    drawn_from = {"bend": (0, 0.1), "rotation": (-12, 12), "slant": (-0.3, 0.25),
                  "x_scale": (0.7, 1.1), "y_scale": (0.85, 1.08), "x_shift": (-1.2, 1.2),
                  "y_shift": (-1.2, 1.2), "stroke_weight": (1.4, 4.0)}
    for name, (lo, hi) in drawn_from.items():
        j = SYNTHETIC_FACTORS.index(name)
        assert lo - 1e-6 <= low[j] < high[j] <= hi + 1e-6, name
    again = synthetic_digits(200, 50, seed=3)
    assert torch.equal(ds.train_factors, again.train_factors)
    digits_with_one_template = (ds.train_y == 0) | (ds.train_y == 5) | (ds.train_y == 6) \
        | (ds.train_y == 8)
    assert (ds.train_factors[digits_with_one_template, 0] == 0).all()


@pytest.mark.parametrize("args, train_sum, test_sum, first_three", [
    ((4000, 1000, 0), 464832.71875, 117110.4453125, (126.388, 124.6644, 99.5357)),
    ((50, 20, 7), 5814.20166015625, 2250.76123046875, (109.9802, 131.1765, 80.8881)),
])
def test_the_images_are_the_ones_rendered_before_factors_were_returned(args, train_sum,
                                                                       test_sum, first_three):
    ds = synthetic_digits(*args)
    assert float(ds.train_x.sum()) == pytest.approx(train_sum, rel=1e-6)
    assert float(ds.test_x.sum()) == pytest.approx(test_sum, rel=1e-6)
    rows = (0, 1, len(ds.train_x) - 1)
    assert [float(ds.train_x[i].sum()) for i in rows] == pytest.approx(first_three, abs=1e-3)


def test_the_measured_shape_follows_the_true_factors():
    ds = synthetic_digits(600, 1, seed=1)
    truth = dict(zip(SYNTHETIC_FACTORS, ds.train_factors.numpy().T, strict=True))
    measured = dict(zip(MEASURES, measure_digits(ds.train_x, FAST).T, strict=True))
    img = ds.train_x.view(-1, 28, 28).numpy()
    centre_x = (img.sum(1) * np.arange(28)).sum(1) / img.sum((1, 2))

    def r(a, b):
        return np.corrcoef(a, b)[0, 1]

    # A clockwise rotation and a negative slant both lean the digit to the right.
    assert r(np.radians(truth["rotation"]) - truth["slant"], measured["slant"]) > 0.8
    assert r(truth["stroke_weight"], measured["thickness"]) > 0.6
    assert r(truth["y_scale"], measured["height"]) > 0.6
    assert r(truth["x_shift"], centre_x) > 0.6
    assert abs(r(truth["bend"], measured["slant"])) < 0.2  # a nuisance, not the slant


def test_a_dataset_refuses_factors_that_do_not_fit():
    x, y = torch.zeros(4, 784), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(DataError, match="one row per image"):
        Dataset("bad", "-", x, y, x, y, ("a",), train_factors=torch.zeros(3, 2),
                test_factors=torch.zeros(4, 2), factor_names=("f", "g"))
    with pytest.raises(DataError, match="all three or none"):
        Dataset("bad", "-", x, y, x, y, ("a",), train_factors=torch.zeros(4, 2))
    plain = Dataset("plain", "-", x, y, x, y, ("a",))
    assert not plain.has_factors and plain.train_factors is None


def test_factors_travel_with_the_dataset():
    moved = synthetic_digits(20, 10).to("cpu")
    assert moved.has_factors and moved.test_factors.shape == (10, len(SYNTHETIC_FACTORS))
