"""AAE vs VAE comparison (aae_core.analysis.compare): candidates, measurements, the table, the
measured verdict; and what the AAE vs VAE page draws with: the packing panels' data
(ui/packing.py) and the occupancy bars (ui/figures.occupancy_svg)."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch

from aae_core.analysis import compare
from aae_core.config import ModelConfig, TrainConfig
from aae_core.models import build_model
from aae_core.priors import GaussianPrior, MixturePrior
from aae_core.store.catalog import Entry
from ui import packing
from ui.figures import MODEL_COLORS, occupancy_svg, shared_bounds


def entry(name: str, model: str, prior: str = "gaussian", *, source: str = "shipped",
          dim: int = 2, epochs: int = 10, std: float = 1.0, batch_size: int = 100) -> Entry:
    cfg = ModelConfig(model=model, prior={"name": prior, "dim": dim, "std": std},
                      hidden=(8,), disc_hidden=(8,))
    return Entry(name, Path("/nowhere") / name, source, cfg,
                 TrainConfig(epochs=epochs, batch_size=batch_size))


def mm(family: str, **values) -> compare.ModelMetrics:
    return compare.ModelMetrics(family, family, values, 2000)


# ---------------------------------------------------------------- choosing the checkpoints


def test_candidates_group_by_family_for_one_prior_shipped_first():
    entries = [entry("runs/b-vae", "vae", source="runs"), entry("aae-g", "aae"),
               entry("vae-g", "vae"), entry("aae-m", "aae", "mixture"),
               entry("sup", "aae-supervised"), entry("wae", "wae-mmd"),
               entry("aae-1d", "aae", dim=1),
               Entry("broken", Path("/x"), "shipped", None, None, "bad")]
    got = compare.candidates(entries, "gaussian")
    assert list(got) == ["aae", "vae", "wae-mmd"]
    assert [e.name for e in got["aae"]] == ["aae-g"]
    assert [e.name for e in got["vae"]] == ["vae-g", "runs/b-vae"]
    assert [e.name for e in got["wae-mmd"]] == ["wae"]
    mixture = compare.candidates(entries, "mixture")
    assert [e.name for e in mixture["aae"]] == ["aae-m"] and not mixture["vae"]


def test_comparability_warnings_name_what_differs():
    same = [entry("a", "aae"), entry("v", "vae"), entry("w", "wae-mmd")]
    assert compare.comparability_warnings(same) == []
    lines = compare.comparability_warnings([entry("a", "aae", std=2.0), entry("v", "vae"),
                                            entry("w", "wae-mmd", epochs=3)])
    assert len(lines) == 2
    assert "prior settings" in lines[0] and "std=2.0" in lines[0]
    assert "epochs" in lines[1] and "w: 3" in lines[1]
    # the same epochs of different batches are different budgets (optimizer steps)
    lines = compare.comparability_warnings([entry("a", "aae", batch_size=50), entry("v", "vae")])
    assert lines == ["The models differ in batch size (a: 50, v: 100)."]
    assert compare.shared_budget(same) == ("All 3 were trained on synthetic-digits for 10 "
                                           "epochs of batches of 100: the same budget.")
    assert compare.shared_budget([entry("a", "aae", epochs=3), entry("v", "vae")]) is None
    assert compare.shared_budget([entry("a", "aae", epochs=1), entry("v", "vae", epochs=1)]) \
        == "Both were trained on synthetic-digits for 1 epoch of batches of 100: the same budget."


# ---------------------------------------------------------------- measuring


def test_measure_codes_from_the_prior_beat_shrunken_codes():
    prior = GaussianPrior()
    codes = prior.sample(2000, generator=torch.Generator().manual_seed(5)).numpy()
    good = compare.measure("good", "aae", codes, prior, card_metrics={"recon_bce": 120.0})
    bad = compare.measure("bad", "vae", 0.3 * codes, prior)
    assert set(good.values) == {"prior_mmd", "sliced_wasserstein", "holes", "recon_bce"}
    assert good.recon_source == "card" and bad.recon_source == "" and good.n_codes == 2000
    for key in ("prior_mmd", "sliced_wasserstein", "holes"):
        assert good.values[key] < bad.values[key], key
    assert abs(good.values["prior_mmd"]) < 0.01 and good.values["holes"] < 0.1
    assert good.occupancy is None


def test_measure_on_a_mixture_adds_occupancy_and_computed_recon_wins():
    prior = MixturePrior()
    gen = torch.Generator().manual_seed(0)
    codes = prior.sample(1000, labels=torch.zeros(1000, dtype=torch.long), generator=gen)
    r = compare.measure("one-mode", "vae", codes, prior, card_metrics={"recon_bce": 99.0},
                        recon={"bce": 150.0, "mse": 0.05})
    assert r.values["recon_bce"] == 150.0 and r.recon_source == "computed"
    assert len(r.occupancy) == 10 and r.occupancy[0] > 0.9
    assert r.values["occupancy_min"] == 0.0
    assert r.values["occupancy_tv"] == pytest.approx(compare.occupancy_tv(r.occupancy))


def _trained_card(codes, prior, device: str = "cpu") -> dict:
    """A model card as training writes it: evaluate's figures of the saved codes."""
    from aae_core.analysis.evaluate import prior_match

    return {"metrics": {**prior_match(torch.as_tensor(codes), prior, seed=0),
                        "recon_bce": 120.5, "knn_accuracy": 0.9},
            "metrics_device": device}


@pytest.mark.parametrize("prior", [GaussianPrior(), MixturePrior()], ids=["gaussian", "mixture"])
def test_a_training_card_gives_the_numbers_a_measurement_gives(prior):
    codes = (prior.sample(600, generator=torch.Generator().manual_seed(1)) * 0.7).numpy()
    card = _trained_card(codes, prior)
    read = compare.from_card("m", "aae", card, len(codes), prior)
    measured = compare.measure("m", "aae", codes, prior, card_metrics=card["metrics"])
    assert read.values == pytest.approx(measured.values, rel=1e-6)
    assert read.occupancy == measured.occupancy and read.n_codes == 600
    assert (read.numbers_from, measured.numbers_from) == ("card", "measured")
    assert read.recon_source == measured.recon_source == "card"
    again = compare.ModelMetrics.from_dict(read.to_dict())  # kept on disk as it is
    assert again == read
    old = {k: v for k, v in measured.to_dict().items() if k != "numbers_from"}
    assert compare.ModelMetrics.from_dict(old).numbers_from == "measured"  # an older record


def test_a_card_that_cannot_stand_in_is_measured_instead():
    prior = MixturePrior()
    codes = prior.sample(300, generator=torch.Generator().manual_seed(2)).numpy()
    card = _trained_card(codes, prior)
    assert compare.from_card("m", "vae", card, 300, prior) is not None
    broken = [
        {**card, "metrics_device": "cuda"},  # prior samples differ between devices
        {**card, "metrics_device": None},
        {"metrics": {k: v for k, v in card["metrics"].items() if k != "holes"},
         "metrics_device": "cpu"},
        {"metrics": {**card["metrics"], "recon_bce": float("nan")}, "metrics_device": "cpu"},
        {"metrics": {**card["metrics"], "prior_mmd": True}, "metrics_device": "cpu"},
        {"metrics": {**card["metrics"], "occupancy": [0.5, 0.5]}, "metrics_device": "cpu"},
        {"metrics": {}, "metrics_device": "cpu"},  # a run stopped before its last save
        {},
    ]
    for bad in broken:
        assert compare.from_card("m", "vae", bad, 300, prior) is None, bad
    # a Gaussian prior needs no occupancy
    gauss = GaussianPrior()
    plain = _trained_card(codes, gauss)
    assert "occupancy" not in plain["metrics"]
    assert compare.from_card("m", "vae", plain, 300, gauss).occupancy is None


def test_occupancy_tv():
    assert compare.occupancy_tv([0.25] * 4) == 0.0
    assert compare.occupancy_tv([1, 0, 0, 0]) == pytest.approx(0.75)
    assert compare.occupancy_tv([0.5, 0.5, 0, 0]) == pytest.approx(0.5)


def test_held_out_codes_means_vs_samples():
    torch.manual_seed(0)
    vae = build_model(ModelConfig(model="vae", hidden=(8,), disc_hidden=(8,))).eval()
    x = torch.rand(50, 784)
    means = compare.held_out_codes(vae, x, sample=False)
    np.testing.assert_allclose(means, vae.encode(x).detach().numpy(), atol=1e-6)
    draws = compare.held_out_codes(vae, x, sample=True, seed=1)
    again = compare.held_out_codes(vae, x, sample=True, seed=1)
    np.testing.assert_array_equal(draws, again)  # seeded
    assert np.abs(draws - means).max() > 1e-3
    aae = build_model(ModelConfig(model="aae", hidden=(8,), disc_hidden=(8,))).eval()
    np.testing.assert_allclose(compare.held_out_codes(aae, x, sample=True),
                               compare.held_out_codes(aae, x, sample=False), atol=1e-6)
    rec = compare.reconstruction(aae, x)
    assert set(rec) == {"bce", "mse"} and rec["bce"] > 0


# ---------------------------------------------------------------- table and verdict


def test_metrics_table_rows_per_metric_columns_per_model():
    rows = compare.metrics_table([
        mm("aae", prior_mmd=0.01, sliced_wasserstein=0.12, holes=0.021, recon_bce=140.24),
        mm("vae", prior_mmd=0.05, sliced_wasserstein=0.30, holes=0.15),
    ])
    assert [r["metric"] for r in rows] == [m.label for m in compare.METRICS
                                          if m.key in ("prior_mmd", "sliced_wasserstein",
                                                       "holes", "recon_bce")]
    assert rows[0] == {"metric": "MMD² to the prior (IMQ)", "AAE · aae": "0.010",
                       "VAE · vae": "0.050", "better": "lower"}
    assert rows[2]["AAE · aae"] == "2.1 %" and rows[3]["VAE · vae"] == "—"
    assert rows[3]["AAE · aae"] == "140.2"


def test_verdict_agrees_when_the_aae_fills_the_prior_better():
    v = compare.verdict([mm("aae", prior_mmd=0.01, sliced_wasserstein=0.1, holes=0.02),
                         mm("vae", prior_mmd=0.05, sliced_wasserstein=0.3, holes=0.15)],
                        "gaussian")
    assert v.agrees is True and v.scores == {"prior_mmd": 1, "sliced_wasserstein": 1,
                                             "holes": 1}
    assert "AAE fills the gaussian prior better than the VAE" in v.text
    assert "3 of 3" in v.text and "agrees with the paper" in v.text
    assert "holes (prior mass with no code nearby) 2.0 % vs 15.0 % (AAE better)" in v.text


def test_verdict_says_plainly_when_the_measurement_disagrees():
    v = compare.verdict([mm("aae", prior_mmd=0.09, sliced_wasserstein=0.5, holes=0.2,
                            occupancy_tv=0.3),
                         mm("vae", prior_mmd=0.02, sliced_wasserstein=0.2, holes=0.195,
                            occupancy_tv=0.1)], "mixture")
    assert v.agrees is False
    assert v.scores == {"prior_mmd": -1, "sliced_wasserstein": -1, "holes": 0,
                        "occupancy_tv": -1}
    assert "disagrees with the paper's claim" in v.text and "VAE matches the mixture" in v.text
    assert "20.0 % vs 19.5 % (tie)" in v.text and "0.090 vs 0.020 (VAE better)" in v.text


def test_verdict_draw_and_missing_family():
    tie = compare.verdict([mm("aae", prior_mmd=0.010, sliced_wasserstein=0.2, holes=0.1),
                           mm("vae", prior_mmd=0.0105, sliced_wasserstein=0.2, holes=0.1)],
                          "gaussian")
    assert tie.agrees is False and "no clear winner" in tie.text
    assert "do not confirm" in tie.text
    missing = compare.verdict([mm("aae", prior_mmd=0.01)], "mixture")
    assert missing.agrees is None and "no VAE with the mixture prior" in missing.text


def test_verdict_details_rank_the_wae_and_compare_reconstruction():
    v = compare.verdict([mm("aae", prior_mmd=0.02, sliced_wasserstein=0.2, holes=0.05,
                            recon_bce=140.0),
                         mm("vae", prior_mmd=0.05, sliced_wasserstein=0.4, holes=0.2,
                            recon_bce=150.0),
                         mm("wae-mmd", prior_mmd=0.005, sliced_wasserstein=0.3, holes=0.01,
                            recon_bce=130.0)], "gaussian")
    assert v.details[0] == ("WAE-MMD beats the AAE on 2 and the VAE on 3 of the 3 "
                            "prior-fit metrics.")
    assert "AAE 140.0, VAE 150.0, WAE-MMD 130.0" in v.details[1]
    assert "means of q(z|x)" in v.details[2]


# ---------------------------------------------------------------- figures


def test_a_packing_slot_carries_its_codes_labels_and_title():
    """What the browser draws: the first two dimensions of every finite code, its label and
    its held-out number; a different set of codes gets a different id (redrawn)."""
    codes = np.array([[0.5, -1.0, 9.0], [2.0, 3.0, 9.0], [np.nan, 0.0, 9.0]], np.float32)
    labels = np.array([7, 1, 4])
    panel = packing.slot("AAE · 3 held-out codes", codes, labels)
    points = panel["points"]
    assert panel["title"] == "AAE · 3 held-out codes" and points["n"] == 2
    xy = np.frombuffer(base64.b64decode(points["xy"]), "<f4").reshape(-1, 2)
    assert xy.tolist() == [[0.5, -1.0], [2.0, 3.0]]  # the NaN row left out
    assert list(base64.b64decode(points["labels"])) == [7, 1]
    assert np.frombuffer(base64.b64decode(points["index"]), "<u4").tolist() == [0, 1]
    assert panel["points_id"] == points["id"]
    assert packing.slot("AAE", codes * 2, labels)["points_id"] != panel["points_id"]


def test_the_prior_background_is_its_density_scaled_to_its_peak():
    """(ny, nx), row 0 at ymin, kept as it is (no flip): the browser reads it that way."""
    dens = np.zeros((8, 6))
    dens[0, 1], dens[5, 4] = 2.0, 1.0
    payload = packing.density(dens)
    grid = np.frombuffer(base64.b64decode(payload["grid"]), np.uint8).reshape(8, 6)
    assert (payload["nx"], payload["ny"]) == (6, 8)
    assert grid[0, 1] == 255 and grid[5, 4] == 128 and grid.sum() == 255 + 128


def test_packing_panels_refuse_an_empty_box():
    with pytest.raises(ValueError, match="min < max"):
        packing.packing_panels(key="k", slots=[], class_names=[], bounds=(1, 1, 0, 1),
                               prior_density=None)


def _svg(rows: dict) -> ET.Element:
    return ET.fromstring(occupancy_svg(rows))


def test_occupancy_bars_one_bar_per_model_and_component_and_the_uniform_line():
    aae, vae = np.full(10, 0.1), np.eye(10)[0]
    svg = _svg({"AAE": aae, "VAE": vae})
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == 20
    tips = [b.find(f"{ns}title").text for b in bars]
    assert tips[:2] == ["AAE · component 0: 10.0 %", "VAE · component 0: 100.0 %"]
    assert {b.get("fill") for b in bars} == set(MODEL_COLORS[:2])
    heights = {t: float(b.get("height")) for t, b in zip(tips, bars, strict=True)}
    assert heights["VAE · component 0: 100.0 %"] == pytest.approx(
        10 * heights["AAE · component 0: 10.0 %"], rel=1e-2)  # bars to scale
    assert heights["VAE · component 1: 0.0 %"] == 0
    texts = [el.text for el in svg.iter(f"{ns}text")]
    assert "uniform 1/K" in texts and "mixture component" in texts
    assert [str(c) for c in range(10)] == [x for x in texts if x and x.isdigit()][-10:]
    dotted = [ln for ln in svg.iter(f"{ns}line") if ln.get("stroke-dasharray")]
    bar_bottom = float(bars[0].get("y")) + float(bars[0].get("height"))
    line_y = float(dotted[0].get("y1"))  # 1/K = 0.1: the AAE's bars reach it exactly
    assert line_y == pytest.approx(float(bars[0].get("y")), abs=0.2) and line_y < bar_bottom


def test_occupancy_bars_escape_names_and_keep_their_text_plain():
    svg = occupancy_svg({"<b>A&B</b>": np.full(3, 1 / 3)})
    assert "<b>" not in svg and "&lt;b&gt;A&amp;B&lt;/b&gt;" in svg
    assert not re.search(r"<(script|foreignObject|a)\b", svg)


def test_shared_bounds_widen_for_codes_but_cap_far_outliers():
    box = (-3.0, 3.0, -3.0, 3.0)
    inside = np.random.default_rng(0).uniform(-2, 2, size=(500, 2))
    assert shared_bounds(box, [inside]) == box
    wide = inside * 1.9  # up to 3.8
    got = shared_bounds(box, [inside, wide])
    assert got[0] == -got[1] and 3.6 < got[1] < 3.8 and got[2:] == got[:2]
    far = np.vstack([inside, np.full((50, 2), 40.0)])  # 9 % of the codes far out
    assert shared_bounds(box, [far]) == pytest.approx((-4.8, 4.8, -4.8, 4.8))  # 1.6 x cap
