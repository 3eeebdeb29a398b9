"""One inline JS module per component, from its own files and the shared ones.

CCv2 takes one inline JS module per component (no imports between inline files, no build
step), so a component's browser code is its files concatenated in dependency order; only
the last one (main.js) exports. Code both components need (the base64 decoder, the axis
ticks) lives once, in aae_core/web/shared_js/, and is put first in each bundle. The class palette is
not JS at all: it is aae_core.images.PALETTE, sent in each component's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

SHARED_DIR = Path(__file__).parent / "shared_js"
# dependency order; base64.js also loads alone as a classic <script> (tests, benchmarks)
SHARED_FILES = ("base64.js", "ticks.js")


def shared_path(name: str) -> Path:
    return SHARED_DIR / name


def bundle(own: Sequence[Path]) -> str:
    """The shared files, then `own` (in order), joined into one module's text."""
    paths = [shared_path(name) for name in SHARED_FILES] + list(own)
    return "\n".join(f"// ---- {p.parent.name}/{p.name}\n" + p.read_text(encoding="utf-8")
                     for p in paths)
