"""ui/pad: one folder, the browser code split by job, joined once after the shared files
(aae_core/web/shared_js/); one class palette."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from aae_core.images import PALETTE, PALETTE_RGB
from aae_core.web import bundle as js_bundle
from aae_core.web.pad import assets
from ui import figures


def test_every_js_file_is_joined_once_in_order_and_only_main_exports():
    on_disk = {p.name for p in (assets.HERE / "js").glob("*.js")}
    assert set(assets.JS_FILES) == on_disk and len(assets.JS_FILES) == len(on_disk)
    assert assets.JS_FILES[0] == "decoder.js" and assets.JS_FILES[-1] == "main.js"
    shared = {p.name for p in js_bundle.SHARED_DIR.glob("*.js")}
    assert set(js_bundle.SHARED_FILES) == shared
    paths = [js_bundle.shared_path(n) for n in js_bundle.SHARED_FILES] + \
        [assets.js_path(n) for n in assets.JS_FILES]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert ("export default" in text) == (path.name == "main.js"), path
        assert not re.search(r"^\s*import\s", text, re.M), f"{path}: inline modules cannot import"
        assert assets.JS.count(f"// ---- {path.parent.name}/{path.name}\n") == 1, path
    assert assets.JS.count("export default") == 1
    # the shared files come first, in their order, then the pad's own
    starts = [assets.JS.index(f"// ---- {p.parent.name}/{p.name}\n") for p in paths]
    assert starts == sorted(starts)


def test_base64_ticks_and_helpers_are_defined_once():
    """The base64 decoder and the axis ticks live in aae_core/web/shared_js/ only."""
    for name in assets.JS_FILES:
        text = assets.js_path(name).read_text(encoding="utf-8")
        assert "atob(" not in text and "fromBase64" not in text, name
        assert "function niceTicks" not in text and "function tickLabel" not in text, name


def test_instrumentation_is_opt_in():
    """Only stats.js knows the registry; every other file reaches it through `this.stats?.`."""
    for name in assets.JS_FILES:
        text = assets.js_path(name).read_text(encoding="utf-8")
        if name != "stats.js":
            assert "__aaePad[" not in text and "statsRegistry" not in text, name
            assert "lastImage" not in text and "decodeMs" not in text, name
    pad = assets.js_path("pad.js").read_text(encoding="utf-8")
    assert "statsWanted() ? new PadStats(this) : null" in pad


def test_the_class_palette_has_one_source():
    assert figures.color(3) == PALETTE[3] and PALETTE_RGB[0] == (31, 119, 180)
    for name in assets.JS_FILES:  # the pad gets its colours from Python, in its data
        text = assets.js_path(name).read_text(encoding="utf-8").lower()
        assert not any(c in text for c in PALETTE), name


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_joined_module_parses(tmp_path):
    path = tmp_path / "pad.mjs"
    path.write_text(assets.JS, encoding="utf-8")
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_legend_and_a_path_release_are_read_as_documented():
    from ui.pad import component

    legend = component._classes(None, {"id": "p"})
    assert [c["name"] for c in legend] == [str(k) for k in range(10)]
    assert [c["color"] for c in legend] == list(PALETTE)
    assert component._classes(None, None) == []
    assert component._classes(["a", "b"], None)[1] == {"name": "b", "color": PALETTE[1]}

    state = {"ends": {"ends": [[1, 2], [3, 4]], "seq": 7, "picked": [5, None]}}
    signature, ends = component._release_ends(state, 2)
    assert ends == [[1.0, 2.0], [3.0, 4.0]] and signature[0] == 7
    assert component._release_ends({"ends": {"ends": [[1, 2]]}}, 2) is None  # one end
    assert component._release_ends({"ends": {"ends": [[1, 2, 3], [3, 4, 5]]}}, 2) is None
    with pytest.raises(ValueError, match="finite"):
        component._release_ends({"ends": [[float("nan"), 0], [0, 0]]}, 2)
