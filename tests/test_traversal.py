"""Latent traversals (aae_core.analysis.traversal): one dimension moves from -2 to +2
standard deviations while the others stay at the held code; every digit is measured and,
with a judge, named; the label-flip rate counts the digits named otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aae_core.analysis.morphometry import MEASURES
from aae_core.analysis.traversal import MAX_DIMS, SPAN, STEPS, code_spread, traverse
from aae_core.config import ModelConfig
from aae_core.errors import ConfigError
from aae_core.models import build_model
from aae_core.priors import PriorSpec


def tiny(model: str = "aae", dim: int = 8):
    torch.manual_seed(0)
    config = ModelConfig(model=model, prior=PriorSpec(name="gaussian", dim=dim),
                         hidden=(16,), disc_hidden=(16,))
    return build_model(config).eval()


def test_each_strip_moves_its_own_dimension_and_holds_the_others():
    model = tiny(dim=8)
    codes = np.random.default_rng(0).normal(2.0, 3.0, (500, 8))
    mean, sd = code_spread(codes)
    held = codes[7]
    walk = traverse(model, held, mean, sd, steps=5, dims=(1, 6))
    assert walk.dims == (1, 6)
    np.testing.assert_allclose(walk.offsets, np.linspace(-SPAN, SPAN, 5))
    np.testing.assert_allclose(walk.values[0], mean[1] + walk.offsets * sd[1])
    assert walk.images.shape == (2, 5, 28, 28) and walk.measures.shape == (2, 5, len(MEASURES))
    assert walk.named is None and walk.flip_rates() is None
    # The strip is the decoder's output at exactly those codes.
    z = np.repeat(held[None], 5, 0).astype(np.float32)
    z[:, 6] = walk.values[1]
    with torch.no_grad():
        expected = model.decode(torch.as_tensor(z)).view(5, 28, 28).numpy()
    np.testing.assert_allclose(walk.images[1], expected, atol=1e-6)


def test_every_dimension_by_default_and_a_label_for_decoders_that_take_one():
    model = tiny("aae-supervised", dim=3)
    mean, sd = np.zeros(3), np.ones(3)
    one, seven = (traverse(model, mean, mean, sd, steps=3, label=k) for k in (1, 7))
    assert one.dims == (0, 1, 2)
    assert not np.allclose(one.images, seven.images)  # the label reaches the decoder


def test_the_flip_rate_counts_digits_the_judge_names_otherwise():
    model = tiny(dim=2)
    mean, sd = np.zeros(2), np.ones(2)

    def by_ink(images):  # a judge: "1" for digits with more ink than the held one's
        return (images.sum(1) > held_ink).astype(int)

    with torch.no_grad():
        held_ink = float(model.decode(torch.zeros(1, 2)).sum())
    walk = traverse(model, mean, mean, sd, steps=7, name_digits=by_ink)
    assert walk.held_named == 0
    ink = walk.images.reshape(2, 7, -1).sum(-1)
    np.testing.assert_allclose(walk.flip_rates(), (ink > held_ink).mean(1))


def test_code_spread_keeps_constant_dimensions_movable():
    codes = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    mean, sd = code_spread(codes)
    assert mean.tolist() == [4.5, 3.0]
    assert sd[0] == pytest.approx(np.arange(10.0).std()) and sd[1] == 1.0


@pytest.mark.parametrize("change, why", [
    ({"steps": STEPS[1] + 1}, "steps must be"),
    ({"steps": STEPS[0] - 1}, "steps must be"),
    ({"dims": (8,)}, "dimensions to traverse"),
    ({"dims": ()}, "dimensions to traverse"),
    ({"dims": tuple(range(MAX_DIMS + 1))}, "dimensions to traverse"),
    ({"held": np.zeros(3)}, "must each have 8 values"),
])
def test_bad_requests_are_refused_in_one_line(change, why):
    model = tiny(dim=8)
    args = {"held": np.zeros(8), "mean": np.zeros(8), "sd": np.ones(8), **change}
    held, mean, sd = args.pop("held"), args.pop("mean"), args.pop("sd")
    with pytest.raises(ConfigError, match=why):
        traverse(model, held, mean, sd, **args)
    with pytest.raises(ConfigError, match="two finite codes"):
        code_spread(np.zeros((1, 8)))
