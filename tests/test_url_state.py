"""The Explore page's link: parsing (ui/url_state.py) and the round trip through the page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.store import catalog
from tests.conftest import ROOT
from ui import url_state

NAMES = ["aae-mixture", "aae-supervised"]
DIMS = {"aae-mixture": 2, "aae-supervised": 2}


def test_a_full_link_is_read():
    url = url_state.parse({"model": "aae-supervised", "z": "0.5,-1", "label": "4",
                           "view": "interpolate", "seed": "7", "n": "12", "from": "3",
                           "to": "9"}, model_names=NAMES, latent_dims=DIMS)
    assert (url.model, url.z, url.label, url.view) == ("aae-supervised", [0.5, -1.0], 4,
                                                        "interpolate")
    assert (url.seed, url.lattice, url.ends) == (7, 12, (3, 9))
    assert not url.problems and not url.rejected


@pytest.mark.parametrize(("key", "value", "words"), [
    ("label", "x", "class number"), ("seed", "-1", "whole number"), ("n", "99", "5 to 30"),
    ("from", "abc", "held-out digit number"), ("view", "<b>", "expected one of"),
    ("z", "1,2,3", "dimensions"),
])
def test_every_rejected_parameter_is_named_for_removal(key, value, words):
    url = url_state.parse({key: value}, model_names=NAMES, latent_dims=DIMS)
    assert url.rejected == [key]
    assert words in url.problems[0]


def test_an_unknown_model_is_left_to_the_picker_and_z_is_checked_against_the_fallback():
    url = url_state.parse({"model": "nope", "z": "1,2"}, model_names=NAMES,
                          latent_dims={"aae-mixture": 3, "aae-supervised": 2},
                          fallback="aae-supervised")
    assert url.model is None and url.z == [1.0, 2.0] and not url.problems


def test_a_clamped_z_says_so():
    z, note = url_state.clamp_note([50, -50], (-3, 3, -3, 3))
    assert z == [3.0, -3.0]
    assert "outside this model's map" in note and "(3,-3)" in note
    assert url_state.clamp_note([1, 1], (-3, 3, -3, 3)) == ([1.0, 1.0], None)


def test_the_comparison_pages_prior():
    assert url_state.parse_prior({"prior": "mixture"}, ("gaussian", "mixture")) == \
        ("mixture", None)
    prior, problem = url_state.parse_prior({"prior": "zzz"}, ("gaussian", "mixture"))
    assert prior is None and "expected one of gaussian, mixture" in problem


SHIPPED = {e.name for e in catalog.entries() if e.source == "shipped" and e.config is not None}
needs = pytest.mark.skipif(not {"aae-mixture", "aae-gaussian"} <= SHIPPED,
                           reason="shipped checkpoints missing")


def explore(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def one(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[-1] if isinstance(value, list) else value


@needs
def test_a_link_restores_the_view_settings_and_they_are_written_back():
    at = explore({"model": "aae-gaussian", "view": "sample", "seed": "5"})
    assert not at.exception
    assert at.sidebar.selectbox(key="explore_model").value == "aae-gaussian"
    assert at.session_state["sample_seed::aae-gaussian"] == 5
    assert (one(at, "model"), one(at, "view"), one(at, "seed")) == ("aae-gaussian", "sample",
                                                                     "5")
    at = explore({"model": "aae-gaussian", "view": "manifold", "n": "9"})
    assert at.session_state["lattice_n::aae-gaussian"] == 9 and one(at, "n") == "9"
    at = explore({"model": "aae-gaussian", "view": "interpolate", "from": "4", "to": "11"})
    assert at.session_state["interp_b::aae-gaussian"] == 11
    assert (one(at, "from"), one(at, "to")) == ("4", "11")


@needs
def test_a_bad_link_says_what_it_did_and_drops_what_it_rejected():
    at = explore({"model": "nope", "label": "x", "z": "50,-50"})
    assert not at.exception
    shown = at.sidebar.selectbox(key="explore_model").value
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert f"showing {shown} instead" in warnings
    assert "outside this model's map" in warnings
    assert "label" not in at.query_params
    assert one(at, "model") == shown


def test_the_interpolation_ends_points_are_read_and_checked():
    url = url_state.parse({"a": "0.5,-1", "b": "2,3"}, model_names=NAMES, latent_dims=DIMS)
    assert url.end_z == ([0.5, -1.0], [2.0, 3.0]) and not url.problems
    url = url_state.parse({"a": "1,2,3", "b": "x"}, model_names=NAMES, latent_dims=DIMS)
    assert url.end_z == (None, None) and url.rejected == ["a", "b"]
    assert "ignored end a" in url.problems[0] and "dimensions" in url.problems[0]
    assert "ignored end b" in url.problems[1]


def test_style_vs_labels_link():
    url = url_state.parse_style({"z": "0.25,-1", "label": "7", "mode": "label"},
                                latent_dim=2, n_labels=10, modes=("style", "label"))
    assert (url.z, url.label, url.mode, url.problems) == ([0.25, -1.0], 7, "label", [])
    bad = url_state.parse_style({"z": "1", "label": "10", "mode": "<b>"},
                                latent_dim=2, n_labels=10, modes=("style", "label"))
    assert (bad.z, bad.label, bad.mode) == (None, None, None)
    assert bad.rejected == ["z", "label", "mode"]
    assert "from 0 to 9" in bad.problems[1] and "expected one of style, label" in bad.problems[2]


@needs
def test_a_link_keeps_where_the_interpolation_ends_were_dragged():
    at = explore({"model": "aae-gaussian", "view": "interpolate"})
    key = "pad::aae-gaussian"
    at.session_state[key] = {"ends": {"ends": [[0.5, 0.25], [-1.0, 1.5]], "seq": 1}}
    at.run()
    assert not at.exception
    assert (one(at, "a"), one(at, "b")) == ("0.5,0.25", "-1,1.5")
    shared = explore({"model": "aae-gaussian", "view": "interpolate", "a": "0.5,0.25",
                      "b": "-1,1.5"})  # a new tab opens the link
    assert not shared.exception
    assert shared.session_state[f"_aae_latent_pad::{key}"]["ends"] == [[0.5, 0.25],
                                                                      [-1.0, 1.5]]
    assert "A** = a point you chose (0.50, 0.25)" in " ".join(m.value for m in shared.markdown)
