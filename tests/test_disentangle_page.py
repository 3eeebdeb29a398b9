"""The Disentanglement page under AppTest: the scores and the importance heatmap, one
traversal strip per dimension at any latent size, the sidebar's choices and the URL that
restores them; a machine without the dataset still gets the traversals.

Tiny untrained checkpoints (tests/tiny_checkpoints.py) claim synthetic-digits, whose true
factors need no measuring; one test opens a shipped model on MNIST when it is here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aae_core.data.synthetic import SYNTHETIC_FACTORS
from tests.conftest import requires_full_mnist
from tests.tiny_checkpoints import make_tiny

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "7_Disentanglement.py")
METRICS = ["MIG", "DCI disent.", "DCI complete.", "DCI inform.", "SAP", "Label leakage"]


@pytest.fixture
def tiny_root(monkeypatch, tmp_path):
    """An empty shipped folder (fill it with make_tiny), empty runs and cache folders."""
    root = tmp_path / "shipped"
    root.mkdir()
    monkeypatch.setenv("AAE_SHIPPED_DIR", str(root))
    monkeypatch.setenv("AAE_RUNS_DIR", str(tmp_path / "runs"))
    return root


def run(params: dict, *, timeout: int = 180) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def url(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[-1] if isinstance(value, list) else value


def strips(at: AppTest) -> list[str]:
    """The heading of each traversal strip, in order."""
    return [m.value for m in at.markdown if m.value.startswith("**z[")]


def test_scores_heatmap_and_a_strip_per_dimension_of_an_8d_code(tiny_root):
    make_tiny(tiny_root, "aae", name="aae-8d", dim=8)
    at = run({"model": "aae-8d"})
    assert [m.label for m in at.metric] == METRICS
    charts = at.get("plotly_chart")
    assert len(charts) == 1 + 8  # the heatmap, then one measures chart per strip
    heatmap = charts[0].proto.spec
    for factor in ("label", *SYNTHETIC_FACTORS):
        assert f'"{factor}"' in heatmap
    assert [s.split(" ·")[0] for s in strips(at)] == [f"**z[{k}]**" for k in range(8)]
    assert all("label flips: **" in s for s in strips(at))  # the judge named every digit
    assert len(at.get("image")) == 8
    assert (url(at, "at"), url(at, "steps")) == ("mean", "9")
    assert url(at, "label") is None  # this decoder takes no label


def test_the_sidebar_choices_go_into_the_url_and_a_link_restores_them(tiny_root):
    make_tiny(tiny_root, "aae-supervised")
    at = run({"model": "aae-supervised"})
    at.sidebar.radio(key="dis_at_mode").set_value("held-out").run()
    at.sidebar.number_input(key="dis_at_index").set_value(42).run()
    at.sidebar.selectbox(key="dis_label").set_value(7).run()
    at.sidebar.slider(key="dis_steps").set_value(5).run()
    ok(at)
    link = {k: url(at, k) for k in ("model", "at", "label", "steps")}
    assert link == {"model": "aae-supervised", "at": "42", "label": "7", "steps": "5"}
    assert "held-out digit #42's code" in " ".join(c.value for c in at.caption)

    again = run(link)  # a new session opened from the link
    assert again.sidebar.radio(key="dis_at_mode").value == "held-out"
    assert again.sidebar.number_input(key="dis_at_index").value == 42
    assert again.sidebar.selectbox(key="dis_label").value == 7
    assert again.sidebar.slider(key="dis_steps").value == 5


def test_bad_link_values_are_named_once_and_dropped(tiny_root):
    make_tiny(tiny_root, "aae")
    at = run({"model": "aae", "at": "99999", "steps": "<script>"})
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2
    assert any("at='99999'" in w for w in warnings)
    assert any("steps='<script>'" in w for w in warnings)
    assert at.sidebar.radio(key="dis_at_mode").value == "mean"
    assert (url(at, "at"), url(at, "steps")) == ("mean", "9")  # replaced by what is shown


def test_without_the_dataset_the_traversals_still_show(tiny_root, monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("AAE_DATA_DIR", str(empty))
    monkeypatch.setenv("AAE_CACHE_DIR", str(empty))
    make_tiny(tiny_root, "aae", dataset="mnist-10k")
    at = run({"model": "aae"})
    assert any("No scores: The held-out images of **mnist-10k** are not on this machine"
               in i.value for i in at.info)
    assert not at.metric
    assert len(strips(at)) == 2
    assert all("label flips" not in s for s in strips(at))  # no judge without the data


@requires_full_mnist
def test_a_shipped_model_on_mnist_shows_its_slant_dimension(monkeypatch, tmp_path):
    monkeypatch.delenv("AAE_SHIPPED_DIR", raising=False)
    monkeypatch.setenv("AAE_RUNS_DIR", str(tmp_path / "runs"))
    at = run({"model": "aae-supervised"}, timeout=300)
    assert [m.label for m in at.metric] == METRICS
    assert '"thickness"' in at.get("plotly_chart")[0].proto.spec
    # The shipped supervised AAE's 2-D style code: one dimension is mostly slant.
    assert any("most change in *slant*" in s for s in strips(at))


def test_home_and_style_vs_label_link_here():
    app = str(Path(PAGE).parents[1] / "app.py")
    home = AppTest.from_file(app, default_timeout=120).run()
    ok(home)
    lecture = {link.proto.label: link.proto for link in home.main.get("page_link")}
    step = lecture["6. Disentanglement"]
    assert step.page.endswith("Disentanglement") and "model=aae-supervised" in \
        step.query_string
    style = AppTest.from_file(app, default_timeout=120)
    style.switch_page("pages/2_Style_vs_Label.py")
    style.run()
    assert any(link.proto.page.endswith("Disentanglement")
               for link in style.main.get("page_link"))


def test_other_models_are_scored_side_by_side(tiny_root):
    make_tiny(tiny_root, "aae")
    make_tiny(tiny_root, "vae")
    make_tiny(tiny_root, "wae-mmd")
    at = run({"model": "aae"})
    assert not at.dataframe  # nothing compared until the user asks
    at.multiselect(key="dis_compare").set_value(["vae", "wae-mmd"]).run()
    ok(at)
    table = at.dataframe[0].value
    assert list(table["model"]) == ["aae", "vae", "wae-mmd"]
    assert set(table["dataset"]) == {"synthetic-digits"}
    assert table["MIG"].between(0, 1).all() and table["label leakage"].notna().all()
