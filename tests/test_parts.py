"""Which digit each part of a model mostly holds (aae_core.analysis.parts)."""

import numpy as np

from aae_core.analysis.parts import majority_digits, part_names, part_of_held_out
from aae_core.config import ModelConfig
from aae_core.models import build_model
from aae_core.priors import PriorSpec


def test_each_part_is_named_by_its_commonest_true_label():
    parts = np.array([0, 0, 0, 1, 1, 2])
    labels = np.array([9, 9, 4, 1, 1, 7])
    digits = majority_digits(parts, labels, 4)
    assert [(d.digit, d.count) for d in digits] == [(9, 3), (1, 2), (7, 1), (-1, 0)]
    assert digits[0].share == 2 / 3
    names = part_names("component", digits, [str(k) for k in range(10)])
    assert names[0] == "component 0: mostly 9s (67%)"
    assert names[3] == "component 3: no held-out digit"


def test_a_mixture_models_codes_go_to_the_component_they_sit_in():
    model = build_model(ModelConfig(model="aae", prior=PriorSpec("mixture", 2), hidden=(8,),
                                    disc_hidden=(8,)))
    means = model.prior.means.cpu().numpy()  # (10, 2)
    assert part_of_held_out(model, means[[3, 7]]).tolist() == [3, 7]
    gaussian = build_model(ModelConfig(model="aae", prior=PriorSpec("gaussian", 2),
                                       hidden=(8,), disc_hidden=(8,)))
    assert part_of_held_out(gaussian, means) is None  # no parts to name
