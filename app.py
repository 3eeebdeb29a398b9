"""Home: what an adversarial autoencoder is, which models are here, and where to go."""

import streamlit as st

from aae_core.models import MODELS
from ui.loaders import model_entries, pick_model
from ui.nav import sidebar_nav

st.set_page_config(page_title="AAE Latent Explorer", page_icon="🧭", layout="wide")
sidebar_nav()
st.title("AAE Latent Explorer")
st.markdown(
    "An **adversarial autoencoder** (Makhzani et al., 2015) is an autoencoder whose codes are "
    "forced to look like samples of a prior you choose — a Gaussian, a ring of ten Gaussians, "
    "a swiss roll — by a small GAN that lives in the latent space. The encoder plays the "
    "generator; a discriminator tries to tell its codes from prior samples. Once trained, "
    "any point of the prior decodes to a plausible digit, so the latent space can be "
    "**explored by hand**."
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("The two phases of every mini-batch")
    st.graphviz_chart(
        """
        digraph {
          rankdir=LR; nodesep=0.25; ranksep=0.35;
          node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica",
                fontsize=16, margin="0.15,0.08"];
          edge [penwidth=2, fontname="Helvetica", fontsize=14];
          x [label="image x"]; E [label="encoder", fillcolor="#dbe9f6"];
          z [label="code z", shape=ellipse]; G [label="decoder", fillcolor="#dbe9f6"];
          xr [label="x̂"]; p [label="z' ~ p(z)", shape=ellipse, fillcolor="#fde2e2"];
          D [label="discriminator", fillcolor="#fde2e2"];
          x -> E -> z -> G -> xr [color="#1f77b4"];
          z -> D [color="#d62728", label="fake"]; p -> D [color="#d62728", label="real"];
          {rank=same; z; p}
        }
        """,
        width="stretch",
    )
    st.markdown(
        "1. **Reconstruction phase** — encoder and decoder minimise the reconstruction error.\n"
        "2. **Regularization phase** — (a) D learns to tell prior samples (real) from codes "
        "(fake); (b) the encoder is updated to fool D. Together they match the *aggregate* "
        "posterior q(z) to the prior p(z), unlike a VAE, which pulls every q(z|x) towards it."
    )
with right:
    st.subheader("Start here")
    name = pick_model("Model to explore", key="home_model", default="aae-mixture")
    if name:
        st.session_state["model"] = name
        st.page_link("pages/1_Explore.py", label="Drag through its latent space",
                     icon=":material/explore:")
    st.page_link("pages/2_Style_vs_Label.py", label="Style vs label", icon=":material/edit:")
    st.page_link("pages/3_AAE_vs_VAE.py", label="AAE vs VAE: who fills the prior?",
                 icon=":material/balance:")
    st.page_link("pages/4_Classify_and_Cluster.py", label="Semi-supervised & clustering",
                 icon=":material/category:")
    st.page_link("pages/5_Train.py", label="Train your own model",
                 icon=":material/model_training:")

st.subheader("Models in this app")
rows = []
for entry in model_entries():
    if entry.config is None:
        rows.append({"checkpoint": entry.name, "model": "—", "problem": entry.problem})
        continue
    c = entry.config
    rows.append({"checkpoint": entry.name, "model": c.model, "prior": c.prior.name,
                 "latent": c.latent_dim, "dataset": entry.train.dataset,
                 "about": MODELS[c.model].description})
st.dataframe(rows, hide_index=True, width="stretch")
