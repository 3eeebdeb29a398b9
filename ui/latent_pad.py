"""The latent pad: drag z through a 2-D latent plane, decoded live in the browser.

A Custom Components v2 component (inline html/css/js, no iframe, no build step). The
decoder's weights travel once per model (ui/decoder_payload.py); the browser decodes every
drag frame itself and reports z to Python once, on release. The caller decodes that z
authoritatively (browser and torch agree within 1e-3 per pixel).

Wire protocol (data = Python -> JS, state/trigger = JS -> Python):
  data    {"key", "model_id", "decoder": payload | None, "points_id", "points": payload | None,
           "z", "dims", "cond", "bounds", "seq", "height", "image_px"}
  state   "z":    {"z": full z, "xy": [z[d0], z[d1]], "seq": n, "have": [cached ids]}
  trigger "need": an id the browser does not hold although Python omitted its payload
Payloads are omitted once the browser has reported holding them ("have").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

_PAD_DIR = Path(__file__).parent / "pad"

_HTML = """
<div class="aae-pad-root">
  <canvas class="aae-pad" tabindex="0" role="slider"
          aria-label="Latent pad: drag or use the arrow keys to move z"></canvas>
  <div class="aae-side">
    <div class="aae-caption">decoder(z)</div>
    <canvas class="aae-preview" width="28" height="28" role="img"
            aria-label="Digit decoded from z"></canvas>
    <div class="aae-readout">z = (…)</div>
    <div class="aae-status" hidden></div>
  </div>
</div>
"""

_JS = (
    (_PAD_DIR / "decoder.js").read_text(encoding="utf-8")
    + "\n"
    + (_PAD_DIR / "pad.js").read_text(encoding="utf-8")
)
_CSS = (_PAD_DIR / "pad.css").read_text(encoding="utf-8")

# Registered once, at import (re-registering per call would log a warning every run).
_component = st.components.v2.component("aae_latent_pad", html=_HTML, css=_CSS, js=_JS)


def _noop() -> None:
    """CCv2 needs an on_<name>_change callback per state/trigger name."""


def _floats(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{what} must be finite, got {out}")
    return out


def _check(
    decoder: dict, bounds: Sequence[float], z: list[float], dims: tuple[int, int], cond: list[float]
) -> None:
    latent_dim, cond_dim = decoder["latent_dim"], decoder["cond_dim"]
    if len(z) != latent_dim:
        raise ValueError(f"z has {len(z)} entries but the decoder takes latent_dim={latent_dim}")
    if len(cond) != cond_dim:
        raise ValueError(f"cond has {len(cond)} entries but the decoder takes cond_dim={cond_dim}")
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims must be two different indices below {latent_dim}, got {dims}")
    xmin, xmax, ymin, ymax = bounds
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with min < max, got {bounds}")


def _release(state: Any, z: list[float], dims: tuple[int, int]) -> tuple[Any, list[float]] | None:
    """(signature, full z) of the browser's last release, or None.

    The browser sends {"z", "xy", "seq", "have"}; a plain list (full z or the two pad
    coordinates) is accepted too, which is what AppTest tests inject.
    """
    value = state.get("z") if state else None
    if isinstance(value, dict):
        seq, full, xy = value.get("seq"), value.get("z"), value.get("xy")
    elif isinstance(value, (list, tuple)):
        seq, full, xy = None, value, None
    else:
        return None
    signature = (seq, tuple(full or ()), tuple(xy or ()))  # raw, so independent of `z`
    if full is not None and len(full) == len(z):
        new_z = _floats(full, "the released z")
    elif xy is not None or (full is not None and len(full) == 2):
        new_z = list(z)
        new_z[dims[0]], new_z[dims[1]] = _floats(xy if xy is not None else full, "z")
    else:
        return None
    return signature, new_z


def _choose_z(mem: dict, state: Any, z: list[float], dims: tuple[int, int]) -> list[float]:
    """The z to show: a new release wins, then a new `z` from the caller, else the last one.

    mem is this pad's memory in session state (the component's own key is a widget's).
    """
    release = _release(state, z, dims)
    if release is not None and release[0] != mem.get("release"):
        current = release[1]  # the user just let go
        mem["release"] = release[0]
        if isinstance(release[0][0], int):  # the browser's next seq continues from here
            mem["seq"] = max(mem.get("seq", 0), release[0][0])
    elif z != mem.get("given") or len(mem.get("current") or ()) != len(z):
        current = z  # the caller moved z (or this is the first run)
    else:
        current = mem["current"]
    mem["given"], mem["current"] = z, current
    return list(current)


def _browser_has(mem: dict, state: Any) -> set[str]:
    """Payload ids the browser reported holding, minus one it just asked for ("need")."""
    reported = state.get("z") if state else None
    if isinstance(reported, dict) and isinstance(reported.get("have"), list):
        mem["have"] = [str(i) for i in reported["have"]]
    need = state.get("need") if state else None
    return set(mem.get("have", [])) - {need}


def latent_pad(
    *,
    key: str,
    decoder: dict,
    bounds: tuple[float, float, float, float],
    z: list[float],
    dims: tuple[int, int] = (0, 1),
    cond: list[float] | None = None,
    points: dict | None = None,
    height: int = 360,
    image_px: int = 196,
) -> list[float]:
    """Show the latent pad; return the full z after the user's last release (or `z`).

    decoder: decoder_payload(...); bounds: (xmin, xmax, ymin, ymax) of the pad;
    z: full latent vector, of which the pad moves z[dims[0]] (x) and z[dims[1]] (y);
    cond: the decoder's conditioning input (one-hot or probabilities), None if cond_dim is 0;
    points: points_payload(...) drawn as faint dots coloured by label.
    A new `z` from the caller (a button, the URL) moves the marker; otherwise the marker
    stays where the user left it.
    """
    z = _floats(z, "z")
    cond = _floats(cond or [], "cond")
    dims = (int(dims[0]), int(dims[1]))
    _check(decoder, bounds, z, dims, cond)

    mem = st.session_state.setdefault(f"_aae_latent_pad::{key}", {})
    state = st.session_state.get(key)  # the browser's state, readable before mounting
    current = _choose_z(mem, state, z, dims)
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    current[dims[0]] = min(max(current[dims[0]], xmin), xmax)
    current[dims[1]] = min(max(current[dims[1]], ymin), ymax)
    have = _browser_has(mem, state)
    points_id = points["id"] if points else None

    _component(
        key=key,
        data={
            "key": key,
            "model_id": decoder["id"],
            "decoder": None if decoder["id"] in have else decoder,
            "points_id": points_id,
            "points": None if points_id is None or points_id in have else points,
            "z": current,
            "dims": list(dims),
            "cond": cond,
            "bounds": [xmin, xmax, ymin, ymax],
            "seq": mem.get("seq", 0),
            "height": int(height),
            "image_px": int(image_px),
        },
        on_z_change=_noop,
        on_need_change=_noop,
    )
    return current
