"""Disentanglement scores: how each latent dimension relates to each factor of variation.

Codes (N, D) and factors (N, K) in; every score lies in [0, 1] (1 = best) except where a
probe does worse than chance. Factors are continuous (a morphometric, a rotation) or
categorical (the digit, a template variant); `Factor` says which.

- MIG, the mutual information gap (Chen, Li, Grosse, Duvenaud 2018, eq. 6): each code and
  factor is cut into MIG_BINS equal-width bins (as disentanglement_lib does); for each
  factor, the gap between the two dimensions that share most information with it, over
  the factor's entropy; averaged over factors.
- DCI (Eastwood & Williams 2018, section 3): gradient-boosted trees predict each factor from
  the whole code (regression, or classification for a categorical factor, as
  disentanglement_lib does); their impurity importances form R (D, K). Disentanglement =
  1 - entropy (base K) of each dimension's row of R, weighted by the row's share of R;
  completeness = 1 - entropy (base D) of each factor's column; informativeness = the
  trees' held-out R^2 (chance-corrected accuracy for a categorical factor), averaged over
  factors. The paper reports the prediction error
  instead; we report 1 - error so that higher is better, as for the other scores.
- SAP (Kumar, Sattigeri, Balakrishnan 2018, section 3): S (D, K) = the squared correlation of
  each dimension with each continuous factor, or the chance-corrected held-out accuracy of
  a threshold classifier (a depth-4 tree: up to 16 intervals) on that one dimension for a
  categorical factor; for each factor the gap between its best two dimensions; averaged
  over factors.
- label leakage: a probe (gradient-boosted trees) names the digit from the code alone;
  its held-out accuracy against chance (always guessing the commonest digit),
  leakage = (accuracy - chance) / (1 - chance). A style code that holds no label scores 0.

Probes are fitted on the first half of the rows and scored on the second; everything is
seeded, so the same arrays give the same scores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
)
from sklearn.metrics import mutual_info_score
from sklearn.tree import DecisionTreeClassifier

from aae_core.analysis.morphometry import MEASURES, REFERENCE, cached_measures
from aae_core.data import DIGIT_NAMES
from aae_core.errors import ConfigError
from aae_core.inference import batched

MIG_BINS = 20  # disentanglement_lib's histogram discretiser uses 20 bins too
MIN_ROWS = 40  # probes fitted on 20 rows and scored on 20 mean little; fewer are refused
MAX_ROWS = 20_000  # bounds the probes' time: codes beyond this are not used


@dataclass(frozen=True)
class Factor:
    """One factor of variation: its name and whether its values are categories."""

    name: str
    categorical: bool = False


@dataclass(frozen=True)
class DisentanglementReport:
    """The scores, and the matrices behind them (rows: latent dimensions, columns: factors)."""

    factors: tuple[Factor, ...]
    mutual_info: np.ndarray  # (D, K) I(z_i; v_k) / H(v_k) in [0, 1]
    importance: np.ndarray  # (D, K) DCI's R: each column sums to 1
    sap_matrix: np.ndarray  # (D, K) SAP's S
    informativeness_per_factor: np.ndarray  # (K,)
    mig: float
    disentanglement: float
    completeness: float
    informativeness: float
    sap: float
    label_leakage: dict | None = field(default=None)  # accuracy, chance, leakage

    def scores(self) -> dict[str, float]:
        """The headline figures as a flat dict of floats (for a card, a table or JSON)."""
        out = {"mig": self.mig, "dci_disentanglement": self.disentanglement,
               "dci_completeness": self.completeness,
               "dci_informativeness": self.informativeness, "sap": self.sap}
        if self.label_leakage is not None:
            out |= {f"label_{k}" if k != "leakage" else "label_leakage": v
                    for k, v in self.label_leakage.items()}
        return {k: float(v) for k, v in out.items()}


#: What each figure of DisentanglementReport.scores measures, in words.
SCORE_MEANINGS = {
    "mig": "mutual information gap: per factor, how much more one dimension knows of it than "
           "the next, over its entropy (Chen et al. 2018)",
    "dci_disentanglement": "each dimension's importance concentrated on one factor "
                           "(Eastwood & Williams 2018)",
    "dci_completeness": "each factor captured by one dimension (Eastwood & Williams 2018)",
    "dci_informativeness": "how well the whole code predicts the factors (held-out R², "
                           "chance-corrected accuracy for the label)",
    "sap": "separated attribute predictability: per factor, the gap between the two "
           "dimensions that predict it best (Kumar et al. 2018)",
    "label_accuracy": "a probe's held-out accuracy naming the digit from the code alone",
    "label_chance": "the accuracy of always guessing the commonest digit",
    "label_leakage": "(accuracy - chance) / (1 - chance): 0 = the code holds no label",
}


def _check(codes, factor_values, factors) -> tuple[np.ndarray, np.ndarray]:
    """Codes (N, D) and factor values (N, K) as float64, refused in one line if unfit."""
    z = np.asarray(codes, dtype=np.float64)
    v = np.asarray(factor_values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if z.ndim != 2 or v.ndim != 2 or len(z) != len(v) or z.shape[1] < 1:
        raise ConfigError(f"codes must be (N, D) and factors (N, K) with the same N, got "
                          f"{z.shape} and {v.shape}")
    if v.shape[1] != len(factors):
        raise ConfigError(f"{v.shape[1]} factor columns but {len(factors)} factor names")
    if len(z) < MIN_ROWS:
        raise ConfigError(f"disentanglement needs at least {MIN_ROWS} codes, got {len(z)}")
    if not (np.isfinite(z).all() and np.isfinite(v).all()):
        raise ConfigError("codes and factors must be finite numbers (no NaN or infinity)")
    return z[:MAX_ROWS], v[:MAX_ROWS]


def score_codes(codes, factor_values, factors, *, seed: int = 0) -> DisentanglementReport:
    """MIG, DCI and SAP of codes (N, D) against factor values (N, K) named by `factors`."""
    factors = tuple(factors)
    z, v = _check(codes, factor_values, factors)
    info = normalised_mutual_info(z, v)
    importance, informative = dci_importance(z, v, factors, seed=seed)
    sap_matrix = sap_scores(z, v, factors, seed=seed)
    return DisentanglementReport(
        factors=factors, mutual_info=info, importance=importance, sap_matrix=sap_matrix,
        informativeness_per_factor=informative, mig=top_two_gap(info),
        disentanglement=dci_disentanglement(importance),
        completeness=dci_completeness(importance), informativeness=float(informative.mean()),
        sap=top_two_gap(sap_matrix))


# ------------------------------------------------------------------------------------- MIG


def _bins(column: np.ndarray) -> np.ndarray:
    """Equal-width bin index of each value: (N,) int in 0..MIG_BINS-1."""
    edges = np.histogram_bin_edges(column, bins=MIG_BINS)
    return np.digitize(column, edges[1:-1])


def normalised_mutual_info(z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """I(z_i; v_k) / H(v_k) of binned codes and factors: (D, K); a constant factor (no
    entropy) gets zeros."""
    z_bins = [_bins(c) for c in z.T]
    out = np.zeros((z.shape[1], v.shape[1]))
    for k, column in enumerate(v.T):
        v_bins = _bins(column)
        entropy = mutual_info_score(v_bins, v_bins)  # H(v) in nats
        if entropy > 0:
            out[:, k] = [mutual_info_score(v_bins, zb) / entropy for zb in z_bins]
    return out


def top_two_gap(matrix: np.ndarray) -> float:
    """Mean over columns of (largest - second largest) entry: MIG of normalised mutual
    information, SAP of predictability. A single row has no second: the gap is its value."""
    ordered = np.sort(matrix, axis=0)[::-1]
    second = ordered[1] if len(ordered) > 1 else np.zeros(matrix.shape[1])
    return float(np.mean(ordered[0] - second))


# ------------------------------------------------------------------------------------- DCI


def _halves(n: int) -> tuple[slice, slice]:
    return slice(0, n // 2), slice(n // 2, n)


def _chance_corrected(accuracy: float, train_labels, test_labels) -> float:
    """(accuracy - chance) / (1 - chance), chance = always guessing the commonest class of
    the training half; 1 when every test label is that class and the guess is right."""
    values, counts = np.unique(train_labels, return_counts=True)
    chance = float(np.mean(test_labels == values[counts.argmax()]))
    return 1.0 if chance >= 1.0 else (accuracy - chance) / (1.0 - chance)


def dci_importance(z: np.ndarray, v: np.ndarray, factors, *, seed: int = 0):
    """R (D, K): each factor's tree importances over the dimensions (columns sum to 1),
    and each factor's held-out informativeness (K,)."""
    fit, test = _halves(len(z))
    importance = np.zeros((z.shape[1], v.shape[1]))
    informative = np.zeros(v.shape[1])
    for k, factor in enumerate(factors):
        target = v[:, k]
        # scikit-learn's defaults: 100 trees of depth 3, as disentanglement_lib's DCI uses.
        if factor.categorical:
            trees = GradientBoostingClassifier(random_state=seed)
            target = target.astype(np.int64)
        else:
            trees = GradientBoostingRegressor(random_state=seed)
        trees.fit(z[fit], target[fit])
        score = trees.score(z[test], target[test])  # accuracy or R^2
        if factor.categorical:
            score = _chance_corrected(score, target[fit], target[test])
        importance[:, k] = trees.feature_importances_
        informative[k] = score
    return importance, informative


def _entropy(p: np.ndarray, base: int, axis: int) -> np.ndarray:
    """Entropy of distributions along `axis` (normalised there first), in base `base`;
    base 1 (a single outcome) has none."""
    p = p / np.maximum(p.sum(axis=axis, keepdims=True), 1e-12)
    if base < 2:
        return np.zeros(p.shape[1 - axis])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis=axis) / np.log(base)


def dci_disentanglement(importance: np.ndarray) -> float:
    """Sum over dimensions of (1 - H_K(its row)) x the row's share of all importance."""
    if importance.sum() <= 0:
        return 0.0
    per_dim = 1.0 - _entropy(importance, importance.shape[1], axis=1)
    return float((per_dim * importance.sum(1) / importance.sum()).sum())


def dci_completeness(importance: np.ndarray) -> float:
    """Sum over factors of (1 - H_D(its column)) x the column's share of all importance."""
    if importance.sum() <= 0:
        return 0.0
    per_factor = 1.0 - _entropy(importance, importance.shape[0], axis=0)
    return float((per_factor * importance.sum(0) / importance.sum()).sum())


# ------------------------------------------------------------------------------------- SAP


def sap_scores(z: np.ndarray, v: np.ndarray, factors, *, seed: int = 0) -> np.ndarray:
    """S (D, K): how well each dimension alone predicts each factor (see the module doc)."""
    fit, test = _halves(len(z))
    out = np.zeros((z.shape[1], v.shape[1]))
    for k, factor in enumerate(factors):
        for i in range(z.shape[1]):
            if factor.categorical:
                labels = v[:, k].astype(np.int64)
                tree = DecisionTreeClassifier(max_depth=4, random_state=seed)
                tree.fit(z[fit, i:i + 1], labels[fit])
                accuracy = tree.score(z[test, i:i + 1], labels[test])
                out[i, k] = _chance_corrected(accuracy, labels[fit], labels[test])
            else:
                a, b = z[test, i], v[test, k]
                spread = a.std() * b.std()
                out[i, k] = 0.0 if spread < 1e-12 else \
                    float(np.mean((a - a.mean()) * (b - b.mean())) / spread) ** 2
    return out


# --------------------------------------------------------------------------- label leakage


def label_leakage(codes, labels, *, seed: int = 0) -> dict[str, float]:
    """How well a probe names the class from the code alone: {accuracy, chance, leakage}.

    Gradient-boosted trees fitted on the first half of the rows, scored on the second.
    """
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    z, _ = _check(codes, labels[:, None].astype(np.float64), (Factor("label", True),))
    labels = labels[:len(z)]
    fit, test = _halves(len(z))
    probe = HistGradientBoostingClassifier(max_iter=100, early_stopping=False,
                                           random_state=seed)
    probe.fit(z[fit], labels[fit])
    accuracy = float(probe.score(z[test], labels[test]))
    values, counts = np.unique(labels[fit], return_counts=True)
    chance = float(np.mean(labels[test] == values[counts.argmax()]))
    leakage = 1.0 if chance >= 1.0 else (accuracy - chance) / (1.0 - chance)
    return {"accuracy": accuracy, "chance": chance, "leakage": leakage}


# ----------------------------------------------------------------------------- a model


def check_digits(data) -> None:
    """Refuse (one ConfigError line) a dataset whose factors cannot be had: its images must
    be 28x28 digits (classes 0..9), at least MIN_ROWS of them held out."""
    if data.class_names != DIGIT_NAMES or tuple(data.image_shape) != (28, 28):
        raise ConfigError(f"disentanglement is scored against the shape of handwritten "
                          f"digits, and {data.name} holds no digits (its classes are not "
                          f"0..9); use mnist, mnist-10k, synthetic-digits or a folder of "
                          f"digits")
    if len(data.test_y) < MIN_ROWS:
        raise ConfigError(f"disentanglement needs at least {MIN_ROWS} held-out digits; "
                          f"{data.name} has {len(data.test_y)}")


def digit_factors(data, *, limit: int = MAX_ROWS, setting=None, cache_dir=None,
                  workers: int | None = None):
    """The factors of a dataset's first `limit` held-out digits: (values (M, K) float64,
    factors).

    The digit (categorical) first; then the true factors for a dataset drawn under known
    ones (synthetic-digits), else the six Morpho-MNIST measures (`setting`: default
    morphometry.REFERENCE), measured once and cached.
    """
    check_digits(data)
    limit = min(limit, MAX_ROWS)
    test_x = data.test_x[:limit].detach().cpu()
    label = data.test_y[:limit].detach().cpu().numpy().astype(np.float64)[:, None]
    if data.has_factors:
        truth = data.test_factors[:limit].detach().cpu().numpy().astype(np.float64)
        kinds = tuple(Factor(name, categorical=(name == "variant")) for name in
                      data.factor_names)
        return np.hstack([label, truth]), (Factor("label", True), *kinds)
    measured = cached_measures(test_x.numpy(), setting or REFERENCE, cache_dir=cache_dir,
                               workers=workers)
    return np.hstack([label, measured]), (Factor("label", True),
                                          *(Factor(m) for m in MEASURES))


def score_model(model, data, *, seed: int = 0, limit: int = MAX_ROWS, setting=None,
                cache_dir=None, workers: int | None = None,
                measured=None) -> DisentanglementReport:
    """Every score of a model's codes of `data`'s first `limit` held-out digits against
    their factors (digit_factors, measured with `setting`), and the label leakage of those
    codes. A digit whose shape cannot be measured (a blank image) is left out. `measured`:
    digit_factors(data, ...)'s (values, factors), when several models are scored against
    the same digits (looked up once instead of once per model)."""
    values, factors = measured if measured is not None else digit_factors(
        data, limit=limit, setting=setting, cache_dir=cache_dir, workers=workers)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        codes = batched(model.encode, data.test_x[:len(values)]).detach().cpu().double().numpy()
    if was_training:
        model.train()
    measured = np.isfinite(values).all(axis=1)
    codes, values = codes[measured], values[measured]
    report = score_codes(codes, values, factors, seed=seed)
    leakage = label_leakage(codes, values[:, 0], seed=seed)
    return dataclasses.replace(report, label_leakage=leakage)
