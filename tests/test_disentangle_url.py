"""The Disentanglement page's URL state (ui/disentangle/url.py): good values are read,
every bad one gives one message and is listed for removal, none crashes."""

from __future__ import annotations

import pytest

from aae_core.analysis.traversal import STEPS
from ui.disentangle.url import MEAN, parse


def test_good_values_are_read():
    state = parse({"at": "12", "label": "3", "steps": "7"}, n_held_out=100, n_labels=10)
    assert (state.at, state.label, state.steps) == (12, 3, 7)
    assert state.problems == [] and state.rejected == []
    assert parse({"at": "mean"}, n_held_out=100).at == MEAN
    assert parse({"steps": ["5", "11"]}).steps == 11  # a repeated key: the last one


def test_a_label_is_ignored_quietly_for_a_decoder_without_one():
    state = parse({"label": "3"}, n_labels=0)
    assert state.label is None and state.problems == []


@pytest.mark.parametrize("params, key, fragment", [
    ({"at": "100"}, "at", "from 0 to 99"),
    ({"at": "-1"}, "at", "from 0 to 99"),
    ({"at": "middle"}, "at", "“mean” or a held-out digit"),
    ({"label": "10"}, "label", "from 0 to 9"),
    ({"label": "<b>x</b>"}, "label", "from 0 to 9"),
    ({"steps": str(STEPS[1] + 1)}, "steps", f"{STEPS[0]} to {STEPS[1]}"),
    ({"steps": "1e9" * 50}, "steps", f"{STEPS[0]} to {STEPS[1]}"),
])
def test_a_bad_value_gives_one_message_and_is_removed(params, key, fragment):
    state = parse(params, n_held_out=100, n_labels=10)
    assert state.rejected == [key]
    assert len(state.problems) == 1 and fragment in state.problems[0]
    assert len(state.problems[0]) < 140  # a long value is cut, not echoed whole
    assert getattr(state, key) is None
