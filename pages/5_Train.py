"""Train: your own model in a background thread, with live progress, pause, stop and resume.

A run belongs to the server, not to this tab: closing the tab does not stop it; it
finishes and saves (see aae_core/training/runs.py for the whole policy).
"""

import streamlit as st

from ui import present, train_share
from ui import train_views as views
from ui.nav import sidebar_nav
from ui.share import shared_token

st.set_page_config(page_title="Train · AAE Latent Explorer", page_icon="🏋️", layout="wide")
sidebar_nav()
st.title("Train a model")
# presenting keeps the sidebar: the new run's form is there
presenting = present.intro_and_switch("train", hide_sidebar=False)
token = shared_token()
if token:  # a student's link: the lecturer's run, read-only; no forms, no controls
    train_share.viewer(token, presenting)
    st.stop()
with st.container(key="present_hide_intro_caption"):
    st.caption("Runs train in the background on this server. Closing the tab does not stop a "
               "run: it finishes and saves to your models, where every page can open it. "
               "Pause and stop belong to the tab that started it (or whoever reopens the page "
               "after that tab closed).")

owner = views.owner_token()
with st.sidebar:
    new, further, saved = st.tabs(["New model", "Train further", "Saved runs"])
    with new:
        views.new_run_form(owner)
    with further:
        views.further_form(owner)
    with saved:
        views.saved_runs_form()

views.show_flash()
views.cluster_status()
run = views.watch_picker(owner, views.watched_run(owner))
if run is None:
    st.info("No runs yet. Choose the settings in the sidebar (on a phone, open it with » at "
            "the top left) and press **Start training**; a small model on synthetic digits "
            "trains in about a minute.", icon=":material/arrow_back:")
else:
    share_slot = views.progress_panel(owner, run, present=presenting)
    train_share.share_popover(owner, run, share_slot)
