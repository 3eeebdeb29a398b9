"""The Watch page's view over a session trained beforehand (for screenshots: docs/).

Run: WATCH_STEPS=600 PYTHONPATH=. streamlit run tests/apps/watch_app.py
The session trains WATCH_STEPS steps on WATCH_DATASET with the WATCH_PRIOR prior (and a VAE
beside it when WATCH_VAE=1) before the first render, publishing a packet every 10 steps (so
the timeline has a history); then the page's own controls and component show it.
"""

from __future__ import annotations

import os

import streamlit as st
import torch

from aae_core.watch import WatchConfig, WatchSession
from ui.watch import controls


@st.cache_resource
def trained() -> WatchSession:
    torch.set_num_threads(1)  # as the page's training thread (aae_core/training/runs.py says why)
    session = WatchSession(WatchConfig(dataset=os.environ.get("WATCH_DATASET", "mnist-10k")))
    session.set_prior(os.environ.get("WATCH_PRIOR", "mixture"))
    session.show_vae(os.environ.get("WATCH_VAE") == "1")
    for _ in range(int(os.environ.get("WATCH_STEPS", "300")) // 10):
        session.run_for(10)
        session.snapshot_now()
    return session


st.set_page_config(page_title="Watch it learn", layout="wide")
st.title("Watch an adversarial autoencoder learn")
session = trained()
controls.transport(session)
controls.stepper(session)
paint = controls.prior_and_vae(session)
controls.live_view(session, paint)
