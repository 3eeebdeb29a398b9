"""The Train page's views: settings forms, the live progress panel and the runs table.

Training itself runs in the run service (aae_core/training/runs.py; ui.run_service holds
this server's one); these functions only read a run's Progress snapshot and call the
service. Buttons act through callbacks, so the page redraws with the new state at once.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aae_core.data import DATASET_NAMES
from aae_core.errors import AAEError
from aae_core.images import tile, to_png_bytes
from aae_core.models import MODELS
from aae_core.nets import ENCODER_KINDS
from aae_core.store import catalog
from aae_core.store.checkpoints import epochs_done
from aae_core.training import remote
from aae_core.training.runs import ServerRun
from aae_core.training.train import Progress, RunState
from ui import train_settings as ts
from ui.figures import latent_scatter, loss_curves
from ui.plain_text import plain
from ui.run_service import SERVICE

if TYPE_CHECKING:
    import plotly.graph_objects as go

POLL_S = 1.0  # the status line's refresh interval while a run is active
CHARTS_EVERY_S = 5.0  # the charts' (latent map, losses, samples) refresh interval
EXPLORE_PAGE = "pages/1_Explore.py"

#: How a state reads on the page (a state not named here reads as its own name).
STATE_WORDS = {RunState.RUNNING: "training"}
LIVE = (RunState.RUNNING, RunState.STARTING, RunState.PAUSED)


# --- who is looking ------------------------------------------------------------------------
@st.cache_resource(scope="session", on_release=SERVICE.release, show_spinner=False)
def _session_marker(owner: str) -> str:
    """Populated once per connected session; released (-> service.release) when the tab
    closes, so that tab's runs can be adopted by whoever reopens the page."""
    SERVICE.attach(owner)
    return owner


def owner_token() -> str:
    """This browser session's opaque owner id (kept in its session state)."""
    owner = st.session_state.setdefault("train_owner", uuid.uuid4().hex)
    _session_marker(owner)
    return owner


def watched_run(owner: str) -> ServerRun | None:
    """The run shown: the one picked in 'Watch', else yours, else the newest active one."""
    name = st.session_state.get("train_view")
    run = SERVICE.find(name) if name else None
    if run is None:
        run = SERVICE.get(owner) or next((r for r in SERVICE.runs() if r.alive), None)
    return run


def _flash(kind: str, message: str, details: str = "") -> None:
    st.session_state.train_flash = (kind, message, details)


def show_flash() -> None:
    """The outcome of the last Start/Continue press (shown once)."""
    kind, message, details = st.session_state.pop("train_flash", (None, "", ""))
    if kind == "error":
        st.error(message, icon="⚠️")  # built from plain() pieces; details go to the console
        if details:
            print(details, file=sys.stderr)
    elif kind == "success":
        st.success(message, icon="✅")


def _start(owner: str, starter) -> None:
    """Run `starter()` (which returns a ServerRun); report the outcome."""
    try:
        run = starter()
    except AAEError as exc:
        _flash("error", f"Not started: {plain(exc)}")
        return
    except Exception as exc:  # a bug: one line here, its traceback on the server's console
        _flash("error", f"Not started: {type(exc).__name__}: {plain(exc)}",
               "".join(traceback.format_exception(exc)))
        return
    st.session_state.train_view = run.name
    if run.queued:
        _flash("success", f"Queued **{run.name}**: {run.queue_position} in the queue; it starts "
                          "by itself when a place frees up, even if you close this tab.")
    else:
        _flash("success", f"Started **{run.name}**. It keeps training if you close this tab.")


# --- the cluster -------------------------------------------------------------------------
def _retry_cluster() -> None:
    try:
        address = remote.retry_connection()
    except AAEError as exc:
        _flash("error", f"Still not connected: {plain(exc)}")
        return
    _flash("success", f"Connected to the Ray cluster at {plain(address)}; runs train there.")


def cluster_status() -> None:
    """When the Ray cluster runs are sent to could not be reached: why (said once, then
    not tried again) and a button that tries again."""
    problem = remote.connection_problem()
    if problem:
        st.warning(f"Runs cannot start: {plain(problem)}", icon="🔌")
        st.button("Retry the cluster connection", icon=":material/refresh:",
                  on_click=_retry_cluster, key="tr_retry_cluster")


# --- settings ----------------------------------------------------------------------------
def _reset_if_invalid(key: str, options) -> None:
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def _suggest_name() -> None:
    """A free name for the chosen model, unless the user typed their own."""
    s = st.session_state
    if s.get("tr_name") in (None, "", s.get("tr_name_suggested")):
        s.tr_name = s.tr_name_suggested = SERVICE.suggest_name(s.get("train_model", "aae"))


def _start_new(owner: str) -> None:
    s = st.session_state
    model = s.train_model

    def starter():
        model_cfg, train_cfg = ts.build_configs(
            model=model, prior=s.tr_prior, encoder=s.get("tr_encoder", "deterministic"),
            dataset=s.tr_dataset, latent_dim=s.tr_latent, hidden=s.tr_hidden,
            epochs=s.tr_epochs, batch_size=s.tr_batch, lr=s.tr_lr,
            lr_adv=s.get("tr_lr_adv"), input_noise=s.get("tr_input_noise"),
            labels=s.get("tr_labels", -1), seed=s.tr_seed, prior_std=s.get("tr_prior_std"))
        return SERVICE.start(owner, model_cfg, train_cfg, s.tr_name)

    _start(owner, starter)
    if s.train_flash[0] == "success":
        s.tr_name = ""
        _suggest_name()


def _model_defaults() -> None:
    """The model changed: its own defaults (the command line's, aae_core/settings.py) fill
    the form's fields."""
    st.session_state.update(ts.form_defaults(st.session_state.train_model))


def new_run_form(owner: str) -> None:
    """Model outside the form (it decides which fields exist and their first values); the
    rest inside it."""
    s = st.session_state
    model = st.selectbox("Model", list(MODELS), key="train_model", on_change=_model_defaults,
                         help="Each model family of the paper, plus a VAE and two WAEs.")
    for key, value in ts.form_defaults(model).items():
        s.setdefault(key, value)
    _suggest_name()
    st.caption(MODELS[model].description)
    priors = MODELS[model].supported_priors
    _reset_if_invalid("tr_prior", priors)
    local = ts.local_datasets()
    s.setdefault("tr_dataset", ts.default_dataset())
    with st.form("new_run", border=False):
        st.selectbox("Prior p(z)", priors, key="tr_prior",
                     help="Only the priors this model supports.")
        if ts.uses_encoder_choice(model):
            st.selectbox("Encoder", ENCODER_KINDS, key="tr_encoder",
                         help="deterministic z = f(x); gaussian z = mu + sigma * eps; "
                              "universal z = f(x, noise).")
        st.selectbox("Dataset", DATASET_NAMES, key="tr_dataset",
                     format_func=lambda n: ts.dataset_label(n, local))
        fields = [
            (st.text_input, "Prior spread", dict(key="tr_prior_std", placeholder="the prior's own",
             help="The prior's scale: the gaussian's std, the mixture's std across its "
                  f"circle (--prior-std). Blank: the prior's own ({ts.OWN_SPREADS}). It "
                  "matters: the shipped gaussian models use 10, which kept the 2-D digits "
                  "apart better (RESULTS.md, \"The prior's scale\").")),
            (st.number_input, "Latent size", dict(step=1, key="tr_latent",
             help="2 draws the map directly; more dims are shown by dims 0 and 1.")),
            (st.text_input, "Hidden sizes", dict(key="tr_hidden",
             help="Encoder, decoder and discriminator layers, e.g. 256,256.")),
            (st.number_input, "Epochs", dict(step=1, key="tr_epochs")),
            (st.number_input, "Batch size", dict(step=10, key="tr_batch")),
            (st.text_input, "Learning rate", dict(key="tr_lr",
             help="Adam, reconstruction (autoencoder) phase.")),
        ]
        if ts.uses_adversary(model):
            fields.append((st.text_input, "Adversarial lr", dict(key="tr_lr_adv",
                           help="Adam, the regularization phase: the discriminator, and "
                                "the generator where it has an Adam of its own (a 2-D aae "
                                "steps its generator with the autoencoder's Adam, weighed "
                                "against the reconstruction).")))
        if ts.uses_input_noise(model):
            fields.append((st.text_input, "Input noise", dict(key="tr_input_noise",
                           help="Std of noise on the encoder's input while training: the "
                                "model learns to rebuild the clean digit (0.3 lowered the "
                                "semi-supervised error on mnist-10k; RESULTS.md).")))
        if ts.uses_labels(model):
            fields.append((st.number_input, "Labels", dict(step=100, key="tr_labels",
                           help="Labelled training images: -1 all, 0 none, N = N "
                                "(class-balanced).")))
        fields.append((st.number_input, "Seed", dict(step=1, key="tr_seed")))
        columns = st.columns(2)
        for i, (widget, label, kwargs) in enumerate(fields):  # two columns, filled in turn
            with columns[i % 2]:
                widget(label, **kwargs)
        st.text_input("Run name", key="tr_name",
                      help="The checkpoint's folder name: letters, digits, '.', '_', '-'.")
        st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:",
                              on_click=_start_new, args=(owner,), width="stretch")


def _start_further(owner: str) -> None:
    s = st.session_state
    _start(owner, lambda: SERVICE.continue_run(
        owner, s.tf_ckpt, ts.whole(s.tf_more, "more epochs"),
        name=(s.tf_name or "").strip() or None))


def further_form(owner: str) -> None:
    """Continue one of the user's saved runs (runs_dir) for more epochs."""
    mine = {e.path.name: e for e in catalog.entries() if e.source == "runs" and e.config}
    if not mine:
        st.caption("Nothing to continue yet: models you train here are saved, and show up "
                   "in this list.")
        return

    def label(name: str) -> str:  # stable text: a label that changes confuses the widget
        return f"{name} — {mine[name].config.model}, {mine[name].config.prior.name}"

    _reset_if_invalid("tf_ckpt", list(mine))
    with st.form("further", border=False):
        pick = st.selectbox("Saved model", list(mine), key="tf_ckpt", format_func=label)
        try:
            st.caption(f"{epochs_done(mine[pick].path)} epochs done so far "
                       f"(on {plain(mine[pick].train.dataset)}).")
        except AAEError as exc:
            st.caption(plain(exc))
        st.number_input("More epochs", value=5, step=1, key="tf_more")
        st.text_input("Save as", key="tf_name", placeholder="same name (continue in place)",
                      help="Leave empty to continue the checkpoint in place.")
        st.form_submit_button("Continue training", icon=":material/fast_forward:",
                              on_click=_start_further, args=(owner,), width="stretch")


def _delete_saved() -> None:
    s = st.session_state
    name = s.get("td_pick")
    if not s.get("td_sure"):
        _flash("error", "Not deleted: tick the box to confirm that it goes for good.")
        return
    try:
        freed = SERVICE.delete_saved(name)
    except AAEError as exc:
        _flash("error", f"Not deleted: {plain(exc)}")
        return
    s.td_sure = False
    _flash("success", f"Deleted **runs/{plain(name)}** ({freed / 2**20:.1f} MB freed).")


def saved_runs_form() -> None:
    """How full the runs folder is, and deleting a run this app trained (after a tick)."""
    used, quota = SERVICE.usage()
    st.caption(f"runs/ holds {used / 2**20:,.1f} MB of its {quota / 2**20:,.0f} MB quota "
               f"({100 * used / quota:.0f} %).")
    busy = {r.name for r in SERVICE.runs() if r.alive}
    mine = [e.path.name for e in catalog.app_runs() if e.path.name not in busy]
    if not mine:
        st.caption("No saved run of this app to delete (runs still training, command-line "
                   "runs and the shipped models are never offered).")
        return
    _reset_if_invalid("td_pick", mine)
    with st.form("delete_saved", border=False):
        pick = st.selectbox("Saved run", mine, key="td_pick",
                            help="Only runs trained on this page; the shipped models and "
                                 "runs from the command line are never offered.")
        st.checkbox("Delete the chosen run for good", key="td_sure",
                    help=f"Removes runs/{pick}: its weights, card and codes.")
        st.form_submit_button("Delete", icon=":material/delete:", on_click=_delete_saved,
                              width="stretch")


# --- progress ----------------------------------------------------------------------------
def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "…"
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def fraction_done(run: ServerRun, p: Progress) -> float:
    """Share of all epochs done (a resumed run starts part-way)."""
    if p.state == RunState.FINISHED or not p.epochs:
        return 1.0
    within = p.step / p.total_steps if p.total_steps else 0.0
    return min(1.0, (run.start_epoch + (p.epochs - run.start_epoch) * within) / p.epochs)


def progress_text(run: ServerRun, p: Progress) -> str:
    """One line: where the run is, how fast and how long it has left."""
    if run.queued:
        watched = SERVICE.watch_count()
        live = f" and {watched} watched live" if watched else ""
        return (f"Waiting in the queue: {run.queue_position} of {SERVICE.queued_count()} · "
                f"{SERVICE.active_count()} training{live} (the limit is {SERVICE.max_runs()})")
    if p.state in LIVE:
        paused = p.state == RunState.PAUSED
        word = "Stopping (saving where it got to) in" if run.stopping else \
            ("Paused in" if paused else "Pausing in" if run.pausing else "Training")
        parts = [f"{word} epoch {min(p.epoch + 1, p.epochs)}/{p.epochs}",
                 f"step {p.step:,}/{p.total_steps:,}"]
        if p.images_per_s and not paused:  # paused: the worker zeroed it; show no rate
            parts.append(f"{p.images_per_s:,.0f} images/s")
            if p.state == RunState.RUNNING and not run.stopping:
                parts.append(f"about {_duration(p.eta_s)} left")
        return " · ".join(parts)
    return f"{STATE_WORDS.get(p.state, p.state).capitalize()} after {p.epoch}/{p.epochs} " \
           f"epochs · {p.step:,} steps · {_duration(p.elapsed_s)}"


def _pause(owner, name):
    _act(SERVICE.pause, owner, name)


def _resume(owner, name):
    _act(SERVICE.resume, owner, name)


def _stop(owner, name):
    _act(lambda o, n: SERVICE.stop(o, n, timeout=0), owner, name)


def _adopt(owner, name):
    _act(SERVICE.adopt, owner, name)


def _act(action, owner, name):
    try:
        action(owner, name)
    except AAEError as exc:
        st.session_state.train_control_error = str(exc)


def controls(owner: str, run: ServerRun, p: Progress) -> None:
    """Pause/Resume and Stop for the owner; Take over for a run whose tab was closed."""
    if not run.alive:
        return
    error = st.session_state.pop("train_control_error", None)
    if error:
        st.error(plain(error), icon="⚠️")
    a, b, c = st.columns([1, 1, 3])
    if run.owner == owner and run.queued:
        a.button("Leave the queue", icon=":material/close:", on_click=_stop,
                 args=(owner, run.name), key="tr_leave", width="stretch")
    elif run.owner == owner:
        if p.state == RunState.PAUSED or run.pausing:
            a.button("Resume", icon=":material/play_arrow:", on_click=_resume,
                     args=(owner, run.name), width="stretch", key="tr_resume")
        else:
            a.button("Pause", icon=":material/pause:", on_click=_pause, args=(owner, run.name),
                     width="stretch", disabled=run.stopping, key="tr_pause")
        b.button("Stop", icon=":material/stop:", on_click=_stop, args=(owner, run.name),
                 width="stretch", disabled=run.stopping, key="tr_stop",
                 help="Stops after the current step and saves a checkpoint of where it got to.")
    elif not run.owner_present:
        a.button("Take over", icon=":material/pan_tool:", on_click=_adopt, args=(owner, run.name),
                 key="tr_adopt", help="Its tab was closed: take its controls.")
        c.caption("The tab that started this run was closed; it keeps training. "
                  "Take over to pause or stop it.")
    else:
        c.caption("Started in another tab: you can watch it; only that tab can pause or stop it.")


def outcome(owner: str | None, run: ServerRun, p: Progress) -> None:
    """What became of a finished run, with where its checkpoint is."""
    saved = f"runs/{run.name}"
    if p.state == RunState.FINISHED:
        st.success(f"Finished: saved as **{saved}**. It is in every model picker now.",
                   icon="✅")
    elif p.state == RunState.STOPPED:
        if p.checkpoint:
            st.info(f"Stopped after {p.step:,} steps; saved where it got to as **{saved}** "
                    "(Train further continues it).", icon="⏹️")
        else:
            st.info("Stopped before the first step: nothing was saved.", icon="⏹️")
    elif p.state == RunState.DIVERGED:
        st.error(f"Training diverged. {plain(p.message)}", icon="⚠️")
    elif p.state == RunState.FAILED:
        st.error(f"Training failed: {plain(p.message)}", icon="⚠️")
    saved_any = p.state in (RunState.FINISHED, RunState.STOPPED, RunState.DIVERGED)
    if saved_any and p.checkpoint and run.owner == owner:
        st.page_link(EXPLORE_PAGE, label=f"Explore {saved}", icon="🔭",
                     query_params={"model": saved})  # the link makes it the model in view


def _map(run: ServerRun, p: Progress):
    codes = np.asarray(p.codes, dtype=np.float32)
    if codes.shape[1] == 1:  # a 1-D code: spread it along x
        codes = np.concatenate([codes, np.zeros_like(codes)], axis=1)
    bounds = run.map_bounds(codes)
    dims = "" if run.model_config.latent_dim <= 2 else \
        f" (dims 0, 1 of {run.model_config.latent_dim})"
    return latent_scatter(codes[:, :2], p.code_labels, p.class_names, bounds,
                          title=f"Held-out codes{dims}", height=420, marker_size=3,
                          webgl=False)


@dataclass(frozen=True)
class ChartParts:
    """A run's charts as of one Progress, built: the latent map and the loss curves
    (plotly figures, None until there is something to draw) and the decoded samples (PNG).
    Never changed after they are built (a shared run's viewers are handed the same)."""

    latent_map: go.Figure | None
    losses: go.Figure | None
    samples_png: bytes | None


def chart_parts(run: ServerRun, p: Progress) -> ChartParts:
    losses = None
    if p.history_steps:
        losses = loss_curves(p.history_steps, p.history, height=300)
        losses.update_yaxes(dtick=1)  # log axis: label the powers of ten only
    return ChartParts(
        latent_map=_map(run, p) if p.codes is not None else None, losses=losses,
        samples_png=to_png_bytes(tile(p.samples, cols=8), scale=3)
        if p.samples is not None else None)


def show_charts(run: ServerRun, parts: ChartParts) -> None:
    """Loss curves, the live latent map and decoded prior samples."""
    left, right = st.columns([3, 2], gap="medium")
    with left:
        if parts.latent_map is not None:
            st.plotly_chart(parts.latent_map, key=f"tr_map::{run.name}",
                            config={"displaylogo": False})
        else:
            st.caption("The latent map appears after the first steps.")
    with right:
        st.markdown("**Losses** (log scale)")
        if parts.losses is not None:
            st.plotly_chart(parts.losses, key=f"tr_loss::{run.name}",
                            config={"displaylogo": False})
        else:
            st.caption("Waiting for the first logged steps…")
        if parts.samples_png is not None:
            st.image(parts.samples_png, caption="Decoded prior samples (the same z throughout)")


def charts(run: ServerRun, p: Progress) -> None:
    show_charts(run, chart_parts(run, p))


def header(owner: str | None, run: ServerRun) -> None:
    """The run's name and settings; `owner`: the tab looking (None: a viewer of a shared
    run, who is told whose it is)."""
    c = run.model_config
    st.subheader(run.name, anchor=False)
    bits = [c.model, f"{c.prior.name} prior", f"{c.latent_dim}-D", run.train_config.dataset,
            f"hidden {','.join(map(str, c.hidden))}", f"batch {run.train_config.batch_size}",
            f"owner: {run.owner_label(owner)}" if owner else "shared by the lecturer"]
    if run.resumed_from:
        bits.append(f"continued from {run.resumed_from} (epoch {run.start_epoch})")
    st.caption(" · ".join(plain(bit) for bit in bits))


def progress_panel(owner: str, run: ServerRun, *, present: bool = False):
    """The run's live panel: two fragments that refresh while it trains, the status line
    every POLL_S and the charts every CHARTS_EVERY_S (unless switched off). Chart redraws
    cost the browser far more than the server (measured: a 3 s refresh took ~0.4 of a
    core in headless chromium, the status line alone ~0.05), and on a 2-core machine
    that is taken from the training. `present`: the status beside the charts, not above
    them, so both fit one projector screen. Returns a slot under the status line (for the
    owner's share popover, ui/train_share.py)."""
    polling = run.alive
    live = polling and st.session_state.get("tr_live", True)

    @st.fragment(run_every=POLL_S if polling else None)
    def status() -> None:
        status_parts(owner, run, run.progress())
        if polling and not run.alive:
            st.rerun()  # done: redraw the whole page once (charts, forms), then stop polling

    @st.fragment(run_every=CHARTS_EVERY_S if live else None)
    def live_charts() -> None:
        charts(run, run.progress())

    left, right = st.columns([1, 2], gap="large") if present else (st.container(),) * 2
    with left:
        status()
        if polling:
            st.toggle(f"Refresh the charts every {CHARTS_EVERY_S:.0f} s", value=True,
                      key="tr_live", help="Redrawing the charts costs the browser and the "
                      "server some CPU; on a small machine, turning this off lets the run "
                      "train faster.")
        share_slot = st.container()  # the owner's share popover (ui/train_share.py)
    with right:
        live_charts()
    with st.container(key="present_hide_runs"):  # not a lecture's: hidden when presenting
        runs_table(owner)  # redrawn on full reruns only (a live grid costs the browser)
    return share_slot


def status_parts(owner: str | None, run: ServerRun, p: Progress) -> None:
    """The header, the progress line, the controls (for `owner`; a viewer, None, gets
    none) and what became of the run."""
    header(owner, run)
    st.progress(fraction_done(run, p), text=progress_text(run, p))
    if owner is not None:
        controls(owner, run, p)
    outcome(owner, run, p)


def runs_table(owner: str) -> None:
    runs = SERVICE.runs()
    if not runs:
        return
    rows = []
    for r in runs:
        p = r.progress()
        rows.append({"run": r.name, "model": r.model_config.model,
                     "prior": r.model_config.prior.name, "dataset": r.train_config.dataset,
                     "state": str(STATE_WORDS.get(p.state, p.state)),
                     "epoch": f"{p.epoch}/{p.epochs}", "owner": r.owner_label(owner),
                     "started": time.strftime("%H:%M:%S", time.localtime(r.started_at))})
    with st.expander(f"All runs on this server ({len(rows)}; {SERVICE.active_count()} "
                     f"training, {SERVICE.queued_count()} queued, limit {SERVICE.max_runs()})"):
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(f"As of {time.strftime('%H:%M:%S')}; any run can be watched with "
                   "'Watch run' above.")
        st.button("Refresh", key="tr_refresh_runs", icon=":material/refresh:")


def watch_picker(owner: str, current: ServerRun | None) -> ServerRun | None:
    """Choose which run to watch (any run on the server can be watched)."""
    runs = SERVICE.runs()
    if len(runs) < 2:
        return current
    names = [r.name for r in runs]
    if st.session_state.get("train_view") not in names:
        st.session_state.train_view = current.name if current else names[0]
    by_name = {r.name: r for r in runs}

    def label(name: str) -> str:  # stable text (states are in the table below)
        return f"{name} — {by_name[name].model_config.model}"

    name = st.selectbox("Watch run", names, key="train_view", format_func=label)
    return by_name[name]
