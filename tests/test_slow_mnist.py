"""Real data, real training: a 2-D AAE on MNIST separates digits and fills its prior.

Trains the app's default networks (hidden 256-256, gaussian prior, 2-D codes) on the
8,000 training images of mnist-10k and measures the 2,000 held-out ones (evaluate.py's
protocol). Run with `pytest -m slow -s` to see the numbers.
"""

from __future__ import annotations

import time

import pytest

from aae_core.analysis.evaluate import evaluate, prior_match
from aae_core.config import APP_HIDDEN, ModelConfig, TrainConfig
from aae_core.data import load_dataset
from aae_core.inference import batched
from aae_core.priors import PriorSpec
from aae_core.settings import run_defaults
from aae_core.training.train import RunState, make_trainer
from tests.conftest import requires_mnist_10k

# What a user gets from `python -m aae_core train` with no flags beyond the data (the 2-D
# AAE's preferred settings: 24 epochs of batches of 50, lr = lr_adv = 1e-3, the generator
# phase weighed against the reconstruction with weight 1).
DEFAULTS = run_defaults("aae", 2)
MODEL = ModelConfig(model="aae", prior=PriorSpec(name="gaussian", dim=2), hidden=APP_HIDDEN,
                    disc_hidden=APP_HIDDEN, lr=DEFAULTS["lr"], lr_adv=DEFAULTS["lr_adv"],
                    generator_weight=DEFAULTS["generator_weight"])
TRAIN = TrainConfig(dataset="mnist-10k", epochs=DEFAULTS["epochs"],
                    batch_size=DEFAULTS["batch_size"], seed=0, device="cpu")

# Seed 0 gives 5-NN 0.784, holes 12.4 %, MMD 0.069 (a VAE with this budget: 0.769, 12.0 %,
# 0.095; RESULTS.md, "The shipped 2-D models", its mnist-10k part; the target of 0.85 is not
# reached by any setting we tried). The bounds leave room for a platform's different float rounding.
KNN_MIN = 0.75
HOLES_MAX = 0.15  # share of prior samples with no held-out code nearby
MMD_RATIO_MAX = 0.25  # prior MMD of the trained codes / that of an untrained encoder's


@pytest.mark.slow
@requires_mnist_10k
def test_a_2d_aae_on_mnist_separates_digits_and_fills_the_prior():
    data = load_dataset("mnist-10k", download=False)
    trainer = make_trainer(MODEL, TRAIN, dataset=data)
    untrained = prior_match(batched(trainer.model.encode, data.test_x), trainer.model.prior)

    t0 = time.perf_counter()
    progress = trainer.run()
    train_s = time.perf_counter() - t0
    metrics = evaluate(trainer.model, data)

    ratio = metrics["prior_mmd"] / untrained["prior_mmd"]
    summary = (
        f"{data.split}; {progress.epoch} epochs in {train_s:.0f} s: held-out 5-NN accuracy "
        f"{metrics['knn_accuracy']:.3f}, prior MMD {metrics['prior_mmd']:.4f} vs untrained "
        f"{untrained['prior_mmd']:.4f} (ratio {ratio:.3f}), sliced W1 "
        f"{metrics['sliced_wasserstein']:.3f} vs {untrained['sliced_wasserstein']:.3f}, "
        f"holes {metrics['holes']:.3f} vs {untrained['holes']:.3f}, "
        f"BCE {metrics['recon_bce']:.1f}"
    )
    print("\n" + summary)
    assert progress.state == RunState.FINISHED, summary
    assert metrics["knn_accuracy"] >= KNN_MIN, summary
    assert ratio < MMD_RATIO_MAX, summary
    assert metrics["holes"] <= HOLES_MAX, summary
