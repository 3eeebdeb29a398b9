"""The packing panels' browser code (AAE vs VAE: each model's codes over the prior), read
and joined once, at import.

The panels draw what the latent pad's static layer draws (grid, the prior's density bands,
dots coloured by class, axis labels) and use its class legend, so the bundle is the shared
files, the pad's cache (payload decoding), geometry, background and legend, then this
folder's panels.js and main.js (aae_core/web/bundle.py); only main.js exports. The CSS is
the pad's (the legend's chips) followed by this folder's.
"""

from __future__ import annotations

from pathlib import Path

from aae_core.web.bundle import bundle
from aae_core.web.pad import assets as pad_assets

HERE = Path(__file__).parent

PAD_FILES = ("cache.js", "geometry.js", "background.js", "legend.js")  # from pad/js/
JS_FILES = ("panels.js", "main.js")  # this folder's js/, in dependency order

HTML = """
<div class="aae-packing-root">
  <div class="aae-panels"></div>
  <div class="aae-legend"></div>
</div>
"""

JS = bundle([pad_assets.js_path(name) for name in PAD_FILES] +
            [HERE / "js" / name for name in JS_FILES])
CSS = pad_assets.CSS + "\n" + (HERE / "packing.css").read_text(encoding="utf-8")
