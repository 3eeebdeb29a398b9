"""Semi-supervised classification and unsupervised clustering reports (paper §5, §6, §7).

Pure functions over class probabilities q(y|x): tensors or arrays in, dicts and numpy out.
Protocols are stated where numbers are produced, so they can be reproduced:
- classification: test error of argmax q(y|x) over every held-out image;
- clustering: each cluster gets a label from the *training* images, then the held-out
  error is counted (metrics.clustering_error). Two rules, both reported:
  "most-confident" (the paper's: the label of the training image with the highest
  q(y=k|x) for cluster k) and "majority" (the most frequent training label in the cluster;
  what the model card stores).
"""

from __future__ import annotations

import numpy as np

from aae_core.analysis import metrics
from aae_core.errors import ConfigError

#: The paper's MNIST results (§5 with its Table 2, and §6): test error in %, and
#: what each was trained on. Our own runs beside them: RESULTS.md.
PAPER_RESULTS = {
    "semi-supervised": (
        {"setting": "100 labels", "test error (%)": "1.90 ± 0.10",
         "data": "MNIST: 60,000 training images (100 labelled), 10,000 test images"},
        {"setting": "1000 labels", "test error (%)": "1.60 ± 0.08",
         "data": "MNIST: 60,000 training images (1000 labelled), 10,000 test images "
                 "(the paper's Table 2)"},
        {"setting": "all labels", "test error (%)": "0.85 ± 0.02",
         "data": "MNIST: 60,000 labelled training images, 10,000 test images"},
    ),
    "clustering": (
        {"setting": "16 clusters", "test error (%)": "9.55 ± 2.05",
         "data": "MNIST: 60,000 unlabelled training images, 10,000 test images; "
                 "most-confident rule"},
        {"setting": "30 clusters", "test error (%)": "4.10 ± 1.13",
         "data": "MNIST: 60,000 unlabelled training images, 10,000 test images; "
                 "most-confident rule"},
    ),
}


def classification_report(test_probs, test_labels) -> dict:
    """Test error of argmax q(y|x) and the confusion matrix (rows true, columns predicted)."""
    probs = np.asarray(test_probs)
    pred = probs.argmax(1)
    k = probs.shape[1]
    return {"error": metrics.classification_error(pred, test_labels),
            "confusion": metrics.confusion_matrix(pred, test_labels, k),
            "n_test": int(len(pred))}


def clustering_report(train_probs, train_labels, test_probs, test_labels) -> dict:
    """Clustering error under both labelling rules, plus each cluster's size.

    Returns {"most-confident": clustering_error(...), "majority": clustering_error(...),
    "sizes": held-out images per cluster (K,), "n_train": N, "n_test": T}.
    """
    tr, te = np.asarray(train_probs), np.asarray(test_probs)
    k = tr.shape[1]
    tr_assign, te_assign = tr.argmax(1), te.argmax(1)
    out = {rule: metrics.clustering_error(tr_assign, train_labels, te_assign, test_labels, k,
                                          train_confidence=tr if rule == "most-confident"
                                          else None, rule=rule)
           for rule in ("most-confident", "majority")}
    out["sizes"] = np.bincount(te_assign, minlength=k)
    out["n_train"], out["n_test"] = int(len(tr)), int(len(te))
    return out


def cluster_exemplars(test_probs, per_cluster: int) -> list[np.ndarray]:
    """For each cluster k, the indices of up to `per_cluster` held-out images assigned to k
    (argmax), most confident first (ties: lower index first). A list of K int arrays."""
    probs = np.asarray(test_probs)
    if probs.ndim != 2 or per_cluster < 1:
        raise ConfigError("cluster_exemplars needs (N, K) probabilities and per_cluster >= 1")
    assign, conf = probs.argmax(1), probs.max(1)
    out = []
    for k in range(probs.shape[1]):
        members = np.flatnonzero(assign == k)
        order = np.lexsort((members, -conf[members]))  # confidence down, then index up
        out.append(members[order][:per_cluster])
    return out


def paper_error(kind: str, setting: str) -> str:
    """The paper's test error for one setting of PAPER_RESULTS[kind] ("100 labels",
    "30 clusters", ...), as "MNIST: 1.90 ± 0.10 %" (the data it was measured on first)."""
    rows = {r["setting"]: r for r in PAPER_RESULTS.get(kind, ())}
    if setting not in rows:
        raise ConfigError(f"the paper reports no {kind!r} result for {setting!r}; choose one of "
                          f"{', '.join(rows) or 'none'}")
    return f"MNIST: {rows[setting]['test error (%)']} %"


def results_table(kind: str, ours: list[dict]) -> list[dict]:
    """The paper's rows for `kind` ("semi-supervised" or "clustering") followed by ours;
    each row {"source", "setting", "test error (%)", "data"}."""
    if kind not in PAPER_RESULTS:
        raise ConfigError(f"unknown results kind {kind!r}; choose {', '.join(PAPER_RESULTS)}")
    rows = [{"source": "paper (Makhzani et al. 2015)", **r} for r in PAPER_RESULTS[kind]]
    return rows + [{"source": "this app", **r} for r in ours]
