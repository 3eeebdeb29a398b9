"""Mount the Watch component and hand it the packets it has not seen yet.

A Custom Components v2 component (inline html/css/js, no iframe, no build step); its JS
is the shared files (aae_core/web/shared_js/) and then js/*.js, joined by aae_core/web/bundle.py.

Wire protocol (data = Python -> JS, state = JS -> Python):
  data   {"meta": WatchSession.meta(), "packets": [packet, ...], "images", "playing",
          "vae", "paint", "palette"}
         packets: those newer than the last one sent to this tab (at least the newest one,
         so a remounted component always has something to draw), oldest first: one call
         carries the ~5 packets built since the last fragment run, and the browser plays
         them in order, each tweened from the one before, at the rate they were built.
         A training packet has its still parts (digit images, the prior's density and
         samples) only now and then ("images": false, no "recon"/"samples"/"density"/
         "prior"); the browser keeps the last ones it got. A shared run's viewer gets
         every training packet bare (WatchSession.packets_json(bare=True)).
         images: WatchSession.latest_images(), the newest still parts, on a reader's
         first call, when no packet of this call has images, and on every call of a
         bare reader; else null
         palette: aae_core.images.PALETTE, the class colours (the JS holds none of its own)
  state  "painted": {"mask": base64 (side * side bytes), "side", "window", "seq"}
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from aae_core.images import PALETTE
from aae_core.watch import WatchSession
from aae_core.web.watch.assets import CSS, JS

# packets in one call at most: a GPU builds 30 a second, a fragment runs every 0.5 s
MAX_PACKETS_A_CALL = 24

_LEGEND_AAE = """
<span><i class="ww-ramp"></i>D thinks: code … prior sample</span>
<span><i class="ww-key-line"></i>prior contours</span>
<span><i class="ww-key-dot"></i>prior samples</span>
<span><b class="ww-key-arrow">→</b>push from D on a code</span>
"""
_LEGEND_VAE = """
<span><i class="ww-tint"></i>prior density</span>
<span><i class="ww-key-line"></i>prior contours</span>
<span><i class="ww-key-dot"></i>prior samples</span>
<span><b class="ww-key-arrow">→</b>pull of the KL term on a code</span>
"""


def _panel(model: str, title: str, sub: str, legend: str, extra: str = "") -> str:
    return f"""
    <section class="ww-panel" data-model="{model}">
      <header><span class="ww-title">{title}</span><span class="ww-sub">{sub}</span></header>
      <div class="ww-legend">{legend}</div>
      <canvas class="ww-plane" role="img" aria-label="{title}: its latent plane"></canvas>
      {extra}
      <canvas class="ww-strip" role="img"
              aria-label="Held-out digits, their reconstructions and decoded prior samples">
      </canvas>
    </section>"""


_PAINT_BAR = """
<div class="ww-paintbar" hidden>
  <span>Paint where the codes should go, then</span>
  <button class="ww-use" type="button">Use this prior</button>
  <button class="ww-clear" type="button">Clear</button>
</div>"""

HTML = f"""
<div class="ww-root">
  <div class="ww-stage">
    {_panel("aae", "Adversarial autoencoder", "codes on D's verdict", _LEGEND_AAE, _PAINT_BAR)}
    {_panel("vae", "Variational autoencoder", "the same digits, pulled by a KL term",
            _LEGEND_VAE, '<div class="ww-note" hidden></div>')}
    <aside class="ww-side">
      <div class="ww-phase-title">Paused</div>
      <div class="ww-diagram-host"></div>
      <div class="ww-phase-text"></div>
      <dl class="ww-stats"></dl>
    </aside>
  </div>
  <div class="ww-timeline">
    <button class="ww-live" type="button">● Live</button>
    <input class="ww-scrub" type="range" min="0" max="0" value="0" step="1"
           aria-label="Timeline: replay the run">
    <span class="ww-time"></span>
    <span class="ww-hint">Drag the timeline to replay the run. Click a digit under a plane
      to show or hide the trail of its code.</span>
  </div>
</div>
"""

# Registered once, at import (re-registering per call would log a warning every run).
_component = st.components.v2.component("aae_watch", html=HTML, css=CSS, js=JS)


def watch_component(*, key: str, session: WatchSession, paint: bool,
                    on_painted: Callable[[], None], present: bool = False,
                    every: int = 1, bare: bool = False) -> None:
    """Draw the session's newest packets (those this tab has not been sent yet);
    `present`: the planes are sized so that the page ends at the window's bottom;
    `every`: send one training packet in this many (a shared run's viewers: the browser
    tweens between them; packets of a control and the newest always go); `bare`: training
    packets without their still parts, which come once a call (a shared run's viewers)."""
    mem = st.session_state.setdefault(f"_aae_watch::{key}", {"seq": 0, "run": None})
    first = mem["run"] != session.run_id  # a new reader, or a reset since its last call
    packets = session.packets_after(mem["seq"], mem["run"], limit=MAX_PACKETS_A_CALL) \
        or [session.latest()]
    mem["seq"], mem["run"] = packets[-1]["seq"], packets[-1]["run"]
    if every > 1:
        packets = [p for p in packets[:-1] if p["phase"] != "train" or p["seq"] % every == 0] \
            + packets[-1:]
    stills = bare or first or not any(p["images"] for p in packets)
    _component(
        key=key,
        data={"meta": session.meta(), "packets": session.packets_json(packets, bare=bare),
              "images": session.latest_images() if stills else None,
              "playing": session.playing, "vae": session.vae is not None, "paint": paint,
              "present": bool(present), "palette": list(PALETTE)},
        on_painted_change=on_painted,
    )
