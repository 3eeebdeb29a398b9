"""One evaluation protocol for every model, on held-out data only.

Protocol (written down so numbers are comparable):
- reconstruction: BCE per image and MSE per pixel of test images through encode/decode;
- prior match: MMD (IMQ kernel) and sliced Wasserstein between up to 2,000 held-out
  codes and as many prior samples (seed 0); holes = share of 10,000 prior samples with no
  held-out code within metrics.default_hole_radius (see there); mixture priors also get
  per-component occupancy;
- knn_accuracy: 5-NN label vote of each held-out code among the training codes;
- classifier models: test error of argmax q(y|x); clustering models: error after giving
  each cluster the majority label of its training points (metrics.clustering_error).
"""

from __future__ import annotations

import torch

from aae_core.analysis import metrics
from aae_core.data import Dataset
from aae_core.errors import ConfigError
from aae_core.inference import batched
from aae_core.models import LABEL_CLASS, LatentModel
from aae_core.priors import MixturePrior

EVAL_TRAIN_CODES = 10_000  # training codes used as the kNN reference
#: What each figure of `evaluate` measures, in words: a model card carries it beside the
#: figures (lower is better except the accuracies).
METRIC_MEANINGS = {
    "recon_bce": "reconstruction BCE per held-out image (nats)",
    "recon_mse": "reconstruction squared error per pixel of held-out images",
    "prior_mmd": "MMD (IMQ kernel) between up to 2,000 held-out codes and as many prior samples",
    "sliced_wasserstein": "sliced Wasserstein-1 between held-out codes and prior samples",
    "holes": "share of 10,000 prior samples with no held-out code within 0.1 x the prior's "
             "RMS radius (gaps the codes leave in the prior)",
    "knn_accuracy": "5-NN label vote of each held-out code among the training codes "
                    "(how well the codes keep the classes apart)",
    "classification_error": "held-out error of argmax q(y|x)",
    "clustering_error": "held-out error after naming each cluster by the majority label of "
                        "its training images",
}
#: The smallest data set this protocol measures: the 5-NN vote needs 5 training codes and
#: MMD two held-out ones; below 10 of each the figures would mean nothing anyway.
MIN_TRAIN_IMAGES, MIN_HELD_OUT_IMAGES = 10, 10


def check_measurable(data: Dataset) -> None:
    """Refuse (one ConfigError line) a data set too small to train on and measure."""
    n_train, n_test = len(data.train_y), len(data.test_y)
    if n_train < MIN_TRAIN_IMAGES or n_test < MIN_HELD_OUT_IMAGES:
        raise ConfigError(f"the data set {data.name} has {n_train} training and {n_test} "
                          f"held-out images; at least {MIN_TRAIN_IMAGES} of each are needed to "
                          f"train and measure a model")


@torch.no_grad()
def prior_match(codes: torch.Tensor, prior, *, seed: int = 0) -> dict[str, float]:
    """MMD, sliced Wasserstein and holes between codes (N, d) and the prior."""
    gen = torch.Generator(device=codes.device).manual_seed(seed)
    codes = codes.float()
    prior_samples = prior.sample(10_000, generator=gen)
    cpu_gen = torch.Generator().manual_seed(seed)
    var = float(prior_samples.var(dim=0).mean())
    out = {
        "prior_mmd": metrics.prior_mmd(codes, prior_samples, prior_var=var, generator=cpu_gen),
        "sliced_wasserstein": metrics.sliced_wasserstein(codes, prior_samples,
                                                         generator=cpu_gen),
        "holes": metrics.holes(codes, prior_samples,
                               radius=metrics.default_hole_radius(prior_samples)),
    }
    if isinstance(prior, MixturePrior):
        occ = metrics.component_occupancy(codes, prior.means.to(codes.device))
        out["occupancy"] = [round(float(v), 4) for v in occ]
        out["occupancy_min"] = float(occ.min())
    return out


@torch.no_grad()
def held_out_knn(model: LatentModel, data: Dataset, test_codes) -> float:
    """knn_accuracy's protocol: each held-out code (N_test, d) votes among the codes of the
    first EVAL_TRAIN_CODES training images, 5 nearest (how well codes keep classes apart)."""
    train_codes = batched(model.encode, data.train_x[:EVAL_TRAIN_CODES], device=model.device)
    return metrics.knn_accuracy(train_codes, data.train_y[:EVAL_TRAIN_CODES], test_codes,
                                data.test_y, k=5)


@torch.no_grad()
def evaluate(model: LatentModel, data: Dataset, *, seed: int = 0) -> dict:
    """All metrics that apply to this model, as a flat dict of floats (plus lists)."""
    was_training = model.training
    model.eval()
    test_x, test_y = data.test_x, data.test_y
    test_codes = batched(model.encode, test_x)
    recon = batched(model.reconstruct, test_x, test_y)  # labels: decoders of [z, y]
    out = {f"recon_{k}": v for k, v in metrics.reconstruction_error(test_x, recon).items()}
    out |= prior_match(test_codes, model.prior, seed=seed)
    train_x, train_y = data.train_x[:EVAL_TRAIN_CODES], data.train_y[:EVAL_TRAIN_CODES]
    out["knn_accuracy"] = held_out_knn(model, data, test_codes)
    if model.has_classifier:
        pred = batched(model.classify, test_x).argmax(1)
        if model.label_meaning == LABEL_CLASS:  # trained to name classes, not clusters
            out["classification_error"] = metrics.classification_error(pred, test_y)
        train_pred = batched(model.classify, train_x).argmax(1)
        clus = metrics.clustering_error(train_pred, train_y, pred, test_y,
                                        model.config.n_classes, rule="majority")
        out["clustering_error"] = clus["error"]
        out["empty_clusters"] = clus["empty_clusters"]
    if was_training:
        model.train()
    return {k: (float(v) if isinstance(v, (int, float)) else v) for k, v in out.items()}
