"""The Watch component's browser code: its files, read and joined once, at import.

CCv2 takes one inline JS module per component, so the files under js/ are concatenated in
dependency order; only main.js exports. No streamlit here: the take-home page
(ui/take_home) inlines the same files to replay a recorded run.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
JS_FILES = ("util.js", "plane.js", "diagram.js", "main.js")  # dependency order; main exports

JS = "\n".join(f"// ---- {name}\n" + (HERE / "js" / name).read_text(encoding="utf-8")
               for name in JS_FILES)
CSS = (HERE / "watch.css").read_text(encoding="utf-8")
