"""The Classify and cluster page's parts: the model kind and the model, then one report per
kind: the semi-supervised AAE's test error (paper §5), the clustering AAE's clusters
(paper §6) and the dimensionality-reduction AAE's 2-D map (paper §7).

q(y|x) over a checkpoint's images is computed once per checkpoint (`probs_for`, cached).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from aae_core.analysis import classify, explore
from aae_core.data import Dataset
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.inference import batched
from aae_core.models import LABEL_CLASS, LABEL_CLUSTER, LABEL_HEAD, MODELS
from aae_core.store.checkpoints import Checkpoint
from ui import analysis_views as av
from ui import present
from ui.explore_views import class_names
from ui.figures import confusion_figure, heads_figure
from ui.loaders import cache_key, model_entries, open_checkpoint, pick_model
from ui.plain_text import plain

# One section per model with a categorical code (a classifier), titled by what its label
# means; the section's value is the model's name.
TITLES = {LABEL_CLASS: ":material/label: Semi-supervised classification",
          LABEL_CLUSTER: ":material/scatter_plot: Unsupervised clustering",
          LABEL_HEAD: ":material/map: Dimensionality reduction"}
SECTIONS = {name: TITLES[cls.label_meaning] for name, cls in MODELS.items()
            if cls.has_classifier}
_KINDS = [f"`{name}`" for name in SECTIONS]
NEEDS = (f"This page needs an {', '.join(_KINDS[:-1])} or {_KINDS[-1]} model: their "
         "encoders output a class (or cluster) beside the style code.")
PLOTLY = {"displaylogo": False}


def protocol(data: Dataset | None) -> str:
    """How clusters are named and scored, with the image counts when the images are here."""
    n_train, n_held = ("", "") if data is None else \
        (f"{len(data.train_y):,} ", f"{len(data.test_y):,} ")
    return (
        f"Protocol: each cluster gets a label from the {n_train}*training* images, then the "
        f"{n_held}held-out images are scored. **most-confident** (the paper's rule): cluster k "
        "takes the label of the training image with the highest q(y=k|x). **majority**: the "
        "most frequent label among the training images assigned to k (ties: the lowest label; "
        "stored in the model card). A held-out image in a cluster no training image landed in "
        "counts as wrong."
    )


def fits(entry) -> bool:
    """Whether a catalogue entry's encoder outputs a class (or cluster)."""
    return MODELS[entry.config.model].has_classifier


@dataclass(frozen=True)
class Shown:
    """The opened model and what every report reads from it."""

    name: str
    ckpt: Checkpoint
    data: Dataset | None  # its dataset when the images are on this machine
    why: str  # why `data` is None (Markdown), else ""
    split: str  # the held-out split's description

    @property
    def metrics(self) -> dict:
        return self.ckpt.card.get("metrics", {})


@st.cache_data(max_entries=16, show_spinner="Running the classifier over the images…")
def probs_for(name: str, key: tuple, part: str) -> np.ndarray:
    """q(y|x) (N, K) of the checkpoint's training or held-out images; `key` = (folder, mtime)."""
    c = open_checkpoint(name)
    d, _ = av.held_out_data(c)
    x = d.test_x if part == "test" else d.train_x
    return batched(c.model.classify, x, device=c.model.device).numpy()


def pct(value) -> str:
    return f"{100 * value:.2f} %" if isinstance(value, (int, float)) else "—"


def open_model() -> Shown | None:
    """The model-kind control, the sidebar's model picker and the opened model; None (with
    a message shown) when there is none to show."""
    default, note = av.requested_model("classify", fits, picker_key="cc_model", needs=NEEDS)
    if note:
        st.info(note, icon=":material/info:")
    kinds = {e.name: e.config.model for e in model_entries() if e.config is not None}
    st.session_state.setdefault("cc_section", kinds.get(default, next(iter(SECTIONS))))
    section = st.segmented_control("Model kind", list(SECTIONS), format_func=SECTIONS.get,
                                   required=True, key="cc_section")
    section_class = MODELS[section]  # the kind picked above; entries are matched by class
    name = pick_model("Model", key="cc_model",
                      accept=lambda e: MODELS[e.config.model] is section_class,
                      default=default, where=st.sidebar)
    if name is None:
        st.info(f"No `{section}` model here. Train one on the Train page (model `{section}`), "
                "or restore the shipped checkpoints.", icon=":material/info:")
        return None
    try:
        ckpt = open_checkpoint(name)
    except AAEError as exc:
        st.error(f"Cannot open {plain(name)}: {plain(exc)}", icon=":material/warning:")
        return None
    data, why = av.held_out_data(ckpt)
    split = ckpt.card.get("split") or (data.split if data is not None else ckpt.train.dataset)
    return Shown(name=name, ckpt=ckpt, data=data, why=why, split=split)


def report(shown: Shown) -> None:
    """The report for the shown model's kind."""
    {LABEL_CLASS: semi_supervised, LABEL_CLUSTER: clustering,
     LABEL_HEAD: dim_reduction}[shown.ckpt.model.label_meaning](shown)


def semi_supervised(shown: Shown) -> None:
    """Held-out test error and confusion matrix, beside the paper's table."""
    name, ckpt, data = shown.name, shown.ckpt, shown.data
    n_lab = ckpt.train.labels
    used = "all labels" if n_lab < 0 else f"{n_lab:,} labels"
    st.markdown(f"**{plain(name)}** was trained on {plain(ckpt.train.dataset)} with {used} "
                f"({plain(shown.split)}); the classification phase uses only the labelled "
                "images.")
    if data is not None:
        rep = classify.classification_report(probs_for(name, cache_key(name), "test"),
                                             data.test_y)
        error = rep["error"]
        left, right = st.columns([2, 3], gap="large")
        left.metric("Held-out test error", pct(error), help="argmax q(y|x) over every held-out "
                    f"image ({rep['n_test']:,}); computed now")
        with right:
            st.plotly_chart(confusion_figure(rep["confusion"], class_names(ckpt)),
                            key="cc_confusion", config=PLOTLY)
            st.caption("Rows: true digit; columns: the encoder's class. Off-diagonal cells are "
                       "the mistakes.")
    else:
        error = shown.metrics.get("classification_error")
        st.metric("Held-out test error (from the model card)", pct(error))
        st.info(f"{shown.why} The confusion matrix needs those images; the error above was "
                "stored when the model was trained.", icon=":material/info:")
    ours = [{"setting": used, "test error (%)": pct(error).replace(" %", ""),
             "data": f"{shown.split}; {used}"}]
    with st.container(key="present_hide_paper_table"):
        st.markdown("**Beside the paper** (test error in %; different data, so compare with "
                    "care)")
        st.dataframe(classify.results_table("semi-supervised", ours), hide_index=True,
                     width="stretch")


def clustering(shown: Shown) -> None:
    """Clustering error under both rules, beside the paper's table, and each cluster's most
    confident held-out digits."""
    name, ckpt, data = shown.name, shown.ckpt, shown.data
    k = ckpt.model.config.n_classes
    st.markdown(f"**{plain(name)}**: {k} clusters found without any label, trained on "
                f"{plain(ckpt.train.dataset)} ({plain(shown.split)}). Labels are used only to "
                "score the clusters.")
    if data is None:
        error = shown.metrics.get("clustering_error")
        st.metric("Clustering error, majority rule (from the model card)", pct(error))
        st.info(f"{shown.why} The exemplar grid and the paper's most-confident rule need the "
                "images.", icon=":material/info:")
        ours = [{"setting": f"{k} clusters, majority rule",
                 "test error (%)": pct(error).replace(" %", ""), "data": shown.split}]
        st.dataframe(classify.results_table("clustering", ours), hide_index=True,
                     width="stretch")
        st.caption(protocol(None))
        return
    key = cache_key(name)
    test_probs = probs_for(name, key, "test")
    rep = classify.clustering_report(probs_for(name, key, "train"), data.train_y, test_probs,
                                     data.test_y)
    a, b, c = st.columns(3)
    a.metric("Clustering error, most-confident rule", pct(rep["most-confident"]["error"]))
    b.metric("Clustering error, majority rule", pct(rep["majority"]["error"]))
    c.metric("Empty clusters (training images)", rep["majority"]["empty_clusters"])
    ours = [{"setting": f"{k} clusters, {rule} rule", "test error (%)":
             pct(rep[rule]["error"]).replace(" %", ""), "data": shown.split}
            for rule in ("most-confident", "majority")]
    with st.container(key="present_hide_cluster_table"):
        st.dataframe(classify.results_table("clustering", ours), hide_index=True,
                     width="stretch")
        st.caption(protocol(data))
    _cluster_exemplars(data, rep, test_probs, halves=present.presenting("classify"))


def _cluster_exemplars(data: Dataset, rep: dict, test_probs: np.ndarray, *,
                       halves: bool = False) -> None:
    """One row per cluster: the label it stands for, its size, its most confident digits
    (`halves`: the clusters in two columns, so all of them fit one projector screen)."""
    st.subheader("Each cluster's most confident held-out digits")
    with st.container(key="present_hide_per_cluster"):
        per = st.slider("Digits per cluster", 6, 20, 12, key="cc_per_cluster")
    mapping, majority = rep["most-confident"]["mapping"], rep["majority"]["mapping"]
    names = data.class_names  # clusters stand for the dataset's classes
    empty = []
    groups = classify.cluster_exemplars(test_probs, per)
    columns = st.columns(2, gap="large") if halves else [st.container()]
    per_column = -(-len(groups) // len(columns))
    for j, idx in enumerate(groups):
        if not len(idx):
            empty.append(str(j))
            continue
        left, right = columns[j // per_column].columns([1, 4 if halves else 6],
                                                       vertical_alignment="center")
        stands = names[mapping[j]] if mapping[j] >= 0 else "—"
        other = (f" (majority: {names[majority[j]] if majority[j] >= 0 else '—'})"
                 if majority[j] != mapping[j] else "")
        left.markdown(f"**cluster {j}** → {plain(stands)}{plain(other)}" +
                      ("" if halves else f"  \n{rep['sizes'][j]:,} digits"))
        strip = tile(data.test_x[idx].view(-1, 28, 28).numpy(), cols=per)
        right.image(to_png_bytes(strip, scale=2))
    if empty:
        st.caption(f"No held-out digit lands in cluster{'s' if len(empty) > 1 else ''} "
                   f"{', '.join(empty)}.")


def dim_reduction(shown: Shown) -> None:
    """The 2-D map of held-out codes with the learned cluster heads, and its scores."""
    name, ckpt, metrics = shown.name, shown.ckpt, shown.metrics
    model = ckpt.model
    heads = model.heads.detach().cpu().numpy()  # (latent_dim, K)
    st.markdown(
        f"**{plain(name)}**: each code is **W_c y + z** — the softmax y picks one of "
        f"{heads.shape[1]} learned cluster heads (the columns of W_c, ✕ below) and the style z "
        "(small Gaussian) spreads the digits around it. Heads closer than "
        f"η = {model.config.head_eta:g} are pushed apart during training.")
    if ckpt.codes is None:
        st.info("This checkpoint stores no held-out codes, so there is no map.")
        return
    codes, labels = ckpt.codes.numpy()[:, :2], ckpt.labels.numpy()
    bounds = explore.view_bounds(model, np.concatenate([codes, heads[:2].T]))
    fig = heads_figure(codes, labels, class_names(ckpt), heads[:2], bounds,
                       title=f"{len(codes):,} held-out codes coloured by their true digit")
    left, right = st.columns([3, 1], gap="large")
    left.plotly_chart(fig, key="cc_heads", config=PLOTLY)
    n_lab = ckpt.train.labels
    right.metric("5-NN accuracy of the 2-D codes", pct(metrics.get("knn_accuracy")),
                 help="each held-out code votes with its 5 nearest training codes (model card)")
    if "clustering_error" in metrics:
        right.metric("Categorical-head error", pct(metrics.get("clustering_error")),
                     help="the head's argmax, each head named by the majority label of its "
                          "training images (model card)")
    right.caption(("unsupervised" if n_lab == 0 else
                   f"semi-supervised: {'all' if n_lab < 0 else f'{n_lab:,}'} labels") +
                  f"; {plain(shown.split)}")
