"""Disentanglement scores (aae_core.analysis.disentanglement) on codes whose answers are
known: a code that is the factors, a shuffled one, rotated ones; and beside the values
that disentanglement_lib computes on the same arrays."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from aae_core.analysis.disentanglement import (
    MIN_ROWS,
    Factor,
    label_leakage,
    score_codes,
)
from aae_core.errors import ConfigError

N_ROWS, N_FACTORS = 1000, 4
FACTORS = tuple(Factor(f"f{k}") for k in range(N_FACTORS))


def rotation(degrees: float) -> np.ndarray:
    """(4, 4): dimensions 0-1 and 2-3 each turned by `degrees`."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    block = np.array([[c, -s], [s, c]])
    out = np.zeros((4, 4))
    out[:2, :2] = out[2:, 2:] = block
    return out


def constructed_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, codes (N, 4), factors (N, 4)): four independent factors of ten values each
    (whole numbers 0..9, so that mutual information is exact after binning), and codes
    that are them, a shuffle of them, and them turned by 20 and by 45 degrees."""
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 10, (N_ROWS, N_FACTORS)).astype(np.float64)
    centred = factors - 4.5
    return [("identity", factors.copy(), factors),
            ("shuffled", factors[rng.permutation(N_ROWS)], factors),
            ("rotated-20", centred @ rotation(20).T, factors),
            ("rotated-45", centred @ rotation(45).T, factors)]


CASES = {name: (codes, factors) for name, codes, factors in constructed_cases()}


@functools.cache
def scores_of(case: str, *, categorical: bool = False) -> dict[str, float]:
    """The scores of a constructed case, its factors taken as numbers or as categories."""
    codes, factors = CASES[case]
    kinds = tuple(Factor(f.name, categorical) for f in FACTORS)
    return score_codes(codes, factors, kinds).scores()


def test_a_code_that_is_the_factors_scores_one():
    s = scores_of("identity")
    assert s["mig"] > 0.95  # binning leaves a little chance information elsewhere
    assert s["dci_disentanglement"] > 0.98 and s["dci_completeness"] > 0.98
    assert s["dci_informativeness"] > 0.98 and s["sap"] > 0.98


def test_a_shuffled_code_scores_about_zero():
    s = scores_of("shuffled")
    for name in ("mig", "dci_disentanglement", "dci_completeness", "sap"):
        assert abs(s[name]) < 0.05, name
    assert s["dci_informativeness"] < 0.05  # R^2 of noise: about 0, may dip below


def test_a_rotated_code_lies_in_between():
    identity, shuffled, turned = (scores_of(c) for c in ("identity", "shuffled", "rotated-20"))
    for name in ("mig", "dci_disentanglement", "dci_completeness", "sap"):
        assert shuffled[name] + 0.15 < turned[name] < identity[name] - 0.1, name
    assert turned["dci_informativeness"] > 0.9  # a turned code still holds every factor


def test_half_way_round_every_factor_is_shared_equally_by_two_dimensions():
    s = scores_of("rotated-45")
    assert s["mig"] < 0.05 and s["sap"] < 0.05  # no gap between the two best dimensions
    assert 0.35 < s["dci_disentanglement"] < 0.65  # each dimension: two factors, equally
    assert s["dci_informativeness"] > 0.9


# disentanglement_lib 1.5 (Locatello et al. 2019), the metrics' reference implementation,
# does not install from PyPI today (it pins tensorflow-probability 0.7 and imports
# tensorflow through gin.tf). Its functions evaluation/metrics/mig.py _compute_mig (with
# its 20-bin histogram discretiser), dci.py _compute_dci (gradient-boosted classifiers, so
# the factors are categories) and sap_score.py _compute_sap (continuous factors) were run
# on constructed_cases()'s arrays, rows 0..499 to fit and 500..999 to score, with gin,
# absl and six stubbed out; these are the values they returned.
DISENTANGLEMENT_LIB = {
    "identity": {"mig": 0.9812, "dci_disentanglement": 1.0000, "dci_completeness": 1.0000,
                 "sap": 0.9955},
    "shuffled": {"mig": 0.0026, "dci_disentanglement": 0.0010, "dci_completeness": 0.0011,
                 "sap": 0.0039},
    "rotated-20": {"mig": 0.2205, "dci_disentanglement": 0.5426, "dci_completeness": 0.5428,
                   "sap": 0.7648},
    "rotated-45": {"mig": 0.0102, "dci_disentanglement": 0.3812, "dci_completeness": 0.3819,
                   "sap": 0.0526},
}


@pytest.mark.parametrize("case", sorted(DISENTANGLEMENT_LIB))
def test_agrees_with_disentanglement_lib_on_the_same_arrays(case):
    theirs = DISENTANGLEMENT_LIB[case]
    as_numbers, as_categories = scores_of(case), scores_of(case, categorical=True)
    assert as_numbers["mig"] == pytest.approx(theirs["mig"], abs=0.001)  # the same estimator
    # SAP's squared correlations are taken on the scoring half here, the fitting half there.
    assert as_numbers["sap"] == pytest.approx(theirs["sap"], abs=0.03)
    for name in ("dci_disentanglement", "dci_completeness"):
        assert as_categories[name] == pytest.approx(theirs[name], abs=0.01), name


def test_a_categorical_factor_is_scored_by_classifiers():
    rng = np.random.default_rng(1)
    digit = rng.integers(0, 10, N_ROWS)
    thickness = rng.normal(size=N_ROWS)
    factors = np.stack([digit, thickness], axis=1)
    kinds = (Factor("label", categorical=True), Factor("thickness"))
    apart = score_codes(np.stack([digit + rng.uniform(0, 0.5, N_ROWS), thickness], 1),
                        factors, kinds).scores()
    assert apart["dci_informativeness"] > 0.95 and apart["sap"] > 0.9
    assert apart["dci_disentanglement"] > 0.95


def test_label_leakage_is_zero_for_a_code_without_the_label_and_one_with_it():
    rng = np.random.default_rng(2)
    digit = rng.integers(0, 10, 2000)
    style = rng.normal(size=(2000, 4))
    none = label_leakage(style, digit)
    assert abs(none["leakage"]) < 0.05
    assert none["chance"] == pytest.approx(0.1, abs=0.03)
    assert none["accuracy"] == pytest.approx(none["chance"], abs=0.05)
    full = label_leakage(np.column_stack([style, digit]), digit)
    assert full["accuracy"] > 0.99 and full["leakage"] > 0.99
    # Half the digits told apart: leakage in between.
    some = label_leakage(np.column_stack([style, digit // 2]), digit)
    assert 0.3 < some["leakage"] < 0.7


@pytest.mark.parametrize("codes, factors, why", [
    (np.zeros((100, 2)), np.zeros((99, 4)), "same N"),
    (np.full((100, 2), np.nan), np.zeros((100, 4)), "finite"),
    (np.zeros((MIN_ROWS - 1, 2)), np.zeros((MIN_ROWS - 1, 4)), "at least"),
    (np.zeros((100, 2)), np.zeros((100, 3)), "factor names"),
])
def test_bad_arrays_are_refused_in_one_line(codes, factors, why):
    with pytest.raises(ConfigError, match=why):
        score_codes(codes, factors, FACTORS)
