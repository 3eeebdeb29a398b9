"""bench/gpu_check.py: what it can do without a GPU, it does here (on the CPU, tiny).

Every check (CLI train/eval/sample, reopening on the CPU, the background run's pause,
resume and stop, the timed step and the reference step) runs for real on the CPU; only
the CUDA-graph replay and the 1.5x target need a GPU (tests/test_step.py drives the
graph runner's logic with stand-ins).
"""

from __future__ import annotations

import pytest
import torch

from bench import gpu_check

TINY = ["--device", "cpu", "--steps", "5", "--batch-size", "800", "--hidden", "32",
        "--sizes", "32x20", "--time-steps", "3"]


def test_without_a_gpu_it_says_so_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 0
    assert capsys.readouterr().out.startswith("no CUDA GPU on this machine")


@pytest.mark.slow
def test_every_check_runs_on_the_cpu(capsys):
    code = gpu_check.main([*TINY, "--models", "aae,aae-semi-supervised"])
    out = capsys.readouterr().out
    assert code == 0, out
    table = out.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("model "))
    for row in table[header + 1:header + 3]:
        name, *cells, result = row.split()
        assert cells[:5] == ["ok"] * 5 and result == "ok", row
        assert cells[5].count("/") == 1 and cells[6].endswith("x")  # ours/ref ms, ratio
    assert "aae: train 5 steps" in out and "eager" in out
    assert out.rstrip().endswith("2 of 2 models passed")


def test_a_failed_check_is_in_the_table_and_the_exit_status(monkeypatch, capsys):
    """The reporting, with stand-ins for the slow parts (they run for real above)."""
    monkeypatch.setattr(gpu_check, "reference_step_ms", lambda *a: 1.0)
    monkeypatch.setattr(gpu_check, "model_step_ms", lambda *a: (1.2, 3, "eager"))
    monkeypatch.setattr(gpu_check, "cli_train", lambda *a: "40 steps")
    monkeypatch.setattr(gpu_check, "cli_eval", lambda *a: "knn 0.5")
    monkeypatch.setattr(gpu_check, "reopen_on_cpu", lambda *a: "")
    monkeypatch.setattr(gpu_check, "background_run", lambda *a: "12 steps")

    def broken_sample(*args):
        raise OSError("disk full")

    monkeypatch.setattr(gpu_check, "cli_sample", broken_sample)
    assert gpu_check.main([*TINY, "--models", "aae,vae"]) == 1
    out = capsys.readouterr().out
    assert "aae FAILED sample: OSError: disk full" in out
    assert out.rstrip().endswith("0 of 2 models passed; failed: aae, vae")
    assert "1.20/1.00ms 1.20x" in out


def test_the_reference_step_trains_three_phases():
    ref = gpu_check.ReferenceAAE(hidden=16, size=8, device=torch.device("cpu"))
    before = [p.detach().clone() for p in ref.disc.parameters()]
    losses = ref.step()
    assert losses.shape == (3,) and torch.isfinite(losses).all()
    assert all(not torch.equal(a, b) for a, b in zip(before, ref.disc.parameters(),
                                                      strict=True))
    assert all(p.requires_grad for p in ref.disc.parameters())  # unfrozen after phase 3


@pytest.mark.slow
def test_the_concurrency_bench_measures_runs_at_once_on_the_cpu():
    from aae_core.data import synthetic_digits
    from bench import train_concurrency

    data = synthetic_digits(n_train=400, n_test=50)
    two = train_concurrency.measure(2, seconds=1.0, device="cpu", hidden=(16,),
                                    batch_size=20, data=data)
    assert two["runs"] == 2 and two["errors"] == [] and two["step"] == "eager"
    assert two["min_run_steps"] > 0  # both runs trained in the window
    assert two["images_per_s"] == pytest.approx(2 * two["per_run"])
