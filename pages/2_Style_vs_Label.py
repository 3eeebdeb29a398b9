"""Style vs label: fix the digit and move the handwriting, or fix the handwriting and change
the digit (paper §4 and Fig. 6; §2.3 for the label-regularized AAE). The parts and the page's
state: ui/style_views.py."""

import streamlit as st

from ui import present
from ui import style_views as views
from ui.nav import link_to, sidebar_nav

st.set_page_config(page_title="Style vs label · AAE Latent Explorer", page_icon="✍️",
                   layout="wide")
sidebar_nav()
st.title("Style vs label")
presenting = present.intro_and_switch(
    "style",
    "Some AAEs keep **what digit it is** apart from **how it is written**. Fix the digit and "
    "drag the style code: one digit in every handwriting. Fix the style and change the "
    "label: every digit in one handwriting (paper, Fig. 6)."
)
if not presenting:  # the projector's screen keeps the pad and its controls
    link_to("pages/7_Disentanglement.py", "Which style direction is slant, which is "
            "thickness? Measure it on the Disentanglement page", ":material/tune:")

sm = views.open_model()
if sm is None:
    st.stop()
with st.container(key="present_hide_caption"):
    views.model_caption(sm)
views.read_link(sm)
views.init_state(sm)
mode, label = views.mode_and_label(sm)

area = views.pad_area(sm)
pad_col, side_col = st.columns([5, 4], gap="large")
with pad_col:
    z = views.style_pad(sm, mode, label, area)
with side_col:
    views.where_z_sits(sm, mode, label, z, area)
views.write_link(z, label, mode)
if mode == "label":
    views.one_style_every_label(sm, z, label, compact=presenting)

with st.container(key="present_hide_grid"):  # below the lecture's screen
    views.styles_by_labels(sm)
