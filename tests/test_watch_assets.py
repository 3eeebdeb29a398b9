"""ui/watch's browser code: joined after the shared files (aae_core/web/shared_js/), its bookkeeping
opt-in like the pad's, and no copy of the base64 decoder, the axis ticks or the palette."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from aae_core.images import PALETTE
from aae_core.web import bundle as js_bundle
from aae_core.web.watch import assets as component

OWN = [component.HERE / "js" / name for name in component.JS_FILES]


def test_every_watch_file_is_joined_once_after_the_shared_ones():
    on_disk = {p.name for p in (component.HERE / "js").glob("*.js")}
    assert set(component.JS_FILES) == on_disk and component.JS_FILES[-1] == "main.js"
    paths = [js_bundle.shared_path(n) for n in js_bundle.SHARED_FILES] + OWN
    starts = [component.JS.index(f"// ---- {p.parent.name}/{p.name}\n") for p in paths]
    assert starts == sorted(starts)
    assert component.JS.count("export default") == 1


def test_no_copy_of_the_shared_code_or_the_palette():
    for path in OWN:
        text = path.read_text(encoding="utf-8")
        assert "atob(" not in text and "fromBase64" not in text, path.name
        assert not re.search(r"function (niceStep|niceTicks|tickLabel|tick)\(", text), path.name
        assert not any(c in text.lower() for c in PALETTE), path.name  # colours come from Python


def test_instrumentation_is_opt_in():
    """Only stats.js knows the registry and measures packets; main.js reaches it through
    `this.stats?.`, which is null unless a test set globalThis.__aaeWatchStats."""
    for path in OWN:
        text = path.read_text(encoding="utf-8")
        if path.name != "stats.js":
            assert "globalThis.__aaeWatch" not in text, path.name
            assert "JSON.stringify" not in text, path.name
            assert not re.search(r"\bstats\(\)", text), path.name
    main = (component.HERE / "js" / "main.js").read_text(encoding="utf-8")
    assert "watchStatsWanted() ? watchStats() : null" in main
    hooks = re.findall(r"this\.stats(\??)\.", main)
    assert hooks and all(q == "?" for q in hooks)
    # the playback pace reads the Watch's own arrival times, not the instrumentation's
    pace = main[main.index("  pace() {"):main.index("  schedule() {")]
    assert "this.arrivals" in pace and "stats" not in pace


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_joined_module_parses(tmp_path):
    path = tmp_path / "watch.mjs"
    path.write_text(component.JS, encoding="utf-8")
    result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_shared_base64_decoder_reads_what_python_writes(tmp_path):
    """AAEBase64 in node against numpy's bytes: int16, float32, uint32, and a truncated
    payload is refused."""

    i16 = base64.b64encode(np.array([-3, 0, 32767], "<i2").tobytes()).decode()
    f32 = base64.b64encode(np.array([0.5, -2.25], "<f4").tobytes()).decode()
    u32 = base64.b64encode(np.array([7, 4_000_000_000], "<u4").tobytes()).decode()
    odd = base64.b64encode(b"\x01\x02\x03").decode()
    script = tmp_path / "check.js"
    script.write_text(js_bundle.shared_path("base64.js").read_text(encoding="utf-8") + f"""
const out = [Array.from(AAEBase64.int16("{i16}")), Array.from(AAEBase64.float32("{f32}")),
             Array.from(AAEBase64.uint32("{u32}"))];
try {{ AAEBase64.float32("{odd}"); out.push("accepted"); }} catch (e) {{ out.push(e.message); }}
console.log(JSON.stringify(out));
""", encoding="utf-8")
    result = subprocess.run(["node", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    i, f, u, err = json.loads(result.stdout)
    assert i == [-3, 0, 32767] and f == [0.5, -2.25] and u == [7, 4_000_000_000]
    assert "not a multiple of 4" in err

