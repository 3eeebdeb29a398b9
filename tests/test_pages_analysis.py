"""The analysis pages under AppTest: Style vs label, AAE vs VAE, Classify and cluster.

Every page, every toggle state, with every shipped checkpoint that applies (they are
collected from checkpoints/ when the tests are: a page whose kind of model is not shipped
yet is skipped with a reason). Models that do not fit, missing families and a machine
without the dataset run against tiny untrained checkpoints (tests/tiny_checkpoints.py).
The latent pad (a CCv2 component) is driven by putting its value in session state.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from aae_core.analysis import style
from aae_core.analysis.compare import COMPARE_PRIORS
from aae_core.priors import build_prior
from aae_core.store.checkpoints import list_checkpoints, read_config
from tests.conftest import full_mnist_available, requires_full_mnist
from tests.tiny_checkpoints import make_tiny

ROOT = Path(__file__).resolve().parents[1]
STYLE, COMPARE, CLASSIFY = (str(ROOT / "pages" / p) for p in
                            ("2_Style_vs_Label.py", "3_AAE_vs_VAE.py",
                             "4_Classify_and_Cluster.py"))


def _shipped() -> dict[str, str]:
    """Shipped checkpoint name -> model kind (read when the tests are collected)."""
    out = {}
    for path in list_checkpoints(ROOT / "checkpoints"):
        try:
            out[path.name] = read_config(path)[0].model
        except Exception:  # noqa: BLE001 - a half-written checkpoint: not ours to test
            continue
    return out


SHIPPED = _shipped()


def shipped(*kinds: str) -> list:
    names = [n for n, k in SHIPPED.items() if k in kinds]
    return names or [pytest.param(None, marks=pytest.mark.skip(
        reason=f"no shipped {' / '.join(kinds)} checkpoint in checkpoints/ yet"))]


@pytest.fixture
def real(monkeypatch, tmp_path):
    """The shipped checkpoints, and an empty runs folder."""
    monkeypatch.delenv("AAE_SHIPPED_DIR", raising=False)
    monkeypatch.setenv("AAE_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture
def tiny_root(monkeypatch, tmp_path):
    """An empty shipped folder (fill it with make_tiny) and an empty runs folder."""
    root = tmp_path / "shipped"
    root.mkdir()
    monkeypatch.setenv("AAE_SHIPPED_DIR", str(root))
    monkeypatch.setenv("AAE_RUNS_DIR", str(tmp_path / "runs"))
    return root


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """A machine without MNIST: no AAE_DATA_DIR files, an empty cache, no downloads."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("AAE_DATA_DIR", str(empty))
    monkeypatch.setenv("AAE_CACHE_DIR", str(empty))


def run(page: str, *, model: str | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    if model:
        at.query_params["model"] = model
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def caption(image) -> str:
    return image.captions[0]


def texts(at: AppTest, kind: str) -> str:
    return "\n".join(el.value for el in at.get(kind))


def packing_data(at: AppTest) -> dict:
    """What the AAE vs VAE page sent its packing panels (ui/packing.py's data)."""
    (panels,) = [el for el in at.get("bidi_component")
                 if el.proto.component_name.endswith("aae_packing_panels")]
    return json.loads(panels.proto.json)


def occupancy_svgs(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("<svg")]


# ---------------------------------------------------------------- Style vs label


@pytest.mark.parametrize("name", shipped("aae-supervised"))
def test_a_style_link_keeps_code_label_and_mode(real, name):
    at = run(STYLE, model=name)
    at.segmented_control(key="style_mode").set_value("label").run()
    at.segmented_control(key=f"style_label::{name}").set_value(4).run()
    at.session_state[f"style_pad::{name}"] = {"z": [0.3, -0.4]}
    at.run()
    ok(at)
    link = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert (link["z"], link["label"], link["mode"]) == ("0.3,-0.4", "4", "label")
    shared = AppTest.from_file(STYLE, default_timeout=60)  # a student opens the link
    for key, value in link.items():
        shared.query_params[key] = value
    shared.run()
    ok(shared)
    assert shared.segmented_control(key="style_mode").value == "label"
    assert shared.segmented_control(key=f"style_label::{name}").value == 4
    assert np.allclose(shared.session_state[f"style_z::{name}"], [0.3, -0.4])
    bad = AppTest.from_file(STYLE, default_timeout=60)
    bad.query_params["model"], bad.query_params["label"] = name, "99"
    bad.run()
    assert "ignored label '99'" in texts(bad, "warning")
    assert bad.segmented_control(key=f"style_label::{name}").value == 0
    assert bad.query_params["label"] in ("0", ["0"])  # the page's own label replaced it


@pytest.mark.parametrize("name", shipped(*style.STYLE_MODELS))
def test_style_page_vary_style_then_vary_label(real, name):
    at = run(STYLE, model=name)
    assert at.sidebar.selectbox(key="style_model").value == name
    assert at.query_params["model"] == [name] or at.query_params["model"] == name
    assert at.segmented_control(key="style_mode").value == "style"
    label_key, z_key, pad_key = (f"style_label::{name}", f"style_z::{name}",
                                 f"style_pad::{name}")
    in_prior = SHIPPED[name] == "aae-label-regularized"
    prior = build_prior(read_config(ROOT / "checkpoints" / name)[0].prior)

    # vary style: pick digit 3 (the label-regularized model's z moves to component 3) ...
    at.segmented_control(key=label_key).set_value(3).run()
    ok(at)
    z3 = at.session_state[z_key]
    if in_prior:
        assert style.component_of(np.array(z3), prior)[0] == 3
    said = texts(at, "markdown")  # what was measured, not a promise
    assert ("z sits in component 3" if in_prior else "Label **3** draws a") in said
    # ... and drag: the released z is what the page decodes (inside the pad: for decoders
    # of [z, y] it is kept where the judge saw the label hold)
    target = list(prior.sample(1, labels=[3]).numpy()[0]) if in_prior else [0.3, -0.4]
    at.session_state[pad_key] = {"z": [float(v) for v in target]}
    at.run()
    ok(at)
    assert np.allclose(at.session_state[z_key], target, atol=1e-6)
    said = texts(at, "markdown")  # the text speaks of the released z, with label 3
    assert ("z sits in component 3" if in_prior else "Label **3** draws a") in said

    # vary label: ten digits at the same style, then step through the labels
    at.segmented_control(key="style_mode").set_value("label").run()
    ok(at)
    captions = [caption(im) for im in at.image]
    assert "▶ 3 ◀" in captions and all(str(k) in captions for k in (0, 1, 2, 4, 9))
    next(b for b in at.button if b.label == "Next label").click().run()
    ok(at)
    assert at.segmented_control(key=label_key).value == 4
    z4 = at.session_state[z_key]
    if in_prior:  # same relative place, next component
        assert style.component_of(np.array(z4), prior)[0] == 4
        np.testing.assert_allclose(z4, style.move_to_component(target, prior, 4), atol=1e-5)
    else:  # the style stays put
        np.testing.assert_allclose(z4, target, atol=1e-6)
    next(b for b in at.button if b.label == "Previous label").click().run()
    ok(at)
    assert at.segmented_control(key=label_key).value == 3

    # the style x label grid, from prior samples and from real held-out digits
    assert "columns: labels 0–9" in caption(at.image[-1])
    at.segmented_control(key="style_rows_from").set_value("held-out").run()
    ok(at)
    assert "held-out digit" in caption(at.image[-1])
    next(b for b in at.button if b.label == "New styles").click().run()
    ok(at)


def test_style_page_explains_a_model_that_does_not_fit(tiny_root):
    make_tiny(tiny_root, "aae", name="plain")
    make_tiny(tiny_root, "aae-supervised", name="sup")
    at = run(STYLE, model="plain")
    assert "**plain** is an `aae` model" in at.info[0].value
    assert "keeps the label apart from the style" in at.info[0].value
    assert at.sidebar.selectbox(key="style_model").value == "sup"
    at.segmented_control(key="style_mode").set_value("label").run()
    ok(at)
    assert "is an `aae` model" in texts(at, "info")  # still up until another model is picked
    make_tiny(tiny_root, "aae-supervised", name="sup2")
    at.run()
    at.sidebar.selectbox(key="style_model").set_value("sup2").run()
    ok(at)
    assert "is an `aae` model" not in texts(at, "info")


def test_style_page_without_any_fitting_model(tiny_root):
    make_tiny(tiny_root, "aae", name="plain")
    make_tiny(tiny_root, "vae", name="v")
    at = run(STYLE)
    assert "No model here separates style from label" in at.info[0].value
    assert not at.get("image")


def test_style_page_label_regularized_drag_into_another_component(tiny_root):
    make_tiny(tiny_root, "aae-label-regularized", name="lr")
    at = run(STYLE)
    at.session_state["style_pad::lr"] = {"z": [-4.0, 0.0]}  # component 5 of 10
    at.run()
    ok(at)
    assert "You dragged z into component 5" in at.warning[0].value


def test_style_page_held_out_rows_without_the_dataset(tiny_root, no_data):
    make_tiny(tiny_root, "aae-semi-supervised", name="semi", dataset="mnist-10k")
    at = run(STYLE, state={"style_rows_from": "held-out"})
    assert "are not on this machine" in texts(at, "caption")
    assert "stored code of one real held-out digit" in caption(at.image[-1])


# ---------------------------------------------------------------- AAE vs VAE


@pytest.mark.parametrize("prior", COMPARE_PRIORS)
def test_compare_page_with_the_shipped_models(real, prior):
    families = {"aae", "vae", "wae-mmd"}
    present = {k for n, k in SHIPPED.items()
               if k in families and read_config(ROOT / "checkpoints" / n)[0].prior.name == prior}
    if not {"aae", "vae"} <= present:
        pytest.skip(f"no shipped AAE and VAE with the {prior} prior yet")
    at = run(COMPARE, state={"cmp_prior": prior})
    verdict = next(a.value for kind in ("success", "warning") for a in at.get(kind)
                   if a.value.startswith("Measured:"))
    assert ("agrees with the paper" in verdict) or ("disagree" in verdict) or (
        "do not confirm" in verdict)
    table = at.table[0].value
    assert "MMD² to the prior (IMQ)" in list(table["metric"])
    assert sum(c.startswith(("AAE ·", "VAE ·", "WAE-MMD ·")) for c in table.columns) == \
        len(present)
    panels = packing_data(at)  # one canvas component: a slot per family, empty if none
    assert [slot is not None for slot in panels["slots"]] == [
        f in present for f in ("aae", "vae", "wae-mmd")]
    for slot in filter(None, panels["slots"]):
        assert re.fullmatch(r"(AAE|VAE|WAE-MMD) · [\d,]+ held-out codes", slot["title"])
        assert slot["points"]["n"] == int(slot["title"].split(" · ")[1].split()[0]
                                          .replace(",", ""))
    assert panels["density"]["nx"] > 2 and len(panels["classes"]) == 10
    assert not at.get("plotly_chart") and not at.dataframe  # no chart library, no data grid
    assert len(occupancy_svgs(at)) == (prior == "mixture")
    for family in families - present:
        assert f"No {dict(aae='AAE', vae='VAE')[family] if family != 'wae-mmd' else 'WAE-MMD'}" \
            in texts(at, "info")
    lattices = [im for im in at.image if "z over x, y in" in caption(im)]
    assert len(lattices) == len(present)


def test_compare_numbers_are_measured_once_and_the_other_prior_ahead(real, tmp_path,
                                                                     monkeypatch):
    """A server measures a checkpoint once, ever (the numbers are kept on disk), and while
    one prior is shown the other prior's models are measured in the background."""
    import streamlit as st

    from aae_core.analysis import compare
    from ui import compare_views

    if not {"aae", "vae"} <= set(SHIPPED.values()):
        pytest.skip("no shipped AAE and VAE yet")
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(compare, "from_card", lambda *a, **k: None)  # cards without figures
    st.cache_data.clear()  # a fresh server with an empty cache folder
    at = run(COMPARE, state={"cmp_prior": "mixture"})
    first = at.table[0].value
    for thread in compare_views._background:  # the gaussian models, measured ahead
        thread.join(120)
    measured = []
    real_measure = compare.measure
    monkeypatch.setattr(compare, "measure", lambda *a, **k: measured.append(a[0]) or
                        real_measure(*a, **k))
    st.cache_data.clear()  # as a fresh server: only the disk remembers
    again = run(COMPARE, state={"cmp_prior": "mixture"})
    assert again.table[0].value.equals(first) and measured == []
    run(COMPARE, state={"cmp_prior": "gaussian"})
    assert measured == []  # measured ahead while the mixture was shown


def test_compare_page_reads_a_training_card_instead_of_measuring(real, tmp_path, monkeypatch):
    """A shipped model's card holds the protocol's figures of its stored codes (measured by
    training on the CPU): the page shows them and measures nothing, and says so."""
    import streamlit as st

    from aae_core.analysis import compare
    from aae_core.store.checkpoints import load_checkpoint

    pair = {k: n for n, k in SHIPPED.items() if k in ("aae", "vae")
            and read_config(ROOT / "checkpoints" / n)[0].prior.name == "mixture"}
    cards = {k: load_checkpoint(ROOT / "checkpoints" / n) for k, n in pair.items()}
    if len(cards) < 2 or not all(compare.from_card(n, k, c.card, len(c.codes), c.model.prior)
                                 for k, c in cards.items() for n in [pair[k]]):
        pytest.skip("no shipped AAE and VAE on the mixture with a complete CPU card")
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "cache"))
    st.cache_data.clear()
    monkeypatch.setattr(compare, "measure", lambda *a, **k: pytest.fail("measured"))
    at = run(COMPARE, state={"cmp_prior": "mixture"})
    table = at.table[0].value
    mmd = table[table["metric"] == "MMD² to the prior (IMQ)"]
    for family, ckpt in cards.items():
        column = next(c for c in table.columns if c.endswith(f" · {pair[family]}"))
        assert mmd[column].iloc[0] == f"{ckpt.card['metrics']['prior_mmd']:.3f}"
    assert "AAE, VAE: read from the model card" in texts(at, "caption")


@requires_full_mnist
def test_compare_page_sampled_codes_toggle(real):
    if not {"aae", "vae"} <= set(SHIPPED.values()):
        pytest.skip("no shipped AAE and VAE yet")
    at = run(COMPARE, state={"cmp_prior": "gaussian"})
    before, drawn = at.table[0].value, packing_data(at)["slots"]
    assert not at.toggle(key="cmp_sampled").disabled
    at.toggle(key="cmp_sampled").set_value(True).run()
    ok(at)
    after = at.table[0].value
    vae_col = next(c for c in after.columns if c.startswith("VAE ·"))
    assert list(after[vae_col]) != list(before[vae_col])  # the VAE's draws differ from means
    vae = [s for s in packing_data(at)["slots"] if s and s["title"].startswith("VAE")][0]
    assert vae["points_id"] not in {s["points_id"] for s in drawn if s}  # the draws are drawn
    assert not any("means of q(z|x)" in m.value for m in at.markdown)


def test_compare_page_missing_families_and_choice_of_candidates(tiny_root, no_data):
    make_tiny(tiny_root, "aae", name="aae-a", prior="mixture", dataset="mnist-10k")
    make_tiny(tiny_root, "aae", name="aae-b", prior="mixture", seed=1, dataset="mnist-10k")
    at = run(COMPARE, state={"cmp_prior": "mixture"})
    info = texts(at, "info")
    assert "No VAE checkpoint with the mixture prior" in info
    assert "No WAE-MMD checkpoint with the mixture prior" in info
    assert "No verdict: there is no VAE with the mixture prior" in info
    pick = at.selectbox(key="cmp_pick::aae::mixture")
    assert pick.options == ["aae-a — aae, mixture prior, 2-D", "aae-b — aae, mixture prior, 2-D"]
    pick.set_value("aae-b").run()
    ok(at)
    assert any(c.endswith("aae-b") for c in at.table[0].value.columns)
    assert at.toggle(key="cmp_sampled").disabled  # needs the images


def test_compare_page_with_no_model_for_the_prior(tiny_root):
    make_tiny(tiny_root, "aae-supervised", name="sup")
    at = run(COMPARE)
    assert texts(at, "info").count("checkpoint with the gaussian prior") == 3
    assert not at.table and not at.dataframe


def test_compare_page_reads_its_link_once_and_writes_the_choice_back(tiny_root):
    """?prior= of a link sets the control; a bad one is reported and leaves the URL; the
    user's later choice goes into the URL and the old link is not read again."""
    make_tiny(tiny_root, "aae-supervised", name="sup")
    at = AppTest.from_file(COMPARE, default_timeout=60)
    at.query_params["prior"] = "mixture"
    at.run()
    ok(at)
    assert at.segmented_control(key="cmp_prior").value == "mixture"
    assert at.query_params["prior"] == "mixture"
    at.segmented_control(key="cmp_prior").set_value("gaussian").run()
    ok(at)
    assert at.segmented_control(key="cmp_prior").value == "gaussian"  # the link stays read
    assert at.query_params["prior"] == "gaussian"

    bad = AppTest.from_file(COMPARE, default_timeout=60)
    bad.query_params["prior"] = "zzz"
    bad.run()
    ok(bad)
    assert any("ignored prior 'zzz'" in w.value for w in bad.warning)
    assert bad.query_params["prior"] == "gaussian"  # the control's default replaced it


# ---------------------------------------------------------------- Classify and cluster


@pytest.mark.parametrize("name", shipped("aae-semi-supervised"))
def test_classify_semi_supervised(real, name):
    at = run(CLASSIFY, model=name)
    assert at.segmented_control(key="cc_section").value == "aae-semi-supervised"
    table = at.dataframe[0].value
    assert list(table["test error (%)"])[:3] == ["1.90 ± 0.10", "1.60 ± 0.08", "0.85 ± 0.02"]
    assert list(table["source"])[-1] == "this app"
    metric = at.get("metric")[0]
    if full_mnist_available():
        assert metric.proto.label == "Held-out test error"
        assert at.get("plotly_chart")  # the confusion matrix
    assert metric.proto.body.endswith("%")


@pytest.mark.parametrize("name", shipped("aae-semi-supervised", "aae-clustering"))
def test_classify_without_the_dataset_uses_the_card(real, no_data, name):
    at = run(CLASSIFY, model=name)
    assert "from the model card" in at.get("metric")[0].proto.label
    assert "are not on this machine" in texts(at, "info")
    assert not at.get("plotly_chart")


@requires_full_mnist
@pytest.mark.parametrize("name", shipped("aae-clustering"))
def test_classify_clustering_exemplars(real, name):
    at = run(CLASSIFY, model=name)
    assert at.segmented_control(key="cc_section").value == "aae-clustering"
    labels = [m.proto.label for m in at.get("metric")]
    assert labels[:2] == ["Clustering error, most-confident rule",
                          "Clustering error, majority rule"]
    k = read_config(ROOT / "checkpoints" / name)[0].n_classes
    rows = [m.value for m in at.markdown if m.value.startswith("**cluster ")]
    empty = next((c.value for c in at.caption if c.value.startswith("No held-out digit")), "")
    assert len(rows) + len(re.findall(r"\d+", empty)) == k  # every cluster shown or named
    assert list(at.dataframe[0].value["test error (%)"])[:2] == ["9.55 ± 2.05", "4.10 ± 1.13"]
    at.slider(key="cc_per_cluster").set_value(6).run()
    ok(at)


@pytest.mark.parametrize("name", shipped("aae-dim-reduction"))
def test_classify_dim_reduction_map(real, name):
    at = run(CLASSIFY, model=name)
    assert at.segmented_control(key="cc_section").value == "aae-dim-reduction"
    assert len(at.get("plotly_chart")) == 1
    assert "W_c y + z" in texts(at, "markdown")


def test_classify_page_explains_misfits_and_empty_sections(tiny_root):
    make_tiny(tiny_root, "vae", name="v")
    make_tiny(tiny_root, "aae-clustering", name="clus", n_classes=4)
    at = run(CLASSIFY, model="v")
    assert "**v** is a `vae` model" in at.info[0].value
    assert at.segmented_control(key="cc_section").value == "aae-semi-supervised"
    assert "No `aae-semi-supervised` model here" in texts(at, "info")
    at.segmented_control(key="cc_section").set_value("aae-clustering").run()
    ok(at)
    assert at.sidebar.selectbox(key="cc_model").value == "clus"
    rows = [m.value for m in at.markdown if m.value.startswith("**cluster ")]
    empty = next((c.value for c in at.caption if c.value.startswith("No held-out digit")), "")
    assert len(rows) + len(re.findall(r"\d+", empty)) == 4  # synthetic digits: always here
    at.segmented_control(key="cc_section").set_value("aae-dim-reduction").run()
    ok(at)
    assert "No `aae-dim-reduction` model here" in texts(at, "info")
