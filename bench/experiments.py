"""The paper's experiments (SPEC.md 4-8), end to end: train with the command line, measure,
print the figures and record them for RESULTS.md.

    python -m bench.experiments list
    python -m bench.experiments run EXPERIMENT [EXPERIMENT ...] [--dataset mnist-10k]
                                    [--jobs 2] [--seeds 1] [--ray-address ADDR]
                                    [--retrain] [--paper]
    python -m bench.experiments table      # rewrite RESULTS.md's table from bench/results/

Each experiment is a set of `python -m aae_core train ...` runs (each written to
runs/experiments/<dataset>/<run>/, reused when its card shows the same command; --retrain
forces) and a measurement over the checkpoints, on the dataset's held-out split only.
Every run is a Ray task asking for one CPU (one torch thread; a GPU share on a GPU cluster),
all submitted at once: a local Ray with --jobs CPUs (this machine: 2 cores, --jobs 2) is
started for the sweep, or the sweep joins the cluster at --ray-address / $RAY_ADDRESS. The
checkpoints come back through Ray as bytes (no shared disk needed) and each is written as
soon as its run ends, so a sweep stopped half-way resumes with the runs it lacks.
--seeds N trains each run with seeds 0..N-1 side by side (seed 0 in <run>, the others in
<run>-seed<N>).
--paper swaps in the paper's networks and schedules (2 x 1000 units, hundreds of epochs):
for a user with a GPU and the full MNIST (`--dataset mnist --paper`).

Records go to bench/results/<experiment>--<dataset>.json: the rows of the table plus every
training command and card (epochs, wall time, device).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "experiments"
RECORDS = ROOT / "bench" / "results"
RESULTS_MD = ROOT / "RESULTS.md"
TABLE_BEGIN, TABLE_END = "<!-- results:begin -->", "<!-- results:end -->"
DATASETS = ("mnist-10k", "fashion-mnist", "mnist")


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
        """Where this run's checkpoint lives: <name> for seed 0, <name>-seed<N> otherwise."""
        return RUNS / dataset / (self.name if seed == 0 else f"{self.name}-seed{seed}")


@dataclass
class Row:
    setting: str
    ours: str
    paper: str
    runs: list[str] = field(default_factory=list)  # Run names that made it
    note: str = ""


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


def _semi_plan(dataset, paper):
    runs = []
    for labels in (100, 1000, -1):
        runs.append(Run(f"semi-{labels if labels > 0 else 'all'}",
                        ("--model", "aae-semi-supervised", "--labels", str(labels),
                         "--latent-dim", "2", *_nets(paper), "--lr", "1e-3",
                         "--lr-adv", "1e-3", "--input-noise", "0.3"),
                        _epochs(dataset, 60, paper, 500)))
    return runs


def _labelled_only_baseline(data, labels: int, seed: int) -> float:
    """Test error of a plain MLP classifier (the sample-quality judge's network) trained on
    the same labelled images alone, for about 3,000 steps: what the unlabelled images add."""
    import torch

    from aae_core.data import labeled_indices
    from aae_core.metrics import classification_error
    from aae_core.sample_quality import train_judge

    idx = (torch.arange(len(data.train_y)) if labels == -1 else
           labeled_indices(data.train_y, labels, data.n_classes, seed))
    epochs = max(8, math.ceil(3000 / (len(idx) // 100)))
    judge = train_judge(data.train_x[idx], data.train_y[idx], epochs=epochs, seed=seed)
    with torch.no_grad():
        return classification_error(judge(data.test_x).argmax(1), data.test_y)


def _semi_measure(dataset, ckpts):
    from aae_core.classify import classification_report, paper_error
    from aae_core.inference import batched

    data = _data(dataset)
    rows = []
    for name, ckpt in ckpts.items():
        probs = batched(ckpt.model.classify, data.test_x, device=ckpt.model.device)
        err = classification_report(probs.numpy(), data.test_y)["error"]
        labels = ckpt.train.labels
        base = _labelled_only_baseline(data, labels, ckpt.train.seed)
        setting = f"{'all' if labels == -1 else labels} labels"
        rows.append(Row(setting, f"{100 * err:.2f} % error",
                        paper_error("semi-supervised", setting), [name],
                        f"an MLP on the labelled images alone: {100 * base:.2f} %"))
    return rows


def _cluster_plan(dataset, paper):
    return [Run(f"cluster-{k}",
                ("--model", "aae-clustering", "--labels", "0", "--n-classes", str(k),
                 "--latent-dim", "2", *_nets(paper), "--lr", "1e-3",
                 "--lr-adv", "1e-3", "--disc-noise", "0.5", "--input-noise", "0.3"),
                _epochs(dataset, 60, paper, 500)) for k in (16, 30)]


def _cluster_measure(dataset, ckpts):
    from aae_core.classify import clustering_report, paper_error
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
        rows.append(Row(setting,
                        f"{100 * conf['error']:.2f} % (most confident); "
                        f"{100 * maj['error']:.2f} % (majority)",
                        paper_error("clustering", setting), [name],
                        f"{conf['empty_clusters']} of {k} clusters empty"))
    return rows


def _parzen_plan(dataset, paper):
    common = ("--prior", "gaussian", "--latent-dim", "8", *_nets(paper, "512,512"),
              "--lr", "1e-3")
    epochs = _epochs(dataset, 40, paper, 500)
    return [Run("parzen-aae", ("--model", "aae", *common, "--lr-adv", "1e-3"), epochs),
            Run("parzen-vae", ("--model", "vae", *common), epochs)]


def _parzen_measure(dataset, ckpts):
    import torch

    from aae_core.metrics import parzen_log_likelihood, select_parzen_sigma

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
        rows.append(Row(f"{ckpt.model.config.model}, 8-D latent",
                        f"{ll['mean']:.0f} ± {ll['std_err']:.0f} nats (σ = {sigma:.3f})",
                        paper[name], [name]))
    return rows


def _dimred_plan(dataset, paper):
    return [Run(f"dimred-{labels}",
                ("--model", "aae-dim-reduction", "--labels", str(labels), "--n-classes", "10",
                 "--latent-dim", "2", "--prior-std", "0.5", *_nets(paper),
                 "--lr", "1e-3", "--lr-adv", "1e-3", "--input-noise", "0.3"),
                _epochs(dataset, 40, paper, 500)) for labels in (100, 1000)]


def _dimred_measure(dataset, ckpts):
    from aae_core.classify import classification_report
    from aae_core.inference import batched
    from aae_core.metrics import knn_accuracy

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
                        f"{100 * err:.2f} % error (heads); 5-NN on the 2-D map "
                        f"{100 * (1 - knn):.2f} % error",
                        "MNIST: 2-D maps (Fig. 9); error rates not restated in SPEC.md", [name]))
    return rows


def _packing_plan(dataset, paper):
    runs = []
    for prior in ("gaussian", "mixture"):
        common = ("--prior", prior, "--latent-dim", "2", *_nets(paper), "--lr", "1e-3")
        epochs = _epochs(dataset, 24, paper, 200)
        runs += [Run(f"pack-aae-{prior}", ("--model", "aae", *common, "--lr-adv", "1e-3"),
                     epochs),
                 Run(f"pack-vae-{prior}", ("--model", "vae", *common), epochs),
                 Run(f"pack-wae-mmd-{prior}",
                     ("--model", "wae-mmd", *common, "--reg-weight", "10"), epochs)]
    return runs


def _packing_measure(dataset, ckpts):
    from aae_core.compare import held_out_codes, measure, reconstruction

    data = _data(dataset)
    rows = []
    for prior in ("gaussian", "mixture"):
        results = {}
        for family in ("aae", "vae", "wae-mmd"):
            ckpt = ckpts[f"pack-{family}-{prior}"]
            codes = held_out_codes(ckpt.model, data.test_x, sample=False)
            results[family] = measure(family, family, codes, ckpt.model.prior,
                                      recon=reconstruction(ckpt.model, data.test_x))
        aae, vae = results["aae"].values, results["vae"].values
        keys = ["prior_mmd", "sliced_wasserstein", "holes"]
        keys += ["occupancy_tv"] if prior == "mixture" else []
        wins = sum(aae[k] < vae[k] for k in keys)
        for family, res in results.items():
            v = res.values
            text = (f"MMD {v['prior_mmd']:.3f}, SW {v['sliced_wasserstein']:.3f}, "
                    f"holes {100 * v['holes']:.1f} %")
            if "occupancy_tv" in v:
                text += f", occupancy TV {v['occupancy_tv']:.3f}"
            text += f", recon BCE {v['recon_bce']:.1f}"
            note = (f"AAE better than VAE on {wins} of {len(keys)} packing metrics"
                    if res is results["aae"] else "")
            rows.append(Row(f"{family}, {prior} prior (2-D)", text,
                            "MNIST: AAE fills the prior, VAE leaves gaps (Fig. 2, qualitative)",
                            [f"pack-{family}-{prior}"], note))
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

    from aae_core.compare import reconstruction
    from aae_core.sample_quality import judge_samples, train_judge

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
                        f"recon MSE {recon['mse']:.4f}; sample FD {q['fd']:.1f}, "
                        f"confidence {q['confidence']:.3f}",
                        "CelebA FID: VAE 63, WAE-MMD 55, WAE-GAN 42", [name],
                        f"real training images score FD {real['fd']:.1f}, "
                        f"confidence {real['confidence']:.3f}"))
    return rows


EXPERIMENTS = {e.name: e for e in (
    Experiment("semi-supervised", "Semi-supervised classification (SPEC 4)",
               _semi_plan, _semi_measure),
    Experiment("clustering", "Unsupervised clustering (SPEC 5)", _cluster_plan,
               _cluster_measure),
    Experiment("parzen", "Parzen-window log-likelihood, 10,000 samples (SPEC 1, 10)",
               _parzen_plan, _parzen_measure),
    Experiment("dim-reduction", "Dimensionality reduction to 2-D (SPEC 6)", _dimred_plan,
               _dimred_measure),
    Experiment("packing", "AAE vs VAE vs WAE-MMD latent packing (SPEC 7)", _packing_plan,
               _packing_measure),
    Experiment("wae", "VAE vs WAE-MMD vs WAE-GAN (SPEC 8)", _wae_plan, _wae_measure),
)}


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
    from aae_core import remote
    from aae_core.checkpoints import write_checkpoint_files

    folders, todo = {}, {}
    for run in runs:
        for seed in seeds:
            out = run.folder(dataset, seed)
            folders[run.name, seed] = out
            argv = run.argv(dataset, out, epochs, seed)
            if not retrain and _reusable(argv, out):
                print(f"  {out.name}: reusing {out}", flush=True)
            else:
                todo[run.name, seed] = (argv, out)
    if not todo:
        return folders
    remote.connect(ray_address or os.environ.get("RAY_ADDRESS"), num_cpus=max(1, jobs))
    pending = {}
    for key, (argv, out) in todo.items():
        print(f"  {out.name}: submitted ({argv[argv.index('--epochs') + 1]} epochs)", flush=True)
        pending[remote.submit_training(argv, argv[-1])] = key
    _collect(pending, todo, write_checkpoint_files)
    return folders


def _collect(pending: dict, todo: dict, write_checkpoint_files) -> None:
    """Write each run's log and checkpoint as its task finishes (in finishing order)."""
    import ray

    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        key = pending.pop(ready[0])
        argv, out = todo[key]
        status, log_text, files = ray.get(ready[0])
        log = out.with_suffix(".log")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(log_text)
        if status != 0 or not files:
            raise SystemExit(f"{out.name} failed (exit {status}); see {log}")
        write_checkpoint_files(out, files)
        summary = [line for line in log_text.splitlines() if " epochs, " in line]
        print(f"  {out.name}: {summary[-1] if summary else 'done'}", flush=True)


def run_experiment(exp: Experiment, dataset: str, *, jobs: int, retrain: bool,
                   paper: bool, epochs: int | None = None, seeds=(0,),
                   ray_address: str | None = None) -> dict:
    """Train (or reuse) the experiment's runs for every seed, measure them, print the rows;
    the record is written to bench/results/ unless the paper setting or an epochs override
    was used. The rows are the first seed's; with several seeds, "per_seed" holds each
    seed's rows."""
    from aae_core.checkpoints import load_checkpoint

    runs = exp.plan(dataset, paper)
    print(f"{exp.title} on {dataset}: {len(runs)} runs x {len(seeds)} seeds", flush=True)
    t0 = time.perf_counter()
    folders = train_runs(runs, dataset, seeds=seeds, retrain=retrain, epochs=epochs,
                         jobs=jobs, ray_address=ray_address)
    ckpts = {key: load_checkpoint(folder) for key, folder in folders.items()}
    rows_by_seed = {seed: exp.measure(dataset, {run.name: ckpts[run.name, seed]
                                                for run in runs}) for seed in seeds}
    rows = rows_by_seed[seeds[0]]
    data = _data(dataset)
    record = {
        "experiment": exp.name, "title": exp.title, "dataset": dataset, "split": data.split,
        "paper_setting": paper,
        "command": f"python -m bench.experiments run {exp.name} --dataset {dataset}"
                   + (" --paper" if paper else ""),
        "rows": [row.__dict__ for row in rows],
        "runs": {folders[key].name: {
            "command": c.card.get("command"), "epochs": c.card.get("epochs"),
            "wall_time_s": c.card.get("wall_time_s"), "device": c.card.get("device"),
            "hidden": list(c.model.config.hidden)} for key, c in ckpts.items()},
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }
    if len(seeds) > 1:
        record["per_seed"] = {str(seed): [row.__dict__ for row in seed_rows]
                              for seed, seed_rows in rows_by_seed.items()}
    for row in rows:
        print(f"  {row.setting:<34} ours: {row.ours}   paper: {row.paper}"
              + (f"   [{row.note}]" if row.note else ""))
    if not paper and epochs is None and dataset in DATASETS:
        RECORDS.mkdir(parents=True, exist_ok=True)
        (RECORDS / f"{exp.name}--{dataset}.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False))
    return record


# ---------------------------------------------------------------- RESULTS.md


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def results_table() -> str:
    """Markdown: one section per experiment, a row per setting and dataset."""
    records = [json.loads(p.read_text()) for p in sorted(RECORDS.glob("*.json"))]
    order = {name: i for i, name in enumerate(EXPERIMENTS)}
    records.sort(key=lambda r: (order.get(r["experiment"], 99), DATASETS.index(r["dataset"])))
    out, current = [], None
    for rec in records:
        if rec["experiment"] != current:
            current = rec["experiment"]
            out += ["", f"### {rec['title']}", "",
                    "| data | setting | ours | paper | epochs | wall time | note |",
                    "|---|---|---|---|---|---|---|"]
        for row in rec["rows"]:
            meta = [rec["runs"][r] for r in row["runs"]]
            epochs = ", ".join(str(m["epochs"]) for m in meta)
            wall = ", ".join(f"{m['wall_time_s']:.0f} s" for m in meta)
            out.append("| " + " | ".join(_cell(c) for c in (
                rec["dataset"], row["setting"], row["ours"], row["paper"], epochs, wall,
                row["note"])) + " |")
        nets = " / ".join(sorted({"x".join(map(str, m["hidden"])) for m in rec["runs"].values()}))
        trained = sum(m["wall_time_s"] or 0 for m in rec["runs"].values())
        out += ["", f"Rerun: `{rec['command']}` ({rec['split']}; hidden layers {nets}; "
                    f"{trained:.0f} s of training in all).", "",
                "<details><summary>training commands</summary>", "",
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.experiments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    r = sub.add_parser("run")
    r.add_argument("experiments", nargs="+", choices=[*EXPERIMENTS, "all"])
    r.add_argument("--dataset", default="mnist-10k",
                   help=f"{', '.join(DATASETS)} (recorded), or any dataset aae_core reads")
    r.add_argument("--epochs", type=int, default=None,
                   help="override every run's epochs (a quick check; not recorded)")
    r.add_argument("--jobs", type=int, default=2,
                   help="CPUs of the local Ray started for the sweep (one run each)")
    r.add_argument("--seeds", type=int, default=1,
                   help="train every run with seeds 0..N-1, side by side")
    r.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"),
                   help="a Ray cluster to run on (default $RAY_ADDRESS, else a local Ray)")
    r.add_argument("--retrain", action="store_true")
    r.add_argument("--paper", action="store_true",
                   help="the paper's networks and schedules (GPU, full MNIST)")
    sub.add_parser("table")
    args = p.parse_args(argv)
    if args.command == "list":
        for exp in EXPERIMENTS.values():
            runs = exp.plan("mnist-10k", False)
            print(f"{exp.name:<16} {exp.title} ({len(runs)} runs)")
        return 0
    if args.command == "table":
        write_results_md()
        return 0
    names = list(EXPERIMENTS) if "all" in args.experiments else args.experiments
    for name in names:
        run_experiment(EXPERIMENTS[name], args.dataset, jobs=args.jobs, retrain=args.retrain,
                       paper=args.paper, epochs=args.epochs, seeds=tuple(range(args.seeds)),
                       ray_address=args.ray_address)
    return 0


if __name__ == "__main__":
    sys.exit(main())
