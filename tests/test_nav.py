"""The sidebar's page list: every page, Home first (never "app"), on every page of the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.nav import PAGES

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = [("Home", ""), ("Explore", "Explore"), ("Style vs Label", "Style_vs_Label"),
            ("AAE vs VAE", "AAE_vs_VAE"), ("Classify and Cluster", "Classify_and_Cluster"),
            ("Train", "Train"), ("Watch it learn", "Watch_it_learn"),
            ("Disentanglement", "Disentanglement")]


def nav_links(at: AppTest) -> list[tuple[str, str]]:
    return [(link.proto.label, link.proto.page) for link in at.sidebar.get("page_link")]


def test_the_list_names_every_script_in_pages():
    listed = {script for script, _, _ in PAGES}
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")} | {"app.py"}
    assert listed == on_disk


@pytest.mark.parametrize("script", [s for s, _, _ in PAGES])
def test_every_page_shows_the_same_list_with_home_first(script):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, at.exception
    assert nav_links(at) == EXPECTED


def test_a_page_run_on_its_own_draws_no_list_and_does_not_fail():
    at = AppTest.from_file(str(ROOT / "pages" / "3_AAE_vs_VAE.py"), default_timeout=60).run()
    assert not at.exception
    assert nav_links(at) == []


def test_streamlits_own_list_is_hidden():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "showSidebarNavigation = false" in config
