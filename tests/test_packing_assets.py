"""The packing panels' browser side (aae_core/web/packing): one module, the shared files
and the pad's drawing files joined once each, then its own; only main.js exports."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from aae_core.images import PALETTE
from aae_core.web import bundle as js_bundle
from aae_core.web.packing import assets
from aae_core.web.pad import assets as pad_assets


def paths():
    return ([js_bundle.shared_path(n) for n in js_bundle.SHARED_FILES]
            + [pad_assets.js_path(n) for n in assets.PAD_FILES]
            + [assets.HERE / "js" / n for n in assets.JS_FILES])


def test_every_file_is_joined_once_in_order_and_only_main_exports():
    assert {p.name for p in (assets.HERE / "js").glob("*.js")} == set(assets.JS_FILES)
    assert assets.JS_FILES[-1] == "main.js"
    starts = []
    for path in paths():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*import\s", text, re.M), f"{path}: inline modules cannot import"
        marker = f"// ---- {path.parent.name}/{path.name}\n"
        assert assets.JS.count(marker) == 1, path
        starts.append(assets.JS.index(marker))
    assert starts == sorted(starts)
    assert assets.JS.count("export default") == 1


def test_the_drawing_is_the_pads_not_a_copy():
    """Grid, density bands, dots, ticks, the theme and the legend come from the pad's
    files; the panels' own files define none of them."""
    own = "".join((assets.HERE / "js" / n).read_text(encoding="utf-8")
                  for n in assets.JS_FILES)
    for name in ("drawBackground", "drawDensity", "drawPoints", "niceTicks", "padTheme",
                 "class Legend", "class PlotGeometry", "decodePoints"):
        assert f"function {name}" not in own and f"{name} {{" not in own, name
        assert name.split()[-1] in assets.JS
    assert not any(c in own.lower() for c in PALETTE)  # colours come in the data
    assert "aae-legend" in assets.HTML and ".aae-chip" in assets.CSS  # the pad's chips


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_joined_module_parses(tmp_path):
    path = tmp_path / "packing.mjs"
    path.write_text(assets.JS, encoding="utf-8")
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
