"""The sidebar's page list, drawn by every page (Streamlit's own list would call Home "app").

.streamlit/config.toml hides the automatic list (client.showSidebarNavigation = false); the
pages stay plain scripts in pages/, so a deep link such as /Explore?model=... opens directly.
"""

from __future__ import annotations

import contextlib
from urllib.parse import unquote, urlparse

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui.plain_text import plain

# Rows of option buttons (segmented controls) wrap onto a second line where they do not
# fit (a 390 px phone; a narrow column) instead of running off the screen.
WRAP_CSS = """<style>
[data-testid="stButtonGroup"] > div:has(> button) { flex-wrap: wrap; row-gap: 0.3rem; }
</style>"""

# (script, label, icon), in the sidebar's order
PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Explore.py", "Explore", ":material/explore:"),
    ("pages/2_Style_vs_Label.py", "Style vs Label", ":material/edit:"),
    ("pages/3_AAE_vs_VAE.py", "AAE vs VAE", ":material/balance:"),
    ("pages/4_Classify_and_Cluster.py", "Classify and Cluster", ":material/category:"),
    ("pages/5_Train.py", "Train", ":material/model_training:"),
    ("pages/6_Watch_it_learn.py", "Watch it learn", ":material/visibility:"),
    ("pages/7_Disentanglement.py", "Disentanglement", ":material/tune:"),
)


def sidebar_nav() -> None:
    """Links to every page at the top of the sidebar; the current one is highlighted.

    A page run on its own (AppTest.from_file on one script) knows no other pages: it then
    draws no list rather than failing. Also the CSS every page shares (WRAP_CSS).
    """
    st.html(WRAP_CSS)
    with st.sidebar:
        for script, label, icon in PAGES:
            try:
                st.page_link(script, label=label, icon=icon)
            except StreamlitAPIException:
                return
    st.sidebar.divider()


def link_to(script: str, label: str, icon: str) -> None:
    """A link to another page in the main area; none when the page runs on its own
    (AppTest.from_file on one script knows no other pages)."""
    with contextlib.suppress(StreamlitAPIException):
        st.page_link(script, label=label, icon=icon)


def unknown_page() -> None:
    """On Home: say so when the browser asked for a page that does not exist (Streamlit
    then runs Home, with the unknown path still in the address bar)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    path = unquote(urlparse(st.context.url or "").path).strip("/")
    if base and path.startswith(base):
        path = path[len(base):].strip("/")
    if path:
        names = ", ".join(label for _, label, _ in PAGES)
        st.warning(f"There is no page called “{plain(path, limit=60)}”; this is Home. The "
                   f"pages are: {names}.", icon=":material/link_off:")
