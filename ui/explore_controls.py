"""The Explore page's controls above the map: the view and the presentation toggle.

Torch-free (streamlit only), because a fresh server draws them, and the map, before torch
has loaded (ui/first_paint.py); the page then draws them again in the same place.
"""

from __future__ import annotations

import streamlit as st

VIEWS = {"manifold": ":material/grid_on: Manifold", "sample": ":material/casino: Sample",
         "interpolate": ":material/linear_scale: Interpolate", "draw": ":material/draw: Draw"}
DEFAULT_VIEW = "manifold"

PRESENTATION_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], h1, .st-key-explore_hide,
.st-key-explore_hide_pad { display: none; }
html { font-size: 20px; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 1rem; max-width: 100%; }
</style>"""


def presentation_mode() -> bool:
    """The presentation toggle (?present=1 opens in it): larger type; the sidebar, header,
    title and what a lecture does not need are hidden; the pad fills the window."""
    key = "explore_present"
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get("present") == "1"
    on = st.toggle("Present", key=key, help="Larger type, only the map and the digit: "
                   "for a projector. Also opens with ?present=1 in the link.")
    if on:
        st.query_params["present"] = "1"
        st.html(PRESENTATION_CSS)
    elif "present" in st.query_params:
        del st.query_params["present"]
    return on


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
