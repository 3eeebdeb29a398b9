"""The paper's experiments (paper §3 and §5-7, and the AAE vs VAE vs WAE comparisons;
docs/ARCHITECTURE.md, "The models"), end to end: train with the command line, measure,
print the figures and record them for RESULTS.md.

    python -m bench.experiments list
    python -m bench.experiments run EXPERIMENT [EXPERIMENT ...] [--dataset mnist-10k]
                                    [--jobs 2] [--seeds 1] [--only RUN,RUN]
                                    [--ray-address ADDR] [--retrain] [--paper]
    python -m bench.experiments table      # rewrite RESULTS.md's table from bench/results/

Each experiment is a set of `python -m aae_core train ...` runs (each written to
runs/experiments/<dataset>/<run>/, a folder of IDX files getting a slug of its path for
<dataset>, never beside the data; reused when its card shows the same command; --retrain
forces) and a measurement over the checkpoints, on the dataset's held-out split only.
Every run is a Ray task asking for one CPU (one torch thread; a GPU share on a GPU cluster),
all submitted at once: a local Ray with --jobs CPUs (this machine: 2 cores, --jobs 2) is
started for the sweep, or the sweep joins the cluster at --ray-address / $RAY_ADDRESS. The
checkpoints come back through Ray as bytes (no shared disk needed) and each is written as
soon as its run ends, so a sweep stopped half-way resumes with the runs it lacks.
--seeds N trains each run with seeds 0..N-1 side by side (seed 0 in <run>, the others in
<run>-seed<N>); every figure is then recorded as mean ± sample sd over the seeds with each
seed's value, and the targets (TARGETS) are judged on the mean.
--only RUN,RUN trains and measures only those runs; their rows replace the same rows of the
earlier record, the other rows stay as they were (each row says over how many seeds).
--paper swaps in the paper's networks and schedules (2 x 1000 units, hundreds of epochs):
for a user with a GPU and the full MNIST (`--dataset mnist --paper`).

Records go to bench/results/<experiment>--<dataset>.json: the rows of the table plus every
training command and card (epochs, wall time, device).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aae_core.errors import ConfigError
from bench.args import MAX_EPOCHS, RAY_ADDRESS, Parser, Pattern, Whole, parser, run_script

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "experiments"
RECORDS = ROOT / "bench" / "results"
RESULTS_MD = ROOT / "RESULTS.md"
TABLE_BEGIN, TABLE_END = "<!-- results:begin -->", "<!-- results:end -->"
#: The datasets a sweep records, with the caption of each one's table in RESULTS.md, in
#: the order the tables come: the full MNIST (the paper's data) leads, the 8,000-image
#: mnist-10k follows as the quick table.
TABLE_CAPTIONS = {
    "mnist": "Full MNIST (60,000 training images, the paper's data)",
    "mnist-10k": "mnist-10k, the quick table (8,000 training images of MNIST's test split)",
    "fashion-mnist": "Fashion-MNIST (60,000 training images)",
    "mnist-val": "mnist-val (the train split's last 10,000 images held out)",
    "synthetic-digits": "Synthetic digits (drawn here, with their true factors)",
}
DATASETS = tuple(TABLE_CAPTIONS)


@dataclass(frozen=True)
class Run:
    """One `python -m aae_core train` invocation, without --dataset and --out."""

    name: str
    args: tuple[str, ...]
    epochs: int

    def argv(self, dataset: str, out: Path, epochs: int | None = None,
             seed: int = 0) -> list[str]:
        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        return ["train", *self.args, "--epochs", str(epochs or self.epochs), "--dataset",
                dataset, "--seed", str(seed), "--no-progress", "--out", str(shown)]

    def folder(self, dataset: str, seed: int = 0) -> Path:
        """Where this run's checkpoint lives: <name> for seed 0, <name>-seed<N> otherwise,
        in the dataset's folder under RUNS (its log beside it, <folder>.log)."""
        name = self.name if seed == 0 else f"{self.name}-seed{seed}"
        return RUNS / dataset_folder(dataset) / name


def dataset_folder(dataset: str) -> str:
    """The folder under RUNS of a dataset's runs: a named dataset's name (mnist-10k: where
    the recorded runs are), a folder of IDX files a safe slug of its last names and a
    digest of its absolute path ("data-digits60-1f2e3d4c"), so outputs never go beside the
    data, whatever the dataset is called."""
    from aae_core.data.registry import DATASET_NAMES

    if dataset in DATASET_NAMES:
        return dataset
    path = os.path.abspath(os.path.expanduser(dataset))
    words = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(Path(path).parts[-2:])).strip("-._")
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"data-{words[:40] or 'root'}-{digest}"


@dataclass
class Row:
    """One table row measured on one seed. `ours` and `note` may name figures in braces
    ("{error} % error"): each is filled with the figure, or with "mean ± sd" over seeds
    (`aggregate_seeds`). A text without braces is shown as it is."""

    setting: str
    ours: str
    paper: str
    runs: list[str] = field(default_factory=list)  # Run names that made it
    note: str = ""
    figures: dict[str, float] = field(default_factory=dict)  # name -> value (one seed)
    decimals: dict[str, int] = field(default_factory=dict)  # name -> shown decimals (2)

    def __post_init__(self):
        self.figures = {name: float(v) for name, v in self.figures.items()}  # numpy -> JSON


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    plan: Callable[[str, bool], list[Run]]  # (dataset, paper setting) -> runs
    measure: Callable[[str, dict], list[Row]]  # (dataset, {run name: Checkpoint}) -> rows


def _epochs(dataset: str, mnist_10k: int, paper: bool, paper_epochs: int) -> int:
    """Epochs for a budget: mnist-10k's figure; the 60,000-image sets get 1/5 of the epochs
    (1.5x the optimizer steps); the paper setting its own."""
    if paper:
        return paper_epochs
    return mnist_10k if dataset == "mnist-10k" else max(2, math.ceil(mnist_10k / 5))


def _nets(paper: bool, hidden: str = "256,256") -> tuple[str, ...]:
    sizes = "1000,1000" if paper else hidden
    return ("--hidden", sizes, "--disc-hidden", sizes)


# ---------------------------------------------------------------- the experiments


#: Style-code size of the semi-supervised runs: {dataset: {labels: size}}, else 2. A small
#: style leaves the decoder no room to ignore the class code, which is how the unlabelled
#: digits teach it; but a 2-D style squeezes Fashion-MNIST's garments, whose visual modes
#: are not their classes (one seed, 12 epochs: a 10-D style took the all-labels error from
#: 23.8 to 17.1 %, 1000 labels from 20.7 to 19.2 %). With 100 labelled digits a 5-D style
#: beat the 2-D one on 4 of 5 seeds (10.0 +- 3.9 vs 13.4 +- 4.9 %); at 1000 it did not
#: (seed 0: 5.15 vs 4.35 %). RESULTS.md, "Style size at 100 labels, and the last trials".
SEMI_STYLE_DIM = {"mnist-10k": {100: 5}, "mnist": {100: 5}, "mnist-val": {100: 5},
                  "fashion-mnist": {100: 10, 1000: 10, -1: 10}}


def semi_style_dim(dataset: str, labels: int) -> int:
    return SEMI_STYLE_DIM.get(dataset, {}).get(labels, 2)


def _semi_plan(dataset, paper):
    runs = []
    for labels in (100, 1000, -1):
        runs.append(Run(f"semi-{labels if labels > 0 else 'all'}",
                        ("--model", "aae-semi-supervised", "--labels", str(labels),
                         "--latent-dim", str(semi_style_dim(dataset, labels)), *_nets(paper),
                         "--lr", "1e-3", "--lr-adv", "1e-3", "--input-noise", "0.3"),
                        _epochs(dataset, 60, paper, 500)))
    return runs


#: Optimizer steps of the labelled-only MLP baseline (at least 8 epochs).
BASELINE_STEPS = 3000


def _labelled_only_baseline(data, labels: int, seed: int) -> float:
    """Test error of a plain MLP classifier (the sample-quality judge's network) trained on
    the same labelled images alone, for about BASELINE_STEPS steps: what the unlabelled
    images add."""
    import torch

    from aae_core.analysis.metrics import classification_error
    from aae_core.analysis.sample_quality import train_judge
    from aae_core.data import labeled_indices

    idx = (torch.arange(len(data.train_y)) if labels == -1 else
           labeled_indices(data.train_y, labels, data.n_classes, seed))
    epochs = max(8, math.ceil(BASELINE_STEPS / (len(idx) // 100)))
    judge = train_judge(data.train_x[idx], data.train_y[idx], epochs=epochs, seed=seed)
    with torch.no_grad():
        return classification_error(judge(data.test_x).argmax(1), data.test_y)


def _semi_measure(dataset, ckpts):
    from aae_core.analysis.classify import classification_report, paper_error
    from aae_core.inference import batched

    data = _data(dataset)
    rows = []
    for name, ckpt in ckpts.items():
        probs = batched(ckpt.model.classify, data.test_x, device=ckpt.model.device)
        err = classification_report(probs.numpy(), data.test_y)["error"]
        labels = ckpt.train.labels
        base = _labelled_only_baseline(data, labels, ckpt.train.seed)
        setting = f"{'all' if labels == -1 else labels} labels"
        rows.append(Row(setting, "{error} % error", paper_error("semi-supervised", setting),
                        [name], "an MLP on the labelled images alone: {mlp_error} %",
                        {"error": 100 * err, "mlp_error": 100 * base}))
    return rows


def _cluster_plan(dataset, paper):
    return [Run(f"cluster-{k}",
                ("--model", "aae-clustering", "--labels", "0", "--n-classes", str(k),
                 "--latent-dim", "2", *_nets(paper), "--lr", "1e-3",
                 "--lr-adv", "1e-3", "--disc-noise", "0.5", "--input-noise", "0.3"),
                _epochs(dataset, 60, paper, 500)) for k in (16, 30)]


def _cluster_measure(dataset, ckpts):
    from aae_core.analysis.classify import clustering_report, paper_error
    from aae_core.inference import batched

    data = _data(dataset)
    rows = []
    for name, ckpt in ckpts.items():
        k = ckpt.model.config.n_classes
        train_p, test_p = (batched(ckpt.model.classify, x, device=ckpt.model.device).numpy()
                           for x in (data.train_x, data.test_x))
        report = clustering_report(train_p, data.train_y, test_p, data.test_y)
        conf, maj = report["most-confident"], report["majority"]
        setting = f"{k} clusters"
        rows.append(Row(setting, "{error} % (most confident); {majority_error} % (majority)",
                        paper_error("clustering", setting), [name],
                        f"{{empty_clusters}} of {k} clusters empty",
                        {"error": 100 * conf["error"], "majority_error": 100 * maj["error"],
                         "empty_clusters": conf["empty_clusters"]}, {"empty_clusters": 1}))
    return rows


def _parzen_plan(dataset, paper):
    common = ("--prior", "gaussian", "--latent-dim", "8", *_nets(paper, "512,512"),
              "--lr", "1e-3")
    epochs = _epochs(dataset, 40, paper, 500)
    return [Run("parzen-aae", ("--model", "aae", *common, "--lr-adv", "1e-3"), epochs),
            Run("parzen-vae", ("--model", "vae", *common), epochs)]


def _parzen_measure(dataset, ckpts):
    import torch

    from aae_core.analysis.metrics import parzen_log_likelihood, select_parzen_sigma

    data = _data(dataset)
    half = len(data.test_x) // 2  # sigma chosen on the first half, scored on the second
    valid_x, test_x = data.test_x[:half], data.test_x[half:]
    paper = {"parzen-aae": "MNIST: 340 ± 2",
             "parzen-vae": "MNIST: ≈ 290 ± 2 (quoted by later work)"}
    rows = []
    for name, ckpt in ckpts.items():
        with torch.no_grad():
            samples = ckpt.model.sample(10_000, generator=torch.Generator().manual_seed(0))
        sigma, _ = select_parzen_sigma(samples, valid_x)
        ll = parzen_log_likelihood(samples, test_x, sigma=sigma)
        rows.append(Row(f"{ckpt.model.config.model}, 8-D latent", "{nats} nats", paper[name],
                        [name], "σ = {sigma}; standard error of one run's estimate {std_err}",
                        {"nats": ll["mean"], "sigma": sigma, "std_err": ll["std_err"]},
                        {"nats": 0, "sigma": 3, "std_err": 1}))
    return rows


def _dimred_plan(dataset, paper):
    return [Run(f"dimred-{labels}",
                ("--model", "aae-dim-reduction", "--labels", str(labels), "--n-classes", "10",
                 "--latent-dim", "2", "--prior-std", "0.5", *_nets(paper),
                 "--lr", "1e-3", "--lr-adv", "1e-3", "--input-noise", "0.3"),
                _epochs(dataset, 40, paper, 500)) for labels in (100, 1000)]


def _dimred_measure(dataset, ckpts):
    from aae_core.analysis.classify import classification_report
    from aae_core.analysis.metrics import knn_accuracy
    from aae_core.inference import batched

    data = _data(dataset)
    rows = []
    for name, ckpt in ckpts.items():
        model = ckpt.model
        probs = batched(model.classify, data.test_x, device=model.device)
        err = classification_report(probs.numpy(), data.test_y)["error"]
        train_codes = batched(model.encode, data.train_x[:8000], device=model.device)
        test_codes = batched(model.encode, data.test_x, device=model.device)
        knn = knn_accuracy(train_codes, data.train_y[:8000], test_codes, data.test_y, k=5)
        rows.append(Row(f"2-D, {ckpt.train.labels} labels, 10 heads",
                        "{error} % error (heads); 5-NN on the 2-D map {knn_error} % error",
                        "MNIST: 2-D maps (Fig. 9); no error rate quoted", [name],
                        figures={"error": 100 * err, "knn_error": 100 * (1 - knn)}))
    return rows


def _packing_plan(dataset, paper):
    runs = []
    for prior in ("gaussian", "mixture"):
        # One budget for the three families, the shipped models' (24 epochs of batches of
        # 50); the AAE as shipped: its generator phase weighed against the reconstruction
        # (--generator-weight 1, AAE.preferred_settings), D at lr_adv = lr.
        common = ("--prior", prior, "--latent-dim", "2", *_nets(paper), "--lr", "1e-3",
                  "--batch-size", "50")
        epochs = _epochs(dataset, 24, paper, 200)
        runs += [Run(f"pack-aae-{prior}", ("--model", "aae", *common, "--lr-adv", "1e-3",
                                           "--generator-weight", "1"), epochs),
                 Run(f"pack-vae-{prior}", ("--model", "vae", *common), epochs),
                 Run(f"pack-wae-mmd-{prior}",
                     ("--model", "wae-mmd", *common, "--reg-weight", "10"), epochs)]
    return runs


def _packing_measure(dataset, ckpts):
    """Per prior and family: the held-out codes' packing figures (lower is better) and
    their 5-NN accuracy (the structure the codes keep), as figures a seed sweep averages;
    bench.packing_confidence pairs the AAE's and the VAE's by seed. Only the runs in `ckpts`
    are measured (--only); the AAE-vs-VAE count needs both of a prior."""
    from aae_core.analysis.compare import held_out_codes, measure, reconstruction
    from aae_core.analysis.evaluate import held_out_knn
    from aae_core.models.base import COMPARE_ADVERSARIAL, COMPARE_VARIATIONAL

    data = _data(dataset)
    rows = []
    for prior in ("gaussian", "mixture"):
        results, knn, family_of = {}, {}, {}  # family_of: comparison role -> family
        for family in ("aae", "vae", "wae-mmd"):
            if f"pack-{family}-{prior}" not in ckpts:
                continue
            model = ckpts[f"pack-{family}-{prior}"].model
            family_of[type(model).comparison_role] = family
            codes = held_out_codes(model, data.test_x, sample=False)
            results[family] = measure(family, family, codes, model.prior,
                                      recon=reconstruction(model, data.test_x)).values
            knn[family] = held_out_knn(model, data, codes)  # as `eval` measures it
        keys = ["prior_mmd", "sliced_wasserstein", "holes"]
        keys += ["occupancy_tv"] if prior == "mixture" else []
        aae = family_of.get(COMPARE_ADVERSARIAL)
        vae = family_of.get(COMPARE_VARIATIONAL)
        compared = aae is not None and vae is not None
        wins = sum(results[aae][k] < results[vae][k] for k in keys) if compared else 0
        for family, v in results.items():  # the AAE first
            figures = {"prior_mmd": v["prior_mmd"], "sliced_wasserstein": v["sliced_wasserstein"],
                       "holes": v["holes"], "holes_pct": 100 * v["holes"],
                       "recon_bce": v["recon_bce"], "knn": knn[family]}
            text = "MMD {prior_mmd}, SW {sliced_wasserstein}, holes {holes_pct} %"
            if "occupancy_tv" in v:
                figures["occupancy_tv"] = v["occupancy_tv"]
                text += ", occupancy TV {occupancy_tv}"
            text += ", recon BCE {recon_bce}, 5-NN {knn}"
            note = ""
            if family == aae and compared:
                figures["aae_wins"] = wins
                note = f"AAE better than VAE on {{aae_wins}} of {len(keys)} packing metrics"
            rows.append(Row(f"{family}, {prior} prior (2-D)", text,
                            "MNIST: AAE fills the prior, VAE leaves gaps (Fig. 2, qualitative)",
                            [f"pack-{family}-{prior}"], note, figures,
                            {"prior_mmd": 3, "sliced_wasserstein": 3, "holes": 4,
                             "holes_pct": 1, "occupancy_tv": 3, "recon_bce": 1, "knn": 3,
                             "aae_wins": 1}))
    return rows


def _wae_plan(dataset, paper):
    common = ("--prior", "gaussian", "--latent-dim", "8", *_nets(paper, "512,512"),
              "--lr", "1e-3", "--batch-size", "100")
    epochs = _epochs(dataset, 40, paper, 100)
    return [Run("wae-vae", ("--model", "vae", *common), epochs),
            Run("wae-mmd", ("--model", "wae-mmd", *common, "--reg-weight", "10"), epochs),
            Run("wae-gan", ("--model", "wae-gan", *common, "--reg-weight", "1",
                            "--lr-adv", "5e-4"), epochs)]


def _wae_measure(dataset, ckpts):
    import torch

    from aae_core.analysis.compare import reconstruction
    from aae_core.analysis.sample_quality import judge_samples, train_judge

    data = _data(dataset)
    judge = train_judge(data.train_x, data.train_y, seed=0)
    real = judge_samples(judge, data.train_x[:5000], data.test_x)  # the floor: real vs real
    rows = []
    for name, ckpt in ckpts.items():
        with torch.no_grad():
            samples = ckpt.model.sample(5000, generator=torch.Generator().manual_seed(0))
        q = judge_samples(judge, samples, data.test_x)
        recon = reconstruction(ckpt.model, data.test_x)
        rows.append(Row(f"{ckpt.model.config.model}, 8-D latent",
                        "recon MSE {mse}; sample FD {fd}, confidence {confidence}",
                        "CelebA FID: VAE 63, WAE-MMD 55, WAE-GAN 42", [name],
                        f"real training images score FD {real['fd']:.1f}, "
                        f"confidence {real['confidence']:.3f}",
                        {"mse": recon["mse"], "fd": q["fd"], "confidence": q["confidence"]},
                        {"mse": 4, "fd": 1, "confidence": 3}))
    return rows


#: The disentanglement comparison's budget, the same for every model of a dataset: 8-D
#: codes, 256x256 networks (encoder, decoder and discriminator), batches of 100, lr 1e-3,
#: and 6,000 optimizer steps a run: 150 epochs of synthetic-digits' 4,000 images, 10 of
#: MNIST's 60,000 (mnist-10k: 75 of 8,000; mnist-val: 12 of 50,000). The first sweep ran a
#: fifth of that (400 and 1,200 steps; RESULTS.md keeps its figures as the short budget):
#: with a core to itself a run then took 3-8 s on synthetic digits and 7-14 s on MNIST (6 and
#: 11 ms a step), so 6,000 steps cost about 40-70 s of training a run, plus about 7 s and
#: 18 s of scoring (the DCI trees on 1,000 and 10,000 held-out codes) and about 15 s to start:
#: the 50-run sweep (5 models x 5 seeds x 2 datasets, one thread a run) is about 1 hour 10
#: minutes of one idle core, 2 to 3 hours beside other work on this 2-core machine.
DISENTANGLEMENT_EPOCHS = {"synthetic-digits": 150, "mnist-10k": 75, "mnist": 10,
                          "mnist-val": 12}
#: (run name, the model's flags) of the comparison; the beta-VAE is the VAE with its KL
#: weighted 4 (reg_weight is the VAE's beta), beta = 4 as in Higgins et al. 2017.
DISENTANGLEMENT_MODELS = (
    ("dis-aae", ("--model", "aae", "--lr-adv", "1e-3")),
    ("dis-vae", ("--model", "vae")),
    ("dis-beta-vae", ("--model", "vae", "--reg-weight", "4")),
    ("dis-wae-mmd", ("--model", "wae-mmd", "--reg-weight", "10")),
    ("dis-aae-supervised", ("--model", "aae-supervised", "--labels", "-1", "--lr-adv", "1e-3")),
)
DISENTANGLEMENT_SETTINGS = {"dis-aae": "AAE (gaussian prior)", "dis-vae": "VAE",
                            "dis-beta-vae": "beta-VAE (beta = 4)", "dis-wae-mmd": "WAE-MMD",
                            "dis-aae-supervised": "supervised AAE (style code)"}


def _disentanglement_plan(dataset, paper):
    common = ("--prior", "gaussian", "--latent-dim", "8", *_nets(paper), "--lr", "1e-3",
              "--batch-size", "100")
    # --paper: the paper's 1000-unit networks and a GPU's 100 epochs; a folder of digits:
    # MNIST's epochs
    epochs = 100 if paper else DISENTANGLEMENT_EPOCHS.get(dataset, 2)
    return [Run(name, (*flags, *common), epochs) for name, flags in DISENTANGLEMENT_MODELS]


_FACTORS_CACHE: dict = {}


def _digit_factors(dataset: str):
    """(values (N, K), factors) of the dataset's held-out digits, once per process: the
    true factors of synthetic digits, else the label and the six morphometrics (measured
    once and cached on disk by aae_core.analysis.morphometry; held here as well so that
    each run's scoring neither hashes nor reads the 10,000 digits again)."""
    from aae_core.analysis.disentanglement import digit_factors

    if dataset not in _FACTORS_CACHE:
        _FACTORS_CACHE[dataset] = digit_factors(_data(dataset))
    return _FACTORS_CACHE[dataset]


def _disentanglement_measure(dataset, ckpts):
    """Per model: MIG, DCI, SAP against the dataset's factors and the label leakage of its
    code, all on the held-out digits, with the probes seeded alike for every run (so the
    spread over seeds is the models')."""
    from aae_core.analysis.disentanglement import score_model

    data, measured = _data(dataset), _digit_factors(dataset)
    against = ("the true factors" if data.has_factors
               else "the label and six morphometrics")
    rows = []
    for name, ckpt in ckpts.items():
        scores = score_model(ckpt.model.to("cpu"), data, seed=0, measured=measured).scores()
        rows.append(Row(f"{DISENTANGLEMENT_SETTINGS.get(name, name)}, 8-D code",
                        "MIG {mig}, DCI D {dci_disentanglement} / C {dci_completeness} / "
                        "I {dci_informativeness}, SAP {sap}; label leakage {label_leakage}",
                        "no published figures for this setting", [name],
                        f"against {against}; label probe accuracy {{label_accuracy}} vs "
                        "chance {label_chance}", scores, dict.fromkeys(scores, 3)))
    return rows


EXPERIMENTS = {e.name: e for e in (
    Experiment("semi-supervised", "Semi-supervised classification (paper §5)",
               _semi_plan, _semi_measure),
    Experiment("clustering", "Unsupervised clustering (paper §6)", _cluster_plan,
               _cluster_measure),
    Experiment("parzen", "Parzen-window log-likelihood, 10,000 samples (paper §3)",
               _parzen_plan, _parzen_measure),
    Experiment("dim-reduction", "Dimensionality reduction to 2-D (paper §7)", _dimred_plan,
               _dimred_measure),
    Experiment("packing", "AAE vs VAE vs WAE-MMD latent packing (paper §2.1)", _packing_plan,
               _packing_measure),
    Experiment("wae", "VAE vs WAE-MMD vs WAE-GAN (Tolstikhin et al. 2017)", _wae_plan,
               _wae_measure),
    Experiment("disentanglement", "Disentanglement of 8-D codes: AAE vs VAE vs beta-VAE vs "
               "WAE-MMD vs supervised AAE", _disentanglement_plan, _disentanglement_measure),
)}


# ---------------------------------------------------------------- several seeds

#: The targets on mnist-10k (RESULTS.md, "In short"), judged on the mean over seeds:
#: (experiment, dataset, setting) -> (figure, the most it may be).
TARGETS = {
    ("semi-supervised", "mnist-10k", "100 labels"): ("error", 8.0),
    ("semi-supervised", "mnist-10k", "1000 labels"): ("error", 4.0),
    ("clustering", "mnist-10k", "30 clusters"): ("error", 15.0),
    # the full MNIST's targets (the paper's data scale)
    ("semi-supervised", "mnist", "100 labels"): ("error", 4.0),
    ("semi-supervised", "mnist", "1000 labels"): ("error", 2.5),
    ("clustering", "mnist", "30 clusters"): ("error", 12.0),
}


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1 in the denominator; 0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    return mean, (math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0)


def fill(template: str, shown: dict[str, str]) -> str:
    """`template` with each {name} replaced by shown[name]; other text is kept as it is."""
    return re.sub(r"\{(\w+)\}", lambda m: shown.get(m.group(1), m.group(0)), template)


def _shown(stats: dict) -> str:
    """"12.44 ± 3.21" over several seeds, "9.45" for one."""
    d = stats["decimals"]
    if len(stats["per_seed"]) == 1:
        return f"{stats['mean']:.{d}f}"
    return f"{stats['mean']:.{d}f} ± {stats['sd']:.{d}f}"


def aggregate_seeds(rows_by_seed: dict[int, list[Row]]) -> list[dict]:
    """One record row per setting from each seed's rows (same settings, same order):
    {"setting", "paper", "runs", "seeds": [0, 1, ...], "figures": {name: {"mean", "sd"
    (sample sd), "per_seed": [value per seed], "decimals"}}, "template", "note_template",
    "ours" and "note" (the templates filled with mean ± sd)}. A row without figures keeps
    its first seed's text, and "seeds" says so (one seed)."""
    seeds = list(rows_by_seed)
    out = []
    for same in zip(*(rows_by_seed[s] for s in seeds), strict=True):
        first = same[0]
        if any(row.setting != first.setting for row in same):
            raise ValueError(f"seeds disagree on the rows: {[r.setting for r in same]}")
        figures = {name: {"per_seed": [row.figures[name] for row in same],
                          "decimals": first.decimals.get(name, 2)} for name in first.figures}
        for stats in figures.values():
            stats["mean"], stats["sd"] = mean_sd(stats["per_seed"])
        shown = {name: _shown(stats) for name, stats in figures.items()}
        out.append({"setting": first.setting, "paper": first.paper, "runs": first.runs,
                    "seeds": seeds if figures else seeds[:1], "figures": figures,
                    "template": first.ours, "note_template": first.note,
                    "ours": fill(first.ours, shown), "note": fill(first.note, shown)})
    return out


def judge_target(experiment: str, dataset: str, row: dict) -> str:
    """"target <= 8 %: met (mean 7.10 % of 5 seeds)", or "" where none is set."""
    target = TARGETS.get((experiment, dataset, row["setting"]))
    if not target or target[0] not in row.get("figures", {}):
        return ""
    figure, most = target
    stats = row["figures"][figure]
    verdict = "met" if stats["mean"] <= most else "missed"
    n = len(stats["per_seed"])
    return (f"target <= {most:g} %: {verdict} (mean {stats['mean']:.2f} % of {n} "
            f"seed{'s' if n > 1 else ''})")


# ---------------------------------------------------------------- running


_DATA_CACHE: dict = {}


def _data(dataset: str):
    from aae_core.data import load_dataset

    if dataset not in _DATA_CACHE:
        _DATA_CACHE[dataset] = load_dataset(dataset)
    return _DATA_CACHE[dataset]


def _command(argv: list[str]) -> str:
    return "python -m aae_core " + shlex.join(argv)


def _reusable(argv: list[str], out: Path) -> bool:
    """A checkpoint at `out` made by exactly this command (a finished run: not redone)."""
    card = out / "card.json"
    try:
        return json.loads(card.read_text()).get("command") == _command(argv)
    except (OSError, ValueError):
        return False


def train_runs(runs: list[Run], dataset: str, *, seeds=(0,), retrain: bool = False,
               epochs: int | None = None, jobs: int = 2,
               ray_address: str | None = None) -> dict[tuple[str, int], Path]:
    """Train every (run, seed) whose checkpoint is missing or stale, each as a Ray task
    asking for one CPU (and a GPU share on a GPU cluster), all submitted at once so Ray
    runs as many side by side as the cluster holds. Without `ray_address` (or $RAY_ADDRESS)
    a local Ray with `jobs` CPUs is started. Each finished run's checkpoint comes back as
    bytes and is written to its folder at once, so an interrupted sweep resumes where it
    stopped. Returns {(run name, seed): checkpoint folder}."""
    from aae_core.cli import train_configs
    from aae_core.store.checkpoints import write_checkpoint_files
    from aae_core.training import remote

    folders, todo = {}, {}
    for run in runs:
        for seed in seeds:
            out = run.folder(dataset, seed)
            folders[run.name, seed] = out
            argv = run.argv(dataset, out, epochs, seed)
            if not retrain and _reusable(argv, out):
                print(f"  {out.name}: reusing {out}", flush=True)
            else:  # the command's settings, resolved here as the command line resolves them
                model_cfg, train_cfg = train_configs(argv)
                todo[run.name, seed] = (remote.TrainJob(
                    model_cfg, train_cfg, card={"command": _command(argv)},
                    shown_as=argv[argv.index("--out") + 1]), out)
    if not todo:
        return folders
    remote.connect(ray_address or os.environ.get("RAY_ADDRESS"), num_cpus=max(1, jobs))
    pending = {}
    for key, (job, out) in todo.items():
        print(f"  {out.name}: submitted ({job.train.epochs} epochs)", flush=True)
        pending[remote.submit_training(job)] = key
    _collect(pending, todo, write_checkpoint_files)
    return folders


def _collect(pending: dict, todo: dict, write_checkpoint_files) -> None:
    """Write each run's log and checkpoint as its task finishes (in finishing order)."""
    import ray

    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        key = pending.pop(ready[0])
        _, out = todo[key]
        result = ray.get(ready[0])
        log = out.with_suffix(".log")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.report + "\n")
        if not result.ok or not result.files:
            raise SystemExit(f"{out.name} failed: {result.report.splitlines()[0]}; see {log}")
        write_checkpoint_files(out, result.files)
        print(f"  {out.name}: {result.report.splitlines()[0]}", flush=True)


def _pick_runs(runs: list[Run], only) -> list[Run]:
    """The runs named in `only` (all when it is empty), in the plan's order."""
    if not only:
        return runs
    unknown = sorted(set(only) - {run.name for run in runs})
    if unknown:
        raise ConfigError(f"no run named {', '.join(unknown)} in this experiment; its runs: "
                         f"{', '.join(run.name for run in runs)}")
    return [run for run in runs if run.name in only]


def merge_record(old: dict, new: dict) -> dict:
    """A record of some of an experiment's runs (`--only`) merged into the earlier record:
    its rows replace the rows of the same setting, the other rows stay as they were (with
    their own seeds and runs); the commands are kept, except those of the same runs, which
    the new one supersedes; the wall times are added up.
    "per_seed" is the new sweep's."""
    new_rows = {row["setting"]: row for row in new["rows"]}
    rows = [new_rows.pop(row["setting"], row) for row in old["rows"]] + list(new_rows.values())
    kept = {f for row in old["rows"] if row["setting"] not in {r["setting"] for r in new["rows"]}
            for f in _seed_folders(row)}
    only = new["command"].partition(" --only ")[2]
    commands = [c for c in old["command"].split(" && ")  # the same rows' commands: superseded
                if not only or c.partition(" --only ")[2] != only]
    command = " && ".join([*commands, new["command"]])
    return {**new, "command": command, "rows": rows,
            "runs": {k: v for k, v in old["runs"].items() if k in kept} | new["runs"],
            "elapsed_s": round(old.get("elapsed_s", 0) + new["elapsed_s"], 1)}


def run_experiment(exp: Experiment, dataset: str, *, jobs: int, retrain: bool,
                   paper: bool, epochs: int | None = None, seeds=(0,),
                   ray_address: str | None = None, only=()) -> dict:
    """Train (or reuse) the experiment's runs (those named in `only`, or all) for every
    seed, measure them, print the rows; the record is written to bench/results/ (merged
    into the earlier one with `only`) unless the paper setting or an epochs override was
    used. Each row gives mean ± sd over the seeds with every seed's value
    (`aggregate_seeds`); "per_seed" holds each seed's own rows."""
    from aae_core.store.checkpoints import load_checkpoint

    runs = _pick_runs(exp.plan(dataset, paper), only)
    print(f"{exp.title} on {dataset}: {len(runs)} runs x {len(seeds)} seeds", flush=True)
    t0 = time.perf_counter()
    folders = train_runs(runs, dataset, seeds=seeds, retrain=retrain, epochs=epochs,
                         jobs=jobs, ray_address=ray_address)
    ckpts = {key: load_checkpoint(folder) for key, folder in folders.items()}
    rows_by_seed = {seed: exp.measure(dataset, {run.name: ckpts[run.name, seed]
                                                for run in runs}) for seed in seeds}
    rows = aggregate_seeds(rows_by_seed)
    data = _data(dataset)
    record = {
        "experiment": exp.name, "title": exp.title, "dataset": dataset, "split": data.split,
        "paper_setting": paper,
        "command": f"python -m bench.experiments run {exp.name} --dataset {dataset}"
                   + (f" --seeds {len(seeds)}" if len(seeds) > 1 else "")
                   + (f" --only {','.join(r.name for r in runs)}" if only else "")
                   + (" --paper" if paper else ""),
        "rows": rows,
        "runs": {folders[key].name: {
            "command": c.card.get("command"), "epochs": c.card.get("epochs"),
            "wall_time_s": c.card.get("wall_time_s"), "device": c.card.get("device"),
            "hidden": list(c.model.config.hidden)} for key, c in ckpts.items()},
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }
    record["per_seed"] = {str(seed): [row.__dict__ for row in seed_rows]
                          for seed, seed_rows in rows_by_seed.items()}
    for row in rows:
        notes = "; ".join(n for n in (row["note"], judge_target(exp.name, dataset, row)) if n)
        print(f"  {row['setting']:<34} ours: {row['ours']} ({_seeds_text(row)})   "
              f"paper: {row['paper']}" + (f"   [{notes}]" if notes else ""))
    path = RECORDS / f"{exp.name}--{dataset}.json"
    if not paper and epochs is None and dataset in DATASETS:
        if only and path.exists():
            record = merge_record(json.loads(path.read_text()), record)
        RECORDS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    return record


# ---------------------------------------------------------------- RESULTS.md


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _seeds_text(row: dict) -> str:
    """"5 seeds" or "1 seed" (a record written before seeds were aggregated: seed 0)."""
    n = len(row.get("seeds", [0]))
    return f"{n} seed{'s' if n > 1 else ''}"


def _seed_folders(row: dict) -> list[str]:
    """The run folders behind a row, every seed's (Run.folder's naming)."""
    return [name if seed == 0 else f"{name}-seed{seed}"
            for name in row["runs"] for seed in row.get("seeds", [0])]


def _table_row(rec: dict, row: dict) -> str:
    meta = [rec["runs"][r] for r in _seed_folders(row) if r in rec["runs"]]
    epochs = ", ".join(sorted({str(m["epochs"]) for m in meta}))
    wall = sum(m["wall_time_s"] or 0 for m in meta) / max(1, len(meta))
    notes = "; ".join(n for n in (row["note"], judge_target(rec["experiment"],
                                                             rec["dataset"], row)) if n)
    return "| " + " | ".join(_cell(c) for c in (
        rec["dataset"], row["setting"], f"{row['ours']} ({_seeds_text(row)})", row["paper"],
        epochs, f"{wall:.0f} s", notes)) + " |"


def _per_seed_lines(rec: dict) -> list[str]:
    """"- 100 labels, error: 11.50, 17.90, 9.55 (seeds 0, 1, 2)" per row and figure."""
    lines = []
    for row in rec["rows"]:
        seeds = ", ".join(map(str, row.get("seeds", [0])))
        for name, stats in row.get("figures", {}).items():
            d = stats["decimals"]
            values = ", ".join(f"{v:.{d}f}" for v in stats["per_seed"])
            lines.append(f"- {row['setting']}, {name}: {values} (seed{'s' if ',' in seeds else ''}"
                         f" {seeds})")
    return lines


def _title(rec: dict) -> str:
    """The experiment's title as the code names it now (a record keeps the title of its
    time), else the record's own."""
    known = EXPERIMENTS.get(rec["experiment"])
    return known.title if known else rec["title"]


def results_table() -> str:
    """Markdown: one section per experiment, a row per setting and dataset, each figure as
    mean ± sd over the seeds (per-seed values and commands under the table)."""
    records = [json.loads(p.read_text()) for p in sorted(RECORDS.glob("*.json"))]
    order = {name: i for i, name in enumerate(EXPERIMENTS)}
    records.sort(key=lambda r: (order.get(r["experiment"], 99), DATASETS.index(r["dataset"])))
    out, current = [], None
    for rec in records:
        if rec["experiment"] != current:
            current = rec["experiment"]
            out += ["", f"### {_title(rec)}", ""]
        # a table of its own per dataset: a row without a header above it is not a table
        out += [f"**{TABLE_CAPTIONS[rec['dataset']]}**", "",
                "| data | setting | ours: mean ± sd (seeds) | paper | epochs "
                "| wall time per run | note |",
                "|---|---|---|---|---|---|---|",
                *[_table_row(rec, row) for row in rec["rows"]]]
        nets = " / ".join(sorted({"x".join(map(str, m["hidden"])) for m in rec["runs"].values()}))
        trained = sum(m["wall_time_s"] or 0 for m in rec["runs"].values())
        per_seed = _per_seed_lines(rec)
        out += ["", f"Rerun: `{rec['command']}` ({rec['split']}; hidden layers {nets}; "
                    f"{len(rec['runs'])} runs, {trained:.0f} s of training in all; the `run` "
                    f"calls that wrote this record took {rec['elapsed_s']:.0f} s of wall "
                    "time).", "",
                "<details><summary>per-seed values and training commands</summary>", "",
                *per_seed, *([""] if per_seed else []),
                *[f"- `{m['command']}`" for m in rec["runs"].values()], "", "</details>", ""]
    return "\n".join(out).strip() + "\n"


def write_results_md() -> None:
    text = RESULTS_MD.read_text()
    pattern = re.compile(re.escape(TABLE_BEGIN) + ".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{RESULTS_MD} has no {TABLE_BEGIN} ... {TABLE_END} block")
    table = f"{TABLE_BEGIN}\n{results_table()}{TABLE_END}"
    RESULTS_MD.write_text(pattern.sub(lambda _: table, text))
    print(f"wrote {RESULTS_MD}")


#: Seeds a sweep may ask for (each is a training of every run), and the CPUs of its local Ray.
MAX_SEEDS = 20
MAX_JOBS = os.cpu_count() or 1
RUN_NAMES = Pattern(r"[a-z0-9-]{1,40}(,[a-z0-9-]{1,40}){0,19}",
                    "comma-separated run names (see `list`), e.g. semi-100,semi-1000",
                    ("Semi 100", ",", "../x"))


def _dataset(text: str) -> str:
    """--dataset: a dataset name aae_core knows or an existing folder (of IDX files)."""
    from aae_core.data.registry import DATASET_NAMES

    if text in DATASET_NAMES or (text.strip() and len(text) <= 4000 and Path(text).is_dir()):
        return text
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(DATASET_NAMES)} or a folder "
                                     f"of MNIST-style IDX files, got {text[:80]!r}")


_dataset.bad = ("nope", "/no/such/folder", "")  # for tests/test_bench_args.py


def build_parser() -> argparse.ArgumentParser:
    p = parser("python -m bench.experiments", __doc__, raw=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("list")
    r = sub.add_parser("run")
    r.add_argument("experiments", nargs="+", choices=[*EXPERIMENTS, "all"])
    r.add_argument("--dataset", type=_dataset, default="mnist-10k",
                   help=f"{', '.join(DATASETS)} (recorded), or any dataset aae_core reads")
    r.add_argument("--epochs", type=Whole(1, MAX_EPOCHS), default=None,
                   help="override every run's epochs (a quick check; not recorded)")
    r.add_argument("--jobs", type=Whole(1, MAX_JOBS), default=min(2, MAX_JOBS),
                   help="CPUs of the local Ray started for the sweep (one run each)")
    r.add_argument("--seeds", type=Whole(1, MAX_SEEDS), default=1,
                   help="train every run with seeds 0..N-1, side by side")
    r.add_argument("--ray-address", type=RAY_ADDRESS, default=os.environ.get("RAY_ADDRESS"),
                   help="a Ray cluster to run on (default $RAY_ADDRESS, else a local Ray)")
    r.add_argument("--only", type=RUN_NAMES, default=None,
                   help="train and measure only these runs (comma-separated names, e.g. "
                        "semi-100,semi-1000); the record keeps the other rows")
    r.add_argument("--retrain", action="store_true")
    r.add_argument("--paper", action="store_true",
                   help="the paper's networks and schedules (GPU, full MNIST)")
    sub.add_parser("table")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        for exp in EXPERIMENTS.values():
            runs = exp.plan("mnist-10k", False)
            print(f"{exp.name:<16} {exp.title} ({len(runs)} runs)")
        return 0
    if args.command == "table":
        write_results_md()
        return 0
    names = list(EXPERIMENTS) if "all" in args.experiments else args.experiments
    only = tuple(args.only.split(",")) if args.only else ()
    for name in names:  # every experiment's --only names, before any training
        _pick_runs(EXPERIMENTS[name].plan(args.dataset, args.paper), only)
    _data(args.dataset)  # a folder that is not a dataset: one line now, not after Ray starts
    for name in names:
        run_experiment(EXPERIMENTS[name], args.dataset, jobs=args.jobs, retrain=args.retrain,
                       paper=args.paper, epochs=args.epochs, seeds=tuple(range(args.seeds)),
                       ray_address=args.ray_address, only=only)
    return 0


if __name__ == "__main__":
    run_script(main)
