"""Explore: drag z through the latent space, sample, interpolate, draw your own digit."""

import streamlit as st

from aae_core.paths import DEFAULT_MODEL
from ui import first_paint
from ui.nav import sidebar_nav

st.set_page_config(page_title="Explore · AAE Latent Explorer", page_icon="🔭", layout="wide")
sidebar_nav()
st.title("Explore the latent space")
first_paint.explore(default_model=DEFAULT_MODEL)  # a fresh server: the map before torch

# Below, torch loads (E402: these imports come after the first paint on purpose).
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from aae_core.analysis import explore  # noqa: E402
from aae_core.errors import AAEError  # noqa: E402
from ui import explore_link, url_state  # noqa: E402
from ui import explore_views as views  # noqa: E402
from ui.explore_controls import pad_look, view_controls  # noqa: E402
from ui.loaders import (  # noqa: E402
    cache_key,
    model_entries,
    open_checkpoint,
    pad_payload,
    pad_points,
    pick_model,
)
from ui.pad import latent_pad, pad_ends  # noqa: E402
from ui.plain_text import plain  # noqa: E402
from ui.take_home.button import take_home_button  # noqa: E402

entries = [e for e in model_entries() if e.config is not None]
if not entries:
    st.info("No models yet: train one on the Train page, or restore the shipped checkpoints.")
    st.stop()

# A link (or a page link from Home/Train) restores the exact state, once.
url = explore_link.read(entries)
name = pick_model(key="explore_model", default=DEFAULT_MODEL, where=st.sidebar)
try:
    ckpt = open_checkpoint(name)
except AAEError as exc:
    st.error(f"Cannot open {plain(name)}: {plain(exc)}", icon="⚠️")
    st.stop()
model = ckpt.model
explore_link.apply(url, name, len(ckpt.codes) if ckpt.codes is not None else 0)
with st.sidebar.expander("Model card", expanded=False):
    st.json({"config": model.config.to_dict(), **ckpt.card}, expanded=1)
with st.sidebar:
    take_home_button(model, name, *cache_key(name))

codes = ckpt.codes.numpy() if ckpt.codes is not None else None
labels = ckpt.labels.numpy() if ckpt.labels is not None else None
dims, base = (0, 1), None
if model.latent_dim > 2:  # the pad moves two chosen dims; the others come from a digit
    c1, c2, c3 = st.sidebar.columns(3)
    dims = (c1.number_input("x dim", 0, model.latent_dim - 1, 0),
            c2.number_input("y dim", 0, model.latent_dim - 1, 1))
    if dims[0] == dims[1]:
        st.sidebar.warning("Pick two different dimensions.")
        st.stop()
    anchor = c3.number_input("others from #", 0, max(0, len(codes) - 1) if codes is not None
                             else 0, 0, help="held-out digit whose code fixes the other dims")
    base = codes[int(anchor)] if codes is not None else np.zeros(model.latent_dim)
bounds = explore.view_bounds(model, codes, dims)

label = None
if model.cond_dim:
    label = views.label_picker(ckpt, key=f"label::{name}", default=url.label, name=name,
                               help_text="This decoder takes a label beside z: z is the style.")

# Without a link or a jump the marker starts on a real digit's code, a typical one.
start = views.start_index(ckpt, name)
first_z = [float(v) for v in codes[start]] if start is not None else [0.0] * model.latent_dim
goto = st.session_state.pop(f"explore_goto::{name}", None)  # "send to pad" from the map
if goto is not None:
    start_z = goto
elif url.z and url.model in (None, name):
    start_z, clamped = url_state.clamp_note(url.z, bounds, dims)
    if clamped:
        url.problems.append(clamped)
        url.z = start_z  # said once
elif base is not None:
    start_z = list(base)
else:
    start_z = first_z
for problem in url.problems:
    st.warning(f"Link: {plain(problem)}", icon="🔗")
url.problems.clear()
view, present = view_controls(url.view)
pad_key = f"pad::{name}"


@st.fragment
def pad_section() -> list[float]:
    """The one map: codes, legend, background; the marker (or, in Interpolate, the path's
    two ends) and the digit decoded in the browser beside it. Python decodes what the user
    let go of: for the PNGs and, unseen, for tests comparing it with the browser's digit."""
    cond = None
    if model.cond_dim:
        cond = [1.0 if k == label else 0.0 for k in range(model.cond_dim)]
    steps = int(st.session_state.get(f"interp_steps::{name}", 10))
    ends = indices = None
    if view == "interpolate" and codes is not None:
        views.remember_picked_ends(st.session_state.get(pad_key), name)
        indices = views.default_ends(ckpt, name)
        ends = views.with_link_ends(name, [[float(v) for v in codes[i]] for i in indices])
    pad = {"decoder": pad_payload(name), "bounds": bounds, "dims": [int(d) for d in dims],
           "cond": cond, "points": pad_points(name, dims), "class_names": views.class_names(ckpt),
           "density": views.prior_background(name, bounds) if model.latent_dim == 2 else None,
           "ends": ends, "steps": steps,
           "star": views.drawn_star(name) if view == "draw" else None}
    if ends is None and first_paint.eligible(model.latent_dim, model.cond_dim):
        folder, stamp = cache_key(name)
        first_paint.remember(name, Path(folder), {**pad, "z": first_z, "star": None}, stamp)
    z = latent_pad(key=pad_key, z=[float(v) for v in start_z], **pad, **pad_look(present),
                   server_decode=lambda zz: views.server_decode(ckpt, zz, label))
    st.session_state.explore_z = z
    with st.container(key="explore_hide_pad"):
        if ends is not None:
            views.interpolate_details(ckpt, pad_ends(pad_key), indices, label=label,
                                      steps=steps, name=name)
        else:
            st.caption("Drag the marker, or click a code to jump onto it: the digit is decoded "
                       "in your browser on every frame. The legend hides a class; Prior or "
                       "Digits paints the prior's density or the decoder's lattice behind.")
            image = views.server_decode(ckpt, z, label)
            views.png_download("Digit PNG", image, "digit.png", key=f"dl_digit::{name}", scale=8)
    params = {"model": name, "z": url_state.format_z(z)}
    if label is not None:
        params["label"] = str(label)
    explore_link.write(params)
    return z


pad_z = pad_section()
drawn = None
with st.container(key="explore_hide"):
    if view == "manifold":
        views.manifold_view(ckpt, bounds, label=label, base=base, dims=dims, name=name)
    elif view == "sample":
        views.sample_view(ckpt, label=label, name=name)
    elif view == "draw":
        drawn = views.draw_view(ckpt, label=label, name=name)
        views.keep_drawn(name, drawn)  # a new code: run again, so the map shows its ★
        if drawn is not None and st.button("Put the marker on your digit's code",
                                           key=f"goto_drawn::{name}",
                                           icon=":material/my_location:"):
            st.session_state[f"explore_goto::{name}"] = [float(v) for v in drawn]
            st.rerun()
explore_link.write_view(view, name)
