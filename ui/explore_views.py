"""The Explore page's views, each a small function: the page only composes them."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aae_core.analysis import explore
from aae_core.analysis.parts import (
    card_class_names,
    majority_digits,
    part_names,
    part_of_held_out,
)
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.models import LABEL_CLUSTER
from aae_core.preprocess import canvas_to_gray, load_image_bytes, to_mnist
from aae_core.store.checkpoints import Checkpoint
from aae_core.words import a_or_an
from ui.pad import density_payload
from ui.plain_text import plain

IMAGE_SCALE = 6  # 28 px -> 168 px, nearest neighbour (crisp pixels)


def class_names(ckpt: Checkpoint) -> list[str]:
    """The names the codes' labels index (aae_core.analysis.parts.card_class_names)."""
    return card_class_names(ckpt.card, ckpt.model.config.n_classes, ckpt.labels)


@st.cache_data(max_entries=24, show_spinner=False)
def _part_names(name: str, stamp: tuple, word: str) -> list[str] | None:
    """'cluster 3: mostly 9s (87%)' per part, measured on the held-out digits; `stamp` =
    (folder, mtime) so a retrained model is measured again. None: cannot be measured."""
    from ui.analysis_views import held_out_data
    from ui.loaders import open_checkpoint

    ckpt = open_checkpoint(name)
    if ckpt.labels is None:
        return None
    codes = ckpt.codes.numpy() if ckpt.codes is not None else None
    data = held_out_data(ckpt)[0] if ckpt.model.label_meaning == LABEL_CLUSTER else None
    parts = part_of_held_out(ckpt.model, codes, data.test_x if data is not None else None)
    if parts is None:
        return None
    n = explore.label_parts(ckpt.model) or ckpt.model.cond_dim
    return part_names(word, majority_digits(parts, ckpt.labels.numpy(), n), class_names(ckpt))


def part_labels(ckpt: Checkpoint, name: str, word: str) -> list[str]:
    """Names for a model's parts (components, clusters, heads) that say which digit each
    mostly holds; plain 'cluster 3' when that cannot be measured here."""
    from ui.loaders import cache_key

    n = explore.label_parts(ckpt.model) or ckpt.model.cond_dim
    measured = _part_names(name, cache_key(name), word)
    return measured or [f"{word} {k}" for k in range(n)]


def label_picker(ckpt: Checkpoint, *, key: str, default: int | None, help_text: str,
                 name: str | None = None) -> int:
    """The decoder's second input for label-conditioned decoders: a digit label
    (supervised, semi-supervised) or, for the clustering AAE, a cluster (named by the digit
    it mostly holds)."""
    is_cluster = ckpt.model.label_meaning == LABEL_CLUSTER
    if is_cluster:
        names = part_labels(ckpt, name or "", "cluster")[: ckpt.model.cond_dim]
        help_text = ("This decoder takes a cluster beside z: the encoder found the clusters "
                     "without labels, so each is named by the digit it mostly holds.")
    else:
        names = class_names(ckpt)[: ckpt.model.cond_dim]
    default = default if default is not None and 0 <= default < len(names) else 0
    return st.selectbox("Cluster fed to the decoder" if is_cluster else "Label fed to the "
                        "decoder", range(len(names)), index=default, key=key,
                        format_func=lambda k: names[k], help=help_text)


def png_download(label: str, image: np.ndarray, file_name: str, *, key: str, scale=4) -> None:
    st.download_button(label, to_png_bytes(image, scale=scale), file_name=file_name,
                       mime="image/png", key=key, icon=":material/download:")


def server_decode(ckpt: Checkpoint, z, label: int | None) -> np.ndarray:
    labels = None if label is None else np.array([label])
    return explore.decode_points(ckpt.model, np.asarray([z], np.float32), labels)[0]


@st.cache_data(max_entries=64, show_spinner=False)
def _lattice_png(path: str, stamp: float, bounds: tuple, n: int, label, base, dims) -> bytes:
    """The lattice as PNG bytes, decoded and encoded once for every session that shows the
    same view (decode + PNG encoding were 2/3 of an Explore rerun: bench/load_test.py)."""
    from ui.loaders import load_at

    model = load_at(path, stamp).model
    images = explore.decode_lattice(model, bounds, n, label=label,
                                    base=None if base is None else np.asarray(base), dims=dims)
    return to_png_bytes(tile(images, cols=n, pad=0), scale=2)


def manifold_view(ckpt: Checkpoint, bounds, *, label, base, dims, name: str) -> None:
    from ui.loaders import cache_key

    n = st.slider("Lattice size (n x n)", 5, 30, 15, key=f"lattice_n::{name}")
    base = None if base is None else tuple(float(v) for v in np.asarray(base).ravel())
    png = _lattice_png(*cache_key(name), tuple(float(b) for b in bounds), n,
                       None if label is None else int(label), base, tuple(dims))
    st.image(png, caption=f"decoder over "
             f"{a_or_an(n)} {n} x {n} lattice of z "
             f"spanning x {bounds[0]:.1f}..{bounds[1]:.1f}, y {bounds[2]:.1f}..{bounds[3]:.1f}")
    st.download_button("Lattice PNG", png, file_name=f"lattice-{name.replace('/', '-')}.png",
                       mime="image/png", key=f"dl_lattice::{name}", icon=":material/download:")


def sample_view(ckpt: Checkpoint, *, label, name: str) -> None:
    model = ckpt.model
    parts = explore.label_parts(model)
    seed_key = f"sample_seed::{name}"
    st.session_state.setdefault(seed_key, 0)
    left, right = st.columns([1, 1])
    part, part_name = None, {}
    if parts and not model.cond_dim:
        what = "component" if model.prior.n_components else "cluster head"
        part_name = dict(enumerate(part_labels(ckpt, name, what)))
        choice = right.selectbox(f"Sample from {what}", ["any", *range(parts)],
                                 key=f"sample_part::{name}",
                                 format_func=lambda c: part_name.get(c, str(c)))
        part = None if choice == "any" else int(choice)
    if left.button("Sample 64 new digits", key=f"sample_btn::{name}", icon=":material/casino:"):
        st.session_state[seed_key] += 1
    chosen = part if part is not None else label
    images = explore.sample_images(model, 64, label=chosen, seed=st.session_state[seed_key])
    grid = tile(images, cols=8)
    word = "cluster" if model.label_meaning == LABEL_CLUSTER else "label"
    where = f" ({part_name.get(chosen, f'{word} {chosen}')})" if chosen is not None else ""
    st.image(to_png_bytes(grid, scale=3), caption=f"64 digits decoded from prior samples{where}, "
             f"seed {st.session_state[seed_key]}")
    png_download("Samples PNG", grid, "samples.png", key=f"dl_samples::{name}", scale=3)


@st.cache_data(max_entries=24, show_spinner=False)
def _typical_ends(path: str, stamp: float) -> list[int]:
    from ui.loaders import load_at

    ckpt = load_at(path, stamp)
    codes, labels = ckpt.codes.numpy(), ckpt.labels.numpy()
    return [explore.typical_code(codes, labels, k) for k in (1, 7)]


@st.cache_data(max_entries=24, show_spinner=False)
def _start_index(path: str, stamp: float) -> int:
    from ui.loaders import load_at

    ckpt = load_at(path, stamp)
    if ckpt.labels is None or not len(ckpt.labels):
        return 0
    labels = ckpt.labels.numpy()
    return explore.typical_code(ckpt.codes.numpy(), labels, int(labels[0]))


def start_index(ckpt: Checkpoint, name: str) -> int | None:
    """The held-out digit whose code the marker starts on: the most typical code of the
    first held-out digit's class (typical_code), so the first digit a class sees is a clear
    one, not a code that fell between two classes. None without stored codes."""
    if ckpt.codes is None or not len(ckpt.codes):
        return None
    from ui.loaders import cache_key

    return _start_index(*cache_key(name))


def default_ends(ckpt: Checkpoint, name: str) -> list[int] | None:
    """Held-out indices of the interpolation's two ends: the link's or the user's choice
    (session keys interp_a/interp_b), else the most typical 1 and 7 (typical_code)."""
    if ckpt.codes is None:
        return None
    from ui.loaders import cache_key

    typical = _typical_ends(*cache_key(name))
    out = []
    for prefix, fallback in zip(("interp_a", "interp_b"), typical, strict=True):
        chosen = st.session_state.get(f"{prefix}::{name}")
        ok = chosen is not None and 0 <= int(chosen) < len(ckpt.codes)
        out.append(int(chosen) if ok else fallback)
    return out


def remember_picked_ends(state, name: str) -> None:
    """An end the user dropped on a code (the pad reports its held-out index) becomes the
    interpolation's end in the session (and so in the link), instead of a link's point."""
    from ui.explore_link import LINK_ENDS

    value = state.get("ends") if state else None
    picked = value.get("picked") if isinstance(value, dict) else None
    for i, (prefix, index) in enumerate(zip(("interp_a", "interp_b"), picked or (),
                                            strict=False)):
        if isinstance(index, int):
            st.session_state[f"{prefix}::{name}"] = index
            if linked := st.session_state.get(f"{LINK_ENDS}::{name}"):
                linked[i] = None


def with_link_ends(name: str, ends: list[list[float]]) -> list[list[float]]:
    """The interpolation's ends (two full z's): where a link put them, else `ends`."""
    from ui.explore_link import LINK_ENDS

    linked = st.session_state.get(f"{LINK_ENDS}::{name}") or (None, None)
    return [list(k) if k is not None and len(k) == len(e) else e
            for k, e in zip(linked, ends, strict=True)]


def _end_words(ckpt: Checkpoint, end, index: int) -> str:
    codes = ckpt.codes.numpy()
    if not np.allclose(codes[index], end, atol=1e-5):
        return "a point you chose (" + ", ".join(f"{v:.2f}" for v in end) + ")"
    return (f"held-out #{index} (a {class_names(ckpt)[int(ckpt.labels[index])]}, "
            "decoded from its code)")


def interpolate_details(ckpt: Checkpoint, ends, indices, *, label, steps: int,
                        name: str) -> None:
    """Under the pad in Interpolate: the strip's settings and its PNG (decoded on the server
    from the ends the user let go of; the browser draws the same strip while dragging)."""
    st.markdown(f"**A** = {_end_words(ckpt, ends[0], indices[0])}  \n"
                f"**B** = {_end_words(ckpt, ends[1], indices[1])}")
    st.slider("Steps", 3, 16, 10, key=f"interp_steps::{name}")
    path = explore.interpolate(np.asarray(ends[0], np.float32), np.asarray(ends[1], np.float32),
                               steps)
    lab = None if label is None else np.full(steps, label)
    strip = tile(explore.decode_points(ckpt.model, path, lab), cols=steps)
    st.caption("Drag the ends A and B on the map (click a code to put the nearer end on it): "
               "the strip under the map is decoded in your browser as they move.")
    png_download("Strip PNG", strip, "interpolation.png", key=f"dl_interp::{name}", scale=3)


@st.cache_data(max_entries=24, show_spinner=False)
def _density(path: str, stamp: float, bounds: tuple) -> dict | None:
    from ui.loaders import load_at

    prior = load_at(path, stamp).model.prior
    if prior.dim != 2:
        return None
    _, _, dens = explore.prior_density(prior, bounds, n=72)
    return density_payload(dens)


def prior_background(name: str, bounds) -> dict | None:
    """The prior's density over the pad's bounds, for the pad's "Prior" background."""
    from ui.loaders import cache_key

    return _density(*cache_key(name), tuple(float(b) for b in bounds))


def draw_view(ckpt: Checkpoint, *, label, name: str) -> np.ndarray | None:
    """Draw or upload a digit; returns its code (d,) or None. Bad input -> one message."""
    from streamlit_drawable_canvas import st_canvas

    left, right = st.columns([1, 1])
    with left:
        st.caption("Draw a digit (white on black, like MNIST), or upload an image.")
        result = st_canvas(stroke_width=18, stroke_color="#ffffff", background_color="#000000",
                           height=224, width=224, drawing_mode="freedraw",
                           return_image_data=True, key=f"canvas::{name}")
        upload = st.file_uploader("…or upload a PNG/JPEG", type=["png", "jpg", "jpeg"],
                                  key=f"upload::{name}")
    canvas = getattr(result, "image_data", None) if result is not None else None
    source = _newest_input(name, upload, canvas)
    try:
        if source == "upload":
            digit = to_mnist(load_image_bytes(upload.getvalue()))
        elif source == "canvas":  # white strokes on the canvas's black background
            digit = to_mnist(canvas_to_gray(canvas, background=(0, 0, 0)), ink_is_dark=False)
        else:
            right.info("Your digit, its code and its reconstruction appear here.")
            return None
    except AAEError as exc:
        right.warning(f"{'Upload' if source == 'upload' else 'Drawing'}: {plain(exc)}")
        return None
    code = explore.encode_images(ckpt.model, digit[None])[0]
    lab = None if label is None else np.array([label])
    recon = explore.decode_points(ckpt.model, code[None], lab)[0] if ckpt.model.cond_dim \
        else explore.reconstruct_images(ckpt.model, digit[None])[0]
    with right:
        a, b = st.columns(2)
        a.image(to_png_bytes(digit, scale=IMAGE_SCALE), caption="what the encoder sees")
        b.image(to_png_bytes(recon, scale=IMAGE_SCALE), caption="its reconstruction")
        st.markdown(f"code z = ({', '.join(f'{v:.2f}' for v in code)}) — the ★ on the map")
    return code


def drawn_star(name: str) -> list[float] | None:
    """The code of the digit last drawn or uploaded for `name` (the pad draws it as a ★)."""
    return st.session_state.get(f"explore_drawn::{name}")


def keep_drawn(name: str, code: np.ndarray | None) -> None:
    """Remember the drawn digit's code (d,) for the pad's ★; when it changed, run the page
    again: the pad above was drawn before the code was known."""
    key = f"explore_drawn::{name}"
    new = None if code is None else [float(v) for v in code]
    if new != st.session_state.get(key):
        st.session_state[key] = new
        st.rerun()


def _newest_input(name: str, upload, canvas) -> str | None:
    """"upload" or "canvas": whichever the user changed last (so a later drawing replaces a
    rejected upload's message, and the other way round); None when neither holds anything."""
    inked = canvas is not None and bool(np.ptp(np.asarray(canvas)[..., :3]))
    seen = st.session_state.setdefault(f"_draw_inputs::{name}", {"upload": None,
                                                                   "canvas": None, "last": None})
    marks = {"upload": upload.file_id if upload is not None else None,
             "canvas": hash(np.asarray(canvas).tobytes()) if inked else None}
    for what, mark in marks.items():
        if mark is not None and mark != seen[what]:
            seen["last"] = what
        seen[what] = mark
    if seen["last"] is None or marks[seen["last"]] is None:  # the newest one was cleared
        seen["last"] = next((w for w, m in marks.items() if m is not None), None)
    return seen["last"]
