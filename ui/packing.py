"""The packing panels (AAE vs VAE): each compared model's held-out codes over the prior's
density, side by side on the same axes, drawn on canvases in the browser (a Custom
Components v2 component, inline, no iframe; its browser side: aae_core/web/packing/).

Why not Plotly: a page of Plotly scatters waits for Plotly's bundle and WebGL before its
first figure (bench/compare_page.py: 4.6-8.3 s on a busy machine, Explore's map 2.0-3.1 s);
the pad's canvas drawing shows thousands of codes in milliseconds.

Wire protocol (data = Python -> JS; nothing comes back):
  {"key", "slots": [{"title", "points_id", "points"} | None, ...], "classes": [{"name",
   "color"}], "bounds": [xmin, xmax, ymin, ymax], "density_id", "density", "height",
   "fit", "scale"}
A None slot keeps its place (the page's column of a family with no model).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from aae_core.images import PALETTE
from aae_core.web.packing import assets
from aae_core.web.pad.payload import density_payload, points_payload

# Registered once, at import (re-registering per call would log a warning every run).
_component = st.components.v2.component("aae_packing_panels", html=assets.HTML,
                                        css=assets.CSS, js=assets.JS)


def slot(title: str, codes: np.ndarray, labels: np.ndarray) -> dict:
    """One panel: `title` over codes (N, >= 2; the first two dimensions are drawn) coloured
    by labels (N,) in 0..255."""
    points = points_payload(np.asarray(codes)[:, :2], labels)
    return {"title": str(title), "points_id": points["id"], "points": points}


def density(grid: np.ndarray) -> dict:
    """The prior's density (ny, nx) over the panels' bounds, row 0 at ymin."""
    return density_payload(grid)


def packing_panels(*, key: str, slots: Sequence[dict | None], class_names: Sequence[str],
                   bounds: Sequence[float], prior_density: dict | None, height: int = 380,
                   fit: bool = False, scale: float = 1.0) -> None:
    """Draw `slots` (slot(...) or None) side by side, each at most `height` CSS px square
    (one a row where the page is too narrow), with a class legend under them; `fit`
    (presenting) shrinks them until they and the legend end inside the window; `scale`
    multiplies the text's size."""
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax) with min < max, got {bounds}")
    data = {"key": key, "slots": list(slots), "bounds": [xmin, xmax, ymin, ymax],
            "classes": [{"name": str(n), "color": PALETTE[k % len(PALETTE)]}
                        for k, n in enumerate(class_names)],
            "density_id": prior_density["id"] if prior_density else None,
            "density": prior_density, "height": int(height), "fit": bool(fit),
            "scale": float(scale)}
    _component(key=key, data=data)
