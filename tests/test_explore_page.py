"""AppTest: Home and Explore render for every shipped model; the pad, views and URL work."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.store import catalog
from aae_core.store.checkpoints import load_checkpoint
from tests.conftest import ROOT

SHIPPED = [e.name for e in catalog.entries() if e.source == "shipped" and e.config is not None]
needs_shipped = pytest.mark.skipif(not SHIPPED, reason="no shipped checkpoints in checkpoints/")


def explore(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Explore.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_home_renders_and_lists_every_model():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "adversarial autoencoder" in texts(at).lower()
    listed = {row for row in at.dataframe[0].value["checkpoint"]} if at.dataframe else set()
    assert set(SHIPPED) <= listed


@needs_shipped
@pytest.mark.parametrize("name", SHIPPED)
def test_explore_renders_every_shipped_model(name):
    at = explore({"model": name}).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    model = load_checkpoint(catalog.resolve(name)).model
    assert len(at.session_state["explore_z"]) == model.latent_dim


@needs_shipped
def test_a_pad_release_is_decoded_by_the_server():
    name = SHIPPED[0]
    at = explore({"model": name}).run()
    at.session_state[f"pad::{name}"] = {"z": {"z": [1.5, -0.5], "xy": [1.5, -0.5], "seq": 1}}
    at.run()
    assert not at.exception
    assert at.session_state["explore_z"] == [1.5, -0.5]
    assert at.query_params["z"] in ("1.5,-0.5", ["1.5,-0.5"])


@needs_shipped
@pytest.mark.parametrize("view", ["manifold", "sample", "interpolate", "draw"])
def test_every_view_renders(view):
    at = explore({"model": SHIPPED[0], "view": view}).run()
    assert not at.exception, at.exception
    assert at.session_state["explore_view"] == view


@needs_shipped
def test_a_link_restores_model_and_z():
    name = SHIPPED[-1]
    at = explore({"model": name, "z": "0.25,-1"}).run()
    assert not at.exception
    assert at.session_state["model"] == name
    assert at.session_state["explore_z"] == [0.25, -1.0]


@needs_shipped
@pytest.mark.parametrize("query, fragment", [
    ({"model": "../../etc/passwd"}, "not here"),
    ({"z": "one,two"}, "expected numbers"),
    ({"z": "nan,1"}, "finite"),
    ({"z": "1,2,3"}, "dimensions"),
    ({"view": "<script>"}, "expected one of"),
    ({"label": "x"}, "class number"),
])
def test_bad_query_params_get_a_clear_message_not_a_crash(query, fragment):
    at = explore(query).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert fragment in warnings


@needs_shipped
def test_sampling_button_draws_new_digits():
    name = SHIPPED[0]
    at = explore({"model": name, "view": "sample"}).run()
    before = at.session_state[f"sample_seed::{name}"]
    next(b for b in at.button if "Sample 64" in b.label).click().run()
    assert at.session_state[f"sample_seed::{name}"] == before + 1


@needs_shipped
def test_an_interpolation_end_dropped_on_a_code_becomes_that_held_out_digit():
    name = "aae-mixture" if "aae-mixture" in SHIPPED else SHIPPED[0]
    codes = load_checkpoint(catalog.resolve(name)).codes
    at = explore({"model": name, "view": "interpolate"}).run()
    assert not at.exception, at.exception
    assert "held-out #" in texts(at)  # the default ends are typical held-out digits
    at.session_state[f"pad::{name}"] = {"ends": {"ends": [codes[5].tolist(), [0.5, 0.5]],
                                                 "seq": 1, "picked": [5, None]}}
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[f"interp_a::{name}"] == 5
    assert "held-out #5 (a " in texts(at) and "a point you chose (0.50, 0.50)" in texts(at)


@needs_shipped
def test_presentation_mode_opens_from_the_link_and_leaves_it_when_switched_off():
    at = explore({"model": SHIPPED[0], "present": "1"}).run()
    assert not at.exception, at.exception
    assert at.session_state["explore_present"] is True
    next(t for t in at.toggle if t.label == "Present").set_value(False).run()
    assert not at.exception
    assert "present" not in at.query_params


def test_class_names_cover_every_stored_label_when_the_card_has_none():
    """A clustering model with fewer clusters than the data's classes: its codes are still
    coloured by their true class, so the legend needs a name for each."""
    from types import SimpleNamespace

    import torch

    from ui.explore_views import class_names

    ckpt = SimpleNamespace(card={}, labels=torch.tensor([0, 9, 3]),
                           model=SimpleNamespace(config=SimpleNamespace(n_classes=4)))
    assert class_names(ckpt) == [str(k) for k in range(10)]
    ckpt.labels = None
    assert class_names(ckpt) == ["0", "1", "2", "3"]
    ckpt.card = {"class_names": ["a", "b"]}
    assert class_names(ckpt) == ["a", "b"]


@pytest.mark.skipif("aae-mixture" not in SHIPPED, reason="the shipped aae-mixture is missing")
def test_the_marker_starts_on_a_clear_digit_not_between_two():
    """Without a link, the first digit a class sees is decoded from a typical code of its
    class: most of that code's ten nearest held-out codes share its label."""
    import numpy as np

    at = explore({"model": "aae-mixture"}).run()
    z = np.array(at.session_state["explore_z"])
    ckpt = load_checkpoint(catalog.resolve("aae-mixture"))
    codes, labels = ckpt.codes.numpy(), ckpt.labels.numpy()
    start = int(np.argmin(((codes - z) ** 2).sum(axis=1)))
    assert np.allclose(codes[start], z, atol=1e-5)
    nearest = np.argsort(((codes - z) ** 2).sum(axis=1))[1:11]
    assert (labels[nearest] == labels[start]).mean() >= 0.7
