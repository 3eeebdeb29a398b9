"""Watch it learn: a 2-D AAE's adversarial game in its latent plane, live, phase by phase."""

import streamlit as st

from ui import present
from ui.nav import sidebar_nav
from ui.share import shared_token
from ui.watch import controls, share

st.set_page_config(page_title="Watch it learn · AAE Latent Explorer", page_icon="👀",
                   layout="wide")
sidebar_nav()
st.title("Watch an adversarial autoencoder learn")

token = shared_token()
if token:  # a student's link: the lecturer's run, read-only; no model of this tab's own
    share.viewer(token, present.intro_and_switch("watch"))
    st.stop()

dataset = controls.dataset_choice()
session = controls.open_session(dataset)
if session is None:
    st.stop()
presenting = present.intro_and_switch("watch")
with st.container(key="present_hide_caption"):
    st.caption(f"A 2-D code, trained live on this server. Behind the codes of "
               f"{session.config.n_codes} held-out digits lies the discriminator's verdict: "
               "green where it thinks “a prior sample”, purple where it thinks “a code”. The "
               "arrows show where it pushes each code.")
with st.sidebar:
    st.caption(f"Networks 2×256, batch {session.config.batch_size}, on {session.device.type}. "
               "The run belongs to this tab: closing it stops the run (nothing is saved).")

share.share_popover(session, controls.transport(session))
controls.stepper(session)
paint = controls.prior_and_vae(session)
controls.show_flash()
controls.live_view(session, paint, presenting)
