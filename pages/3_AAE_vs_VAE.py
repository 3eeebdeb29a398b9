"""AAE vs VAE (and WAE-MMD) on the same prior: who fills it? Shown and measured (paper §2.1
and Fig. 2). The parts: ui/compare_views.py."""

import streamlit as st

from ui import compare_views as views
from ui.nav import sidebar_nav

st.set_page_config(page_title="AAE vs VAE · AAE Latent Explorer", page_icon="⚖️", layout="wide")
sidebar_nav()
st.title("AAE vs VAE: who fills the prior?")
st.markdown(
    "Both models push their codes towards a prior p(z) you choose, but in different ways. "
    "A **VAE** adds a KL term *for every example*: each q(z|x) is pulled towards the prior, "
    "so codes crowd where the prior is densest and codes of unlike digits overlap. An **AAE** "
    "lets a discriminator compare the *aggregate* q(z) — all codes together — with samples "
    "of the prior, so the cloud of codes as a whole is pushed to take the prior's shape. "
    "A **WAE-MMD** also matches the aggregate q(z), with a kernel distance (MMD) instead of "
    "a discriminator. The paper's claim: with the same prior, the AAE fills it, the VAE "
    "leaves gaps. Below, the same held-out digits, the same axes, the same metrics."
)

prior_name = views.prior_picker()
chosen = views.checkpoint_pickers(prior_name)
if not chosen:
    st.stop()
views.fairness_notes(chosen)
ckpts = views.open_chosen(chosen)
if not ckpts:
    st.stop()
have_data = views.images_here(ckpts)
sampled = views.sampled_toggle(have_data)
views.packing_panels(chosen, ckpts, sampled)  # the figures first: the codes are stored
views.numbers(views.measured(chosen, ckpts, sampled, have_data), prior_name)
views.lattices(ckpts)
views.measure_other_prior(prior_name, have_data)  # so switching the prior is quick
