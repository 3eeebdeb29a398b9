"""A fresh clone's first visit of every page trains nothing: the shipped checkpoints and the
shipped label judge (checkpoints/.judges/) are all a page needs on first paint.

Each page runs as a user first opens it (AppTest through app.py, default widgets), with an
empty cache folder (a fresh machine) and every way of training made to fail the test: the
judge classifier's training and the trainer's loop. Watch it learn trains only when the
user presses play or steps, so its first paint counts too. Each runs twice: with MNIST's
files here and on a machine without any data folder (the offline default of a fresh clone:
the shipped models were trained on the full MNIST, whose files a fresh clone lacks).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.nav import PAGES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["data here", "no data"])
def nothing_trains(request, tmp_path, monkeypatch):
    from aae_core.analysis import sample_quality
    from aae_core.data import downloads
    from aae_core.training import train

    trained = []

    def refuse(what):
        def call(*args, **kwargs):
            trained.append(what)
            raise AssertionError(f"a first visit started {what}")
        return call

    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "fresh-cache"))
    if request.param == "no data":  # no files anywhere, and no download (the cache is empty)
        (tmp_path / "no-data").mkdir()
        monkeypatch.setenv("AAE_DATA_DIR", str(tmp_path / "no-data"))
        monkeypatch.setattr(downloads, "_fetch", refuse("a download"))  # the one network call
    monkeypatch.setattr(sample_quality, "train_judge", refuse("training the judge classifier"))
    monkeypatch.setattr(train.Trainer, "run", refuse("training a model"))
    return trained


@pytest.mark.parametrize("script", [s for s, _, _ in PAGES])
def test_the_first_visit_of_a_page_trains_nothing(script, nothing_trains):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, at.exception
    assert nothing_trains == []


def test_the_style_page_measures_where_the_label_holds_with_the_shipped_judge(nothing_trains):
    # The supervised model on Style vs Label: its hold map needs the judge; the shipped one
    # serves it on a fresh machine, with or without the dataset's images.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/2_Style_vs_Label.py")
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "could not be measured" not in captions
    assert "green where the judge recovers" in captions
    assert nothing_trains == []
