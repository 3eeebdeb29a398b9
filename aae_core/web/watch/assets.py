"""The Watch component's browser code: its files, read and joined once, at import.

CCv2 takes one inline JS module per component, so the shared files (aae_core/web/bundle.py) and the
files under js/ are concatenated in dependency order; only main.js exports. No streamlit
here: the take-home page (ui/take_home) inlines the same text to replay a recorded run.
"""

from __future__ import annotations

from pathlib import Path

from aae_core.web.bundle import bundle

HERE = Path(__file__).parent
# dependency order, after the shared files; main.js exports
JS_FILES = ("util.js", "plane.js", "diagram.js", "stats.js", "main.js")

JS = bundle([HERE / "js" / name for name in JS_FILES])
CSS = (HERE / "watch.css").read_text(encoding="utf-8")
