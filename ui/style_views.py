"""The Style vs label page's parts: the model it shows, the label and z it remembers, the
pad, what the pad's z means, and the style x label grid (paper §4 and Fig. 6; §2.3 for the
label-regularized AAE).

The page's state, per model `name` (session state):
  style_label::{name}  the label chosen (0..n_labels-1); the segmented control's key
  style_z::{name}      the full z the pad shows (a typical style until the user drags)
  style_mode           what to vary ("style" or "label")
The link carries the three (?z=&label=&mode=, ui/url_state.py `parse_style`): a new link
sets them once (`read_link`), and every run writes them back (`write_link`).
A label-regularized AAE has no label input: its label is *where* z sits, so changing the
label moves z into that label's mixture component (set_label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from aae_core.analysis import explore, label_hold, style
from aae_core.errors import AAEError
from aae_core.images import side_by_side, tile, to_png_bytes
from aae_core.models import MODELS
from aae_core.store.checkpoints import Checkpoint
from ui import analysis_views as av
from ui import url_state
from ui.explore_views import class_names, png_download
from ui.loaders import open_checkpoint, pad_payload, pad_points, pick_model
from ui.pad import latent_pad
from ui.plain_text import plain

NEEDS = ("This page needs a model that keeps the label apart from the style: "
         "`aae-supervised` or `aae-semi-supervised` (the decoder gets the label beside z) or "
         "`aae-label-regularized` (each digit owns one part of a mixture prior).")
MODES = {"style": ":material/gesture: Vary style (digit fixed)",
         "label": ":material/pin: Vary label (style fixed)"}
ROW_SOURCES = {"prior": ":material/casino: prior samples",
               "held-out": ":material/draw: real held-out digits"}


def fits(entry) -> bool:
    """Whether a catalogue entry keeps the label apart from the style."""
    return MODELS[entry.config.model].separates_style_from_label()


@dataclass(frozen=True)
class StyleModel:
    """The opened model and what the page reads from it once."""

    name: str
    ckpt: Checkpoint
    n_labels: int
    names: list[str]  # the labels' names, n_labels of them
    in_prior: bool  # label-regularized: the label is where z sits, not a decoder input
    codes: np.ndarray | None  # (N, d) held-out codes, when stored
    held_labels: np.ndarray | None  # (N,) their labels

    @property
    def model(self):
        return self.ckpt.model

    @property
    def label_key(self) -> str:
        return f"style_label::{self.name}"

    @property
    def z_key(self) -> str:
        return f"style_z::{self.name}"


def open_model() -> StyleModel | None:
    """The sidebar's model picker and the opened model; None (with a message shown) when
    there is none to show."""
    default, note = av.requested_model("style", fits, picker_key="style_model", needs=NEEDS)
    if note:
        st.info(note, icon=":material/info:")
    name = pick_model("Model", key="style_model", accept=fits, default=default,
                      where=st.sidebar)
    if name is None:
        st.info(f"No model here separates style from label. {NEEDS} Train one on the Train "
                "page (e.g. model `aae-supervised`), or restore the shipped checkpoints.",
                icon=":material/info:")
        return None
    try:
        ckpt = open_checkpoint(name)
    except AAEError as exc:
        st.error(f"Cannot open {plain(name)}: {plain(exc)}", icon=":material/warning:")
        return None
    model = ckpt.model
    n_labels = style.n_labels(model)
    return StyleModel(
        name=name, ckpt=ckpt, n_labels=n_labels, names=class_names(ckpt)[:n_labels],
        in_prior=style.label_in_prior(model),
        codes=ckpt.codes.numpy() if ckpt.codes is not None else None,
        held_labels=ckpt.labels.numpy() if ckpt.labels is not None else None)


def model_caption(sm: StyleModel) -> None:
    """Which kind of model this is, and where its label lives."""
    name = plain(sm.name)
    if sm.in_prior:
        st.caption(f"**{name}** — label-regularized AAE: the decoder sees only z. Each "
                   f"digit was trained onto its own {sm.model.prior.name} component, so the "
                   "label is *where* z sits and the style is z's position inside its "
                   "component.")
    elif sm.model.has_classifier:  # the decoder's label is normally the encoder's own guess
        st.caption(f"**{name}** — semi-supervised AAE: the decoder gets [z, y]; y is "
                   "normally the encoder's class guess, here a one-hot label you choose; z "
                   "is the style.")
    else:
        st.caption(f"**{name}** — supervised AAE: the decoder gets [z, one-hot label], so "
                   "z only has to carry the style.")


_LINK = url_state.PageLink("style", url_state.STYLE_KEYS)


def read_link(sm: StyleModel) -> None:
    """A new link's z, label and mode into the page's state (once); a bad value is said in
    one line and leaves the URL. A link's z is for the model the link names: when another
    model is shown (the link's is not here, or does not fit), only label and mode apply."""
    if not _LINK.is_new():
        return
    url = url_state.parse_style(_LINK.params(), latent_dim=sm.model.latent_dim,
                                n_labels=sm.n_labels, modes=tuple(MODES))
    for problem in url.problems:
        st.warning(f"Link: {plain(problem)}", icon=":material/link_off:")
    _LINK.drop(*url.rejected)
    if url.mode is not None:
        st.session_state["style_mode"] = url.mode
    if url.label is not None:
        st.session_state[sm.label_key] = url.label
    if url.z is not None and url_state.param("model") in (None, sm.name):
        st.session_state[sm.z_key] = url.z


def write_link(z: list[float], label: int, mode: str) -> None:
    """The page's state into the URL: a shared link opens the same code, label and mode."""
    _LINK.write({"z": url_state.format_z(z), "label": str(label), "mode": mode})


def init_state(sm: StyleModel) -> None:
    """Label 0 and a typical style (the prior's centre, or part 0's centre) on first use."""
    st.session_state.setdefault("style_mode", "style")
    st.session_state.setdefault(sm.label_key, 0)
    if sm.z_key not in st.session_state:
        start = style.sample_styles(sm.model, 1, seed=0)[0] * (1.0 if sm.in_prior else 0.0)
        st.session_state[sm.z_key] = [float(v) for v in style.place(sm.model, start, 0)]


def set_label(sm: StyleModel, k: int | None = None, delta: int = 0) -> None:
    """Change the label (a widget callback); the label-regularized AAE's z moves with it."""
    current = st.session_state[sm.label_key] if k is None else k
    new = (int(current) + delta) % sm.n_labels
    if delta:
        st.session_state[sm.label_key] = new
    if sm.in_prior:
        moved = style.move_to_component(st.session_state[sm.z_key], sm.model.prior, new)
        st.session_state[sm.z_key] = [float(v) for v in moved]


def mode_and_label(sm: StyleModel) -> tuple[str, int]:
    """What to vary ("style" or "label") and the label, with the label stepper."""
    mode = st.segmented_control("What to vary", list(MODES), required=True,
                                key="style_mode", format_func=MODES.get)
    label = st.segmented_control(
        "Digit" if mode == "style" else "Step through the labels", list(range(sm.n_labels)),
        format_func=lambda k: sm.names[k], required=True, key=sm.label_key,
        on_change=set_label, args=(sm,),
    )
    if mode == "label":
        with st.container(horizontal=True):
            st.button("Previous label", on_click=set_label, args=(sm,), kwargs={"delta": -1},
                      key="style_prev", icon=":material/chevron_left:")
            st.button("Next label", on_click=set_label, args=(sm,), kwargs={"delta": 1},
                      key="style_next", icon=":material/chevron_right:",
                      icon_position="right")
    return mode, label


@dataclass(frozen=True)
class PadArea:
    """The pad's bounds (xmin, xmax, ymin, ymax); the map of where the label holds (None:
    not measured); box: the bounds when they were narrowed to where it holds."""

    bounds: tuple
    hold_map: object | None
    box: tuple | None


def pad_area(sm: StyleModel) -> PadArea:
    """The codes' range, narrowed to where the label was measured to hold (a model with a
    label input); the remembered z is clamped into it."""
    bounds = explore.view_bounds(sm.model, sm.codes)
    hold_map = av.hold_map_for(sm.name, sm.ckpt, bounds)  # measured once per model
    if hold_map is None or sm.in_prior:
        return PadArea(tuple(bounds), hold_map, None)
    box = label_hold.safe_bounds(hold_map)
    z0 = st.session_state[sm.z_key]
    st.session_state[sm.z_key] = [min(max(z0[0], box[0]), box[1]),
                                  min(max(z0[1], box[2]), box[3]), *z0[2:]]
    return PadArea(tuple(box), hold_map, tuple(box))


def style_pad(sm: StyleModel, mode: str, label: int, area: PadArea) -> list[float]:
    """The pad and its caption; returns (and remembers) z after the user's last release."""
    st.caption("Drag the marker to move the style code z; the digit is decoded in your "
               "browser on every frame." if mode == "style" else
               "Drag the marker to pick a style; let go and the row below shows it with "
               "every label.")
    model, in_prior = sm.model, sm.in_prior
    # One digit on screen, the pad's; Python's decode of the released z goes to the pad
    # unseen (tests compare it with the browser's).
    z = latent_pad(key=f"style_pad::{sm.name}", decoder=pad_payload(sm.name),
                   bounds=area.bounds, z=st.session_state[sm.z_key],
                   cond=av.one_hot(label, model.cond_dim), points=pad_points(sm.name),
                   height=340,
                   server_decode=lambda zz: explore.decode_points(
                       model, np.asarray([zz], np.float32),
                       None if in_prior else np.array([label]))[0])
    st.session_state[sm.z_key] = z
    return z


def where_z_sits(sm: StyleModel, mode: str, label: int, z: list[float],
                 area: PadArea) -> None:
    """What the decoder draws at z, in words, and the map of where the label holds."""
    names = sm.names
    sits = int(style.component_of(np.asarray(z), sm.model.prior)[0]) if sm.in_prior else label
    if sm.in_prior and sits != label:
        st.warning(f"You dragged z into component {sits}: this decoder has no label input, "
                   f"so it now draws a **{plain(names[sits])}**. Pick digit "
                   f"{plain(names[sits])} above, or pick {plain(names[label])} to move z back "
                   "into its component.", icon=":material/explore:")
    elif mode == "style" and sm.in_prior:
        st.markdown(f"z sits in component {label}, so the decoder draws a "
                    f"**{plain(names[label])}**. Stay inside this digit's component: crossing "
                    "into another one changes the digit.")
    elif mode == "label":
        where = (f" — the same relative position inside component {label}, "
                 f"z = ({z[0]:.2f}, {z[1]:.2f})" if sm.in_prior else "")
        st.markdown(f"Same style, label **{plain(names[label])}**{where}. Step with the "
                    "buttons above or click a digit.")
    av.hold_report(sm.ckpt, area.hold_map, z, sits, [plain(n) for n in names], area.box)


def one_style_every_label(sm: StyleModel, z: list[float], label: int, *,
                          compact: bool = False) -> None:
    """The style at z decoded with every label, the chosen one marked (`compact`: smaller
    digits, so the row fits one projector screen with the pad)."""
    st.subheader("One style, every digit")
    row = style.style_label_grid(sm.model, np.asarray([z], np.float32))[0]  # (L, 28, 28)
    av.image_row(row, sm.names, scale=3, highlight=label, width_px=110 if compact else None)
    if sm.in_prior:
        st.caption("Each digit is z moved to the same radial/tangential offset inside that "
                   "digit's component (aae_core.analysis.style.move_to_component).")


def styles_by_labels(sm: StyleModel) -> None:
    """Fig. 6: rows of styles (prior samples or real held-out digits) x every label."""
    st.subheader("Styles × labels (paper, Fig. 6)")
    c1, c2, c3 = st.columns([3, 3, 2])
    source = c1.segmented_control("Rows: styles from", list(ROW_SOURCES), default="prior",
                                  required=True, key="style_rows_from",
                                  format_func=ROW_SOURCES.get, disabled=sm.codes is None)
    n_rows = c2.slider("Rows", 3, 12, 6, key="style_rows")
    st.session_state.setdefault("style_seed", 0)
    if c3.button("New styles", icon=":material/casino:", key="style_reseed"):
        st.session_state["style_seed"] += 1
    seed = st.session_state["style_seed"]
    if source == "held-out" and sm.codes is not None:
        grid, caption = _held_out_rows(sm, n_rows, seed)
    else:
        styles = style.sample_styles(sm.model, n_rows, seed=seed)
        grid = tile(style.style_label_grid(sm.model, styles).reshape(-1, 28, 28),
                    cols=sm.n_labels)
        caption = f"each row: one style code drawn from the prior (seed {seed})"
    st.image(to_png_bytes(grid, scale=2),
             caption=f"columns: labels {plain(sm.names[0])}–{plain(sm.names[-1])}; {caption}")
    png_download("Grid PNG", grid, "style-x-label.png", key=f"dl_style_grid::{sm.name}",
                 scale=3)


def _held_out_rows(sm: StyleModel, n_rows: int, seed: int) -> tuple[np.ndarray, str]:
    """(grid image, caption): the stored codes of real held-out digits with every label,
    beside the digits themselves when their images are on this machine."""
    rows = style.pick_held_out(sm.held_labels, min(n_rows, len(sm.held_labels)), seed=seed)
    grid = tile(style.style_label_grid(sm.model, sm.codes[rows]).reshape(-1, 28, 28),
                cols=sm.n_labels)
    data, why = av.held_out_data(sm.ckpt)
    if data is not None:
        originals = tile(data.test_x[rows].view(-1, 28, 28).numpy(), cols=1)
        return side_by_side(originals, grid), ("left: the real held-out digit; right: its "
                                               "style code with every label")
    st.caption(why + " The rows still use the digits' stored codes.")
    return grid, ("each row: the stored code of one real held-out digit (true labels "
                  f"{', '.join(str(sm.held_labels[i]) for i in rows)}), decoded with every "
                  "label")
