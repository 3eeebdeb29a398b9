"""The pad's browser code: its files, read and joined once, at import.

CCv2 takes one inline JS module per component (no imports between inline files, no build
step), so the files under js/ are concatenated in dependency order into one module; only
main.js exports. Each file does one job (see its first comment).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

# dependency order: decoder.js first (it also loads alone as a classic <script> in tests)
JS_FILES = ("decoder.js", "cache.js", "geometry.js", "background.js", "marker.js", "input.js",
            "legend.js", "stats.js", "pad.js", "motion.js", "main.js")

HTML = """
<div class="aae-pad-root">
  <div class="aae-stage">
    <div class="aae-map">
      <canvas class="aae-pad" tabindex="0" role="slider"
              aria-label="Latent pad: drag, click a code, or use the arrow keys to move z"></canvas>
      <div class="aae-legend"></div>
    </div>
    <div class="aae-side">
      <div class="aae-caption">decoder(z)</div>
      <canvas class="aae-preview" width="28" height="28" role="img"
              aria-label="Digit decoded from z"></canvas>
      <div class="aae-readout">z = (…)</div>
      <div class="aae-picked" hidden></div>
      <div class="aae-status" hidden></div>
    </div>
  </div>
  <canvas class="aae-strip" hidden role="img" aria-label="Digits decoded along the path"></canvas>
</div>
"""


def js_path(name: str) -> Path:
    return HERE / "js" / name


def _read_js() -> str:
    parts = [f"// ---- {name}\n" + js_path(name).read_text(encoding="utf-8") for name in JS_FILES]
    return "\n".join(parts)


JS = _read_js()
CSS = (HERE / "pad.css").read_text(encoding="utf-8")
