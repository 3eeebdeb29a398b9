"""Build the take-home page: one HTML file that needs no server and no network.

The file holds, inline: the pad's browser code (aae_core/web/pad/assets.JS, the very module the
Explore page mounts) and its CSS, the Watch component's code (aae_core/web/watch/assets.JS) for the
replay, this folder's page.js / replay.js / page.css, and two JSON blocks:
  th-data    {"decoder", "points", "density", "classes", "bounds", "z", "ends", "pool",
              "cond_dim", "labels", "title"}: the same payloads the pad gets on Explore
              (aae_core/web/pad/payload.py), the marker's start and the interpolation's ends
              (the most typical 1 and 7, as Explore), prior samples drawn in Python by the
              model's own prior (the page's Sample button decodes them in the browser)
  th-replay  a Watch recording (aae_core/watch/recording.py), thinned to fit, or null
Text from the checkpoint (its name, card fields) goes into the HTML through html.escape
and into JSON with <, > and & escaped, so it stays text. A Content-Security-Policy
forbids every fetch: the page works from disk and cannot reach out.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aae_core.analysis import explore
from aae_core.analysis.parts import card_class_names
from aae_core.errors import ConfigError
from aae_core.images import PALETTE
from aae_core.store.checkpoints import Checkpoint
from aae_core.web.pad import assets as pad_assets
from aae_core.web.pad.payload import decoder_payload, density_payload, points_payload
from aae_core.web.watch import assets as watch_assets
from aae_core.words import with_article

HERE = Path(__file__).parent
# The whole file: a 2-D model of 2 x 256 units makes about 2.5 MB, the shipped 2 x 512 ones
# 3.9 MB before a replay's frames (thinned to fit: 10 of 40 frames of a 300-step run).
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_CODES = 10_000  # held-out codes drawn on the pad (evenly subsampled beyond): ~170 KB
POOL = 1024  # prior samples the Sample button draws from
REPLAY_FRAMES = 40  # timeline stops kept from a recording (fewer if the page would not fit)
CARD_FIELDS = ("dataset", "epochs", "seed")  # shown under the title, as text
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:")


@dataclass(frozen=True)
class TakeHomePage:
    html: str
    codes_shown: int
    replay_frames: int

    @property
    def nbytes(self) -> int:
        return len(self.html.encode("utf-8"))


def _json_block(obj) -> str:
    """JSON that cannot close its <script> element or open a comment."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _subsample(n: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` of n rows, evenly spread (deterministic)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def model_data(ckpt: Checkpoint, *, title: str, max_codes: int = MAX_CODES) -> dict:
    """The th-data block for a checkpoint (see the module's docstring)."""
    model = ckpt.model
    decoder = decoder_payload(model.decoder.layers(), latent_dim=model.latent_dim,
                              cond_dim=model.cond_dim)
    codes = labels = keep = None
    if ckpt.codes is not None and len(ckpt.codes):
        keep = _subsample(len(ckpt.codes), max_codes)  # held-out numbers of the codes shown
        codes, labels = ckpt.codes.numpy()[keep], ckpt.labels.numpy()[keep]
    bounds = explore.view_bounds(model, codes, (0, 1))
    names = card_class_names(ckpt.card, model.config.n_classes, labels)
    z, ends = [0.0] * model.latent_dim, None
    if codes is not None:  # as Explore: a typical code to start on, a typical 1 and 7
        z = codes[explore.typical_code(codes, labels, int(labels[0]))].tolist()
        ends = [codes[explore.typical_code(codes, labels, k)].tolist() for k in (1, 7)]
    density = None
    if model.latent_dim == 2 and model.prior.dim == 2:
        density = density_payload(explore.prior_density(model.prior, bounds, n=72)[2])
    with torch.no_grad():
        pool = model.prior.sample(POOL, generator=torch.Generator().manual_seed(0))
    return {
        "title": title, "decoder": decoder, "bounds": list(bounds), "z": z, "ends": ends,
        "points": None if codes is None else points_payload(codes[:, :2], labels, index=keep),
        "density": density, "cond_dim": model.cond_dim,
        "classes": [{"name": n, "color": PALETTE[k % len(PALETTE)]}
                    for k, n in enumerate(names)],
        "labels": names[: model.cond_dim], "pool": pool.numpy().round(4).tolist(),
    }


def replay_data(recording: dict | None, frames: int) -> dict | None:
    """The recording with at most `frames` packets (first and last kept), the VAE's view
    left out, and a packet's density and prior samples left out when they equal the
    packet before's (replay.js carries them over)."""
    if recording is None or frames < 2:
        return None
    packets = recording["packets"]
    keep = _subsample(len(packets), frames)
    out, before = [], {}
    for i in keep:
        view = dict(packets[i]["aae"])
        for key in ("density", "prior"):
            if view.get(key) == before.get(key):
                view.pop(key)
            else:
                before[key] = view[key]
        out.append({"step": packets[i]["step"], "losses": packets[i].get("losses", {}),
                    "aae": view})
    return {"dataset": recording.get("dataset"), "steps": recording.get("steps"),
            "meta": recording["meta"], "packets": out, "palette": list(PALETTE)}


def _card_line(ckpt: Checkpoint) -> str:
    cfg = ckpt.model.config
    parts = [f"{cfg.model} with {with_article(cfg.prior.name)} prior",
             f"{cfg.latent_dim}-D codes"]
    for key in CARD_FIELDS:
        if key in ckpt.card:
            parts.append(f"{key} {ckpt.card[key]}")
    return " · ".join(str(p) for p in parts)


def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _page(ckpt: Checkpoint, title: str, data: dict, replay: dict | None) -> str:
    template = _asset("page.html")
    fill = {
        "title": html.escape(title, quote=True),
        "card": html.escape(_card_line(ckpt), quote=True),
        "csp": html.escape(CSP, quote=False),  # our constant, in a "-quoted attribute
        "css": pad_assets.CSS + "\n" + watch_assets.CSS + "\n" + _asset("page.css"),
        "pad_html": pad_assets.HTML,
        "data": _json_block(data),
        "replay": _json_block(replay),
        "pad_js": pad_assets.JS + "\n// ---- take_home/page.js\n" + _asset("page.js"),
        "watch_js": watch_assets.JS + "\n// ---- take_home/replay.js\n" + _asset("replay.js"),
    }
    for code in ("pad_js", "watch_js", "css"):  # our own files: they must not end their tag
        if re.search(r"</(script|style)|<!--", fill[code], re.IGNORECASE):
            raise RuntimeError(f"the take-home page's {code} holds a closing tag or <!--")
    # one pass: a value (a hostile title, say) is never searched for placeholders again
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fill[m.group(1)], template)


def build_take_home(ckpt: Checkpoint, *, title: str, recording: dict | None = None,
                    max_bytes: int = MAX_PAGE_BYTES) -> TakeHomePage:
    """The take-home page of `ckpt` (and of a Watch `recording`, when given), at most
    `max_bytes`: a recording is thinned until the page fits; a decoder too big for the
    page is a ConfigError."""
    data = model_data(ckpt, title=title)
    frames = REPLAY_FRAMES if recording is not None else 0
    while True:
        replay = replay_data(recording, frames)
        page = _page(ckpt, title, data, replay)
        nbytes = len(page.encode("utf-8"))
        if nbytes <= max_bytes:
            n_codes = data["points"]["n"] if data["points"] else 0
            return TakeHomePage(page, n_codes, len(replay["packets"]) if replay else 0)
        if frames < 2:
            raise ConfigError(f"the page would have {nbytes / 1e6:.1f} MB, more than the "
                              f"{max_bytes / 1e6:.1f} MB a take-home page may hold (the "
                              f"decoder alone is {len(json.dumps(data['decoder'])) / 1e6:.1f} "
                              f"MB): export a smaller model")
        frames = frames // 2 if frames > 2 else 0
