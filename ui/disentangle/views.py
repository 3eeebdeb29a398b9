"""The Disentanglement page's Streamlit side: its controls and URL, the cached scores and
traversals of a model, and how they are drawn. The science is in aae_core.analysis
(disentanglement, traversal, morphometry); the figures in ui/disentangle/figures.py."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aae_core.analysis.disentanglement import SCORE_MEANINGS, score_model
from aae_core.analysis.morphometry import FAST, MEASURES
from aae_core.analysis.traversal import STEPS, code_spread, traverse
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.store.checkpoints import Checkpoint
from ui import analysis_views as av
from ui.disentangle import url
from ui.disentangle.figures import importance_heatmap, measure_lines
from ui.loaders import cache_key, model_entries, open_checkpoint
from ui.plain_text import plain

PAGE_DIGITS = 1000  # held-out digits the page scores (the command line scores them all)
SHOWN_DIMS = 16  # traversal strips drawn at most; larger codes get a dimension picker
_LINK_READ = "_dis_link_read"  # the link's values were applied (once per session)
AT_MODE, AT_INDEX, LABEL, STEPS_KEY = "dis_at_mode", "dis_at_index", "dis_label", "dis_steps"


# ----------------------------------------------------------------------------- the codes


def codes_of(ckpt: Checkpoint) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Codes (N, d) whose spread sets each traversal's range, their labels, and what they
    are: the held-out codes stored with the checkpoint, else 2,000 prior samples."""
    if ckpt.codes is not None and len(ckpt.codes) >= 2:
        labels = None if ckpt.labels is None else ckpt.labels.numpy()
        return ckpt.codes.numpy(), labels, f"its {len(ckpt.codes):,} held-out codes"
    samples = ckpt.model.prior.sample(2000, generator=torch.Generator().manual_seed(0))
    return samples.numpy(), None, "2,000 samples of its prior"


# ----------------------------------------------------------------------------- controls


def controls(ckpt: Checkpoint, codes: np.ndarray, labels) -> tuple[str | int, int | None, int]:
    """The sidebar's choices (where the other dimensions are held, the decoder's label,
    steps), first set from a link when it brings new values; written back to the URL."""
    n_labels = ckpt.model.cond_dim
    held_out = labels is not None
    _apply_link(url.parse(st.query_params, n_held_out=len(codes) if held_out else 0,
                          n_labels=n_labels), held_out)
    with st.sidebar:
        modes = ["mean", "held-out"] if held_out else ["mean"]
        if st.session_state.get(AT_MODE) not in modes:
            st.session_state[AT_MODE] = "mean"
        mode = st.radio("Hold the other dimensions at", modes, key=AT_MODE,
                        format_func={"mean": "the mean code",
                                     "held-out": "a held-out digit's code"}.get)
        at: str | int = url.MEAN
        if mode == "held-out":
            st.session_state[AT_INDEX] = min(int(st.session_state.get(AT_INDEX, 0)),
                                             len(codes) - 1)
            at = int(st.number_input("Held-out digit", 0, len(codes) - 1, key=AT_INDEX,
                                     help="its code holds every dimension but the traversed "
                                          "one"))
        label = None
        if n_labels:
            st.session_state.setdefault(LABEL, 0)
            st.session_state[LABEL] = min(int(st.session_state[LABEL]), n_labels - 1)
            label = st.selectbox("Label given to the decoder", list(range(n_labels)),
                                 key=LABEL)
        st.session_state.setdefault(STEPS_KEY, 9)
        steps = st.slider("Digits along each traversal", *STEPS, key=STEPS_KEY)
    _write_link({"at": at, "label": label, "steps": steps})
    return at, label, steps


def _apply_link(state: url.PageState, held_out: bool) -> None:
    """On the page's first run in a session, set the widgets from the link's values, say
    once what was ignored and remove it from the URL. Later runs never read the URL: a
    rerun may arrive with the address the browser showed before the last write (a stale
    steps=7 after the user chose 8), which must not undo the user's choice."""
    if st.session_state.get(_LINK_READ):
        return
    st.session_state[_LINK_READ] = True
    if state.at is not None:
        st.session_state[AT_MODE] = "held-out" if state.at != url.MEAN and held_out else "mean"
        if state.at != url.MEAN:
            st.session_state[AT_INDEX] = state.at
    if state.label is not None:
        st.session_state[LABEL] = state.label
    if state.steps is not None:
        st.session_state[STEPS_KEY] = state.steps
    for key in state.rejected:
        del st.query_params[key]
    for problem in state.problems:
        st.warning(f"The link's {plain(problem)}", icon=":material/link_off:")


def _write_link(values: dict) -> None:
    """Put what the page shows into the URL (a shareable link)."""
    for key, value in values.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        else:
            st.query_params[key] = str(value)


# ----------------------------------------------------------------------------- scores


@st.cache_data(max_entries=16, show_spinner=False)
def _scores(name: str, key: tuple) -> dict:
    """The model's scores on its first PAGE_DIGITS held-out digits, or why there are none."""
    ckpt = open_checkpoint(name)
    data, why = av.held_out_data(ckpt)
    if data is None:
        return {"why": why}
    try:
        report = score_model(ckpt.model, data, limit=PAGE_DIGITS, setting=FAST, workers=1)
    except AAEError as exc:
        return {"why": plain(exc)}
    return {"factors": [f.name for f in report.factors], "scores": report.scores(),
            "importance": report.importance, "n": min(PAGE_DIGITS, len(data.test_y)),
            "dataset": data.name}


def scores_section(name: str) -> None:
    st.subheader("Which dimension controls which factor")
    with st.spinner("Measuring the held-out digits and fitting the probes (once per model)…"):
        scored = _scores(name, cache_key(name))
    if "why" in scored:
        st.info(f"No scores: {scored['why']}", icon=":material/info:")
        return
    s = scored["scores"]
    figures = (("MIG", "mig"), ("DCI disent.", "dci_disentanglement"),
               ("DCI complete.", "dci_completeness"), ("DCI inform.", "dci_informativeness"),
               ("SAP", "sap"), ("Label leakage", "label_leakage"))
    for col, (label, key) in zip(st.columns(len(figures)), figures, strict=True):
        col.metric(label, f"{s[key]:.2f}", help=SCORE_MEANINGS[key])
    st.plotly_chart(importance_heatmap(scored["importance"], scored["factors"]),
                    key="dis_heatmap", config={"displaylogo": False})
    truth = "the factors each digit was drawn under" if scored["dataset"] == \
        "synthetic-digits" else "the six Morpho-MNIST shape measures"
    st.caption(
        f"Each row: how gradient-boosted trees predicting that factor from the code share "
        f"their importance over its dimensions (rows sum to 1). Factors: the digit and "
        f"{truth}, of the first {scored['n']:,} held-out digits of {plain(scored['dataset'])}"
        f". A disentangled code has one dark cell per row and per column. Label leakage: "
        f"how well a probe names the digit from z alone, above chance ({s['label_accuracy']:.0%}"
        f" right against {s['label_chance']:.0%} by always guessing the commonest digit).")


COMPARED_AT_MOST = 6
SCORE_COLUMNS = {"mig": "MIG", "dci_disentanglement": "DCI disentanglement",
                 "dci_completeness": "DCI completeness",
                 "dci_informativeness": "DCI informativeness", "sap": "SAP",
                 "label_leakage": "label leakage"}


def comparison_section(name: str) -> None:
    """The scores of the model in view beside those of other models the user picks."""
    others = [e.name for e in model_entries() if e.config is not None and e.name != name]
    if not others:
        return
    chosen = st.multiselect(f"Compare with other models (at most {COMPARED_AT_MOST})",
                            others, key="dis_compare", max_selections=COMPARED_AT_MOST,
                            placeholder="pick models to score beside this one")
    if not chosen:
        return
    rows = []
    with st.spinner("Scoring the models (once each)…"):
        for each in (name, *chosen):
            scored = _scores(each, cache_key(each))
            row = {"model": each, "dataset": scored.get("dataset", "—")}
            for key, title in SCORE_COLUMNS.items():
                row[title] = scored["scores"][key] if "scores" in scored else None
            rows.append(row)
    st.dataframe(rows, hide_index=True, key="dis_compare_table",
                 column_config={title: st.column_config.NumberColumn(format="%.2f")
                                for title in SCORE_COLUMNS.values()})
    st.caption("Each model scored on the first 1,000 held-out digits of its own dataset; "
               "empty where that dataset is not on this machine. Compare models trained on "
               "the same data, with codes of the same size.")


# ----------------------------------------------------------------------------- traversals


@st.cache_data(max_entries=32, show_spinner=False)
def _traversal(name: str, key: tuple, held: tuple, mean: tuple, sd: tuple, steps: int,
               label, dims: tuple):
    ckpt = open_checkpoint(name)
    judge = av.judge_for(ckpt)

    def name_digits(images: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return judge(torch.as_tensor(images, dtype=torch.float32)).argmax(1).numpy()

    return traverse(ckpt.model, held, mean, sd, steps=steps, dims=dims, label=label,
                    name_digits=None if judge is None else name_digits)


def traversal_section(name: str, ckpt: Checkpoint, codes: np.ndarray, source: str,
                      at: str | int, label, steps: int) -> None:
    st.subheader("What each dimension does")
    d = ckpt.model.latent_dim
    dims = tuple(range(d))
    if d > SHOWN_DIMS:
        dims = tuple(st.multiselect(f"Dimensions to traverse (at most {SHOWN_DIMS})",
                                    list(range(d)), default=list(range(SHOWN_DIMS)),
                                    max_selections=SHOWN_DIMS, key="dis_dims",
                                    format_func=lambda k: f"z[{k}]"))
        if not dims:
            st.info("Choose at least one dimension to traverse.", icon=":material/info:")
            return
    mean, sd = code_spread(codes)
    held = mean if at == url.MEAN else codes[int(at)]
    where = "the mean code" if at == url.MEAN else f"held-out digit #{int(at)}'s code"
    with st.spinner("Decoding and measuring the traversals…"):
        walk = _traversal(name, cache_key(name), tuple(held), tuple(mean), tuple(sd), steps,
                          label, dims)
    st.caption(f"Each strip: one dimension from −2 to +2 standard deviations of {source}, "
               f"the others held at {where}. Beside it, the shape of each decoded digit "
               "(Morpho-MNIST's measures, the fast way), as the change from the strip's "
               "middle digit in standard deviations over all strips. The label-flip rate: the "
               "share of the strip's digits that the judge (a classifier trained on the "
               "dataset) names differently from the digit at the held code.")
    spread = np.nanstd(walk.measures.reshape(-1, len(MEASURES)), axis=0)  # blank digits: NaN
    spread = np.where(np.nan_to_num(spread) > 1e-9, spread, 1.0)
    flips = walk.flip_rates()
    for row, k in enumerate(walk.dims):
        _strip(walk, row, k, spread, None if flips is None else flips[row])


def _strip(walk, row: int, k: int, spread: np.ndarray, flip) -> None:
    left, right = st.columns([3, 2], gap="medium")
    end_to_end = np.abs(walk.measures[row, -1] - walk.measures[row, 0]) / spread  # (6,)
    controls_most = MEASURES[int(np.nan_to_num(end_to_end).argmax())]
    flip_text = "" if flip is None else f" · label flips: **{flip:.0%}**"
    left.markdown(f"**z[{k}]** · most change in *{controls_most}*{flip_text}")
    strip = tile(walk.images[row], cols=len(walk.offsets))
    left.image(to_png_bytes(strip, scale=2), width="stretch",
               caption=f"z[{k}] from {walk.values[row, 0]:.2f} to {walk.values[row, -1]:.2f}")
    right.plotly_chart(measure_lines(walk.offsets, walk.measures[row], spread),
                       key=f"dis_lines::{k}", config={"displaylogo": False})
