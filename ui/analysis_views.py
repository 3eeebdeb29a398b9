"""Streamlit helpers shared by the analysis pages (Style vs label, AAE vs VAE, Classify and
cluster): which model the user asked for, the held-out images when they are on disk, and
rows of digits."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st
import torch

from aae_core.data import Dataset, load_dataset
from aae_core.errors import AAEError
from aae_core.images import to_png_bytes
from aae_core.models import MODELS
from aae_core.store.catalog import Entry, shipped_dir
from aae_core.store.checkpoints import Checkpoint
from aae_core.words import a_or_an
from ui import url_state
from ui.loaders import model_entries
from ui.plain_text import plain

JUDGES = ".judges"  # the shipped judges' folder in checkpoints/ (hidden from the catalogue)


def requested_model(page: str, accept: Callable[[Entry], bool], *, picker_key: str,
                    needs: str) -> tuple[str | None, str | None]:
    """The model the user asked for, as the picker's default, and a note when it does not
    fit this page.

    A link's ?model= is an explicit request: one that does not fit gets the note (read on
    the page's first run in a session; the note stays up until the user picks another
    model). The model last chosen on Home or Explore is only a default, used when it fits.
    """
    memo_key = f"_requested::{page}"
    if memo_key not in st.session_state:
        asked = url_state.param("model")
        judged = _judge(asked, accept, needs)
        if not asked:
            judged = (_judge(st.session_state.get("model"), accept, needs)[0], None)
        st.session_state[memo_key] = judged
    default, note = st.session_state[memo_key]
    shown = default or next((e.name for e in model_entries()
                             if e.config is not None and accept(e)), None)
    if note and st.session_state.get(picker_key, shown) != shown:
        st.session_state[memo_key] = (default, None)  # the user has moved on
        note = None
    return default, note


def _judge(asked, accept, needs: str) -> tuple[str | None, str | None]:
    if not asked or not isinstance(asked, str):
        return None, None
    entry = next((e for e in model_entries() if e.name == asked), None)
    if entry is None:
        return None, f"There is no checkpoint named **{plain(asked)}**. {needs}"
    if entry.config is None:
        return None, f"**{plain(asked)}** cannot be opened ({plain(entry.problem)}). {needs}"
    if accept(entry):
        return asked, None
    kind = entry.config.model
    return None, (f"**{plain(asked)}** is {a_or_an(kind)} `{kind}` model — "
                  f"{MODELS[kind].description} {needs}")


def held_out_data(ckpt: Checkpoint) -> tuple[Dataset | None, str]:
    """The checkpoint's dataset when its files are on this machine (never downloads), and
    an empty reason; else None and why (Markdown: file text in it is escaped). The held-out
    labels must match the stored ones."""
    name = plain(ckpt.train.dataset)
    try:
        data = load_dataset(ckpt.train.dataset, download=False)
    except (AAEError, OSError, ValueError) as exc:
        return None, (f"The held-out images of **{name}** are not on this machine "
                      f"({plain(exc)}). "
                      "Put those files in one of the folders named (for MNIST, the one the "
                      "environment variable AAE_DATA_DIR points at) to see them.")
    if ckpt.labels is not None and (len(data.test_y) != len(ckpt.labels)
                                    or not torch.equal(data.test_y.cpu(), ckpt.labels.cpu())):
        return None, (f"The {name} files on this machine do not match the checkpoint's held-out "
                      "set (different labels), so its images cannot be used.")
    return data, ""


def image_row(images: np.ndarray, captions: Sequence[str], *, scale: int = 3,
              highlight: int | None = None, width_px: int | None = None) -> None:
    """Images (n, 28, 28) side by side, one column each; `highlight` gets a marked caption;
    `width_px`: each image that wide (else it fills its column)."""
    for i, (col, img, cap) in enumerate(zip(st.columns(len(images)), images, captions,
                                            strict=True)):
        mark = f"▶ {plain(cap)} ◀" if i == highlight else plain(cap)
        col.image(to_png_bytes(img, scale=scale), caption=mark, width=width_px or "stretch")


def one_hot(label: int | None, n: int) -> list[float] | None:
    if label is None or n == 0:
        return None
    return [1.0 if k == label else 0.0 for k in range(n)]


@st.cache_resource(max_entries=4, show_spinner=False)
def _judge_classifier(dataset: str, data_here: bool):
    """The dataset's judge classifier: the one shipped in checkpoints/.judges/ or kept in the
    cache (no images needed), else trained once on the dataset's training digits when they
    are here (None when they are not)."""
    from aae_core.analysis.sample_quality import cached_judge, stored_judge
    from aae_core.data import default_cache_dir, load_dataset

    stored = stored_judge(dataset, default_cache_dir(), shipped_dir=shipped_dir() / JUDGES)
    if stored is not None or not data_here:
        return stored
    data = load_dataset(dataset, download=False)
    return cached_judge(dataset, data.train_x, data.train_y, default_cache_dir(),
                        shipped_dir=shipped_dir() / JUDGES)


def judge_for(ckpt: Checkpoint):
    """The judge for the checkpoint's dataset (shipped, cached, or trained from its images
    when they are here), or None when there is none and the images are not here."""
    return _judge_classifier(ckpt.train.dataset, held_out_data(ckpt)[0] is not None)


@st.cache_data(max_entries=16, show_spinner=False)
def _hold_map(name: str, key: tuple, bounds: tuple):
    from aae_core.analysis.label_hold import label_hold_map
    from ui.loaders import open_checkpoint

    ckpt = open_checkpoint(name)
    return label_hold_map(ckpt.model, judge_for(ckpt), bounds)


def hold_map_for(name: str, ckpt: Checkpoint, bounds):
    """Where the label holds over `bounds` (aae_core.analysis.label_hold.HoldMap), measured once
    per model (and again after retraining); None when there is no judge for its dataset."""
    from ui.loaders import cache_key

    if judge_for(ckpt) is None:
        return None
    with st.spinner("Measuring where the label holds (once per model)…"):
        return _hold_map(name, cache_key(name), tuple(float(b) for b in bounds))


def hold_report(ckpt: Checkpoint, hold_map, z, label: int, names, box) -> None:
    """What was measured about the label at z, in words, and the map of where it holds.

    hold_map: aae_core.analysis.label_hold.HoldMap over the model's code range (None: not measured);
    box: the pad's bounds (kept inside the region where the label holds)."""
    from aae_core.analysis.label_hold import HOLD_THRESHOLD, judge_labels
    from ui.figures import hold_figure

    if hold_map is None:
        st.caption("Where the label holds could not be measured: no judge classifier was "
                   "shipped for this dataset, and its images (to train one) are not on this "
                   "machine.")
        return
    model = ckpt.model
    reads = judge_labels(model, judge_for(ckpt), np.asarray([z], np.float32))[0]
    if model.cond_dim:
        wrong = [f"{names[k]} as a {names[r]}" for k, r in enumerate(reads) if r != k]
        here = (f"At this z the judge reads all {len(reads)} labels as asked." if not wrong
                else f"At this z the judge reads {len(reads) - len(wrong)} of {len(reads)} "
                f"labels as asked (it reads {', '.join(wrong[:4])}"
                f"{'…' if len(wrong) > 4 else ''}).")
        drawn = names[int(reads[label])]
        lead = (f"Label **{names[label]}** draws a **{drawn}** here" if drawn != names[label]
                else f"Label **{names[label]}** draws a {drawn} here")
    else:
        here, lead = "", f"The decoder draws a **{names[int(reads[0])]}** here"
    share = hold_map.share_holding()
    st.markdown(f"{lead}, as judged by a classifier trained on the dataset's training digits. "
                f"{here}")
    st.plotly_chart(hold_figure(hold_map.hold, hold_map.bounds, z, box=box,
                                threshold=HOLD_THRESHOLD),
                    key=f"hold_map::{ckpt.train.dataset}", config={"displaylogo": False})
    st.caption(f"Measured over a {hold_map.n} x {hold_map.n} grid of the codes' range: green "
               f"where the judge recovers at least {HOLD_THRESHOLD:.0%} of the labels "
               f"({share:.0%} of the range; inside the green line). "
               + ("The pad (dashed box) is kept where it holds." if box is not None else ""))
