"""AAE vs VAE (and WAE-MMD) on the same prior: who fills it? Shown and measured (paper §2.1
and Fig. 2). The parts: ui/compare_views.py."""

import streamlit as st

from ui import compare_views as views
from ui import present
from ui.nav import sidebar_nav

st.set_page_config(page_title="AAE vs VAE · AAE Latent Explorer", page_icon="⚖️", layout="wide")
sidebar_nav()
st.title("AAE vs VAE: who fills the prior?")
presenting = present.intro_and_switch(
    "compare",
    "Both models push their codes towards a prior p(z) you choose, but in different ways. "
    "A **VAE** adds a KL term *for every example*: each q(z|x) is pulled towards the prior, "
    "so codes crowd where the prior is densest and codes of unlike digits overlap. An **AAE** "
    "lets a discriminator compare the *aggregate* q(z) — all codes together — with samples "
    "of the prior, so the cloud of codes as a whole is pushed to take the prior's shape. "
    "A **WAE-MMD** also matches the aggregate q(z), with a kernel distance (MMD) instead of "
    "a discriminator. The paper's claim: with the same prior, the AAE fills it, the VAE "
    "leaves gaps. Below, the same held-out digits, the same axes, the same metrics.")

# presenting: the verdict (filled in below, once measured) beside the prior's control
control, verdict_at = st.columns([2, 3], vertical_alignment="center") if presenting \
    else (st.container(), None)
with control:
    prior_name = views.prior_picker()
chosen = views.checkpoint_pickers(prior_name, compact=presenting)
if not chosen:
    st.stop()
with st.container(key="present_hide_notes"):
    views.fairness_notes(chosen)
ckpts = views.open_chosen(chosen)
if not ckpts:
    st.stop()
have_data = views.images_here(ckpts)
with st.container(key="present_hide_sampled"):
    sampled = views.sampled_toggle(have_data)
# the figures first (the codes are stored); presenting, one screen: the panels, then the
# numbers, the occupancy bars and the lattices side by side below them
views.packing_panels(chosen, ckpts, sampled, presenting=presenting)
results = views.measured(chosen, ckpts, sampled, have_data)
if presenting:
    table, bars, grids = st.columns([5, 3, 4], gap="medium")
    views.numbers(results, prior_name, table=table, bars=bars, verdict_at=verdict_at)
    with grids:
        views.lattices(ckpts, compact=True)
else:
    views.numbers(results, prior_name)
    views.lattices(ckpts)
views.measure_other_prior(prior_name, have_data)  # so switching the prior is quick
