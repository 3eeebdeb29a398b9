"""The shipped 2-D comparison models, measured the way a user measures them:
`python -m aae_core eval <checkpoint> --json` on the 10,000 held-out digits of the full
MNIST (its official t10k test images; training used the 60,000 train images, and the 5-NN
vote uses the codes of the first 10,000 of them: aae_core/analysis/evaluate.py).

- every model on the comparison page had the same budget: data, epochs, batch size, and
  the same prior (the gaussian one at std 10: RESULTS.md, "The prior's scale");
- on the mixture prior the AAE packs its prior closer than the VAE of the same budget
  (MMD, sliced W1) and leaves fewer holes: the lesson of the "AAE vs VAE" page; on the
  gaussian prior the VAE's codes sit closer and leave fewer holes (strict expected failures:
  over 5 seeds on the full MNIST the two are level on the gaussian, RESULTS.md, "The full
  MNIST");
- the AAE keeps the digits apart at least as well as the VAE (5-NN): true on the gaussian
  prior (0.871 vs 0.857), a strict expected failure on the mixture (0.816 vs 0.829);
- the issue's target, a held-out 5-NN of at least 0.85: met by the gaussian AAE (0.871), a
  strict expected failure for the mixture AAE (0.816).

Reads the real MNIST files only (all four; no synthetic fallback): skipped without them.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from aae_core.cli import main
from aae_core.store.checkpoints import load_checkpoint
from tests.conftest import requires_full_mnist

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
KNN_MIN = 0.85  # the target held-out 5-NN accuracy of the shipped AAEs
#: The models of the "AAE vs VAE" comparison: trained with one budget.
COMPARED = ("aae-gaussian", "aae-mixture", "vae-gaussian", "vae-mixture", "wae-mmd")
#: Every shipped model's card names its split (aae_core/data/dataset.py, official_split).
SPLIT = "MNIST official split: 60000 train images / 10000 t10k images held out"


def shipped(name: str) -> Path:
    path = CHECKPOINTS / name
    if not (path / "config.json").is_file():
        pytest.skip(f"the shipped checkpoint {name} is missing (checkpoints/make_checkpoints.sh)")
    return path


def eval_metrics(name: str) -> dict:
    """`python -m aae_core eval checkpoints/<name> --json`'s metrics (in-process, on the CPU:
    where the shipped cards were computed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["eval", str(shipped(name)), "--json", "--device", "cpu"]) == 0
    result = json.loads(out.getvalue())
    assert result["dataset"] == "mnist", result["split"]
    return result["metrics"]


@pytest.fixture(scope="module")
def measured() -> dict[str, dict]:
    return {name: eval_metrics(name) for name in
            ("aae-gaussian", "vae-gaussian", "aae-mixture", "vae-mixture")}


def missed(prior: str, why: str):
    """A prior for which the shipped checkpoints miss the statement: a strict expected failure
    (it turns into a failure when a rebuild meets it, so the note is updated)."""
    return pytest.param(prior, marks=pytest.mark.xfail(strict=True, reason=why))


@requires_full_mnist
@pytest.mark.parametrize("prior", [missed("gaussian", (
    "on the full MNIST the shipped VAE's codes sit closer to the gaussian prior (MMD 0.060 "
    "vs 0.127, SW 1.46 vs 2.08, both at std 10); over 5 seeds at the packing budget (std 1) "
    "the two are level: RESULTS.md, 'The full MNIST'")),
    "mixture"])
def test_the_shipped_aae_packs_the_prior_closer_than_the_vae(prior, measured):
    """What the shipped AAEs teach (same budget as the VAE): their held-out codes sit closer
    to the prior, by MMD and by sliced Wasserstein distance."""
    aae, vae = measured[f"aae-{prior}"], measured[f"vae-{prior}"]
    for key in ("prior_mmd", "sliced_wasserstein"):
        assert aae[key] < vae[key], (key, summary(prior, aae, vae))


@requires_full_mnist
@pytest.mark.parametrize("prior", ["gaussian", missed("mixture", (
    "on the full MNIST the shipped mixture AAE keeps the digits apart a little less well "
    "than the VAE of its budget (5-NN 0.816 vs 0.829), while packing the prior far closer "
    "(MMD 0.113 vs 0.626, holes 0.0 vs 4.2 %): RESULTS.md, 'The shipped 2-D models'"))])
def test_the_shipped_aae_keeps_the_digits_apart_at_least_as_well_as_the_vae(prior, measured):
    """The paper's point: the AAE fills the prior *and* keeps the data's structure (before
    the generator phase was weighed, the shipped AAEs' 5-NN was 0.56 / 0.59 to the VAE's
    0.77 / 0.70 on mnist-10k: they taught the opposite)."""
    aae, vae = measured[f"aae-{prior}"], measured[f"vae-{prior}"]
    assert aae["knn_accuracy"] >= vae["knn_accuracy"], summary(prior, aae, vae)


@requires_full_mnist
@pytest.mark.parametrize("prior", [missed("gaussian", (
    "the shipped gaussian AAE (std 10) leaves a little more of its prior uncovered than the "
    "VAE of its budget: holes 3.7 vs 3.1 % of the prior's samples: RESULTS.md, 'The shipped "
    "2-D models'")), "mixture"])
def test_the_shipped_aae_leaves_no_more_holes_than_the_vae(prior, measured):
    """Holes, the paper's figure 2: the VAE cannot put codes into ten separate components,
    so on the mixture the AAE leaves far fewer."""
    aae, vae = measured[f"aae-{prior}"], measured[f"vae-{prior}"]
    assert aae["holes"] <= vae["holes"], summary(prior, aae, vae)


@requires_full_mnist
@pytest.mark.parametrize("prior", ["gaussian", missed("mixture", (
    "the 5-NN target is not met by the mixture AAE at this budget (the full MNIST, 60 "
    "epochs of batches of 100, 2 x 512 nets, the mixture at its own scale): 0.816; scaled "
    "x 5 it reached 0.834 on mnist-val; RESULTS.md, 'The prior's scale'"))])
def test_target_the_shipped_aae_keeps_the_digits_apart(prior, measured):
    """The issue's target: a held-out 5-NN of at least 0.85 for both 2-D AAEs."""
    aae, vae = measured[f"aae-{prior}"], measured[f"vae-{prior}"]
    assert aae["knn_accuracy"] >= KNN_MIN, summary(prior, aae, vae)


def summary(prior: str, aae: dict, vae: dict) -> str:
    return (f"{prior} prior, held out: AAE 5-NN {aae['knn_accuracy']:.3f}, holes "
            f"{aae['holes']:.4f}; VAE 5-NN {vae['knn_accuracy']:.3f}, holes {vae['holes']:.4f}")


@requires_full_mnist
def test_the_cards_hold_what_eval_measures(measured):
    """A card's figures are the ones `eval` gives again (same CPU, same protocol)."""
    for name, metrics in measured.items():
        card = load_checkpoint(shipped(name)).card["metrics"]
        for key in ("knn_accuracy", "holes"):
            assert card[key] == pytest.approx(metrics[key], abs=1e-6), (name, key)


def test_the_compared_models_share_one_budget():
    trained = {name: load_checkpoint(shipped(name)) for name in COMPARED}
    budgets = {name: (c.train.dataset, c.train.epochs, c.train.batch_size, c.card.get("steps"))
               for name, c in trained.items()}
    assert len(set(budgets.values())) == 1, budgets
    priors = {name: c.model.config.prior for name, c in trained.items()}
    gaussian = {prior for prior in priors.values() if prior.name == "gaussian"}
    assert len(gaussian) == 1 and next(iter(gaussian)).std == 10.0, priors  # the same prior
    for name, c in trained.items():
        assert {"knn_accuracy", "holes"} <= set(c.card["metrics"]), name


ALL_SHIPPED = sorted(p.parent.name for p in CHECKPOINTS.glob("*/config.json"))


@pytest.mark.parametrize("name", ALL_SHIPPED)
def test_each_shipped_model_is_a_full_mnist_model_whose_card_says_its_split(name):
    ckpt = load_checkpoint(shipped(name))
    assert (ckpt.train.dataset, ckpt.card["dataset"], ckpt.card["split"]) == \
        ("mnist", "mnist", SPLIT)
    assert ckpt.codes is not None and ckpt.codes.shape == (10_000, ckpt.model.latent_dim)


@requires_full_mnist
@pytest.mark.parametrize("name", ALL_SHIPPED)
def test_each_shipped_model_stores_the_codes_of_the_10000_test_images(name):
    """The maps and pads draw the stored codes without the images: they must be the model's
    own codes of MNIST's t10k images, in order, with their labels."""
    import torch

    from aae_core.data import load_dataset
    from aae_core.inference import batched

    ckpt = load_checkpoint(shipped(name))
    data = load_dataset("mnist", download=False)
    assert torch.equal(ckpt.labels, data.test_y.cpu())
    with torch.no_grad():
        codes = batched(ckpt.model.eval().encode, data.test_x).cpu()
    # another CPU's kernels round differently: codes stored on one machine and recomputed
    # on another differ by up to 2.4e-5 (aae-dim-reduction, built on another AVX-512 CPU)
    torch.testing.assert_close(ckpt.codes, codes, atol=1e-4, rtol=1e-4)
