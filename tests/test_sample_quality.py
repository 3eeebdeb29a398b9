"""The sample-quality judge: Fréchet distance known values, and a judge that tells digits apart."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from aae_core.analysis.sample_quality import frechet_distance, judge_samples, train_judge
from aae_core.data import synthetic_digits
from aae_core.errors import ConfigError


def test_frechet_distance_of_a_set_with_itself_is_zero():
    a = torch.randn(500, 6, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-8)


def test_frechet_distance_of_shifted_gaussians_is_the_squared_shift():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(20_000, 3, generator=g)
    b = torch.randn(20_000, 3, generator=g) + torch.tensor([2.0, 0.0, 0.0])
    # equal covariances: FD = ||mu_a - mu_b||^2 = 4 (up to sampling noise)
    assert frechet_distance(a, b) == pytest.approx(4.0, abs=0.1)


def test_frechet_distance_of_scaled_gaussians_matches_the_closed_form():
    g = torch.Generator().manual_seed(2)
    a = torch.randn(40_000, 2, generator=g)
    b = 3 * torch.randn(40_000, 2, generator=g)
    # S_a = I, S_b = 9 I: Tr(I + 9 I - 2 * 3 I) = 2 * (1 + 9 - 6) = 8
    assert frechet_distance(a, b) == pytest.approx(8.0, rel=0.03)


def test_frechet_distance_refuses_mismatched_features():
    with pytest.raises(ConfigError, match="same F"):
        frechet_distance(torch.zeros(5, 3), torch.zeros(5, 4))


@pytest.fixture(scope="module")
def digits_and_judge():
    data = synthetic_digits(n_train=2000, n_test=500, seed=0)
    return data, train_judge(data.train_x, data.train_y, epochs=4)


def test_the_judge_scores_real_digits_better_than_noise_and_blur(digits_and_judge):
    data, judge = digits_and_judge
    real = judge_samples(judge, data.test_x[:250], data.test_x[250:])
    noise = judge_samples(judge, torch.rand(250, 784, generator=torch.Generator().manual_seed(0)),
                          data.test_x[250:])
    mean_digit = judge_samples(judge, data.train_x.mean(0, keepdim=True).expand(250, -1),
                               data.test_x[250:])
    assert real["fd"] < noise["fd"] and real["fd"] < mean_digit["fd"]
    assert real["confidence"] > 0.9 > noise["confidence"]
    assert real["class_spread"] < 0.2  # real digits are spread over all ten classes
    assert mean_digit["class_spread"] == pytest.approx(0.9)  # one class for every sample


def test_the_judge_is_reproducible():
    data = synthetic_digits(n_train=500, n_test=100, seed=0)
    a = train_judge(data.train_x, data.train_y, epochs=1, seed=3)
    b = train_judge(data.train_x, data.train_y, epochs=1, seed=3)
    assert torch.equal(a(data.test_x), b(data.test_x))


def test_the_cached_judge_is_trained_once_then_loaded(tmp_path, monkeypatch):
    from aae_core.analysis import sample_quality
    from aae_core.analysis.sample_quality import cached_judge

    data = synthetic_digits(n_train=200, n_test=10)
    first = cached_judge("synthetic", data.train_x, data.train_y, tmp_path, epochs=1)
    monkeypatch.setattr(sample_quality, "train_judge", lambda *a, **k: pytest.fail("retrained"))
    again = cached_judge("synthetic", data.train_x, data.train_y, tmp_path, epochs=1)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(),
                                                  again.state_dict().values(), strict=True))
    monkeypatch.undo()
    (tmp_path / "judges" / "synthetic-e1-s0.pt").write_bytes(b"broken")
    rebuilt = cached_judge("synthetic", data.train_x, data.train_y, tmp_path, epochs=1)
    assert torch.equal(rebuilt.head.weight, first.head.weight)  # same seed, same judge


def test_a_shipped_judge_is_loaded_instead_of_training_and_a_broken_one_is_not(tmp_path,
                                                                             monkeypatch):
    from safetensors.torch import save_file

    from aae_core.analysis import sample_quality
    from aae_core.analysis.sample_quality import cached_judge

    data = synthetic_digits(n_train=200, n_test=10)
    made = sample_quality.train_judge(data.train_x, data.train_y, epochs=1)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    save_file(made.state_dict(), shipped / "synthetic-e1-s0.safetensors")
    monkeypatch.setattr(sample_quality, "train_judge", lambda *a, **k: pytest.fail("trained"))
    got = cached_judge("synthetic", data.train_x, data.train_y, tmp_path / "cache", epochs=1,
                       shipped_dir=shipped)
    assert torch.equal(got.head.weight, made.head.weight)
    monkeypatch.undo()
    (shipped / "synthetic-e1-s0.safetensors").write_bytes(b"not a judge")
    rebuilt = cached_judge("synthetic", data.train_x, data.train_y, tmp_path / "cache", epochs=1,
                           shipped_dir=shipped)  # trained anew, and kept in the cache
    assert (tmp_path / "cache" / "judges" / "synthetic-e1-s0.pt").exists()
    assert rebuilt.head.weight.shape == made.head.weight.shape


def test_a_stored_judge_loads_without_the_images_and_none_when_there_is_none(tmp_path):
    from safetensors.torch import save_file

    from aae_core.analysis.sample_quality import stored_judge, train_judge

    assert stored_judge("synthetic", tmp_path / "cache", shipped_dir=tmp_path) is None
    data = synthetic_digits(n_train=200, n_test=10)
    made = train_judge(data.train_x, data.train_y, epochs=1)
    save_file(made.state_dict(), tmp_path / "synthetic-e4-s0.safetensors")
    got = stored_judge("synthetic", tmp_path / "cache", shipped_dir=tmp_path)
    assert got is not None and not got.training
    assert torch.equal(got(data.test_x), made(data.test_x))


SHIPPED_JUDGES = sorted((Path(__file__).resolve().parents[1] / "checkpoints" / ".judges")
                        .glob("*.safetensors"))


@pytest.mark.parametrize("path", SHIPPED_JUDGES, ids=lambda p: p.stem)
def test_each_shipped_judge_loads_without_images_and_reads_held_out_digits(path, tmp_path):
    """checkpoints/.judges: the judges the Style vs Label page uses without training one."""
    from aae_core.analysis.sample_quality import stored_judge
    from aae_core.data import available, load_dataset

    dataset, epochs, seed = path.stem.rsplit("-", 2)
    judge = stored_judge(dataset, tmp_path / "empty-cache", epochs=int(epochs[1:]),
                         seed=int(seed[1:]), shipped_dir=path.parent)
    assert judge is not None
    if not available(dataset):
        pytest.skip(f"{dataset}'s images are not here to score the judge on")
    data = load_dataset(dataset, download=False)
    with torch.no_grad():
        accuracy = (judge(data.test_x).argmax(1) == data.test_y).float().mean()
    assert accuracy >= 0.9
