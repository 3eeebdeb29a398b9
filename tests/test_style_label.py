"""Style vs label (aae_core.analysis.style): moving codes between mixture components / swiss-roll
segments, the style x label grid (paper Fig. 6), and the helpers the page uses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aae_core.analysis import style
from aae_core.analysis.explore import decode_points
from aae_core.config import ModelConfig
from aae_core.errors import ConfigError
from aae_core.images import side_by_side
from aae_core.models import build_model
from aae_core.priors import GaussianPrior, MixturePrior, SwissRollPrior


def tiny(model: str, prior: str = "gaussian", dim: int = 2):
    torch.manual_seed(0)
    cfg = ModelConfig(model=model, prior={"name": prior, "dim": dim}, hidden=(16,),
                      disc_hidden=(16,))
    return build_model(cfg).eval()


def samples(prior, k: int, n: int = 500, seed: int = 0) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    return prior.sample(n, labels=torch.full((n,), k), generator=gen).numpy()


# ---------------------------------------------------------------- move_to_component: mixture


@pytest.mark.parametrize(("j", "k"), [(0, 3), (7, 2), (4, 4), (9, 0)])
def test_mixture_move_lands_in_component_k_with_the_same_offsets(j, k):
    prior = MixturePrior()
    z = samples(prior, j)
    moved = style.move_to_component(z, prior, k)
    assert moved.shape == z.shape and moved.dtype == np.float32
    sits = style.component_of(z, prior)
    assert (sits == j).mean() > 0.9  # neighbouring components overlap by a few per cent
    assert (style.component_of(moved, prior) == k).mean() > 0.99  # all but float ties
    # the radial and tangential offsets from the mean are kept
    inside = sits == j
    before = frame(z[inside], float(prior.angles[j]), prior.radius)
    after = frame(moved[inside], float(prior.angles[k]), prior.radius)
    np.testing.assert_allclose(after, before, atol=1e-5)


def frame(pts: np.ndarray, angle: float, radius: float) -> np.ndarray:
    """(u, v): offset from the mean at `angle`, along the radius and along the circle."""
    u = pts[:, 0] * math.cos(angle) + pts[:, 1] * math.sin(angle) - radius
    v = -pts[:, 0] * math.sin(angle) + pts[:, 1] * math.cos(angle)
    return np.stack([u, v], 1)


def test_mixture_move_is_a_rotation_about_the_origin_and_round_trips():
    prior = MixturePrior()
    z = samples(prior, 2, n=200)
    z = z[style.component_of(z, prior) == 2]
    moved = style.move_to_component(z, prior, 5)
    angle = float(prior.angles[5] - prior.angles[2])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    np.testing.assert_allclose(moved, z @ rot.T, atol=1e-5)
    np.testing.assert_allclose(style.move_to_component(moved, prior, 2), z, atol=1e-5)


def test_moved_samples_follow_the_target_components_distribution():
    prior = MixturePrior()
    moved = style.move_to_component(samples(prior, 1, n=4000), prior, 6)
    target = samples(prior, 6, n=4000, seed=1)
    np.testing.assert_allclose(moved.mean(0), target.mean(0), atol=0.05)
    np.testing.assert_allclose(np.cov(moved.T), np.cov(target.T), atol=0.04)


def test_single_code_and_extra_dims_are_kept():
    prior = MixturePrior(dim=3)
    z = np.array([4.1, 0.2, -0.7])
    moved = style.move_to_component(z, prior, 5)
    assert moved.shape == (3,) and moved[2] == pytest.approx(-0.7)
    assert style.component_of(moved, prior)[0] == 5
    np.testing.assert_allclose(moved[:2], [-4.1, -0.2], atol=1e-5)  # 180 degrees round


def test_move_refuses_bad_components_and_unlabelled_priors():
    with pytest.raises(ConfigError, match="component must lie in 0..9"):
        style.move_to_component([4.0, 0.0], MixturePrior(), 10)
    with pytest.raises(ConfigError, match="no labelled components"):
        style.move_to_component([0.0, 0.0], GaussianPrior(), 1)
    with pytest.raises(ConfigError, match="no labelled components"):
        style.component_of([[0.0, 0.0]], GaussianPrior())
    with pytest.raises(ConfigError, match="codes must be"):
        style.move_to_component([1.0], MixturePrior(), 1)


# ---------------------------------------------------------------- move_to_component: roll


@pytest.mark.parametrize(("j", "k"), [(2, 9), (3, 6), (8, 1)])
def test_swiss_roll_move_keeps_the_position_inside_the_segment(j, k):
    prior = SwissRollPrior()
    z = samples(prior, j, n=300)
    sits = style.component_of(z, prior)
    assert (sits == j).mean() > 0.8  # noise pushes a few across a border
    moved = style.move_to_component(z[sits == j], prior, k)
    assert (style.component_of(moved, prior) == k).mean() > 0.97
    back = style.move_to_component(moved, prior, j)
    assert np.median(np.abs(back - z[sits == j])) < 0.02


# ---------------------------------------------------------------- models and grids


def test_which_models_separate_style_and_label():
    assert style.n_labels(tiny("aae-supervised")) == 10
    assert style.n_labels(tiny("aae-semi-supervised")) == 10
    assert style.n_labels(tiny("aae-label-regularized", "mixture")) == 10
    assert style.n_labels(tiny("aae")) == 0
    assert style.n_labels(tiny("aae-clustering")) == 0
    assert style.label_in_prior(tiny("aae-label-regularized", "mixture"))
    assert not style.label_in_prior(tiny("aae-supervised"))
    with pytest.raises(ConfigError, match="does not separate style from label"):
        style.style_label_grid(tiny("aae"), np.zeros((1, 2)))
    with pytest.raises(ConfigError, match="label must lie in 0..9"):
        style.place(tiny("aae-supervised"), [0.0, 0.0], 10)


@pytest.mark.parametrize("kind", ["aae-supervised", "aae-semi-supervised"])
def test_grid_of_a_label_conditioned_decoder(kind):
    model = tiny(kind)
    styles = style.sample_styles(model, 4, seed=3)
    grid = style.style_label_grid(model, styles)
    assert grid.shape == (4, 10, 28, 28) and grid.dtype == np.float32
    for k in (0, 7):  # column k = every style decoded with label k
        np.testing.assert_allclose(grid[:, k], decode_points(model, styles, np.full(4, k)),
                                   atol=1e-6)
    assert np.abs(grid[:, 0] - grid[:, 1]).max() > 1e-4  # the label changes the image
    sub = style.style_label_grid(model, styles[:2], labels=[5, 2])
    np.testing.assert_allclose(sub, grid[:2][:, [5, 2]], atol=1e-6)


def test_grid_of_the_label_regularized_model_moves_each_style_into_each_component():
    model = tiny("aae-label-regularized", "mixture")
    styles = style.sample_styles(model, 3, seed=1)
    grid = style.style_label_grid(model, styles)
    assert grid.shape == (3, 10, 28, 28)
    for k in (2, 9):
        expect = decode_points(model, style.move_to_component(styles, model.prior, k))
        np.testing.assert_allclose(grid[:, k], expect, atol=1e-6)


def test_sample_styles_is_seeded_and_bounded():
    model = tiny("aae-supervised")
    a, b = style.sample_styles(model, 5, seed=2), style.sample_styles(model, 5, seed=2)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 2)
    assert not np.array_equal(a, style.sample_styles(model, 5, seed=3))
    with pytest.raises(ConfigError):
        style.sample_styles(model, 0)


def test_pick_held_out_cycles_through_the_classes():
    labels = np.repeat(np.arange(10), 20)
    idx = style.pick_held_out(labels, 10, seed=0)
    assert len(set(idx.tolist())) == 10 and sorted(labels[idx].tolist()) == list(range(10))
    idx12 = style.pick_held_out(labels, 12, seed=0)
    assert len(set(idx12.tolist())) == 12
    np.testing.assert_array_equal(idx12, style.pick_held_out(labels, 12, seed=0))
    assert style.pick_held_out(np.array([3, 3, 3]), 3).tolist() in ([0, 1, 2], [0, 2, 1],
                                                                    [1, 0, 2], [1, 2, 0],
                                                                    [2, 0, 1], [2, 1, 0])
    with pytest.raises(ConfigError):
        style.pick_held_out(labels[:5], 6)


def test_side_by_side_joins_two_grids_with_a_grey_band():
    out = side_by_side(np.ones((4, 3), np.float32), np.zeros((6, 2), np.float32), gap=2)
    assert out.shape == (6, 7)
    assert np.allclose(out[:, 3:5], 0.55)
    assert out[:4, :3].min() == 1 and out[4:, :3].max() == 0
