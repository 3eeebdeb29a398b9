"""AAE vs VAE (and WAE-MMD) on the same prior: who fills it? Shown and measured
(paper Fig. 2; SPEC 7, 8)."""

import numpy as np
import streamlit as st

from aae_core.analysis import compare, explore
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.priors import build_prior
from ui import analysis_views as av
from ui import url_state
from ui.explore_views import class_names
from ui.figures import occupancy_figure, packing_figure, shared_bounds
from ui.loaders import cache_key, model_entries, open_checkpoint
from ui.nav import sidebar_nav
from ui.plain_text import plain

st.set_page_config(page_title="AAE vs VAE · AAE Latent Explorer", page_icon="⚖️", layout="wide")
sidebar_nav()
st.title("AAE vs VAE: who fills the prior?")
st.markdown(
    "Both models push their codes towards a prior p(z) you choose, but in different ways. "
    "A **VAE** adds a KL term *for every example*: each q(z|x) is pulled towards the prior, "
    "so codes crowd where the prior is densest and codes of unlike digits overlap. An **AAE** "
    "lets a discriminator compare the *aggregate* q(z) — all codes together — with samples "
    "of the prior, so the cloud of codes as a whole is pushed to take the prior's shape. "
    "A **WAE-MMD** also matches the aggregate q(z), with a kernel distance (MMD) instead of "
    "a discriminator. The paper's claim: with the same prior, the AAE fills it, the VAE "
    "leaves gaps. Below, the same held-out digits, the same axes, the same metrics."
)

asked_prior, problem = url_state.parse_prior(st.query_params, compare.COMPARE_PRIORS)
if st.query_params.get("prior") != st.session_state.get("_cmp_prior_seen"):  # a new link
    st.session_state["_cmp_prior_seen"] = st.query_params.get("prior")
    if asked_prior is not None:
        st.session_state["cmp_prior"] = asked_prior
    if problem:
        st.warning(f"Link: {plain(problem)}", icon=":material/link_off:")
        del st.query_params["prior"]
prior_name = st.segmented_control(
    "Prior", list(compare.COMPARE_PRIORS), default="gaussian", required=True, key="cmp_prior",
    format_func={"gaussian": "Gaussian N(0, I)", "mixture": "Mixture of 10 Gaussians"}.get,
)
st.query_params["prior"] = st.session_state["_cmp_prior_seen"] = prior_name
cands = compare.candidates(model_entries(), prior_name)
chosen = {}
pick_cols = st.columns(len(compare.FAMILIES), gap="medium")
for family, col in zip(compare.FAMILIES, pick_cols, strict=True):
    title = compare.FAMILIES[family]
    with col:
        st.subheader(title)
        options = cands[family]
        if not options:
            st.info(f"No {title} checkpoint with the {prior_name} prior. Train one on the "
                    f"Train page (model `{family}`, prior `{prior_name}`).", icon=":material/info:")
            continue
        by_name = {e.name: e for e in options}
        name = st.selectbox("Checkpoint", list(by_name), key=f"cmp_pick::{family}::{prior_name}",
                            format_func=lambda n, b=by_name: b[n].label,
                            disabled=len(options) == 1)
        chosen[family] = by_name[name]

if not chosen:
    st.stop()
for line in compare.comparability_warnings(list(chosen.values())):
    st.warning(plain(line) + " The comparison is fairest when only the family differs.",
               icon=":material/warning:")
if (budget := compare.shared_budget(list(chosen.values()))) and len(chosen) > 1:
    st.caption(plain(budget))


@st.cache_data(max_entries=48, show_spinner=False)
def codes_for(name: str, key: tuple, sampled: bool) -> np.ndarray:
    """Held-out codes (N, d): the stored means, or one draw of q(z|x) per held-out image.
    `key` (folder, mtime) makes a retrained model count anew."""
    ckpt = open_checkpoint(name)
    if not sampled:
        return ckpt.codes.numpy()
    return compare.held_out_codes(ckpt.model, av.held_out_data(ckpt)[0].test_x, sample=True)


@st.cache_data(max_entries=48, show_spinner="Measuring how the codes fill the prior…")
def measure(name: str, key: tuple, family: str, sampled: bool,
            have_data: bool) -> compare.ModelMetrics:
    ckpt = open_checkpoint(name)
    recon = None
    data, _ = av.held_out_data(ckpt)
    if data is not None and not isinstance(ckpt.card.get("metrics", {}).get("recon_bce"),
                                           (int, float)):
        recon = compare.reconstruction(ckpt.model, data.test_x)
    return compare.measure(name, family, codes_for(name, key, sampled), ckpt.model.prior,
                           card_metrics=ckpt.card.get("metrics"), recon=recon,
                           codes_kind="samples" if sampled else "means")


ckpts = {}
for family, entry in chosen.items():
    try:
        ckpts[family] = open_checkpoint(entry.name)
    except AAEError as exc:
        st.error(f"Cannot open {plain(entry.name)}: {plain(exc)}", icon=":material/warning:")
ckpts = {f: c for f, c in ckpts.items() if c.codes is not None}
if not ckpts:
    st.info("None of these checkpoints stores held-out codes, so there is nothing to compare.")
    st.stop()

have_data = all(av.held_out_data(c)[0] is not None for c in ckpts.values())
sampled = st.toggle(
    "Use one draw of q(z|x) per digit instead of its mean", key="cmp_sampled",
    disabled=not have_data,
    help="A VAE's aggregate posterior is the mixture of its q(z|x), not just their means. "
         "Needs the held-out images (AAE_DATA_DIR)." if have_data else
         "Needs the held-out images on this machine (set AAE_DATA_DIR).",
)
sampled = bool(sampled) and have_data  # a toggle left on from when the images were here
keys = {f: cache_key(chosen[f].name) for f in ckpts}
results = {f: measure(chosen[f].name, keys[f], f, sampled, have_data) for f in ckpts}

# ---------------------------------------------------------------- the pictures
prior = build_prior(next(iter(ckpts.values())).model.config.prior)
code_sets = {f: codes_for(chosen[f].name, keys[f], sampled) for f in ckpts}
bounds = shared_bounds(prior.bounds(), code_sets.values())
fig_cols = st.columns(len(compare.FAMILIES), gap="medium")
for family, col in zip(compare.FAMILIES, fig_cols, strict=True):
    if family not in ckpts:
        continue
    c = ckpts[family]
    codes = code_sets[family]
    fig = packing_figure(codes[:, :2], c.labels.numpy(), class_names(c), c.model.prior, bounds,
                         title=f"{compare.FAMILIES[family]} · {len(codes):,} held-out codes",
                         height=380)
    col.plotly_chart(fig, key=f"cmp_fig::{family}", config={"displaylogo": False})
st.caption("Dots: held-out codes coloured by digit; grey lines: the prior's density contours. "
           "Same axes in every panel (at most 1.6 x the prior's range: codes farther out are "
           "off the panels, but the metrics below count every code).")

# ---------------------------------------------------------------- the numbers
st.subheader("Measured")
rows = compare.metrics_table(list(results.values()))
st.dataframe(rows, hide_index=True, width="stretch")
verdict = compare.verdict(list(results.values()), prior_name)
box = st.success if verdict.agrees else (st.info if verdict.agrees is None else st.warning)
box(plain(verdict.text, limit=2000), icon=":material/straighten:")
for line in verdict.details:
    st.markdown(f"- {plain(line, limit=2000)}")
sources = {compare.FAMILIES[f]: r.recon_source or "not known" for f, r in results.items()}
st.caption("Protocol: evaluate.prior_match on the held-out codes (2,000 codes vs 10,000 prior "
           "samples, seed 0). Reconstruction from: "
           + ", ".join(f"{k} {plain(v)}" for k, v in sources.items())
           + ". Lower is better except the emptiest component's share.")
occ = {compare.FAMILIES[f]: np.asarray(r.occupancy) for f, r in results.items() if r.occupancy}
if occ:
    st.plotly_chart(occupancy_figure(occ), key="cmp_occupancy", config={"displaylogo": False})
    st.caption("Share of held-out codes nearest to each mixture component; the dotted line is "
               "a perfectly even split.")

# ---------------------------------------------------------------- decoded lattices
st.subheader("What each decoder draws over the prior's range")
n = st.slider("Lattice size (n x n)", 6, 20, 12, key="cmp_lattice")
lat_cols = st.columns(len(compare.FAMILIES), gap="medium")
box_prior = prior.bounds()
for family, col in zip(compare.FAMILIES, lat_cols, strict=True):
    if family not in ckpts:
        continue
    images = explore.decode_lattice(ckpts[family].model, box_prior, n)
    col.image(to_png_bytes(tile(images, cols=n, pad=0), scale=1), width="stretch",
              caption=f"{compare.FAMILIES[family]}: z over x, y in "
                      f"{box_prior[0]:.1f}..{box_prior[1]:.1f}")
st.caption("Where a model's codes leave gaps, its decoder was never trained: lattice cells "
           "there tend to be blurry or in-between digits.")
