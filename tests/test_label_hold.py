"""Where the label holds (aae_core.analysis.label_hold): measured with a judge over a grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from aae_core.analysis.label_hold import hold_of, label_hold_map, safe_bounds
from aae_core.config import ModelConfig
from aae_core.models import build_model
from aae_core.priors import PriorSpec


class PixelJudge(nn.Module):
    """Reads the digit written into pixel k (images below put a 1 there)."""

    def forward(self, x):  # (B, 784) -> (B, 10)
        return x[:, :10] * 10.0


def drawn_label(labels, z):
    """A fake decoder: inside |z| < 1 it draws the asked label, outside always a 9."""
    inside = (z[:, :2].abs() < 1).all(dim=1)
    k = torch.where(inside, labels, torch.full_like(labels, 9))
    return nn.functional.one_hot(k, 784).float()


def supervised(monkeypatch):
    model = build_model(ModelConfig(model="aae-supervised", prior=PriorSpec("gaussian", 2),
                                    hidden=(8,), disc_hidden=(8,))).eval()
    monkeypatch.setattr(model, "decode", lambda z, labels=None: drawn_label(
        torch.as_tensor(labels, dtype=torch.long), z))
    return model


def test_the_hold_is_the_share_of_labels_the_judge_recovers(monkeypatch):
    model = supervised(monkeypatch)
    hold = hold_of(model, PixelJudge(), np.array([[0.0, 0.0], [2.5, -2.5]], np.float32))
    assert hold.tolist() == [1.0, 0.1]  # inside: all ten; outside: only label 9


def test_the_map_and_the_safe_box_stay_where_the_label_holds(monkeypatch):
    model = supervised(monkeypatch)
    hold_map = label_hold_map(model, PixelJudge(), (-3, 3, -3, 3), n=25)
    assert hold_map.hold.shape == (25, 25)
    assert hold_map.at([0, 0]) == 1.0 and hold_map.at([-2.5, -2.5]) == pytest.approx(0.1)
    assert hold_map.share_holding() == pytest.approx(49 / 625)  # the 7 x 7 cells in |z| < 1
    xmin, xmax, ymin, ymax = safe_bounds(hold_map)
    assert -1 <= xmin < 0 < xmax <= 1 and -1 <= ymin < 0 < ymax <= 1
    assert xmax - xmin > 1  # not shrunk to nothing


def test_the_label_regularized_aae_holds_where_z_sits_in_its_digits_component(monkeypatch):
    model = build_model(ModelConfig(model="aae-label-regularized",
                                    prior=PriorSpec("mixture", 2), hidden=(8,),
                                    disc_hidden=(8,))).eval()
    means = model.prior.means.cpu().numpy()  # (10, 2): component k draws digit k ...
    monkeypatch.setattr(model, "decode", lambda z, labels=None: nn.functional.one_hot(
        torch.as_tensor([3] * len(z)), 784).float())  # ... but this decoder always draws 3
    hold = hold_of(model, PixelJudge(), means)
    assert hold.tolist() == [1.0 if k == 3 else 0.0 for k in range(10)]


SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.fixture(scope="module")
def shipped_supervised(tmp_path_factory):
    """The shipped supervised AAE and the judge its pages use (checkpoints/.judges): both
    load without MNIST's files."""
    from aae_core.analysis.sample_quality import stored_judge
    from aae_core.store.checkpoints import load_checkpoint
    from ui.analysis_views import JUDGES

    if not (SHIPPED / "aae-supervised" / "config.json").is_file():
        pytest.skip("no shipped aae-supervised")
    ckpt = load_checkpoint(SHIPPED / "aae-supervised")
    empty_cache = tmp_path_factory.mktemp("fresh-cache")  # the shipped judge, not a cached one
    judge = stored_judge(ckpt.train.dataset, empty_cache, shipped_dir=SHIPPED / JUDGES)
    assert judge is not None, f"no shipped judge for {ckpt.train.dataset}"
    return ckpt, judge


def test_the_shipped_supervised_aae_holds_at_the_centre_not_far_out(shipped_supervised):
    ckpt, judge = shipped_supervised
    hold = hold_of(ckpt.model, judge, np.array([[0.0, 0.0], [-2.5, -2.5]], np.float32))
    assert hold[0] >= 0.9 > hold[1]


def offered_pad(ckpt, judge):
    """The pad the Style page offers the model (ui/style_views.pad_area): the hold map over
    its stored codes' range, and the box narrowed to where the label holds."""
    from aae_core.analysis.explore import view_bounds

    hold_map = label_hold_map(ckpt.model, judge, view_bounds(ckpt.model, ckpt.codes.numpy()))
    return hold_map, safe_bounds(hold_map)


def test_the_style_pad_offers_the_shipped_supervised_aae_where_its_label_holds(
        shipped_supervised):
    """The Style page's promise: on the pad it offers, the judge reads at least 9 of the 10
    labels drawn at a style as asked (HOLD_THRESHOLD), in at least 95 % of the pad's cells;
    and the pad keeps most real digits' styles (their stored held-out codes) on it."""
    ckpt, judge = shipped_supervised
    hold_map, (xmin, xmax, ymin, ymax) = offered_pad(ckpt, judge)
    xs = np.linspace(hold_map.bounds[0], hold_map.bounds[1], hold_map.n)
    ys = np.linspace(hold_map.bounds[3], hold_map.bounds[2], hold_map.n)  # row 0 = top
    gx, gy = np.meshgrid(xs, ys)
    offered = (gx >= xmin - 1e-9) & (gx <= xmax + 1e-9) & (gy >= ymin - 1e-9) & (gy <= ymax + 1e-9)
    assert (hold_map.hold[offered] >= 0.9).mean() >= 0.95
    codes = ckpt.codes.numpy()
    on_pad = ((codes[:, 0] >= xmin) & (codes[:, 0] <= xmax) & (codes[:, 1] >= ymin)
              & (codes[:, 1] <= ymax)).mean()
    assert on_pad >= 0.5, f"only {on_pad:.0%} of the held-out styles are on the offered pad"


@pytest.mark.xfail(strict=True, reason=(
    "the shipped supervised AAE (full MNIST, 12 epochs) draws a 1 the judge reads as a 1 in "
    "74 % of the offered pad (its other labels 91-100 %); the mnist-10k model shipped "
    "before: 76 %. RESULTS.md, 'The shipped 2-D models'"))
def test_on_the_offered_pad_the_judge_reads_each_label_as_asked(shipped_supervised):
    """The stronger promise, label by label: whichever digit the user picks, dragging the
    style over the offered pad keeps drawing that digit (in at least 90 % of its cells)."""
    from aae_core.analysis.explore import lattice_points
    from aae_core.analysis.label_hold import judge_labels

    ckpt, judge = shipped_supervised
    _, box = offered_pad(ckpt, judge)
    reads = judge_labels(ckpt.model, judge, lattice_points(box, 25).astype(np.float32))
    read_as_asked = (reads == np.arange(reads.shape[1])[None, :]).mean(axis=0)  # (labels,)
    assert read_as_asked.min() >= 0.9, np.round(read_as_asked, 3).tolist()
