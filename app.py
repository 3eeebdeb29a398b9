"""Home: what an adversarial autoencoder is, which models are here, and where to go."""

import streamlit as st

from aae_core.models import MODELS
from ui.loaders import model_entries, pick_model

st.set_page_config(page_title="AAE Latent Explorer", page_icon="🧭", layout="wide")
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
          rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#f4f4f4",
                            fontname="Helvetica", fontsize=11];
          x [label="image x"]; E [label="encoder q(z|x)", fillcolor="#dbe9f6"];
          z [label="code z", shape=ellipse]; G [label="decoder p(x|z)", fillcolor="#dbe9f6"];
          xr [label="reconstruction"]; p [label="prior sample z' ~ p(z)", shape=ellipse,
               fillcolor="#fde2e2"]; D [label="discriminator D", fillcolor="#fde2e2"];
          x -> E -> z -> G -> xr [color="#1f77b4", penwidth=1.6,
                                  label=" 1. reconstruction"];
          z -> D [color="#d62728", penwidth=1.6, label=" 2b. fool D"];
          p -> D [color="#d62728", penwidth=1.6, label=" 2a. real"];
        }
        """
    )
    st.markdown(
        "1. **Reconstruction phase** — encoder and decoder minimise the reconstruction error.\n"
        "2. **Regularization phase** — (a) D learns to tell prior samples (real) from codes "
        "(fake); (b) the encoder is updated to fool D. Together they match the *aggregate* "
        "posterior q(z) to the prior p(z), unlike a VAE, which pulls every q(z|x) towards it."
    )
with right:
    st.subheader("Start here")
    name = pick_model("Model to explore", key="home_model")
    if name:
        st.session_state["model"] = name
        st.page_link("pages/1_Explore.py", label="Drag through its latent space",
                     icon="🔭")
    st.page_link("pages/2_Style_vs_Label.py", label="Style vs label", icon="✍️")
    st.page_link("pages/3_AAE_vs_VAE.py", label="AAE vs VAE: who fills the prior?", icon="⚖️")
    st.page_link("pages/4_Classify_and_Cluster.py", label="Semi-supervised & clustering",
                 icon="🧩")
    st.page_link("pages/5_Train.py", label="Train your own model", icon="🏋️")

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
