"""The Explore page's controls above the map: the view and the presentation toggle.

Torch-free (streamlit only), because a fresh server draws them, and the map, before torch
has loaded (ui/first_paint.py); the page then draws them again in the same place.
"""

from __future__ import annotations

import streamlit as st

from ui import url_state

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
    key, link = "explore_present", url_state.PageLink("present", ("present",))
    if key not in st.session_state:  # the link's ?present=1 counts on the first run only
        st.session_state[key] = link.params().get("present") == "1"
    on = st.toggle("Present", key=key, help="Larger type, only the map and the digit: "
                   "for a projector. Also opens with ?present=1 in the link.")
    if on:
        link.write({"present": "1"})
        st.html(PRESENTATION_CSS)
    else:
        link.drop("present")
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
