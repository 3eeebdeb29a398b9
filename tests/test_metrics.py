"""Known values and protocol details of aae_core.analysis.metrics, on small synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aae_core.analysis import metrics
from aae_core.errors import ConfigError


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def normal(n: int, d: int = 2, seed: int = 0, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, d, generator=gen(seed)) + shift


def uniform_disc(n: int, r_min: float, r_max: float, seed: int) -> torch.Tensor:
    # Uniform on the annulus r_min <= r <= r_max (a full disc when r_min = 0).
    g = gen(seed)
    r = torch.sqrt(r_min**2 + (r_max**2 - r_min**2) * torch.rand(n, generator=g))
    angle = 2 * math.pi * torch.rand(n, generator=g)
    return torch.stack([r * angle.cos(), r * angle.sin()], dim=1)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Force every distance computation into many small blocks."""
    monkeypatch.setattr(metrics, "MAX_BLOCK_ELEMENTS", 7)


# ---------------------------------------------------------------- reconstruction


def test_reconstruction_error_known_values():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    x_hat = torch.full_like(x, 0.5)
    out = metrics.reconstruction_error(x, x_hat)
    assert out["bce"] == pytest.approx(2 * math.log(2), rel=1e-6)
    assert out["mse"] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        metrics.reconstruction_error(x, x_hat[:1])


# ---------------------------------------------------------------- prior match


def test_prior_mmd_same_vs_shifted():
    # Unbiased MMD^2 summed over 7 IMQ scales: null values ~1e-3 at n = 1500, shift ~2.7.
    same = metrics.prior_mmd(normal(1500, seed=1), normal(1500, seed=2))
    shifted = metrics.prior_mmd(normal(1500, seed=1, shift=2.0), normal(1500, seed=2))
    assert abs(same) < 3e-3
    assert shifted > 1.0


def test_prior_mmd_subsample_is_deterministic_and_validated():
    a, b = normal(500, seed=1), normal(500, seed=2, shift=0.5)
    first = metrics.prior_mmd(a, b, max_points=100, generator=gen(3))
    assert first == metrics.prior_mmd(a, b, max_points=100, generator=gen(3))
    assert first != metrics.prior_mmd(a, b, max_points=100, generator=gen(4))
    with pytest.raises(ConfigError):
        metrics.prior_mmd(a, b, max_points=1)
    with pytest.raises(ValueError):
        metrics.prior_mmd(a, normal(10, d=3))


def test_sliced_wasserstein_zero_for_identical_samples():
    z = normal(1000)
    assert metrics.sliced_wasserstein(z, z, generator=gen()) == pytest.approx(0.0, abs=1e-12)


def test_sliced_wasserstein_shifted_gaussians_near_analytic_value():
    # W1 of the projections is |<u, mu>|; over unit u in 2-D, E|3 cos theta| = 6 / pi.
    a = normal(5000, seed=1)
    b = normal(5000, seed=2) + torch.tensor([3.0, 0.0])
    value = metrics.sliced_wasserstein(a, b, n_projections=512, generator=gen())
    assert value == pytest.approx(6 / math.pi, abs=0.1)  # direction sampling: std ~0.04


def test_sliced_wasserstein_in_1d_is_plain_w1():
    # One dimension: every direction is +-1, so the value is W1 = 3 for a shift of 3.
    a, b = normal(5000, d=1, seed=1), normal(5000, d=1, seed=2) + 3.0
    assert metrics.sliced_wasserstein(a, b, n_projections=4, generator=gen()) == pytest.approx(
        3.0, abs=0.05
    )


def test_sliced_wasserstein_unequal_sizes_is_exact_w1():
    # 1-D: {0, 1} vs {0, 0.5, 1}: quantile functions differ by 0.5 on u in (1/3, 2/3) -> 1/6.
    a = torch.tensor([[0.0], [1.0]])
    b = torch.tensor([[0.0], [0.5], [1.0]])
    assert metrics.sliced_wasserstein(a, b, n_projections=3, generator=gen()) == pytest.approx(
        1 / 6
    )


def test_sliced_wasserstein_blocked_equals_unblocked(monkeypatch):
    a, b = normal(40, d=3, seed=1), normal(25, d=3, seed=2, shift=1.0)
    whole = metrics.sliced_wasserstein(a, b, n_projections=32, generator=gen(5))
    monkeypatch.setattr(metrics, "MAX_BLOCK_ELEMENTS", 70)  # 1 projection per block
    blocked = metrics.sliced_wasserstein(a, b, n_projections=32, generator=gen(5))
    assert blocked == pytest.approx(whole, rel=1e-6)


# ---------------------------------------------------------------- coverage


def test_default_hole_radius_rule():
    prior = normal(20000, d=2) * 2.0  # N(0, 4 I): 0.1 * 2 * sqrt(2)
    assert metrics.default_hole_radius(prior) == pytest.approx(0.2 * math.sqrt(2), rel=0.02)


def test_holes_codes_equal_to_prior_is_zero():
    prior = normal(2000)
    assert metrics.holes(prior, prior, radius=0.01) == 0.0


def test_holes_codes_at_one_point_leave_almost_everything_uncovered():
    prior = normal(5000, seed=1)
    codes = normal(500, seed=2) * 1e-3
    radius = metrics.default_hole_radius(prior)
    # Only prior mass within the radius of the origin is covered: 1 - exp(-r^2 / 2) ~ 1 %.
    assert metrics.holes(codes, prior, radius=radius) > 0.97


def test_holes_ring_around_empty_centre():
    # Prior fills the unit disc; codes fill the ring 0.5 <= r <= 1, leaving the centre
    # (share 0.25 of the disc) empty. Within `radius` of the ring counts as covered, so the
    # holes share lies between (0.5 - radius)^2 and 0.25.
    prior = uniform_disc(5000, 0.0, 1.0, seed=1)
    codes = uniform_disc(5000, 0.5, 1.0, seed=2)
    value = metrics.holes(codes, prior, radius=0.05)
    assert 0.19 < value < 0.26


def test_holes_blocked_equals_brute_force(tiny_blocks):
    codes, prior = normal(30, seed=1), normal(20, seed=2)
    brute = (torch.cdist(prior, codes).min(dim=1).values > 0.3).double().mean().item()
    assert metrics.holes(codes, prior, radius=0.3) == brute
    with pytest.raises(ConfigError):
        metrics.holes(codes, prior, radius=0.0)


def test_component_occupancy_counts_nearest_means(tiny_blocks):
    means = torch.tensor([[-5.0, 0.0], [5.0, 0.0], [0.0, 50.0]])
    codes = torch.cat([normal(30, seed=1) + means[0], normal(70, seed=2) + means[1]])
    occupancy = metrics.component_occupancy(codes, means)
    assert occupancy.shape == (3,)
    np.testing.assert_allclose(occupancy, [0.3, 0.7, 0.0])
    assert occupancy.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------- labels


def blobs(n_per_class: int, n_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = 20.0 * torch.arange(n_classes, dtype=torch.float32)[:, None].repeat(1, 2)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    return centres[labels] + normal(labels.numel(), seed=seed), labels


def test_knn_accuracy_separable_clusters():
    train, train_y = blobs(50, 4, seed=1)
    test, test_y = blobs(20, 4, seed=2)
    assert metrics.knn_accuracy(train, train_y, test, test_y, k=5) == 1.0


def test_knn_accuracy_random_labels_is_chance():
    train, test = normal(2000, seed=1), normal(2000, seed=2)
    train_y = torch.randint(0, 10, (2000,), generator=gen(3))
    test_y = torch.randint(0, 10, (2000,), generator=gen(4))
    assert metrics.knn_accuracy(train, train_y, test, test_y, k=5) == pytest.approx(0.1, abs=0.03)


def test_knn_ties_go_to_nearer_voters_then_lowest_label():
    train = torch.tensor([[0.0], [2.0]])
    labels = torch.tensor([1, 0])
    test = torch.tensor([[0.9], [1.0], [1.5]])
    # One vote each: the label with the smaller distance sum wins; at 1.0 both are 1.0 away.
    np.testing.assert_array_equal(metrics.knn_predict(train, labels, test, k=2), [1, 0, 0])
    with pytest.raises(ConfigError):
        metrics.knn_predict(train, labels, test, k=3)


def test_knn_blocked_equals_brute_force(tiny_blocks):
    train, test = normal(60, seed=1), normal(25, seed=2)
    labels = torch.randint(0, 3, (60,), generator=gen(3))
    pred = metrics.knn_predict(train, labels, test, k=1)
    np.testing.assert_array_equal(pred, labels[torch.cdist(test, train).argmin(dim=1)].numpy())


def test_classification_error_and_confusion_matrix():
    pred, true = [0, 1, 1, 2], [0, 1, 2, 2]
    assert metrics.classification_error(np.array(pred), torch.tensor(true)) == 0.25
    expected = [[1, 0, 0], [0, 1, 0], [0, 1, 1]]  # rows = true label, columns = prediction
    np.testing.assert_array_equal(metrics.confusion_matrix(pred, true, 3), expected)
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 3], [0, 1], 3)


# ---------------------------------------------------------------- clustering

# Four clusters; cluster 3 receives no training point.
TRAIN_ASSIGN = np.array([0, 0, 0, 1, 1, 1, 2, 2])
TRAIN_LABELS = np.array([7, 7, 3, 3, 3, 5, 5, 5])
TEST_ASSIGN = np.array([0, 0, 1, 2, 3])
TEST_LABELS = np.array([7, 3, 3, 5, 1])


def test_cluster_label_map_majority():
    mapping = metrics.cluster_label_map(TRAIN_ASSIGN, TRAIN_LABELS, 4)
    np.testing.assert_array_equal(mapping, [7, 3, 5, -1])


def test_clustering_error_majority_counts_empty_cluster():
    out = metrics.clustering_error(TRAIN_ASSIGN, TRAIN_LABELS, TEST_ASSIGN, TEST_LABELS, 4)
    # Wrong: test point 1 (label 3 in a "7" cluster) and point 4 (in the unlabelled cluster).
    assert out == {"error": 0.4, "mapping": [7, 3, 5, -1], "rule": "majority", "empty_clusters": 1}


def test_clustering_error_most_confident_per_point():
    # The most confident member of cluster 0 has label 3, of cluster 1 label 5.
    confidence = np.array([0.6, 0.7, 0.9, 0.5, 0.4, 0.8, 0.9, 0.1])
    out = metrics.clustering_error(
        TRAIN_ASSIGN,
        TRAIN_LABELS,
        TEST_ASSIGN,
        TEST_LABELS,
        4,
        train_confidence=confidence,
        rule="most-confident",
    )
    assert out["mapping"] == [3, 5, 5, -1]
    assert out["error"] == pytest.approx(0.6)  # only points 1 and 3 are right
    assert out["empty_clusters"] == 1


def test_most_confident_full_matrix_follows_the_paper():
    # With q(y=k|x_n) for all points, every cluster is named, the empty one included.
    q = np.full((8, 4), 0.01)
    q[[0, 3, 6, 4], [0, 1, 2, 3]] = 0.9  # cluster 3's best point is point 4 (label 3)
    mapping = metrics.cluster_label_map(
        TRAIN_ASSIGN, TRAIN_LABELS, 4, train_confidence=q, rule="most-confident"
    )
    np.testing.assert_array_equal(mapping, [7, 3, 5, 3])


def test_cluster_label_map_rejects_bad_input():
    with pytest.raises(ConfigError):
        metrics.cluster_label_map(TRAIN_ASSIGN, TRAIN_LABELS, 4, rule="hungarian")
    with pytest.raises(ConfigError):
        metrics.cluster_label_map(TRAIN_ASSIGN, TRAIN_LABELS, 4, rule="most-confident")
    with pytest.raises(ValueError):
        metrics.cluster_label_map(TRAIN_ASSIGN, TRAIN_LABELS, 2)


# ---------------------------------------------------------------- Parzen window


def test_parzen_matches_negative_entropy_of_the_true_density():
    # For N(0, I) in 2-D, E[log p(x)] = -H = -(d / 2) log(2 pi e) = -2.838.
    samples, test_x = normal(5000, seed=1), normal(5000, seed=2)
    out = metrics.parzen_log_likelihood(samples, test_x, sigma=0.25)
    assert out["mean"] == pytest.approx(-math.log(2 * math.pi * math.e), abs=0.06)
    assert 0.005 < out["std_err"] < 0.03  # per-point std is about 1 -> 1 / sqrt(5000)


def test_select_parzen_sigma_picks_a_reasonable_bandwidth():
    samples, valid_x = normal(3000, seed=1), normal(2000, seed=2)
    sigmas = np.logspace(-2, 1, 13)
    best, table = metrics.select_parzen_sigma(samples, valid_x, sigmas)
    assert list(table) == [float(s) for s in sigmas]
    assert table[best] == max(table.values())
    assert 0.1 <= best <= 0.6  # around Silverman's 3000^(-1/6) = 0.26
    same = metrics.parzen_log_likelihood(samples, valid_x, sigma=best)["mean"]
    assert same == pytest.approx(table[best], rel=1e-9)


def test_parzen_blocked_equals_direct_log_sum_exp(tiny_blocks):
    samples, test_x = normal(23, d=5, seed=1).double(), normal(11, d=5, seed=2).double()
    sigma = 0.7
    sq = torch.cdist(test_x, samples).pow(2)
    log_p = torch.logsumexp(-sq / (2 * sigma**2), dim=1) - math.log(23)
    log_p = log_p - 2.5 * math.log(2 * math.pi * sigma**2)
    out = metrics.parzen_log_likelihood(samples, test_x, sigma=sigma, batch_size=3)
    assert out["mean"] == pytest.approx(log_p.mean().item(), rel=1e-10)
    assert out["std_err"] == pytest.approx(log_p.std().item() / math.sqrt(11), rel=1e-8)
    with pytest.raises(ConfigError):
        metrics.parzen_log_likelihood(samples, test_x, sigma=0.0)
