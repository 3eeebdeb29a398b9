"""batched: the one loop that runs a model over many images, a batch at a time."""

from __future__ import annotations

import pytest
import torch

from aae_core.config import ModelConfig
from aae_core.errors import ConfigError
from aae_core.inference import batched
from aae_core.models import build_model


def tiny(model: str):
    torch.manual_seed(0)
    return build_model(ModelConfig(model=model, hidden=(8,), disc_hidden=(8,))).eval()


def test_batches_give_the_same_answer_as_one_pass():
    semi, x = tiny("aae-semi-supervised"), torch.rand(30, 784)
    probs = batched(semi.classify, x, batch=7)  # 5 batches, the last of 2 rows
    with torch.no_grad():
        whole = semi.classify(x)
    assert probs.shape == (30, 10) and not probs.requires_grad
    torch.testing.assert_close(probs, whole)
    torch.testing.assert_close(probs.sum(1), torch.ones(30))
    torch.testing.assert_close(batched(semi.encode, x, batch=4), semi.encode(x).detach())


def test_extra_inputs_are_cut_into_the_same_batches():
    seen = []

    def fn(x, labels, nothing):
        seen.append((len(x), labels.tolist(), nothing))
        return x[:, :1] + labels[:, None]

    x, labels = torch.zeros(5, 3), torch.arange(5)
    out = batched(fn, x, labels, None, batch=2)
    assert seen == [(2, [0, 1], None), (2, [2, 3], None), (1, [4], None)]
    assert out.squeeze(1).tolist() == [0, 1, 2, 3, 4]


def test_batches_go_to_the_device_and_results_come_back():
    devices = []

    def fn(x):
        devices.append(x.device)
        return x * 2

    out = batched(fn, torch.ones(3, 2), device="cpu", batch=2)
    assert devices == [torch.device("cpu")] * 2 and out.device == torch.device("cpu")
    assert torch.equal(out, torch.full((3, 2), 2.0))


def test_a_model_without_a_classifier_is_refused():
    with pytest.raises(ConfigError, match="no classifier"):
        batched(tiny("aae").classify, torch.rand(2, 784))
