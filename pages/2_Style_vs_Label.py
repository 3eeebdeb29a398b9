"""Style vs label: fix the digit and move the handwriting, or fix the handwriting and change
the digit (paper Section 4 and Fig. 6; Section 5 for the label-regularized AAE)."""

import numpy as np
import streamlit as st

from aae_core.analysis import explore, label_hold, style
from aae_core.errors import AAEError
from aae_core.images import side_by_side, tile, to_png_bytes
from aae_core.models import MODELS
from ui import analysis_views as av
from ui.explore_views import class_names, png_download
from ui.loaders import open_checkpoint, pad_payload, pad_points, pick_model
from ui.nav import link_to, sidebar_nav
from ui.pad import latent_pad
from ui.plain_text import plain

st.set_page_config(page_title="Style vs label · AAE Latent Explorer", page_icon="✍️",
                   layout="wide")
sidebar_nav()
st.title("Style vs label")
st.markdown(
    "Some AAEs keep **what digit it is** apart from **how it is written**. Fix the digit and "
    "drag the style code: one digit in every handwriting. Fix the style and change the "
    "label: every digit in one handwriting (paper, Fig. 6)."
)
link_to("pages/7_Disentanglement.py", "Which style direction is slant, which is thickness? "
        "Measure it on the Disentanglement page", ":material/tune:")

NEEDS = ("This page needs a model that keeps the label apart from the style: "
         "`aae-supervised` or `aae-semi-supervised` (the decoder gets the label beside z) or "
         "`aae-label-regularized` (each digit owns one part of a mixture prior).")


def fits(entry) -> bool:
    return MODELS[entry.config.model].separates_style_from_label()


default, note = av.requested_model("style", fits, picker_key="style_model", needs=NEEDS)
if note:
    st.info(note, icon=":material/info:")
name = pick_model("Model", key="style_model", accept=fits, default=default, where=st.sidebar)
if name is None:
    st.info(f"No model here separates style from label. {NEEDS} Train one on the Train page "
            "(e.g. model `aae-supervised`), or restore the shipped checkpoints.",
            icon=":material/info:")
    st.stop()
try:
    ckpt = open_checkpoint(name)
except AAEError as exc:
    st.error(f"Cannot open {plain(name)}: {plain(exc)}", icon=":material/warning:")
    st.stop()
model = ckpt.model
n_labels = style.n_labels(model)
names = class_names(ckpt)[:n_labels]
in_prior = style.label_in_prior(model)
codes = ckpt.codes.numpy() if ckpt.codes is not None else None
held_labels = ckpt.labels.numpy() if ckpt.labels is not None else None

if in_prior:
    st.caption(f"**{plain(name)}** — label-regularized AAE: the decoder sees only z. Each "
               f"digit was trained onto its own {model.prior.name} component, so the label is "
               "*where* z sits and the style is z's position inside its component.")
elif model.has_classifier:  # the decoder's label is normally the encoder's own guess
    st.caption(f"**{plain(name)}** — semi-supervised AAE: the decoder gets [z, y]; y is "
               "normally the encoder's class guess, here a one-hot label you choose; z is the "
               "style.")
else:
    st.caption(f"**{plain(name)}** — supervised AAE: the decoder gets [z, one-hot label], so "
               "z only has to carry the style.")

# ---------------------------------------------------------------- state: the label and z
label_key, z_key = f"style_label::{name}", f"style_z::{name}"
st.session_state.setdefault(label_key, 0)
if z_key not in st.session_state:  # a typical style: the prior's centre / part 0's centre
    start = style.sample_styles(model, 1, seed=0)[0] * (0.0 if not in_prior else 1.0)
    st.session_state[z_key] = [float(v) for v in style.place(model, start, 0)]


def _set_label(k: int | None = None, delta: int = 0) -> None:
    """Change the label (a widget callback); the label-regularized AAE's z moves with it."""
    current = st.session_state[label_key] if k is None else k
    new = (int(current) + delta) % n_labels
    if delta:
        st.session_state[label_key] = new
    if in_prior:
        moved = style.move_to_component(st.session_state[z_key], model.prior, new)
        st.session_state[z_key] = [float(v) for v in moved]


mode = st.segmented_control(
    "What to vary", ["style", "label"], default="style", required=True, key="style_mode",
    format_func={"style": ":material/gesture: Vary style (digit fixed)",
                 "label": ":material/pin: Vary label (style fixed)"}.get,
)
label = st.segmented_control(
    "Digit" if mode == "style" else "Step through the labels", list(range(n_labels)),
    format_func=lambda k: names[k], required=True, key=label_key, on_change=_set_label,
)
if mode == "label":
    with st.container(horizontal=True):
        st.button("Previous label", on_click=_set_label, kwargs={"delta": -1}, key="style_prev",
                  icon=":material/chevron_left:")
        st.button("Next label", on_click=_set_label, kwargs={"delta": 1}, key="style_next",
                  icon=":material/chevron_right:", icon_position="right")

# ---------------------------------------------------------------- the pad
bounds = explore.view_bounds(model, codes)
hold_map = av.hold_map_for(name, ckpt, bounds)  # where the label holds, measured once
pad_box = None
if hold_map is not None and not in_prior:  # keep the pad where the label was seen to hold
    bounds = pad_box = label_hold.safe_bounds(hold_map)
    z0 = st.session_state[z_key]
    st.session_state[z_key] = [min(max(z0[0], bounds[0]), bounds[1]),
                               min(max(z0[1], bounds[2]), bounds[3]), *z0[2:]]
pad_col, side_col = st.columns([5, 4], gap="large")
with pad_col:
    st.caption("Drag the marker to move the style code z; the digit is decoded in your "
               "browser on every frame." if mode == "style" else
               "Drag the marker to pick a style; let go and the row below shows it with "
               "every label.")
    # One digit on screen, the pad's; Python's decode of the released z goes to the pad
    # unseen (tests compare it with the browser's).
    z = latent_pad(key=f"style_pad::{name}", decoder=pad_payload(name), bounds=bounds,
                   z=st.session_state[z_key], cond=av.one_hot(label, model.cond_dim),
                   points=pad_points(name), height=340,
                   server_decode=lambda zz: explore.decode_points(
                       model, np.asarray([zz], np.float32),
                       None if in_prior else np.array([label]))[0])
st.session_state[z_key] = z
sits = int(style.component_of(np.asarray(z), model.prior)[0]) if in_prior else label

with side_col:
    if in_prior and sits != label:
        st.warning(f"You dragged z into component {sits}: this decoder has no label input, "
                   f"so it now draws a **{plain(names[sits])}**. Pick digit {plain(names[sits])} "
                   f"above, or pick {plain(names[label])} to move z back into its component.",
                   icon=":material/explore:")
    elif mode == "style" and in_prior:
        st.markdown(f"z sits in component {label}, so the decoder draws a "
                    f"**{plain(names[label])}**. Stay inside this digit's component: crossing "
                    "into another one changes the digit.")
    elif mode == "label":
        where = (f" — the same relative position inside component {label}, "
                 f"z = ({z[0]:.2f}, {z[1]:.2f})" if in_prior else "")
        st.markdown(f"Same style, label **{plain(names[label])}**{where}. Step with the buttons "
                    "above or click a digit.")
    av.hold_report(ckpt, hold_map, z, label if not in_prior else sits,
                   [plain(n) for n in names], pad_box)

if mode == "label":
    st.subheader("One style, every digit")
    row = style.style_label_grid(model, np.asarray([z], np.float32))[0]  # (L, 28, 28)
    av.image_row(row, names, scale=3, highlight=label)
    if in_prior:
        st.caption("Each digit is z moved to the same radial/tangential offset inside that "
                   "digit's component (aae_core.analysis.style.move_to_component).")

# ---------------------------------------------------------------- the style x label grid
st.subheader("Styles × labels (paper, Fig. 6)")
c1, c2, c3 = st.columns([3, 3, 2])
source = c1.segmented_control(
    "Rows: styles from", ["prior", "held-out"], default="prior", required=True,
    key="style_rows_from",
    format_func={"prior": ":material/casino: prior samples",
                 "held-out": ":material/draw: real held-out digits"}.get,
    disabled=codes is None,
)
n_rows = c2.slider("Rows", 3, 12, 6, key="style_rows")
seed_key = "style_seed"
st.session_state.setdefault(seed_key, 0)
if c3.button("New styles", icon=":material/casino:", key="style_reseed"):
    st.session_state[seed_key] += 1
seed = st.session_state[seed_key]
if source == "held-out" and codes is not None:
    rows = style.pick_held_out(held_labels, min(n_rows, len(held_labels)), seed=seed)
    grid = tile(style.style_label_grid(model, codes[rows]).reshape(-1, 28, 28), cols=n_labels)
    data, why = av.held_out_data(ckpt)
    if data is not None:
        originals = tile(data.test_x[rows].view(-1, 28, 28).numpy(), cols=1)
        grid = side_by_side(originals, grid)
        caption = ("left: the real held-out digit; right: its style code with every label")
    else:
        caption = ("each row: the stored code of one real held-out digit (true labels "
                   f"{', '.join(str(held_labels[i]) for i in rows)}), decoded with every label")
        st.caption(why + " The rows still use the digits' stored codes.")
else:
    styles = style.sample_styles(model, n_rows, seed=seed)
    grid = tile(style.style_label_grid(model, styles).reshape(-1, 28, 28), cols=n_labels)
    caption = f"each row: one style code drawn from the prior (seed {seed})"
st.image(to_png_bytes(grid, scale=2),
         caption=f"columns: labels {plain(names[0])}–{plain(names[-1])}; {caption}")
png_download("Grid PNG", grid, "style-x-label.png", key=f"dl_style_grid::{name}", scale=3)
