"""Evaluation metrics as pure functions: tensors or arrays in, Python floats, dicts or numpy out.

Each docstring states its protocol exactly, so that a number can be reproduced. Shapes:
codes and prior samples are (n, d); images are (B, D) in [0, 1]; labels are (n,) integers.
Random choices (subsets, projections) come from `generator`; pass a seeded
`torch.Generator` for repeatable numbers (None uses torch's global RNG).

Pairwise distances are computed in blocks of at most `MAX_BLOCK_ELEMENTS` entries, so
10,000 x 10,000 comparisons never hold the full matrix: peak memory stays in the tens of MB.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from aae_core.errors import ConfigError
from aae_core.losses import bce_per_image, mmd_imq

#: Most entries in one distance block: 2**22 float32 values = 16 MiB. A block plus the few
#: temporaries around it (cdist, topk, logsumexp) stays well under 100 MB for any input size.
MAX_BLOCK_ELEMENTS = 2**22

#: Default hole radius, as a fraction of the prior's RMS distance to its mean.
HOLE_RADIUS_FRACTION = 0.1

#: Parzen bandwidths tried by default: 10 values from 0.1 to 1 on a log grid (GAN paper's code).
PARZEN_SIGMAS = tuple(float(s) for s in np.logspace(-1, 0, 10))


# ---------------------------------------------------------------- input checks and blocks


def _points(x, name: str) -> torch.Tensor:
    """A detached, floating (n, d) tensor with n >= 1; numpy arrays are accepted."""
    t = torch.as_tensor(x).detach()
    if t.ndim != 2 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (n, d) array, got shape {tuple(t.shape)}")
    return t if t.is_floating_point() else t.float()


def _same_space(x, y, x_name: str, y_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Two point sets of one dimension d, cast to one dtype (cdist needs it)."""
    a, b = _points(x, x_name), _points(y, y_name)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{x_name} has d={a.shape[1]} but {y_name} has d={b.shape[1]}")
    dtype = torch.promote_types(a.dtype, b.dtype)
    return a.to(dtype), b.to(dtype)


def _labels(x, name: str, n: int | None = None) -> np.ndarray:
    """A 1-D int64 numpy array of non-negative labels, of length n when n is given."""
    a = torch.as_tensor(x).detach().cpu().numpy()
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = f"({n},)" if n is not None else "(n,)"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0):
        raise ValueError(f"{name} must hold non-negative integers")
    return a.astype(np.int64)


def _assignments(x, n_clusters: int, name: str, n: int | None = None) -> np.ndarray:
    """Cluster indices in [0, n_clusters) as a 1-D int64 array."""
    a = _labels(x, name, n)
    if a.size and a.max() >= n_clusters:
        raise ValueError(f"{name} holds cluster {a.max()} but n_clusters={n_clusters}")
    return a


def _rows_per_block(n_cols: int) -> int:
    """How many query rows fit one block against n_cols reference points."""
    return max(1, MAX_BLOCK_ELEMENTS // max(1, n_cols))


def _nearest(queries: torch.Tensor, refs: torch.Tensor, k: int = 1):
    """The k nearest refs of each query, Euclidean: (Q, d), (R, d) -> dists (Q, k), idx (Q, k).

    Blocked over queries: one (rows, R) distance block at a time.
    """
    step = _rows_per_block(refs.shape[0])
    dists, idx = [], []
    for start in range(0, queries.shape[0], step):
        block = torch.cdist(queries[start : start + step], refs)  # (rows, R)
        d, i = block.topk(k, dim=1, largest=False)  # sorted, nearest first
        dists.append(d)
        idx.append(i)
    return torch.cat(dists), torch.cat(idx)


# ---------------------------------------------------------------- reconstruction


def reconstruction_error(x: torch.Tensor, x_hat: torch.Tensor) -> dict[str, float]:
    """How well x_hat (decoder output, in [0, 1]) reproduces x (in [0, 1]); same shape (B, ...).

    Returns {"bce": binary cross-entropy summed over pixels then averaged over images (nats
    per image, the training loss), "mse": squared error averaged over every pixel}.
    """
    x, x_hat = torch.as_tensor(x).detach(), torch.as_tensor(x_hat).detach()
    if x.shape != x_hat.shape or x.numel() == 0:
        raise ValueError(f"x {tuple(x.shape)} and x_hat {tuple(x_hat.shape)} must match")
    x, x_hat = x.float(), x_hat.float()
    return {
        "bce": bce_per_image(x_hat, x).item(),
        "mse": (x_hat - x).pow(2).mean().item(),
    }


# ---------------------------------------------------------------- prior match


def _subsample(x: torch.Tensor, max_points: int, generator) -> torch.Tensor:
    """max_points rows drawn without replacement, or all of x when it is small enough."""
    if x.shape[0] <= max_points:
        return x
    keep = torch.randperm(x.shape[0], generator=generator)[:max_points]
    return x[keep.to(x.device)]


def prior_mmd(
    codes,
    prior_samples,
    *,
    prior_var: float | None = 1.0,
    max_points: int = 2000,
    generator: torch.Generator | None = None,
) -> float:
    """Unbiased MMD^2 between codes (n, d) and prior samples (m, d), IMQ kernel (WAE paper).

    Protocol: draw min(n, max_points) codes and then min(m, max_points) prior samples without
    replacement (in that order, from `generator`), and return `losses.mmd_imq` on them with
    C = 2 * d * prior_var summed over `losses.IMQ_SCALES`. prior_var=None uses the mean
    per-dimension variance of prior_samples. About 0 when the codes match the prior; it can
    be slightly negative. Memory grows as max_points^2 (about 100 MB at 2000).
    """
    a, b = _same_space(codes, prior_samples, "codes", "prior_samples")
    if max_points < 2:
        raise ConfigError(f"max_points must be at least 2, got {max_points}")
    if prior_var is None:
        prior_var = b.var(dim=0).mean().item()
    if not prior_var > 0:
        raise ConfigError(f"prior_var must be positive, got {prior_var}")
    a = _subsample(a, max_points, generator)
    b = _subsample(b, max_points, generator)
    return mmd_imq(a, b, prior_var=prior_var).item()


def _w1_sorted(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact W1 between the empirical laws of each column: a (n, P), b (m, P) sorted -> (P,).

    W1 = integral over u in (0, 1) of |F_a^-1(u) - F_b^-1(u)|. Both quantile functions are
    steps that change only at u = i/n or j/m, so the integral is a sum over the merged cuts.
    """
    n, m = a.shape[0], b.shape[0]
    cuts = torch.cat([torch.arange(1, n + 1) / n, torch.arange(1, m + 1) / m])
    cuts = cuts.double().sort().values  # (n + m,) right ends of the pieces
    widths = torch.diff(cuts, prepend=cuts.new_zeros(1))  # (n + m,), zero where cuts repeat
    mids = cuts - widths / 2
    ia = (mids * n).long().clamp(max=n - 1).to(a.device)  # step of F_a^-1 on each piece
    ib = (mids * m).long().clamp(max=m - 1).to(b.device)
    gaps = a[ia]  # (n + m, P); in place below so that one block lives at a time
    gaps.sub_(b[ib]).abs_()
    return widths.to(gaps) @ gaps


def sliced_wasserstein(
    codes,
    prior_samples,
    *,
    n_projections: int = 256,
    generator: torch.Generator | None = None,
) -> float:
    """Sliced Wasserstein-1 distance between codes (n, d) and prior samples (m, d).

    Protocol: draw n_projections directions uniformly on the unit sphere (normalised
    standard normal vectors, from `generator`), project both sets on each, take the exact
    W1 between the two 1-D empirical distributions (all points used; unequal n and m are
    handled by integrating the difference of the quantile functions), and average over the
    directions. Same units as the codes; 0 for identical samples. Example: N(0, I) vs
    N(mu, I) tends to E|<u, mu>| over unit u, which is 2|mu|/pi in 2-D.
    """
    a, b = _same_space(codes, prior_samples, "codes", "prior_samples")
    if n_projections < 1:
        raise ConfigError(f"n_projections must be at least 1, got {n_projections}")
    dirs = torch.randn(a.shape[1], n_projections, generator=generator, dtype=torch.float64)
    dirs = (dirs / dirs.norm(dim=0, keepdim=True)).to(a.dtype).to(a.device)  # (d, P) unit
    step = _rows_per_block(a.shape[0] + b.shape[0])  # projections per block
    total = 0.0
    for start in range(0, n_projections, step):
        block = dirs[:, start : start + step]
        pa = (a @ block).sort(dim=0).values  # (n, p)
        pb = (b @ block).sort(dim=0).values  # (m, p)
        total += _w1_sorted(pa, pb).sum().item()
    return total / n_projections


# ---------------------------------------------------------------- coverage


def default_hole_radius(prior_samples, *, fraction: float = HOLE_RADIUS_FRACTION) -> float:
    """Default radius for `holes`: fraction (0.1) of the prior's RMS distance to its mean.

    Rule: r = fraction * sqrt(sum over dims of the per-dim variance), i.e.
    0.1 * s * sqrt(d) for N(0, s^2 I); 0.141 for the 2-D standard normal. It scales with the
    prior, not with the number of points. Meant for the 2-D latents the app shows: in 8-D a
    radius this small leaves nearly every prior sample without a code nearby.
    """
    b = _points(prior_samples, "prior_samples")
    if b.shape[0] < 2:
        raise ValueError("default_hole_radius needs at least two prior samples")
    if not fraction > 0:
        raise ConfigError(f"fraction must be positive, got {fraction}")
    return fraction * b.double().var(dim=0).sum().sqrt().item()


def holes(codes, prior_samples, *, radius: float) -> float:
    """Share of prior samples with no code within `radius` (Euclidean, distance <= radius).

    The "gaps": prior mass that the codes leave uncovered (the VAE's empty space between
    modes; docs/ARCHITECTURE.md, "The models"). Protocol: for each prior sample (m, d)
    find its nearest code (n, d), count those farther than radius, divide by m. 0 = every
    part of the prior is reached. Finite samples leave a floor: 10,000 codes drawn from the
    2-D standard normal prior itself score about 0.01 against 10,000 prior samples at the
    default radius (the far tails are sparse), so compare models at equal n, m and radius.
    """
    a, b = _same_space(codes, prior_samples, "codes", "prior_samples")
    if not radius > 0:
        raise ConfigError(f"radius must be positive, got {radius}")
    nearest, _ = _nearest(b, a, k=1)  # (m, 1) distance to the closest code
    return (nearest[:, 0] > radius).double().mean().item()


def component_occupancy(codes, means) -> np.ndarray:
    """Share of codes (n, d) whose nearest mixture mean (K, d) is component k: (K,), sums to 1.

    Nearest in Euclidean distance, not by the component's responsibility; for the paper's
    tangentially elongated mixture the two differ only near the borders. A perfect match of
    an equal-weight mixture gives 1/K everywhere; a 0 is a component the codes never reach.
    """
    a, mu = _same_space(codes, means, "codes", "means")
    _, idx = _nearest(a, mu, k=1)  # (n, 1)
    counts = np.bincount(idx[:, 0].cpu().numpy(), minlength=mu.shape[0])
    return counts / a.shape[0]


# ---------------------------------------------------------------- labels


def knn_predict(train_codes, train_labels, test_codes, *, k: int = 5) -> np.ndarray:
    """Label of each test code (T, d) by vote of its k nearest training codes (N, d): (T,).

    Ties: among the labels with the most votes, the one whose voters have the smallest
    summed distance wins; if that is tied too, the lowest label.
    """
    train, test = _same_space(train_codes, test_codes, "train_codes", "test_codes")
    labels = torch.as_tensor(_labels(train_labels, "train_labels", train.shape[0]))
    if not 1 <= k <= train.shape[0]:
        raise ConfigError(f"k must be in [1, {train.shape[0]}], got {k}")
    dist, idx = _nearest(test, train, k)  # (T, k) each
    votes = labels[idx.cpu()]  # (T, k)
    n_classes = int(labels.max()) + 1
    counts = torch.zeros(votes.shape[0], n_classes).scatter_add_(1, votes, torch.ones(votes.shape))
    sums = torch.zeros(counts.shape, dtype=torch.float64)
    sums.scatter_add_(1, votes, dist.cpu().double())  # (T, C) summed distance per label
    leaders = counts == counts.max(dim=1, keepdim=True).values
    # argmin returns the first minimum, so exact ties go to the lowest label.
    return sums.masked_fill(~leaders, math.inf).argmin(dim=1).numpy()


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, *, k: int = 5) -> float:
    """Accuracy in [0, 1] of `knn_predict` (k-NN vote, Euclidean, ties as there) on the test set.

    How well the codes separate the classes without any training: 1.0 for separable
    clusters, chance (about 1 / n_classes) when codes carry no label information.
    """
    pred = knn_predict(train_codes, train_labels, test_codes, k=k)
    return 1.0 - classification_error(pred, test_labels)


def classification_error(pred_labels, true_labels) -> float:
    """Fraction of positions where pred_labels != true_labels, in [0, 1]; both (n,), n >= 1.

    pred_labels may hold -1 ("no label", e.g. an empty cluster): it always counts as wrong.
    """
    pred = torch.as_tensor(pred_labels).detach().cpu().numpy()
    true = _labels(true_labels, "true_labels")
    if pred.shape != true.shape or true.size == 0:
        raise ValueError(f"pred {pred.shape} and true {true.shape} must be equal, non-empty")
    return float(np.mean(pred != true))


def confusion_matrix(pred, true, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes), int64: entry [t, p] = number with true t predicted p.

    Rows are true labels, columns predictions; labels must lie in [0, n_classes).
    """
    true_a = _assignments(true, n_classes, "true")
    pred_a = _assignments(pred, n_classes, "pred", true_a.shape[0])
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (true_a, pred_a), 1)
    return matrix


# ---------------------------------------------------------------- clustering


def _majority_map(assign, labels, n_clusters, confidence) -> np.ndarray:
    # counts[c, y] = training points of label y in cluster c; ties go to the lowest label.
    counts = np.zeros((n_clusters, labels.max() + 1), dtype=np.int64)
    np.add.at(counts, (assign, labels), 1)
    mapping = counts.argmax(axis=1)
    mapping[counts.sum(axis=1) == 0] = -1
    return mapping


def _most_confident_map(assign, labels, n_clusters, confidence) -> np.ndarray:
    if confidence is None:
        raise ConfigError("rule 'most-confident' needs train_confidence")
    conf = torch.as_tensor(confidence).detach().cpu().double().numpy()
    n = assign.shape[0]
    if conf.shape == (n,):  # one confidence per point: candidates are the cluster's members
        score = np.full((n, n_clusters), -np.inf)
        score[np.arange(n), assign] = conf
    elif conf.shape == (n, n_clusters):  # q(y = k | x_n) for every point: the paper's rule
        score = conf
    else:
        raise ValueError(
            f"train_confidence must be ({n},) or ({n}, {n_clusters}), got {conf.shape}"
        )
    best = score.argmax(axis=0)  # (K,) most confident point per cluster, first on ties
    mapping = labels[best]
    mapping[np.isneginf(score.max(axis=0))] = -1
    return mapping


_MAPPING_RULES = {"majority": _majority_map, "most-confident": _most_confident_map}


def cluster_label_map(
    train_assign, train_labels, n_clusters: int, *, train_confidence=None, rule: str = "majority"
) -> np.ndarray:
    """The label each cluster stands for: (n_clusters,) int64, -1 for a cluster left unlabelled.

    train_assign (N,) cluster of each training point, train_labels (N,) its true label.
    rule "majority": the most frequent label among the cluster's training points (ties: the
    lowest label). rule "most-confident" (paper Section 6): the label of one training point,
    chosen by train_confidence, either (N,) = how sure the model is of each point's own
    cluster (e.g. max_k q(y=k|x)), and the cluster's most confident member is taken; or
    (N, K) = q(y=k|x_n), and for each cluster k the point maximising q(y=k|x_n) over all N
    points is taken, exactly as in the paper (which used a validation set: pass it as
    "train"). A cluster with no candidate point (empty, majority or (N,) rule) gets -1.
    """
    if rule not in _MAPPING_RULES:
        raise ConfigError(f"unknown rule {rule!r}; choose one of {sorted(_MAPPING_RULES)}")
    assign = _assignments(train_assign, n_clusters, "train_assign")
    labels = _labels(train_labels, "train_labels", assign.shape[0])
    if assign.size == 0:
        raise ValueError("cluster_label_map needs at least one training point")
    return _MAPPING_RULES[rule](assign, labels, n_clusters, train_confidence)


def clustering_error(
    train_assign,
    train_labels,
    test_assign,
    test_labels,
    n_clusters: int,
    *,
    train_confidence=None,
    rule: str = "majority",
) -> dict:
    """Test error of unsupervised clusters once each is named by `cluster_label_map`.

    Protocol (paper Section 6): label the clusters from the training assignments (rule as
    in cluster_label_map), predict mapping[test_assign] for every test point, and count
    mismatches; a test point in a cluster labelled -1 is an error. Returns {"error": float
    in [0, 1], "mapping": list[int] per cluster, "rule": str, "empty_clusters": number of
    clusters with no training point}.
    """
    mapping = cluster_label_map(
        train_assign, train_labels, n_clusters, train_confidence=train_confidence, rule=rule
    )
    test_a = _assignments(test_assign, n_clusters, "test_assign")
    train_a = _assignments(train_assign, n_clusters, "train_assign")
    return {
        "error": classification_error(mapping[test_a], test_labels),
        "mapping": mapping.tolist(),
        "rule": rule,
        "empty_clusters": int(np.sum(np.bincount(train_a, minlength=n_clusters) == 0)),
    }


# ---------------------------------------------------------------- Parzen window


def _parzen_log_probs(samples, test_x, sigmas, batch_size: int) -> torch.Tensor:
    """log p_sigma(x_j) for every test point and bandwidth: (T, S) float64.

    p_sigma(x) = mean_i N(x; s_i, sigma^2 I). Blocked over test points (batch_size rows)
    and over samples; each block's log-sum-exp is merged with logaddexp, so nothing
    overflows and one distance block serves every sigma.
    """
    s, x = _same_space(samples, test_x, "samples", "test_x")
    sig = torch.as_tensor(sigmas, dtype=torch.float64)
    if sig.ndim != 1 or sig.numel() == 0 or not bool((sig > 0).all()):
        raise ConfigError(f"sigmas must be positive, got {sigmas}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    n, dim = s.shape
    log_norm = math.log(n) + 0.5 * dim * torch.log(2 * math.pi * sig**2)  # (S,)
    scale = (-0.5 / sig**2).tolist()
    step = _rows_per_block(batch_size)  # samples per block
    out = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start : start + batch_size]  # (b, D)
        acc = torch.full((xb.shape[0], sig.numel()), -math.inf, dtype=torch.float64)
        for s_start in range(0, n, step):
            sq = torch.cdist(xb, s[s_start : s_start + step]).pow_(2).cpu()  # (b, step)
            for j, c in enumerate(scale):
                acc[:, j] = torch.logaddexp(acc[:, j], torch.logsumexp(sq * c, dim=1).double())
        out.append(acc - log_norm)
    return torch.cat(out)


def _mean_and_std_err(values: torch.Tensor) -> dict[str, float]:
    # Standard error of the mean: sample std (n - 1) / sqrt(n); 0 for a single point.
    n = values.numel()
    std_err = values.std().item() / math.sqrt(n) if n > 1 else 0.0
    return {"mean": values.mean().item(), "std_err": std_err}


def parzen_log_likelihood(samples, test_x, *, sigma: float, batch_size: int = 1000) -> dict:
    """Mean log-likelihood of test_x (T, D) under a Gaussian Parzen window on samples (N, D).

    Protocol (Breuleux et al. 2011; GAN and AAE papers, 10,000 model samples): the density
    is p(x) = (1/N) sum_i N(x; s_i, sigma^2 I), with sigma chosen beforehand on validation
    data (`select_parzen_sigma`). Returns {"mean": mean over test points of log p(x) in nats,
    "std_err": sample std of the per-point values / sqrt(T)}. A density, so it can exceed 0
    (the AAE paper reports 340 on MNIST). batch_size: test points per block.
    """
    log_p = _parzen_log_probs(samples, test_x, [sigma], batch_size)[:, 0]  # (T,)
    return _mean_and_std_err(log_p)


def select_parzen_sigma(
    samples, valid_x, sigmas=PARZEN_SIGMAS, *, batch_size: int = 1000
) -> tuple[float, dict[float, float]]:
    """The bandwidth maximising the mean validation log-likelihood of `parzen_log_likelihood`.

    Protocol (Breuleux et al. 2011 / GAN paper): fit the window on the model samples, score
    the validation set for each sigma in `sigmas` (default: 10 values on a log grid from 0.1
    to 1), keep the best (first one on ties). Returns (best sigma, {sigma: mean log p}).
    Then report parzen_log_likelihood on the test set with that sigma.
    """
    table_t = _parzen_log_probs(samples, valid_x, sigmas, batch_size).mean(dim=0)  # (S,)
    table = {float(s): v for s, v in zip(sigmas, table_t.tolist(), strict=True)}
    best = float(sigmas[int(table_t.argmax())])
    return best, table
