// Watch it learn: the Custom Components v2 module (ui/watch/component.py joins the shared
// files, util.js, plane.js, diagram.js, stats.js and this file).
//
// Python sends, on each fragment run (every ~1 s while training), the packets the browser
// has not seen yet (~12 per run, 12 a second on a CPU). They queue here and are played back
// in order, evenly, at the rate they arrive, each tweened from the one before (codes glide,
// the heatmap fades, windows zoom): updates shown a second = packets built a second.
// A training packet carries the digit images only now and then; the others reuse the last
// images received (this.images; data.images when a call's packets have none). Every packet
// is also kept for the timeline (thinned to MAX_FRAMES), so the scrubber replays the run
// in the browser, with trails of chosen digits' codes. In paint mode the AAE's plane takes
// brush strokes; "Use this prior" sends the mask to Python (state "painted").

const MAX_FRAMES = 400; // timeline frames kept per run (thinned evenly beyond)
const MAX_TRAIL = 3000; // trail points kept per run
const LIVE_TRAIL = 25; // trail points drawn while live
const PAINT_G = 64; // painting lattice, cells per side
const BRUSH = 3.4; // brush radius in cells
const MODELS = ["aae", "vae"];
const MIN_FRAME_MS = 40; // between two drawings while tweening (25 a second at most)
const MAX_QUEUE = 40; // packets waiting to play; beyond, the player skips to the newest few
const RATE_WINDOW_MS = 3000; // the packet rate is measured over this much of the past
const PRESENT_SIDE_W = 330; // present mode: the phase diagram's column (watch.css .ww-present)
const MIN_PRESENT_SIDE = 220; // present mode: the smallest plane, in CSS px
const MIN_WHOLE_SIDE = 400; // present mode: below this, only the planes are fitted

// images: the last still parts decoded for this model ({recon, samples, density,
// densityKey, densityWindow, prior}), for a packet without them; last: the view decoded
// before, whose heatmap and prior drawing a packet without them keeps (Python sends D's map
// with every other training packet, the prior's drawing with the images)
function decodeView(v, meta, images, last) {
  if (!v) return null;
  const s = meta.pos_scale, n = meta.fixed_labels.length;
  const drawn = v.density ? priorDrawing(v, s)
    : (last && last.density ? last : (images && images.density ? images : {}));
  return {
    window: v.window, grid: meta.grid, densityGrid: meta.density_grid,
    density: drawn.density || null, densityKey: drawn.densityKey || null,
    densityWindow: drawn.densityWindow || v.window, prior: drawn.prior || null,
    codes: unpackPositions(v.codes, v.window, s),
    fixed: unpackPositions(v.fixed_codes, v.window, s),
    heat: v.heat ? unpackField(v.heat) : (last ? last.heat : null),
    arrows: v.arrows ? AAEBase64.float32(v.arrows) : null,
    recon: v.recon ? unpackImages(v.recon, n, 784) : (images ? images.recon : null),
    samples: v.samples ? unpackImages(v.samples, n, 784) : (images ? images.samples : null),
  };
}

// the prior's drawing of a view that carries one: its density and samples, decoded
function priorDrawing(v, scale) {
  return { density: unpackField(v.density), densityKey: v.density, densityWindow: v.window,
    prior: unpackPositions(v.prior, v.window, scale) };
}

function tweenView(a, b, t) {
  if (!b) return null;
  if (!a) return b;
  return {
    ...b,
    window: b.window.map((w, i) => lerp(a.window[i], w, t)),
    prior: lerpArray(a.prior, b.prior, t),
    codes: lerpArray(a.codes, b.codes, t),
    fixed: lerpArray(a.fixed, b.fixed, t),
    heat: a.heat && b.heat ? lerpArray(a.heat, b.heat, t) : b.heat,
    arrows: lerpArray(a.arrows, b.arrows, t),
  };
}

class Watch {
  constructor(root) {
    this.root = root;
    this.panels = {};
    for (const m of MODELS) {
      const el = root.querySelector(`.ww-panel[data-model='${m}']`);
      this.panels[m] = {
        el, plane: new Plane(el.querySelector(".ww-plane")),
        strip: new DigitStrip(el.querySelector(".ww-strip")),
        note: el.querySelector(".ww-note"),
      };
    }
    this.diagram = new Diagram(root.querySelector(".ww-diagram-host"));
    this.statsEl = root.querySelector(".ww-stats");
    this.scrub = root.querySelector(".ww-scrub");
    this.liveBtn = root.querySelector(".ww-live");
    this.timeLabel = root.querySelector(".ww-time");
    this.paintBar = root.querySelector(".ww-paintbar");
    this.useBtn = root.querySelector(".ww-use");
    this.meta = null;
    this.run = null;
    this.queue = [];
    this.images = { aae: null, vae: null }; // the last decoded digit images per model
    this.frames = [];
    this.trails = [];
    this.from = null;
    this.to = null;
    this.t0 = 0;
    this.dur = 150;
    this.replay = -1;
    this.trailOn = new Set([0, 1, 7]);
    this.paint = { on: false, mask: new Uint8Array(PAINT_G * PAINT_G), win: null, down: false, seq: 0 };
    this.playing = false;
    this.raf = 0;
    this.lastDraw = 0;
    this.api = null;
    this.arrivals = []; // performance.now() of the packets received in the last RATE_WINDOW_MS
    this.palette = [];
    this.stats = watchStatsWanted() ? watchStats() : null; // tests and benchmarks only
    this.tick = this.tick.bind(this);
    this.bind();
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(root);
    this.observing = true;
  }

  bind() {
    this.scrub.addEventListener("input", () => {
      const i = +this.scrub.value;
      this.replay = i >= this.frames.length - 1 ? -1 : i;
      this.render();
    });
    this.liveBtn.addEventListener("click", () => {
      this.replay = -1;
      this.render();
    });
    for (const m of MODELS) {
      const strip = this.panels[m].strip;
      strip.canvas.addEventListener("click", (ev) => {
        const rect = strip.canvas.getBoundingClientRect();
        const i = strip.hit(ev.clientX - rect.left);
        if (i < 0) return;
        if (this.trailOn.has(i)) this.trailOn.delete(i);
        else this.trailOn.add(i);
        this.render();
      });
    }
    const canvas = this.panels.aae.plane.canvas;
    canvas.addEventListener("pointerdown", (ev) => this.paintAt(ev, true));
    canvas.addEventListener("pointermove", (ev) => this.paintAt(ev, false));
    const up = () => { this.paint.down = false; };
    canvas.addEventListener("pointerup", up);
    canvas.addEventListener("pointercancel", up);
    this.root.querySelector(".ww-clear").addEventListener("click", () => {
      this.paint.mask.fill(0);
      this.render();
    });
    this.useBtn.addEventListener("click", () => this.usePainted());
  }

  // The component's cleanup: Streamlit may call it between two updates of the same
  // element, so the next update() must be able to start the player and the observer again
  // (a cancelled frame left in this.raf would stall playback for good).
  destroy() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.resizeObserver.disconnect();
    this.observing = false;
  }

  update(data, api) {
    this.api = api;
    if (!this.observing) {
      this.resizeObserver.observe(this.root);
      this.observing = true;
    }
    if (data.palette) this.setPalette(data.palette);
    if (data.meta && data.meta.run !== (this.meta && this.meta.run)) this.newRun(data.meta);
    this.playing = !!data.playing;
    this.vae = !!data.vae;
    this.present = !!data.present;
    this.root.classList.toggle("ww-present", this.present);
    this.setPaintMode(!!data.paint);
    if (data.images && data.images.run === this.run) this.takeImages(data.images);
    // data.packets: one JSON text (Python encodes each packet once, for every reader)
    const packets = typeof data.packets === "string" ? JSON.parse(data.packets) : (data.packets || []);
    const fresh = packets.filter((p) => p.run === this.run &&
      (!this.lastSeq || p.seq > this.lastSeq));
    for (const p of fresh) this.receive(p);
    this.stats?.onCall(data, fresh.length);
    this.layout();
    this.schedule();
  }

  // the still parts of data.images: {aae, vae}, each null or {window, recon, samples,
  // density, prior} base64
  takeImages(src) {
    const n = this.meta.fixed_labels.length;
    for (const m of MODELS) {
      const v = src[m];
      if (v && v.recon) {
        const drawn = v.density ? priorDrawing(v, this.meta.pos_scale) : {};
        this.images[m] = { recon: unpackImages(v.recon, n, 784), samples: unpackImages(v.samples, n, 784),
          density: drawn.density, densityKey: drawn.densityKey, densityWindow: drawn.densityWindow,
          prior: drawn.prior };
      }
    }
  }

  newRun(meta) {
    this.meta = meta;
    this.run = meta.run;
    this.labels = AAEBase64.bytes(meta.labels);
    this.originals = unpackImages(meta.originals, meta.fixed_labels.length, 784);
    this.queue = [];
    this.images = { aae: null, vae: null };
    this.frames = [];
    this.trails = [];
    this.from = this.to = null;
    this.lastSeq = 0;
    this.lastFrame = null;
    this.replay = -1;
    this.arrivals = [];
    this.stats?.onRun(meta.run);
  }

  // palette: aae_core.images.PALETTE, one colour per class (labels index it modulo its length)
  setPalette(palette) {
    this.palette = palette;
    for (const m of MODELS) {
      this.panels[m].plane.palette = palette;
      this.panels[m].strip.palette = palette;
    }
  }

  receive(p) {
    const now = performance.now();
    this.arrivals.push(now);
    while (now - this.arrivals[0] >= RATE_WINDOW_MS) this.arrivals.shift();
    this.stats?.onPacket(p, now);
    this.lastSeq = p.seq;
    const frame = {
      seq: p.seq, step: p.step, phaseSteps: p.phase_steps, phase: p.phase, prior: p.prior,
      losses: p.losses, note: p.vae_note, vaeSince: p.vae_since, at: now,
      aae: decodeView(p.aae, this.meta, this.images.aae, this.lastFrame && this.lastFrame.aae),
      vae: decodeView(p.vae, this.meta, this.images.vae, this.lastFrame && this.lastFrame.vae),
    };
    for (const m of MODELS) { // the newest still parts, for a packet without them
      const f = frame[m];
      if (f && f.recon) {
        this.images[m] = { recon: f.recon, samples: f.samples, density: f.density,
          densityKey: f.densityKey, densityWindow: f.densityWindow, prior: f.prior };
      }
    }
    this.lastFrame = frame;
    this.queue.push(frame);
    this.keep(frame);
  }

  keep(frame) {
    this.frames.push(frame);
    if (this.frames.length > MAX_FRAMES) { // thin evenly: drop every other older frame
      this.frames = this.frames.filter((_, i) => i % 2 === 0 || i === this.frames.length - 1);
    }
    this.trails.push({ seq: frame.seq, aae: frame.aae.fixed, vae: frame.vae ? frame.vae.fixed : null });
    if (this.trails.length > MAX_TRAIL) this.trails = this.trails.filter((_, i) => i % 2 === 0);
  }

  // playback pace: one packet per 1 / (packets arriving a second), so the packets of one
  // fragment run last until the next run; faster when more than a second's worth waits
  pace() {
    const arr = this.arrivals;
    const now = performance.now();
    let n = 0;
    for (let i = arr.length - 1; i >= 0 && now - arr[i] < RATE_WINDOW_MS; i--) n++;
    const rate = Math.max((n * 1000) / RATE_WINDOW_MS, 1);
    let dur = Math.min(600, Math.max(25, 1000 / rate));
    if (this.queue.length > rate) dur *= 0.5;
    const stepped = this.queue[0] && ["reconstruct", "discriminator", "encoder"].includes(this.queue[0].phase);
    if (stepped && !this.playing) dur = 650; // a phase the student asked for: show it moving
    return dur;
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(this.tick);
  }

  tick(now) {
    this.raf = 0;
    const t0 = performance.now();
    if (this.queue.length > MAX_QUEUE) { // fell far behind: skip to the newest few
      this.stats?.onSkip(this.queue.length - 6);
      this.queue.splice(0, this.queue.length - 6);
    }
    let t = this.to ? Math.min(1, (now - this.t0) / this.dur) : 1;
    if (t >= 1 && this.queue.length) {
      this.from = this.to;
      this.dur = this.pace();
      this.to = this.queue.shift();
      this.t0 = now;
      t = this.from ? 0 : 1;
      this.onNewTarget();
    }
    // at most ~25 drawings a second: the machine that draws is often the one that trains
    if (this.replay < 0 && (t >= 1 || now - this.lastDraw >= MIN_FRAME_MS)) {
      this.lastDraw = now;
      this.renderLive(easeInOut(t));
      this.stats?.onFrame(performance.now() - t0);
    }
    if (t < 1 || this.queue.length) this.schedule();
  }

  onNewTarget() {
    this.stats?.onPlay(this.to.seq);
    if (this.replay < 0) this.drawSide(this.to);
    this.updateTimeline();
  }

  current(t) {
    const a = this.from, b = this.to;
    return {
      aae: tweenView(a && a.aae, b.aae, t),
      vae: tweenView(a && a.vae, b.vae, t),
    };
  }

  renderLive(t) {
    if (!this.to) return;
    const views = this.current(t);
    const upto = this.trails.length;
    this.drawPlanes(views, Math.max(0, upto - LIVE_TRAIL), upto);
  }

  render() {
    if (this.replay >= 0 && this.frames[this.replay]) {
      const f = this.frames[this.replay];
      let upto = this.trails.findIndex((p) => p.seq > f.seq);
      if (upto < 0) upto = this.trails.length;
      this.drawPlanes({ aae: f.aae, vae: f.vae }, 0, upto);
      this.drawSide(f);
    } else if (this.to) {
      this.renderLive(1);
      this.drawSide(this.to);
    }
    this.updateTimeline();
  }

  trailsFor(model, from, upto) {
    const out = [];
    for (const i of this.trailOn) {
      const xy = [];
      for (let k = from; k < upto; k++) {
        const p = this.trails[k][model];
        if (p && p.length > 2 * i + 1) xy.push(p[2 * i], p[2 * i + 1]);
      }
      out.push({ label: this.meta.fixed_labels[i] ?? i, xy });
    }
    return out;
  }

  // the first step the VAE of this run was on (a replay before it shows no VAE), or null
  vaeStart() {
    const f = this.frames.find((fr) => fr.vae);
    return f ? (f.vaeSince ?? f.step) : null;
  }

  drawPlanes(views, from, upto) {
    for (const m of MODELS) {
      const view = views[m];
      const panel = this.panels[m];
      if (panel.el.hidden) continue;
      if (!view) { // a replayed moment before the VAE was switched on: say so, draw nothing
        const start = this.vaeStart();
        const text = start === null ? "The VAE is not on at this moment."
          : `The VAE was not on yet: it started from scratch at step ${start}.`;
        panel.plane.blank(text);
        this.stats?.onBlank(m, text);
        continue;
      }
      panel.plane.paint = m === "aae" && this.paint.on ? { mask: this.paint.mask, G: PAINT_G, win: this.paint.win } : null;
      panel.plane.draw(view, {
        labels: this.labels, arrows: true, arrowIdx: this.meta.arrow_idx,
        fixedLabels: this.meta.fixed_labels, trails: this.trailsFor(m, from, upto),
        trailOn: this.trailOn,
      });
    }
  }

  drawSide(f) {
    const phase = f.phase === "train" || f.phase === "start" || f.phase === "prior" ||
      f.phase === "vae" || f.phase === "reset" ? (this.playing ? "train" : "paused") : f.phase;
    this.diagram.light(phase);
    const l = f.losses || {};
    const rows = [["step", String(f.step)], ["phases stepped", String(f.phaseSteps)],
      ["reconstruction loss", fmtLoss(l.recon_loss)], ["D loss", fmtLoss(l.d_loss)],
      ["encoder's adversarial loss", fmtLoss(l.g_loss)]];
    if (f.vae) rows.push(["VAE KL", fmtLoss(l.vae_kl)]);
    this.statsEl.replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      return [dt, dd];
    }));
    for (const m of MODELS) {
      const view = f[m], panel = this.panels[m];
      if (panel.el.hidden) continue;
      if (!view) { // replay before the VAE was on: no digits of it either
        if (panel.note) panel.note.hidden = true;
        panel.stripKey = null;
        panel.strip.draw([{ label: "held-out digits", images: this.originals, colored: true },
          { label: "VAE rebuilds", images: null }, { label: "decoded prior z", images: null }],
          this.meta.fixed_labels.length, panel.plane.side + 58, this.meta.fixed_labels);
        continue;
      }
      if (panel.note) {
        panel.note.textContent = m === "vae" ? (f.note || "") : "";
        panel.note.hidden = !panel.note.textContent;
      }
      const n = this.meta.fixed_labels.length;
      const name = m === "aae" ? "AAE" : "VAE";
      // most packets reuse the last images: redraw the strip only when they or its size change
      const key = [view.recon, view.samples, panel.plane.side, this.originals];
      if (panel.stripKey && key.every((v, i) => v === panel.stripKey[i])) continue;
      panel.stripKey = key;
      panel.strip.draw([
        { label: "held-out digits", images: this.originals, colored: true },
        { label: `${name} rebuilds`, images: view.recon },
        { label: "decoded prior z", images: view.samples },
      ], n, panel.plane.side + 58, this.meta.fixed_labels);
    }
  }

  updateTimeline() {
    const n = this.frames.length;
    this.scrub.max = String(Math.max(0, n - 1));
    if (this.replay < 0) this.scrub.value = String(Math.max(0, n - 1));
    const f = this.replay >= 0 ? this.frames[this.replay] : this.to;
    const live = this.replay < 0;
    this.liveBtn.classList.toggle("ww-is-live", live);
    this.liveBtn.textContent = live ? "● Live" : "▶ Back to live";
    this.timeLabel.textContent = f ? `step ${f.step}${live ? "" : ` · replay ${this.replay + 1} of ${n}`}` : "";
  }

  layout() {
    const width = this.root.clientWidth || 900;
    const vaeShown = this.vae;
    this.panels.vae.el.hidden = !vaeShown;
    const extra = 58 + 24;
    // the plane, its legend and its digits fit the window's height (projectors are short)
    const tall = Math.max(300, window.innerHeight - 300);
    const side = this.present ? this.presentSide(width, vaeShown, extra) : Math.min(tall, vaeShown
      ? Math.max(260, Math.min(560, Math.floor((width - 2 * extra - 24) / 2)))
      : Math.max(300, Math.min(620, width - extra - 420)));
    this.applySide(side);
  }

  applySide(side) {
    for (const m of MODELS) this.panels[m].plane.resize(side);
    this.root.style.setProperty("--ww-side", `${side + 58}px`);
    this.render();
  }

  // Present mode: the planes (both, with the VAE on), the phase diagram beside them and
  // the digit strips and timeline below end at the window's bottom: the largest side that
  // fits, found by measuring (the strips grow with the side). On a short window (the
  // whole would leave planes under MIN_WHOLE_SIDE) only the planes must fit: the strips
  // and the timeline may scroll. Kept until the window or the controls above change.
  presentSide(width, vaeShown, extra) {
    const top = Math.round(this.root.getBoundingClientRect().top); // controls above may grow
    const key = [window.innerWidth, window.innerHeight, width, vaeShown, top].join();
    if (this.fit && this.fit.key === key) return this.fit.side;
    const across = vaeShown ? Math.floor((width - PRESENT_SIDE_W - 2 * 24) / 2) - extra
      : width - PRESENT_SIDE_W - 24 - extra;
    const start = Math.max(MIN_PRESENT_SIDE, Math.min(across, 900));
    const whole = () => this.root.getBoundingClientRect().bottom;
    const planes = () => this.panels.aae.plane.canvas.getBoundingClientRect().bottom;
    let side = this.fitTo(start, whole);
    if (side < MIN_WHOLE_SIDE) side = this.fitTo(start, planes);
    this.fit = { key, side };
    return side;
  }

  // the largest side from `start` down for which bottom() ends inside the window
  fitTo(start, bottom) {
    let side = start;
    for (let i = 0; i < 8; i++) { // a narrower panel can wrap its legend: measure again
      this.applySide(side);
      const over = bottom() - (window.innerHeight - 8);
      if (over <= 0 || side === MIN_PRESENT_SIDE) break;
      side = Math.max(MIN_PRESENT_SIDE, Math.floor(side - Math.max(4, over / 1.3)));
    }
    return side;
  }

  // --- painting ------------------------------------------------------------------------
  setPaintMode(on) {
    if (on && !this.paint.on) {
      const win = this.to ? this.to.aae.window : [-3.5, 3.5, -3.5, 3.5];
      this.paint.win = win.slice();
      this.paint.mask.fill(0);
    }
    this.paint.on = on;
    this.paintBar.hidden = !on;
    this.panels.aae.plane.canvas.classList.toggle("ww-painting", on);
  }

  paintAt(ev, start) {
    if (!this.paint.on) return;
    if (start) {
      this.paint.down = true;
      ev.target.setPointerCapture(ev.pointerId);
    }
    if (!this.paint.down) return;
    const rect = ev.target.getBoundingClientRect();
    const plane = this.panels.aae.plane;
    const saved = plane.win;
    plane.win = this.paint.win;
    const [x, y] = plane.toPlane(ev.clientX - rect.left, ev.clientY - rect.top);
    plane.win = saved;
    const w = this.paint.win;
    const c = ((x - w[0]) / (w[1] - w[0])) * PAINT_G, r = ((w[3] - y) / (w[3] - w[2])) * PAINT_G;
    const m = this.paint.mask;
    for (let i = Math.floor(r - BRUSH); i <= r + BRUSH; i++) {
      for (let j = Math.floor(c - BRUSH); j <= c + BRUSH; j++) {
        if (i < 0 || j < 0 || i >= PAINT_G || j >= PAINT_G) continue;
        const d = Math.hypot(i + 0.5 - r, j + 0.5 - c) / BRUSH;
        const v = Math.round(255 * Math.max(0, Math.min(1, 1.6 - 1.6 * d)));
        if (v > m[i * PAINT_G + j]) m[i * PAINT_G + j] = v;
      }
    }
    this.render();
  }

  usePainted() {
    const m = this.paint.mask;
    if (!m.some((v) => v > 0) || !this.api) return;
    let bin = "";
    for (let i = 0; i < m.length; i++) bin += String.fromCharCode(m[i]);
    this.paint.seq += 1;
    this.stats?.onPainted();
    this.api.setStateValue("painted", {
      mask: btoa(bin), side: PAINT_G, window: this.paint.win, seq: this.paint.seq,
    });
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".ww-root");
  if (!root) throw new Error("aae_watch: the component's HTML is missing");
  const watch = root.__aaeWatch || (root.__aaeWatch = new Watch(root));
  watch.update(data, { setStateValue, setTriggerValue });
  return () => watch.destroy();
}
