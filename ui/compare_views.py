"""The AAE vs VAE page's parts: the prior (from the link or the control), one checkpoint
per family, the measured codes (cached per checkpoint), the packing panels, the numbers
and the decoded lattices (paper §2.1 and Fig. 2: the AAE fills the prior, the VAE leaves
gaps; docs/ARCHITECTURE.md, "Decisions and their measurements").

The families are aae_core.analysis.compare.FAMILIES; `chosen` maps family -> catalogue
entry and `ckpts` family -> opened checkpoint (only those that store held-out codes).

Speed (bench/compare_page.py): the packing panels (the codes, stored in the checkpoint) are
canvases (ui/packing.py) drawn before anything is measured; the page loads no chart library
and no data grid. The metrics of the stored codes are usually on the model card already
(compare.from_card: training measured them on the same codes by the same protocol);
otherwise (about 2.5 s per model on a busy 2-core machine, mostly the MMD and sliced
Wasserstein) they are measured once and kept on disk per checkpoint (ui/first_paint.py's
remember/recall, room METRICS_ROOM), so a server measures a checkpoint once, ever; and once
a page is drawn, the other prior's default models are measured in one background thread, so
switching the prior finds its numbers ready.
"""

from __future__ import annotations

import atexit
import threading

import numpy as np
import streamlit as st

from aae_core.analysis import compare, explore
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.priors import build_prior
from aae_core.store import catalog
from aae_core.store.catalog import Entry
from aae_core.store.checkpoints import Checkpoint, load_checkpoint
from ui import analysis_views as av
from ui import first_paint, packing, url_state
from ui.explore_views import class_names
from ui.figures import occupancy_svg, shared_bounds
from ui.loaders import cache_key, model_entries, open_checkpoint
from ui.plain_text import plain

# the gaussian of a checkpoint has its own std (the shipped ones: 10), so the label names none
PRIOR_LABELS = {"gaussian": "Gaussian N(0, σ²I)", "mixture": "Mixture of 10 Gaussians"}


@st.cache_data(max_entries=48, show_spinner=False)
def codes_for(name: str, key: tuple, sampled: bool) -> np.ndarray:
    """Held-out codes (N, d): the stored means, or one draw of q(z|x) per held-out image.
    `key` (folder, mtime) makes a retrained model count anew."""
    ckpt = open_checkpoint(name)
    if not sampled:
        return ckpt.codes.numpy()
    return compare.held_out_codes(ckpt.model, av.held_out_data(ckpt)[0].test_x, sample=True)


METRICS_ROOM = "compare-metrics-v1"  # bump when compare.measure's numbers change
_measuring: dict[str, threading.Event] = {}  # memo key -> set when its numbers are kept
_measuring_lock = threading.Lock()
_background: list[threading.Thread] = []  # at most one thread measuring ahead
_stopping = threading.Event()  # the process is exiting: measure nothing more


@atexit.register
def _finish_measuring_ahead() -> None:
    """Let a thread measuring ahead end before the interpreter does: torch work still
    running in a daemon thread at exit aborts the process ("terminate called ...")."""
    _stopping.set()
    for thread in _background:
        thread.join(timeout=60)


def _memo_key(name: str, family: str, sampled: bool, have_data: bool) -> str:
    """The numbers' name on disk: the checkpoint's folder (a name can come back elsewhere),
    its name, its family and what was measured."""
    folder = catalog.resolve(name)
    return f"{folder}|{name}|{family}|{'samples' if sampled else 'means'}|{int(have_data)}"


def _measure_now(ckpt: Checkpoint, name: str, family: str, codes: np.ndarray,
                 sampled: bool) -> compare.ModelMetrics:
    """The family's packing metrics on its held-out codes (N, d): the model card's when it
    holds this protocol's for the stored codes (compare.from_card: no measuring at all),
    else measured now (with the reconstruction error, measured now when the model card has
    none and the images are here)."""
    if not sampled and (card := compare.from_card(name, family, ckpt.card, len(codes),
                                                  ckpt.model.prior)) is not None:
        return card
    recon = None
    data, _ = av.held_out_data(ckpt)
    if data is not None and not isinstance(ckpt.card.get("metrics", {}).get("recon_bce"),
                                           (int, float)):
        recon = compare.reconstruction(ckpt.model, data.test_x)
    return compare.measure(name, family, codes, ckpt.model.prior,
                           card_metrics=ckpt.card.get("metrics"), recon=recon,
                           codes_kind="samples" if sampled else "means")


def _kept(memo: str) -> compare.ModelMetrics | None:
    record = first_paint.recall(memo, room=METRICS_ROOM)
    try:
        return None if record is None else compare.ModelMetrics.from_dict(record)
    except (KeyError, TypeError, ValueError):
        return None  # a damaged record is measured again


@st.cache_data(max_entries=48, show_spinner=False)
def measure(name: str, key: tuple, family: str, sampled: bool,
            have_data: bool) -> compare.ModelMetrics:
    """The family's metrics: kept on disk (or being measured ahead: waited for), else
    measured now and kept. `key` (folder, mtime) makes a retrained model count anew."""
    memo = _memo_key(name, family, sampled, have_data)
    with _measuring_lock:
        ahead = _measuring.get(memo)
    if ahead is not None:
        ahead.wait(timeout=300)
    if (kept := _kept(memo)) is not None:
        return kept
    with st.spinner("Measuring how the codes fill the prior (once per model)…"):
        result = _measure_now(open_checkpoint(name), name, family,
                              codes_for(name, key, sampled), sampled)
    first_paint.remember(memo, catalog.resolve(name), result.to_dict(), key[1],
                         room=METRICS_ROOM)
    return result


def measure_ahead(entries: list[Entry], have_data: bool) -> None:
    """Measure `entries` (family models not kept on disk yet) in one background thread, so
    a later page run finds their numbers ready. At most one such thread at a time; it opens
    its own copies of the models and never touches Streamlit."""
    keys = {_memo_key(e.name, e.config.model, False, have_data): e for e in entries}
    todo = {memo: e for memo, e in keys.items() if _kept(memo) is None}
    with _measuring_lock:
        if any(t.is_alive() for t in _background):
            return
        todo = {memo: e for memo, e in todo.items() if memo not in _measuring}
        if not todo:
            return
        events = {memo: threading.Event() for memo in todo}
        _measuring.update(events)
        thread = threading.Thread(target=_measure_in_background, args=(todo, events),
                                  name="compare-measure-ahead", daemon=True)
        _background[:] = [thread]
    thread.start()


def _measure_in_background(todo: dict[str, Entry],
                           events: dict[str, threading.Event]) -> None:
    for memo, e in todo.items():
        try:
            if _stopping.is_set():
                continue  # the page measures it when asked
            folder = catalog.resolve(e.name)
            ckpt = load_checkpoint(folder)
            if ckpt.codes is not None:
                result = _measure_now(ckpt, e.name, e.config.model, ckpt.codes.numpy(), False)
                first_paint.remember(memo, folder, result.to_dict(), room=METRICS_ROOM)
        except (AAEError, OSError, ValueError, RuntimeError):
            pass  # the page measures it when asked, and shows what went wrong there
        finally:
            with _measuring_lock:
                _measuring.pop(memo, None)
            events[memo].set()


def measure_other_prior(prior_name: str, have_data: bool) -> None:
    """After the page is drawn: measure ahead the models the other prior opens with."""
    for other in compare.COMPARE_PRIORS:
        if other != prior_name:
            cands = compare.candidates(model_entries(), other)
            measure_ahead([rows[0] for rows in cands.values() if rows], have_data)


def prior_picker() -> str:
    """The prior to compare on: ?prior= of a new link (a bad one is reported and leaves the
    URL), else the control's; written back to the URL."""
    link = url_state.PageLink("compare", ("prior",))
    if link.is_new():
        asked, problem = url_state.parse_prior(link.params(), compare.COMPARE_PRIORS)
        if asked is not None:
            st.session_state["cmp_prior"] = asked
        if problem:
            st.warning(f"Link: {plain(problem)}", icon=":material/link_off:")
            link.drop("prior")
    prior_name = st.segmented_control("Prior", list(compare.COMPARE_PRIORS), default="gaussian",
                                      required=True, key="cmp_prior",
                                      format_func=PRIOR_LABELS.get)
    link.write({"prior": prior_name})
    return prior_name


def checkpoint_pickers(prior_name: str, *, compact: bool = False) -> dict[str, Entry]:
    """One column per family: a checkpoint picker over those trained on `prior_name`
    (`compact`: no heading, the family in the picker's label; for one projector screen)."""
    cands = compare.candidates(model_entries(), prior_name)
    chosen = {}
    for family, col in zip(compare.FAMILIES, st.columns(len(compare.FAMILIES), gap="medium"),
                           strict=True):
        title = compare.FAMILIES[family]
        with col:
            if not compact:
                st.subheader(title)
            options = cands[family]
            if not options:
                st.info(f"No {title} checkpoint with the {prior_name} prior. Train one on the "
                        f"Train page (model `{family}`, prior `{prior_name}`).",
                        icon=":material/info:")
                continue
            by_name = {e.name: e for e in options}
            name = st.selectbox(f"{title} checkpoint" if compact else "Checkpoint",
                                list(by_name),
                                key=f"cmp_pick::{family}::{prior_name}",
                                format_func=lambda n, b=by_name: b[n].label,
                                disabled=len(options) == 1)
            chosen[family] = by_name[name]
    return chosen


def fairness_notes(chosen: dict[str, Entry]) -> None:
    """Warnings when more than the family differs, and the shared training budget."""
    for line in compare.comparability_warnings(list(chosen.values())):
        st.warning(plain(line) + " The comparison is fairest when only the family differs.",
                   icon=":material/warning:")
    if (budget := compare.shared_budget(list(chosen.values()))) and len(chosen) > 1:
        st.caption(plain(budget))


def open_chosen(chosen: dict[str, Entry]) -> dict[str, Checkpoint]:
    """The chosen checkpoints that open and store held-out codes (errors shown)."""
    ckpts = {}
    for family, entry in chosen.items():
        try:
            ckpts[family] = open_checkpoint(entry.name)
        except AAEError as exc:
            st.error(f"Cannot open {plain(entry.name)}: {plain(exc)}", icon=":material/warning:")
    ckpts = {f: c for f, c in ckpts.items() if c.codes is not None}
    if not ckpts:
        st.info("None of these checkpoints stores held-out codes, so there is nothing to "
                "compare.")
    return ckpts


def images_here(ckpts: dict[str, Checkpoint]) -> bool:
    """Whether every model's held-out images are on this machine."""
    return all(av.held_out_data(c)[0] is not None for c in ckpts.values())


def sampled_toggle(have_data: bool) -> bool:
    """Whether to use one draw of q(z|x) per digit (needs the held-out images)."""
    sampled = st.toggle(
        "Use one draw of q(z|x) per digit instead of its mean", key="cmp_sampled",
        disabled=not have_data,
        help="A VAE's aggregate posterior is the mixture of its q(z|x), not just their means. "
             "Needs the held-out images (AAE_DATA_DIR)." if have_data else
             "Needs the held-out images on this machine (set AAE_DATA_DIR).",
    )
    return bool(sampled) and have_data  # a toggle left on from when the images were here


def measured(chosen: dict[str, Entry], ckpts: dict[str, Checkpoint], sampled: bool,
             have_data: bool) -> dict[str, compare.ModelMetrics]:
    """Each family's metrics (cached per checkpoint and code kind)."""
    return {f: measure(chosen[f].name, cache_key(chosen[f].name), f, sampled, have_data)
            for f in ckpts}


@st.cache_data(max_entries=48, show_spinner=False)
def _panel(name: str, key: tuple, sampled: bool, title: str) -> dict:
    """A family's packing panel (its codes as the browser's payload), built once per
    checkpoint and code kind."""
    ckpt = open_checkpoint(name)
    return packing.slot(title, codes_for(name, key, sampled), ckpt.labels.numpy())


@st.cache_data(max_entries=16, show_spinner=False)
def _prior_density(name: str, key: tuple, bounds: tuple) -> dict:
    """The prior's density over `bounds` as the panels' background (the prior of `name`'s
    checkpoint; the compared models share it)."""
    _, _, dens = explore.prior_density(open_checkpoint(name).model.prior, bounds, n=96)
    return packing.density(dens)


def packing_panels(chosen: dict[str, Entry], ckpts: dict[str, Checkpoint],
                   sampled: bool, *, presenting: bool = False) -> None:
    """Each family's held-out codes over the prior's density, on shared axes: one canvas
    component (ui/packing.py), a slot per family, empty where the family has no model.
    Presenting: smaller, larger text, and fitted to the window's height."""
    prior = build_prior(next(iter(ckpts.values())).model.config.prior)
    keys = {f: cache_key(chosen[f].name) for f in ckpts}
    code_sets = {f: codes_for(chosen[f].name, keys[f], sampled) for f in ckpts}
    bounds = shared_bounds(prior.bounds(), code_sets.values())
    slots = [_panel(chosen[f].name, keys[f], sampled,
                    f"{compare.FAMILIES[f]} · {len(code_sets[f]):,} held-out codes")
             if f in ckpts else None for f in compare.FAMILIES]
    first = next(iter(ckpts))
    packing.packing_panels(key="cmp_panels", slots=slots, bounds=bounds,
                           class_names=class_names(ckpts[first]),
                           height=300 if presenting else 380, fit=presenting,
                           scale=1.2 if presenting else 1.0,
                           prior_density=_prior_density(chosen[first].name, keys[first],
                                                        bounds))
    with st.container(key="present_hide_panels_caption"):
        st.caption("Dots: held-out codes coloured by digit (click a digit below the panels to "
                   "hide or show its codes; point at a code to name it); grey bands: the "
                   "prior's density, darker lines its contours. Same axes in every panel (at "
                   "most 1.6 x the prior's range: codes farther out are off the panels, but "
                   "the metrics below count every code).")


def numbers(results: dict[str, compare.ModelMetrics], prior_name: str, *, table=None,
            bars=None, verdict_at=None) -> None:
    """The metrics table, the verdict against the paper's claim, and the occupancy bars
    (in the containers `table`, `bars` and `verdict_at` when given: when presenting, the
    verdict beside the prior's control and the rest side by side under the panels)."""
    with table or st.container():
        if verdict_at is None:
            st.subheader("Measured")
        # a static table: the numbers need no sorting, and a data grid is ~30 scripts for
        # the browser to load before the page is done (bench/compare_page.py)
        st.table(compare.metrics_table(list(results.values())), hide_index=True)
        verdict = compare.verdict(list(results.values()), prior_name)
        box = st.success if verdict.agrees else (st.info if verdict.agrees is None
                                                 else st.warning)
        with verdict_at or st.container():
            box(plain(verdict.text, limit=2000), icon=":material/straighten:")
        with st.container(key="present_hide_details"):
            for line in verdict.details:
                st.markdown(f"- {plain(line, limit=2000)}")
            sources = {compare.FAMILIES[f]: r.recon_source or "not known"
                       for f, r in results.items()}
            from_card = [compare.FAMILIES[f] for f, r in results.items()
                         if r.numbers_from == "card"]
            st.caption("Protocol: evaluate.prior_match on the held-out codes (at most 2,000 "
                       "of them for the MMD; 10,000 prior samples, seed 0)"
                       + (f"; {', '.join(from_card)}: read from the model card, where "
                          "training measured these codes by this protocol" if from_card else "")
                       + ". Reconstruction from: "
                       + ", ".join(f"{k} {plain(v)}" for k, v in sources.items())
                       + ". Lower is better except the emptiest component's share.")
    occ = {compare.FAMILIES[f]: np.asarray(r.occupancy) for f, r in results.items()
           if r.occupancy}
    if occ:
        with bars or st.container():
            with st.container(key="cmp_occupancy"):
                # markdown keeps inline SVG (st.html's sanitizer drops it); the SVG's text
                # is escaped (figures.occupancy_svg)
                st.markdown(occupancy_svg(occ), unsafe_allow_html=True)
            st.caption("Share of held-out codes nearest to each mixture component; the "
                       "dotted line is a perfectly even split.")


def lattices(ckpts: dict[str, Checkpoint], *, compact: bool = False) -> None:
    """What each decoder draws on an n x n lattice over the prior's range (`compact`: the
    lattices of the families shown, side by side in a narrow column, no slider)."""
    if compact:
        st.markdown("**What each decoder draws**")
    else:
        st.subheader("What each decoder draws over the prior's range")
    if compact:
        n = int(st.session_state.get("cmp_lattice", 12))
    else:
        n = st.slider("Lattice size (n x n)", 6, 20, 12, key="cmp_lattice")
    box = build_prior(next(iter(ckpts.values())).model.config.prior).bounds()
    families = [f for f in compare.FAMILIES if f in ckpts] if compact else list(
        compare.FAMILIES)
    for family, col in zip(families, st.columns(len(families), gap="small"), strict=True):
        if family not in ckpts:
            continue
        images = explore.decode_lattice(ckpts[family].model, box, n)
        # compact: 230 px each, or their column's width when three share it (the projector's
        # narrow column would not hold three)
        col.image(to_png_bytes(tile(images, cols=n, pad=0), scale=1),
                  width=230 if compact and len(families) < 3 else "stretch",
                  caption=f"{compare.FAMILIES[family]}: z over x, y in "
                          f"{box[0]:.1f}..{box[1]:.1f}")
    if not compact:
        st.caption("Where a model's codes leave gaps, its decoder was never trained: lattice "
                   "cells there tend to be blurry or in-between digits.")
