"""The Explore page's views, each a small function: the page only composes them."""

from __future__ import annotations

import numpy as np
import streamlit as st

from aae_core import explore
from aae_core.checkpoints import Checkpoint
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.preprocess import canvas_to_gray, load_image_bytes, to_mnist

IMAGE_SCALE = 6  # 28 px -> 168 px, nearest neighbour (crisp pixels)


def class_names(ckpt: Checkpoint) -> list[str]:
    names = ckpt.card.get("class_names")
    return list(names) if names else [str(k) for k in range(ckpt.model.config.n_classes)]


def label_picker(ckpt: Checkpoint, *, key: str, default: int | None, help_text: str) -> int:
    """A label selectbox for label-conditioned decoders (supervised, semi-supervised)."""
    names = class_names(ckpt)[: ckpt.model.cond_dim]
    default = default if default is not None and 0 <= default < len(names) else 0
    return st.selectbox("Label fed to the decoder", range(len(names)), index=default, key=key,
                        format_func=lambda k: names[k], help=help_text)


def png_download(label: str, image: np.ndarray, file_name: str, *, key: str, scale=4) -> None:
    st.download_button(label, to_png_bytes(image, scale=scale), file_name=file_name,
                       mime="image/png", key=key, icon=":material/download:")


def server_decode(ckpt: Checkpoint, z, label: int | None) -> np.ndarray:
    labels = None if label is None else np.array([label])
    return explore.decode_points(ckpt.model, np.asarray([z], np.float32), labels)[0]


def manifold_view(ckpt: Checkpoint, bounds, *, label, base, dims, name: str) -> None:
    n = st.slider("Lattice size (n x n)", 5, 30, 15, key=f"lattice_n::{name}")
    images = explore.decode_lattice(ckpt.model, bounds, n, label=label, base=base, dims=dims)
    grid = tile(images, cols=n, pad=0)
    st.image(to_png_bytes(grid, scale=2), caption=f"decoder over an {n} x {n} lattice of z "
             f"spanning x {bounds[0]:.1f}..{bounds[1]:.1f}, y {bounds[2]:.1f}..{bounds[3]:.1f}")
    png_download("Lattice PNG", grid, f"lattice-{name.replace('/', '-')}.png",
                 key=f"dl_lattice::{name}", scale=2)


def sample_view(ckpt: Checkpoint, *, label, name: str) -> None:
    model = ckpt.model
    parts = explore.label_parts(model)
    seed_key = f"sample_seed::{name}"
    st.session_state.setdefault(seed_key, 0)
    left, right = st.columns([1, 1])
    part = None
    if parts and not model.cond_dim:
        what = "component" if model.prior.n_components else "cluster head"
        choice = right.selectbox(f"Sample from {what}", ["any", *range(parts)],
                                 key=f"sample_part::{name}")
        part = None if choice == "any" else int(choice)
    if left.button("Sample 64 new digits", key=f"sample_btn::{name}", icon=":material/casino:"):
        st.session_state[seed_key] += 1
    chosen = part if part is not None else label
    images = explore.sample_images(model, 64, label=chosen, seed=st.session_state[seed_key])
    grid = tile(images, cols=8)
    where = f" (part {chosen})" if chosen is not None else ""
    st.image(to_png_bytes(grid, scale=3), caption=f"64 digits decoded from prior samples{where}, "
             f"seed {st.session_state[seed_key]}")
    png_download("Samples PNG", grid, "samples.png", key=f"dl_samples::{name}", scale=3)


def interpolate_view(ckpt: Checkpoint, pad_z, *, label, name: str) -> None:
    codes = ckpt.codes.numpy() if ckpt.codes is not None else None
    if codes is None:
        st.info("This checkpoint stores no held-out codes to interpolate between.")
        return
    n = len(codes)
    labels = ckpt.labels.numpy()
    first = [int(np.flatnonzero(labels == k)[0]) if (labels == k).any() else 0 for k in (1, 7)]
    c1, c2, c3 = st.columns(3)
    start_pad = c1.toggle("Start at the pad's point", key=f"interp_pad::{name}")
    i = c1.number_input("From held-out digit #", 0, n - 1, first[0], key=f"interp_a::{name}",
                        disabled=start_pad)
    j = c2.number_input("To held-out digit #", 0, n - 1, first[1], key=f"interp_b::{name}")
    steps = c3.slider("Steps", 3, 16, 10, key=f"interp_steps::{name}")
    z0 = np.asarray(pad_z, np.float32) if start_pad else codes[int(i)]
    path = explore.interpolate(z0, codes[int(j)], steps)
    lab = None if label is None else np.full(steps, label)
    strip = tile(explore.decode_points(ckpt.model, path, lab), cols=steps)
    start = "the pad's point" if start_pad else f"held-out #{int(i)} ({labels[int(i)]})"
    st.image(to_png_bytes(strip, scale=3),
             caption=f"linear path from {start} to held-out #{int(j)} ({labels[int(j)]})")
    png_download("Strip PNG", strip, "interpolation.png", key=f"dl_interp::{name}", scale=3)


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
    try:
        if upload is not None:
            digit = to_mnist(load_image_bytes(upload.getvalue()))
        elif result is not None and getattr(result, "image_data", None) is not None:
            digit = to_mnist(canvas_to_gray(result.image_data), ink_is_dark=False)
        else:
            right.info("Your digit, its code and its reconstruction appear here.")
            return None
    except AAEError as exc:
        right.warning(str(exc))
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


def selected_point(ckpt: Checkpoint, event, codes, labels, *, label, name: str) -> None:
    """The digit behind a clicked map point (its code, decoded), and a way to send the pad
    there. Plotly's hover cannot draw images, so a click shows them."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    indices = [p.get("customdata") for p in points if isinstance(p, dict)]
    indices = [int(i[0] if isinstance(i, list) else i) for i in indices if i is not None]
    if not indices or not 0 <= indices[0] < len(codes):
        return
    i = indices[0]
    shown_label = label if label is not None else None
    image = server_decode(ckpt, codes[i], shown_label)
    a, b = st.columns([1, 2])
    a.image(to_png_bytes(image, scale=4),
            caption=f"held-out #{i} · digit {class_names(ckpt)[int(labels[i])]}")
    b.markdown(f"code = ({', '.join(f'{v:.2f}' for v in codes[i])}), decoded (a reconstruction "
               "of that digit).")
    if b.button("Move the pad here", key=f"goto_btn::{name}", icon=":material/my_location:"):
        st.session_state[f"explore_goto::{name}"] = [float(v) for v in codes[i]]
        st.rerun()
