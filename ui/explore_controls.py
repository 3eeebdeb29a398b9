"""The Explore page's controls above the map: the view and the presentation toggle.

Torch-free (streamlit only), because a fresh server draws them, and the map, before torch
has loaded (ui/first_paint.py); the page then draws them again in the same place.
"""

from __future__ import annotations

import streamlit as st

from ui.present import toggle as present_toggle

VIEWS = {"manifold": ":material/grid_on: Manifold", "sample": ":material/casino: Sample",
         "interpolate": ":material/linear_scale: Interpolate", "draw": ":material/draw: Draw"}
DEFAULT_VIEW = "manifold"


def presentation_mode() -> bool:
    """The presentation toggle (ui/present.py; ?present=1 opens in it): larger type; the
    sidebar, header, title and what a lecture does not need are hidden; the pad fills the
    window."""
    return present_toggle("explore", font_px=20, hide=("explore_hide", "explore_hide_pad"),
                          help_text="Larger type, only the map and the digit: for a "
                                    "projector. Also opens with ?present=1 in the link.")


def view_controls(default_view: str | None) -> tuple[str | None, bool]:
    """The view picker and the presentation toggle on one row: (view, presenting)."""
    view_col, present_col = st.columns([5, 1], vertical_alignment="bottom")
    with present_col:
        present = presentation_mode()
    view = view_col.segmented_control("View", list(VIEWS), format_func=VIEWS.get,
                                      default=default_view or DEFAULT_VIEW, key="explore_view")
    return view, present


def pad_look(present: bool) -> dict:
    """The pad's size arguments: larger, and fitted to the window, when presenting."""
    return {"fit": present, "scale": 1.35 if present else 1.0, "height": 520, "image_px": 300}
