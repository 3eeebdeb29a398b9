"""Classification and clustering reports (aae_core.analysis.classify) and the cluster-heads map."""

from __future__ import annotations

import numpy as np
import pytest

from aae_core.analysis import classify
from aae_core.errors import ConfigError
from ui.figures import heads_figure


def one_hotish(assign, k: int, conf) -> np.ndarray:
    """(N, K) probabilities with argmax `assign` holding `conf`, the rest spread evenly."""
    assign, conf = np.asarray(assign), np.asarray(conf, dtype=float)
    p = np.tile(((1 - conf) / (k - 1))[:, None], (1, k))
    p[np.arange(len(assign)), assign] = conf
    return p


def test_classification_report_error_and_confusion():
    probs = one_hotish([0, 1, 2, 2], 3, [0.9, 0.8, 0.7, 0.6])
    rep = classify.classification_report(probs, np.array([0, 1, 2, 1]))
    assert rep["error"] == pytest.approx(0.25) and rep["n_test"] == 4
    np.testing.assert_array_equal(rep["confusion"], [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_clustering_report_both_rules():
    # 3 clusters on labels 0/1. Cluster 2 holds mostly 1s, but its most confident member is a 0.
    tr_assign = [0, 0, 1, 1, 2, 2, 2]
    tr_labels = np.array([0, 0, 1, 1, 1, 1, 0])
    tr = one_hotish(tr_assign, 3, [0.9, 0.8, 0.9, 0.7, 0.6, 0.6, 0.95])
    te = one_hotish([0, 1, 2, 2], 3, [0.9, 0.9, 0.9, 0.8])
    rep = classify.clustering_report(tr, tr_labels, te, np.array([0, 1, 1, 1]))
    assert rep["majority"]["mapping"] == [0, 1, 1]
    assert rep["majority"]["error"] == 0.0
    assert rep["most-confident"]["mapping"] == [0, 1, 0]
    assert rep["most-confident"]["error"] == pytest.approx(0.5)
    np.testing.assert_array_equal(rep["sizes"], [1, 1, 2])
    assert rep["n_train"] == 7 and rep["n_test"] == 4


def test_cluster_exemplars_most_confident_first():
    probs = one_hotish([1, 0, 1, 1, 0], 3, [0.5, 0.9, 0.95, 0.5, 0.7])
    ex = classify.cluster_exemplars(probs, 2)
    assert [e.tolist() for e in ex] == [[1, 4], [2, 0], []]  # ties: lower index first
    with pytest.raises(ConfigError):
        classify.cluster_exemplars(probs, 0)


def test_paper_error_quotes_the_results_table():
    assert classify.paper_error("semi-supervised", "100 labels") == "MNIST: 1.90 ± 0.10 %"
    assert classify.paper_error("clustering", "30 clusters") == "MNIST: 4.10 ± 1.13 %"
    with pytest.raises(ConfigError, match="no 'clustering' result for '20 clusters'"):
        classify.paper_error("clustering", "20 clusters")


def test_results_table_puts_the_paper_first():
    rows = classify.results_table("semi-supervised", [{"setting": "1,000 labels",
                                                       "test error (%)": "5.10", "data": "x"}])
    assert [r["source"] for r in rows] == ["paper (Makhzani et al. 2015)"] * 3 + ["this app"]
    assert [r["test error (%)"] for r in rows[:3]] == ["1.90 ± 0.10", "1.60 ± 0.08", "0.85 ± 0.02"]
    clus = classify.results_table("clustering", [])
    assert [r["test error (%)"] for r in clus] == ["9.55 ± 2.05", "4.10 ± 1.13"]
    with pytest.raises(ConfigError):
        classify.results_table("svhn", [])


def test_heads_figure_marks_every_head():
    codes = np.random.default_rng(0).normal(size=(100, 2))
    heads = np.array([[0.0, 3.0, -3.0], [3.0, 0.0, 0.0]])
    fig = heads_figure(codes, np.arange(100) % 10, [str(k) for k in range(10)], heads,
                       (-5, 5, -5, 5), title="map")
    last = fig.data[-1]
    assert last.name == "cluster heads" and list(last.text) == ["h0", "h1", "h2"]
    np.testing.assert_array_equal(last.x, heads[0])
    np.testing.assert_array_equal(last.y, heads[1])
    assert sum(t.name != "cluster heads" for t in fig.data) == 10
    with pytest.raises(ValueError, match="heads must be"):
        heads_figure(codes, np.zeros(100, int), ["0"], np.zeros(3), (-1, 1, -1, 1))
