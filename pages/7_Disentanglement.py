"""Disentanglement: which latent direction controls slant, which thickness, which the digit,
measured (MIG, DCI, SAP, label leakage) and seen (a traversal strip per dimension)."""

import streamlit as st

from aae_core.errors import AAEError
from ui.disentangle import views
from ui.loaders import open_checkpoint, pick_model
from ui.nav import sidebar_nav
from ui.plain_text import plain

st.set_page_config(page_title="Disentanglement · AAE Latent Explorer", page_icon="🎚️",
                   layout="wide")
sidebar_nav()
st.title("Disentanglement: what each latent direction controls")
st.markdown(
    "A code is **disentangled** when each of its dimensions controls one factor of the "
    "digit — its slant, its stroke thickness, its width, or which digit it is — and each "
    "factor lives in one dimension. Below, the scores measure it on held-out digits, and a "
    "strip per dimension shows it: move one dimension, hold the others, and watch which "
    "measure of the decoded digit moves."
)
name = pick_model("Model", key="dis_model", where=st.sidebar)
if name is None:
    st.info("No readable model: train one on the Train page.", icon=":material/info:")
    st.stop()
try:
    ckpt = open_checkpoint(name)
except AAEError as exc:
    st.error(plain(exc), icon=":material/error:")
    st.stop()
codes, labels, source = views.codes_of(ckpt)
at, label, steps = views.controls(ckpt, codes, labels)
views.scores_section(name)
views.comparison_section(name)
views.traversal_section(name, ckpt, codes, source, at, label, steps)
