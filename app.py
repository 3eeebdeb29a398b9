"""Home: what an adversarial autoencoder is, which models are here, and where to go."""

import streamlit as st

from aae_core.models import MODELS
from aae_core.paths import DEFAULT_MODEL
from ui.home_views import map_and_digits, phases_svg, train_step_words
from ui.loaders import cache_key, model_entries, pick_model
from ui.nav import sidebar_nav, unknown_page

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

LECTURE = (  # (page, the step, model, extra URL parameters)
    ("pages/1_Explore.py", "Drag through the latent space: every point of the prior is a digit",
     DEFAULT_MODEL, {"view": "manifold"}),
    ("pages/1_Explore.py", "Draw your own digit: the encoder puts it on the map",
     DEFAULT_MODEL, {"view": "draw"}),
    ("pages/2_Style_vs_Label.py", "Style vs label: one digit in every handwriting",
     "aae-supervised", {}),
    ("pages/3_AAE_vs_VAE.py", "AAE vs VAE: who fills the prior?", None, {"prior": "mixture"}),
    ("pages/6_Watch_it_learn.py", "Watch it learn: the adversarial game, one phase at a time",
     None, {}),
    ("pages/7_Disentanglement.py", "Disentanglement: which direction is slant, which is the "
     "digit, measured", "aae-supervised", {}),
    ("pages/5_Train.py", train_step_words(), None, {}),
)
ICONS = (":material/explore:", ":material/draw:", ":material/edit:", ":material/balance:",
         ":material/visibility:", ":material/tune:", ":material/model_training:")


def lecture_steps(known: set[str]) -> None:
    st.subheader("A lecture in seven steps")
    for i, ((page, text, model, extra), icon) in enumerate(zip(LECTURE, ICONS, strict=True)):
        params = {**({"model": model} if model in known else {}), **extra}
        step, _, more = text.partition(": ")  # short enough for a phone; the rest on hover
        st.page_link(page, label=f"{i + 1}. {step}", icon=icon, help=more or None,
                     query_params=params or None)


def phases_diagram() -> None:
    st.subheader("The two phases of every mini-batch")
    st.image(phases_svg(), width="stretch")
    st.markdown(
        "1. **Reconstruction phase**: encoder and decoder minimise the reconstruction error.\n"
        "2. **Regularization phase**: (a) D learns to tell prior samples (real) from codes "
        "(fake); (b) the encoder is updated to fool D. Together they match the *aggregate* "
        "posterior q(z) to the prior p(z), unlike a VAE, which pulls every q(z|x) towards it."
    )


unknown_page()
known = {e.name for e in model_entries() if e.config is not None}
left, right = st.columns([1, 1], gap="large")
with left:
    lecture_steps(known)
    st.subheader("Or pick any model")
    name = pick_model("Model to explore", key="home_model", default=DEFAULT_MODEL)
    if name:
        st.page_link("pages/1_Explore.py", label="Drag through its latent space",
                     icon=":material/explore:", query_params={"model": name})
with right:
    picture = map_and_digits(DEFAULT_MODEL, cache_key(DEFAULT_MODEL)) \
        if DEFAULT_MODEL in known else None
    if picture is not None:
        st.subheader("Codes become a map; the map becomes digits")
        a, b = st.columns(2)
        map_image, lattice_image, n_codes = picture
        a.image(map_image, caption=f"{n_codes:,} held-out digits encoded by {DEFAULT_MODEL}, "
                "coloured by digit: ten arms, as the mixture prior asks", width="stretch")
        b.image(lattice_image, caption="the decoder over the same square: each point of the map "
                "draws a digit", width="stretch")
phases_diagram()

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
