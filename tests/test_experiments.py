"""bench/experiments.py: the plans are valid commands, a tiny run measures end to end, and the
RESULTS.md table is rebuilt from the records without touching the text around it."""

from __future__ import annotations

import json

import pytest

from aae_core.cli import build_parser
from bench import experiments


@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
@pytest.mark.parametrize("dataset", ["mnist-10k", "fashion-mnist"])
def test_every_planned_run_is_a_valid_training_command(name, dataset, tmp_path):
    for paper in (False, True):
        for run in experiments.EXPERIMENTS[name].plan(dataset, paper):
            args = build_parser().parse_args(run.argv(dataset, tmp_path / run.name))
            assert args.command == "train" and args.dataset == dataset
            assert args.epochs == run.epochs >= 2
            if paper:
                assert args.hidden == (1000, 1000)  # the paper's networks


def test_the_larger_datasets_get_fewer_epochs_than_mnist_10k():
    small = {r.name: r.epochs for r in experiments.EXPERIMENTS["clustering"].plan("mnist-10k",
                                                                                    False)}
    large = {r.name: r.epochs for r in experiments.EXPERIMENTS["clustering"].plan(
        "fashion-mnist", False)}
    assert all(large[k] < small[k] for k in small)


RECORD = {
    "experiment": "clustering", "title": "Unsupervised clustering (SPEC 5)",
    "dataset": "mnist-10k", "split": "0..7999 / 8000..9999", "paper_setting": False,
    "command": "python -m bench.experiments run clustering --dataset mnist-10k",
    "rows": [{"setting": "30 clusters", "ours": "7.50 % | most confident", "paper": "4.10 %",
              "runs": ["cluster-30"], "note": "2 of 30 clusters empty"}],
    "runs": {"cluster-30": {"command": "python -m aae_core train --model aae-clustering",
                            "epochs": 40, "wall_time_s": 61.2, "device": "cpu",
                            "hidden": [512, 512]}},
    "elapsed_s": 70.0,
}


def test_results_md_table_is_rebuilt_between_its_markers(tmp_path, monkeypatch):
    records, results_md = tmp_path / "results", tmp_path / "RESULTS.md"
    records.mkdir()
    (records / "clustering--mnist-10k.json").write_text(json.dumps(RECORD))
    fashion = {**RECORD, "dataset": "fashion-mnist"}
    (records / "clustering--fashion-mnist.json").write_text(json.dumps(fashion))
    results_md.write_text(f"# Results\nintro\n{experiments.TABLE_BEGIN}\nold table\n"
                          f"{experiments.TABLE_END}\n## Protocols\nkept\n")
    monkeypatch.setattr(experiments, "RECORDS", records)
    monkeypatch.setattr(experiments, "RESULTS_MD", results_md)
    experiments.write_results_md()
    text = results_md.read_text()
    assert "old table" not in text and text.startswith("# Results\nintro\n")
    assert text.rstrip().endswith("## Protocols\nkept")
    assert "| mnist-10k | 30 clusters | 7.50 % \\| most confident | 4.10 % | 40 | 61 s |" in text
    assert "| fashion-mnist | 30 clusters |" in text
    assert text.index("| mnist-10k |") < text.index("| fashion-mnist |")
    assert "`python -m bench.experiments run clustering --dataset mnist-10k`" in text
    assert "hidden layers 512x512" in text
    assert "- `python -m aae_core train --model aae-clustering`" in text


def test_results_md_without_markers_is_refused(tmp_path, monkeypatch):
    results_md = tmp_path / "RESULTS.md"
    results_md.write_text("# Results\n")
    monkeypatch.setattr(experiments, "RESULTS_MD", results_md)
    with pytest.raises(SystemExit, match="results:begin"):
        experiments.write_results_md()


@pytest.mark.slow
def test_a_tiny_semi_supervised_experiment_runs_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(experiments, "RUNS", tmp_path / "runs")
    monkeypatch.setattr(experiments, "RECORDS", tmp_path / "results")
    record = experiments.run_experiment(experiments.EXPERIMENTS["semi-supervised"],
                                        "synthetic-digits", jobs=2, retrain=False, paper=False,
                                        epochs=1)
    assert [r["setting"] for r in record["rows"]] == ["100 labels", "1000 labels", "all labels"]
    for row in record["rows"]:
        error = float(row["ours"].split(" %")[0])
        assert 0 <= error < 90  # one epoch on rendered digits already beats chance
    assert all(m["epochs"] == 1 for m in record["runs"].values())
    assert not (tmp_path / "results").exists(), "an epochs override is never recorded"
    # a second call reuses the checkpoints instead of training again
    experiments.run_experiment(experiments.EXPERIMENTS["semi-supervised"], "synthetic-digits",
                               jobs=1, retrain=False, paper=False, epochs=1)
    assert capsys.readouterr().out.count("reusing") == 3


def test_each_seed_is_its_own_command_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "RUNS", tmp_path)
    run = experiments.EXPERIMENTS["clustering"].plan("mnist-10k", False)[0]
    assert run.folder("mnist-10k") == tmp_path / "mnist-10k" / run.name  # seed 0: as before
    seeded = run.folder("mnist-10k", 3)
    assert seeded.name == f"{run.name}-seed3"
    args = build_parser().parse_args(run.argv("mnist-10k", seeded, seed=3))
    assert args.seed == 3 and args.out == str(seeded)
