"""The pad's browser code: its files, read and joined once, at import.

The shared files (aae_core/web/shared_js/: base64 decoding, axis ticks) and then the files under js/
are concatenated in dependency order into one module (aae_core/web/bundle.py); only main.js
exports. Each file does one job (see its first comment).
"""

from __future__ import annotations

from pathlib import Path

from aae_core.web.bundle import bundle, shared_path

HERE = Path(__file__).parent

# dependency order, after the shared files (decoder.js also loads alone in tests: see
# standalone_decoder_js)
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


def standalone_decoder_js() -> str:
    """decoder.js with what it needs (base64.js), as classic scripts for a bare page: how
    tests and benchmarks run the browser's decoder without the component."""
    return "\n".join(p.read_text(encoding="utf-8")
                     for p in (shared_path("base64.js"), js_path("decoder.js")))


JS = bundle([js_path(name) for name in JS_FILES])
CSS = (HERE / "pad.css").read_text(encoding="utf-8")
