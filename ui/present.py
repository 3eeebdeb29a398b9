"""Present mode: one switch on every lecture page, kept in the link as ?present=1, that lays
the page out for a projector (docs/ARCHITECTURE.md, "Present mode").

Presenting hides what a lecture does not need: Streamlit's header and toolbar, the page's
title, the sidebar (unless the page's controls live there: Train's form), and every
container whose key starts with HIDE ("present_hide_..."), plus the page's own `hide` keys.
The pages then size their plots to the window. Torch-free (streamlit only): Explore draws
its switch before torch has loaded (ui/first_paint.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ui import url_state

HIDE = "present_hide"  # st.container(key=f"{HIDE}_...") is hidden while presenting
PARAM = "present"  # ?present=1
SWITCH = "present_switch"  # the container of intro_and_switch's switch (fixed in a corner)


def css(*, font_px: int, hide_sidebar: bool, hide: Sequence[str] = ()) -> str:
    """The stylesheet of present mode (see the module's docstring)."""
    chrome = ['[data-testid="stHeader"]', '[data-testid="stToolbar"]', "h1",
              f'[class*="st-key-{HIDE}"]', *(f".st-key-{key}" for key in hide)]
    if hide_sidebar:
        chrome += ['[data-testid="stSidebar"]', '[data-testid="stSidebarCollapsedControl"]']
    return (f"<style>{', '.join(chrome)} {{ display: none; }}\n"
            f"html {{ font-size: {font_px}px; }}\n"
            '[data-testid="stMainBlockContainer"] { padding: 0.5rem 1.2rem 0.5rem; '
            "max-width: 100%; }\n"
            # the switch in the top right corner, out of the page's flow: no row of its own
            f'[class*="st-key-{SWITCH}"] {{ position: fixed; top: 0.3rem; right: 1rem; '
            "z-index: 999990; width: auto; background: var(--st-background-color, #fff); "
            "padding: 0 0.3rem; border-radius: 0.4rem; }\n</style>")


def toggle(page: str, *, font_px: int = 18, hide_sidebar: bool = True,
           hide: Sequence[str] = (), help_text: str | None = None) -> bool:
    """The page's Present switch (session key `{page}_present`); True while presenting.
    A link's ?present=1 turns it on in the page's first run; the switch writes it back."""
    key, link = f"{page}_present", url_state.PageLink(PARAM, (PARAM,))
    if key not in st.session_state:  # the link counts on the page's first run only
        st.session_state[key] = link.params().get(PARAM) == "1"
    on = st.toggle("Present", key=key, help=help_text or
                   "Larger type, the controls and plots of the lecture on one screen: for a "
                   "projector. Also opens with ?present=1 in the link.")
    if on:
        link.write({PARAM: "1"})
        st.html(css(font_px=font_px, hide_sidebar=hide_sidebar, hide=hide))
    else:
        link.drop(PARAM)
    return on


def presenting(page: str) -> bool:
    """Whether `page` is presenting (its switch, or a link's ?present=1 before the switch
    is drawn)."""
    key = f"{page}_present"
    if key in st.session_state:
        return bool(st.session_state[key])
    return url_state.param(PARAM) == "1"


def intro_and_switch(page: str, intro: str | None = None, **options) -> bool:
    """The page's introduction (hidden while presenting) with the Present switch beside it
    on the right; `options` go to `toggle`. True while presenting."""
    # 1/6 of the row: "Present" and its help stay on one line at 1366 px beside the sidebar
    text, switch = st.columns([5, 1], vertical_alignment="top")
    with switch.container(key=f"{SWITCH}_{page}"):
        on = toggle(page, **options)
    if intro:
        with text.container(key=f"{HIDE}_intro"):
            st.markdown(intro)
    return on
