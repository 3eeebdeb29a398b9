"""The latent pad's Streamlit side: mount the component, read back what the user did.

A Custom Components v2 component (inline html/css/js from assets.py, no iframe, no build
step). The decoder's weights travel once per model (payload.py); the browser decodes every
drag frame itself and reports to Python once, on release. The caller decodes that z
authoritatively (browser and torch agree within 1e-3 per pixel).

Wire protocol (data = Python -> JS, state/trigger = JS -> Python):
  data    {"key", "mode": "point" | "path", "model_id", "decoder": payload | None,
           "points_id", "points": payload | None, "density_id", "density": payload | None,
           "classes": [{"name", "color"}], "z", "ends": [z_a, z_b] | None, "steps", "dims",
           "cond", "bounds", "seq", "height", "image_px", "fit", "scale",
           "server": {"z", "image": base64 float32} | None}
  state   "z":    {"z": full z, "xy": [z[d0], z[d1]], "seq": n, "have": [ids], "picked": i}
  state   "ends": {"ends": [z_a, z_b], "seq": n, "have": [ids]}        (path mode)
  trigger "need": an id the browser does not hold although Python omitted its payload
Payloads are omitted once the browser has reported holding them ("have").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from aae_core.images import PALETTE
from aae_core.web.pad import assets
from aae_core.web.pad.payload import floats_b64

# Registered once, at import (re-registering per call would log a warning every run).
_component = st.components.v2.component("aae_latent_pad", html=assets.HTML, css=assets.CSS,
                                        js=assets.JS)


def _noop() -> None:
    """CCv2 needs an on_<name>_change callback per state/trigger name."""


def _floats(values: Sequence[float], what: str) -> list[float]:
    out = [float(v) for v in values]
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{what} must be finite, got {out}")
    return out


def _check(decoder: dict, bounds: Sequence[float], z: list[float], dims: tuple[int, int],
           cond: list[float]) -> None:
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


def _release_ends(state: Any, n: int) -> tuple[Any, list[list[float]]] | None:
    """(signature, [z_a, z_b]) of the browser's last path release, or None."""
    value = state.get("ends") if state else None
    ends = value.get("ends") if isinstance(value, dict) else value
    if not isinstance(ends, (list, tuple)) or len(ends) != 2 or any(len(e) != n for e in ends):
        return None
    seq = value.get("seq") if isinstance(value, dict) else None
    return (seq, tuple(map(tuple, ends))), [_floats(e, "a path end") for e in ends]


def _choose(mem: dict, release, given: Any, slot: str) -> Any:
    """What to show in `slot` ("z" or "ends"): a new release wins, then a new value from the
    caller, else the last one. mem is this pad's memory in session state."""
    if release is not None and release[0] != mem.get(f"release_{slot}"):
        current = release[1]  # the user just let go
        mem[f"release_{slot}"] = release[0]
        if isinstance(release[0][0], int):  # the browser's next seq continues from here
            mem["seq"] = max(mem.get("seq", 0), release[0][0])
    elif given != mem.get(f"given_{slot}") or mem.get(f"current_{slot}") is None:
        current = given  # the caller moved it (or this is the first run)
    else:
        current = mem[f"current_{slot}"]
    mem[f"given_{slot}"], mem[f"current_{slot}"] = given, current
    return current


def _browser_has(mem: dict, state: Any) -> set[str]:
    """Payload ids the browser reported holding, minus one it just asked for ("need")."""
    for slot in ("z", "ends"):
        reported = state.get(slot) if state else None
        if isinstance(reported, dict) and isinstance(reported.get("have"), list):
            mem["have"] = [str(i) for i in reported["have"]]
    need = state.get("need") if state else None
    return set(mem.get("have", [])) - {need}


def _clamp(z: list[float], dims: tuple[int, int], bounds) -> list[float]:
    xmin, xmax, ymin, ymax = bounds
    z = list(z)
    z[dims[0]] = min(max(z[dims[0]], xmin), xmax)
    z[dims[1]] = min(max(z[dims[1]], ymin), ymax)
    return z


def _payload_or_none(payload: dict | None, have: set[str]) -> tuple[str | None, dict | None]:
    if payload is None:
        return None, None
    return payload["id"], None if payload["id"] in have else payload


def _classes(class_names: Sequence[str] | None, points: dict | None) -> list[dict]:
    """The legend: a name and a colour (aae_core.images.PALETTE) per class; the codes' labels
    index it. Without names, codes are labelled 0..9."""
    if class_names is None:
        class_names = [str(k) for k in range(len(PALETTE))] if points else []
    return [{"name": str(n), "color": PALETTE[k % len(PALETTE)]}
            for k, n in enumerate(class_names)]


def latent_pad(
    *,
    key: str,
    decoder: dict,
    bounds: tuple[float, float, float, float],
    z: list[float],
    dims: tuple[int, int] = (0, 1),
    cond: list[float] | None = None,
    points: dict | None = None,
    class_names: Sequence[str] | None = None,
    density: dict | None = None,
    ends: list[list[float]] | None = None,
    steps: int = 10,
    star: list[float] | None = None,
    server_decode: Callable[[list[float]], Any] | None = None,
    fit: bool = False,
    scale: float = 1.0,
    height: int = 360,
    image_px: int = 196,
) -> list[float]:
    """Show the latent pad; return the full z after the user's last release (or `z`).

    decoder: decoder_payload(...); bounds: (xmin, xmax, ymin, ymax) of the pad;
    z: full latent vector, of which the pad moves z[dims[0]] (x) and z[dims[1]] (y);
    cond: the decoder's conditioning input (one-hot or probabilities), None if cond_dim is 0;
    points: points_payload(...) drawn as dots coloured by label, with a legend of
    `class_names` (click a name to hide or show its codes; click a dot to jump onto it);
    density: density_payload(...) offered as a contour background ("Prior");
    ends: two full z's: path mode (interpolation), the two ends are dragged instead of z and
    `steps` digits along the path are decoded in the browser; read them with pad_ends(key);
    star: a full z drawn as a ★ (the code of the user's own drawn digit), None for none;
    server_decode: z -> image (side*side,), Python's authoritative decode, sent to the
    browser for tests to compare (not shown);
    fit: grow the pad and the digit to fill the window's height (presentation);
    scale: text and marker size factor.
    A new `z` (or `ends`) from the caller moves the marker; otherwise it stays where the
    user left it.
    """
    z = _floats(z, "z")
    cond = _floats(cond or [], "cond")
    dims = (int(dims[0]), int(dims[1]))
    _check(decoder, bounds, z, dims, cond)
    bounds = tuple(float(b) for b in bounds)

    mem = st.session_state.setdefault(f"_aae_latent_pad::{key}", {})
    state = st.session_state.get(key)  # the browser's state, readable before mounting
    current = _clamp(_choose(mem, _release(state, z, dims), z, "z"), dims, bounds)
    path = None if ends is None else _choose_ends(mem, state, ends, z, dims, bounds)
    have = _browser_has(mem, state)
    server = None
    if server_decode is not None:
        server = {"z": current, "image": floats_b64(server_decode(current))}
    data = {"key": key, "mode": "path" if path else "point", "z": current, "ends": path,
            "steps": int(steps), "dims": list(dims), "cond": cond, "bounds": list(bounds),
            "star": None if star is None else _floats(star, "star"),
            "seq": mem.get("seq", 0), "height": int(height), "image_px": int(image_px),
            "fit": bool(fit), "scale": float(scale), "server": server,
            "classes": _classes(class_names, points)}
    data["model_id"], data["decoder"] = _payload_or_none(decoder, have)
    data["points_id"], data["points"] = _payload_or_none(points, have)
    data["density_id"], data["density"] = _payload_or_none(density, have)
    _component(key=key, data=data, on_z_change=_noop, on_ends_change=_noop,
               on_need_change=_noop)
    return current


def _choose_ends(mem: dict, state: Any, ends, z: list[float], dims, bounds) -> list:
    """The two path ends to show (see _choose), clamped to the pad; remembered for pad_ends."""
    given = [_clamp(_floats(e, "a path end"), dims, bounds) for e in ends]
    if len(given) != 2 or any(len(e) != len(z) for e in given):
        raise ValueError(f"ends must be two z's of {len(z)} entries")
    chosen = _choose(mem, _release_ends(state, len(z)), given, "ends")
    mem["ends"] = [_clamp(e, dims, bounds) for e in chosen]
    return mem["ends"]


def pad_ends(key: str) -> list[list[float]] | None:
    """The two path ends the pad `key` shows (after the user's last release), or None."""
    return st.session_state.get(f"_aae_latent_pad::{key}", {}).get("ends")
