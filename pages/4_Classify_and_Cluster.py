"""Classify and cluster: the semi-supervised AAE's test error, the clustering AAE's clusters,
the dimensionality-reduction AAE's 2-D map (paper §5, §6 and §7). The parts:
ui/classify_views.py."""

import streamlit as st

from ui import classify_views as views
from ui import present
from ui.nav import sidebar_nav

st.set_page_config(page_title="Classify & cluster · AAE Latent Explorer", page_icon="🧩",
                   layout="wide")
sidebar_nav()
st.title("Classify and cluster")
presenting = present.intro_and_switch(
    "classify",
    "These AAEs split each digit's code in two: a **categorical** part y (softmax over K "
    "classes or clusters, pushed towards one-hot vectors by one discriminator) and a "
    "continuous **style** part z (pushed towards a Gaussian by another). With a few labels, y "
    "becomes a classifier; with none, y finds clusters; adding learned cluster heads gives "
    "a 2-D map.")

shown = views.open_model()
if shown is None:
    st.stop()
views.report(shown)
