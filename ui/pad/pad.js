// AAE latent pad: a Custom Components v2 module (ui/latent_pad.py prepends decoder.js).
//
// Drag the marker through the 2-D latent plane; every animation frame decodes z in the
// browser (AAEDecoder) and paints the 28x28 preview. On release the full z is sent to
// Python once with setStateValue("z", {z, xy, seq, have}); Python decodes authoritatively.
//
// CCv2 calls the default export again on every data change with the same parentElement
// and only calls the cleanup returned last, at unmount: so one Pad lives on the root element
// and update() is idempotent. Decoded models and point sets are cached per document by
// content id, so re-renders never re-parse weights and Python may omit weights the browser
// already holds ("have"); if it guesses wrong the pad asks with setTriggerValue("need", id).

const CATEGORY10 = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const MAX_CACHED = 6; // models (and point sets) kept per document
const MAX_SAMPLES = 5000; // decodeMs entries kept for benchmarks
const MARGIN = { l: 50, r: 14, t: 14, b: 50 }; // CSS px around the plot area (square plot)
const GAP = 24; // between pad and preview
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";

const CACHE = globalThis.__aaePadCache || (globalThis.__aaePadCache = { models: new Map(), points: new Map() });

function cacheGet(map, id) {
  const v = map.get(id);
  if (v !== undefined) {
    map.delete(id); // least recently used goes first
    map.set(id, v);
  }
  return v;
}

function cachePut(map, id, v) {
  map.set(id, v);
  while (map.size > MAX_CACHED) map.delete(map.keys().next().value);
}

function instrumentation() {
  return globalThis.__aaePad || (globalThis.__aaePad = {});
}

function subscript(n) {
  return String(n).split("").map((c) => SUBSCRIPTS[+c] ?? c).join("");
}

function fmt(v) {
  const s = (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
  return s.replace("-", "−");
}

// ~n "nice" ticks (1, 2, 5 x 10^k steps) inside [lo, hi]; `ends` are the bounds when they
// are not ticks themselves (labelled too, so the pad's extent is always readable)
function niceTicks(lo, hi, n = 6) {
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  const ends = [lo, hi].filter((b) => ticks.every((t) => Math.abs(t - b) > 0.45 * step));
  return { ticks, step, ends };
}

function tickLabel(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(digits + (step * Math.pow(10, digits) % 1 ? 1 : 0), 4)).replace("-", "−");
}

function decodePoints(p) {
  return { n: p.n, xy: AAEDecoder.b64ToF32(p.xy), labels: AAEDecoder.b64ToU8(p.labels) };
}

class Pad {
  constructor(root) {
    this.root = root;
    this.pad = root.querySelector(".aae-pad");
    this.preview = root.querySelector(".aae-preview");
    this.readout = root.querySelector(".aae-readout");
    this.status = root.querySelector(".aae-status");
    this.padCtx = this.pad.getContext("2d");
    this.prevCtx = this.preview.getContext("2d");
    this.bg = document.createElement("canvas"); // axes + dots, redrawn only when they change
    this.bgDirty = true;
    this.side = 0;
    this.dpr = 1;
    this.th = null; // theme colours for the per-frame drawing

    this.api = null;
    this.key = null;
    this.z = [0, 0];
    this.dims = [0, 1];
    this.cond = [];
    this.bounds = [-1, 1, -1, 1];
    this.height = 360;
    this.imagePx = 196;
    this.model = null;
    this.modelId = null;
    this.points = null;
    this.pointsId = null;
    this.requested = new Set(); // ids already asked for with "need"
    this.imageData = null;
    this.lastDataZ = "";
    this.seq = 0;
    this.dragging = false;
    this.pending = null; // [x, y] waiting for the next animation frame
    this.raf = 0;
    this.keyHeld = false;
    this.pointerFocus = false;
    this.stats = {
      frames: 0, decodeMs: [], frameMs: [], lastImage: null, z: [], seq: 0,
      releases: 0, dragging: false, modelId: null, ready: false, error: null,
      parses: 0, decoderSent: false, needs: [],
      // page coordinates (CSS px) of latent point (x, y), for tests driving the mouse
      clientOf: (x, y) => {
        const rect = this.pad.getBoundingClientRect();
        const [px, py] = this.toPx(x, y);
        return [rect.left + px, rect.top + py];
      },
    };

    this.onDown = this.onDown.bind(this);
    this.onMove = this.onMove.bind(this);
    this.onUp = this.onUp.bind(this);
    this.onKeyDown = this.onKeyDown.bind(this);
    this.onKeyUp = this.onKeyUp.bind(this);
    this.frame = this.frame.bind(this);
    this.pad.addEventListener("pointerdown", this.onDown);
    this.pad.addEventListener("pointermove", this.onMove);
    this.pad.addEventListener("pointerup", this.onUp);
    this.pad.addEventListener("pointercancel", this.onUp);
    this.pad.addEventListener("lostpointercapture", this.onUp);
    this.pad.addEventListener("keydown", this.onKeyDown);
    this.pad.addEventListener("keyup", this.onKeyUp);
    this.onFocus = () => this.pad.classList.toggle("aae-kbd", !this.pointerFocus);
    this.pad.addEventListener("focus", this.onFocus);
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(root);
  }

  destroy() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.resizeObserver.disconnect();
    this.pad.removeEventListener("pointerdown", this.onDown);
    this.pad.removeEventListener("pointermove", this.onMove);
    this.pad.removeEventListener("pointerup", this.onUp);
    this.pad.removeEventListener("pointercancel", this.onUp);
    this.pad.removeEventListener("lostpointercapture", this.onUp);
    this.pad.removeEventListener("keydown", this.onKeyDown);
    this.pad.removeEventListener("keyup", this.onKeyUp);
    this.pad.removeEventListener("focus", this.onFocus);
    const reg = instrumentation();
    if (this.key !== null && reg[this.key] === this.stats) delete reg[this.key];
    delete this.root.__aaePad;
  }

  // ---- data from Python -------------------------------------------------------------
  update(data, api) {
    this.api = api;
    if (this.key !== data.key) {
      const reg = instrumentation();
      if (this.key !== null && reg[this.key] === this.stats) delete reg[this.key];
      this.key = data.key;
      reg[this.key] = this.stats;
      this.root.dataset.key = data.key;
    }
    this.seq = Math.max(this.seq, data.seq || 0);
    this.loadModel(data);
    this.loadPoints(data);
    this.cond = data.cond || [];

    const geom = JSON.stringify([data.bounds, data.dims, data.height, data.image_px]);
    if (geom !== this.geom) {
      this.geom = geom;
      this.bounds = data.bounds;
      this.dims = data.dims;
      this.height = data.height;
      this.imagePx = data.image_px;
      this.preview.style.width = this.preview.style.height = `${this.imagePx}px`;
      this.side = 0; // force a relayout
      this.layout();
    }
    const zKey = JSON.stringify(data.z);
    if (zKey !== this.lastDataZ) {
      this.lastDataZ = zKey;
      if (!this.dragging) this.z = data.z.slice(); // during a drag the user's hand wins
    }
    if (!this.dragging) this.frame();
  }

  loadModel(data) {
    this.stats.decoderSent = !!data.decoder;
    if (data.model_id === this.modelId && this.model) return;
    let model = cacheGet(CACHE.models, data.model_id);
    if (!model && data.decoder) {
      try {
        model = new AAEDecoder.MLPDecoder(data.decoder);
        this.stats.parses += 1;
        cachePut(CACHE.models, data.model_id, model);
      } catch (err) {
        this.setStatus(`Cannot load the decoder: ${err.message}`, true);
        this.stats.error = String(err.message);
      }
    }
    if (!model && !data.decoder) this.request(data.model_id);
    this.model = model || null;
    this.modelId = data.model_id;
    this.stats.modelId = model ? data.model_id : null;
    this.stats.ready = !!model;
    this.root.dataset.ready = model ? "1" : "0";
    if (model) {
      this.setStatus("");
      if (this.preview.width !== model.side) this.preview.width = this.preview.height = model.side;
      this.imageData = this.prevCtx.createImageData(model.side, model.side);
    } else if (!this.stats.error) {
      this.setStatus("Loading the decoder…");
    }
  }

  loadPoints(data) {
    const id = data.points_id || null;
    if (id === this.pointsId && (this.points || !id)) return;
    let pts = id ? cacheGet(CACHE.points, id) : null;
    if (id && !pts && data.points) {
      pts = decodePoints(data.points);
      cachePut(CACHE.points, id, pts);
    }
    if (id && !pts && !data.points) this.request(id);
    this.points = pts || null;
    this.pointsId = id;
    this.bgDirty = true;
  }

  // Python left out a payload we do not hold (cache evicted): ask once, it reruns and sends
  request(id) {
    if (this.requested.has(id) || !this.api) return;
    this.requested.add(id);
    this.stats.needs.push(id);
    this.api.setTriggerValue("need", id);
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("aae-error", isError);
    this.status.hidden = !text;
  }

  // ---- geometry -----------------------------------------------------------------------
  layout() {
    const width = this.root.clientWidth || this.height + GAP + this.imagePx;
    let side = this.height;
    if (width < this.height + GAP + this.imagePx) {
      const beside = width - GAP - this.imagePx;
      side = beside >= 220 ? beside : Math.min(this.height, width); // else the preview wraps below
    }
    side = Math.max(120, Math.floor(side));
    const dpr = globalThis.devicePixelRatio || 1;
    if (side === this.side && dpr === this.dpr) return;
    this.side = side;
    this.dpr = dpr;
    for (const c of [this.pad, this.bg]) {
      c.width = Math.round(side * dpr);
      c.height = Math.round(side * dpr);
    }
    this.pad.style.width = this.pad.style.height = `${side}px`;
    this.bgDirty = true;
    if (!this.dragging) this.frame();
  }

  plotRect() {
    return { x: MARGIN.l, y: MARGIN.t, w: this.side - MARGIN.l - MARGIN.r, h: this.side - MARGIN.t - MARGIN.b };
  }

  toPx(x, y) {
    const r = this.plotRect();
    const [x0, x1, y0, y1] = this.bounds;
    return [r.x + ((x - x0) / (x1 - x0)) * r.w, r.y + ((y1 - y) / (y1 - y0)) * r.h];
  }

  fromEvent(e) {
    const rect = this.pad.getBoundingClientRect();
    const r = this.plotRect();
    const [x0, x1, y0, y1] = this.bounds;
    const u = Math.min(1, Math.max(0, (e.clientX - rect.left - r.x) / r.w));
    const v = Math.min(1, Math.max(0, (e.clientY - rect.top - r.y) / r.h));
    return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
  }

  // ---- input --------------------------------------------------------------------------
  onDown(e) {
    if (e.button !== 0 && e.pointerType === "mouse") return;
    e.preventDefault();
    this.pointerFocus = true; // no focus ring for pointer users
    this.pad.classList.remove("aae-kbd");
    this.pad.focus({ preventScroll: true });
    this.pointerFocus = false;
    try {
      this.pad.setPointerCapture(e.pointerId);
    } catch (_) {
      /* synthetic events have no capturable pointer */
    }
    this.dragging = true;
    this.stats.dragging = true;
    this.pending = this.fromEvent(e);
    this.schedule();
  }

  onMove(e) {
    if (!this.dragging) return;
    this.pending = this.fromEvent(e); // coalesced: only the latest position is decoded
    this.schedule();
  }

  onUp(e) {
    if (!this.dragging) return;
    if (e.type === "pointerup") this.pending = this.fromEvent(e);
    this.dragging = false;
    this.stats.dragging = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.frame(); // the final image belongs to the final z
    this.release();
  }

  onKeyDown(e) {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!step) return;
    e.preventDefault();
    this.pad.classList.add("aae-kbd");
    const [x0, x1, y0, y1] = this.bounds;
    const f = e.shiftKey ? 0.05 : 0.01;
    const [d0, d1] = this.dims;
    const x = Math.min(x1, Math.max(x0, this.z[d0] + step[0] * f * (x1 - x0)));
    const y = Math.min(y1, Math.max(y0, this.z[d1] + step[1] * f * (y1 - y0)));
    this.pending = [x, y];
    this.keyHeld = true;
    this.schedule();
  }

  onKeyUp(e) {
    if (!this.keyHeld || !e.key.startsWith("Arrow")) return;
    this.keyHeld = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.frame();
    this.release();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  }

  release() {
    this.seq += 1;
    const [d0, d1] = this.dims;
    const value = {
      z: this.z.slice(),
      xy: [this.z[d0], this.z[d1]],
      seq: this.seq,
      have: [...CACHE.models.keys(), ...CACHE.points.keys()],
    };
    this.stats.seq = this.seq;
    this.stats.releases += 1;
    this.root.dataset.seq = String(this.seq);
    this.lastDataZ = ""; // whatever Python echoes next is applied
    if (this.api) this.api.setStateValue("z", value);
  }

  // ---- drawing ------------------------------------------------------------------------
  frame() {
    this.raf = 0;
    const t0 = performance.now();
    if (this.pending) {
      const [d0, d1] = this.dims;
      this.z[d0] = this.pending[0];
      this.z[d1] = this.pending[1];
      this.pending = null;
    }
    let t1 = t0;
    if (this.model) {
      const img = this.model.decode(this.z, this.cond);
      AAEDecoder.paintGray(this.prevCtx, this.imageData, img);
      t1 = performance.now();
      this.stats.lastImage = img.slice();
      this.stats.frames += 1;
      this.stats.decodeMs.push(t1 - t0);
      if (this.stats.decodeMs.length > MAX_SAMPLES) this.stats.decodeMs.splice(0, MAX_SAMPLES / 2);
    }
    this.drawPad();
    this.readout.textContent = this.readoutText();
    this.stats.z = this.z.slice();
    this.stats.frameMs.push(performance.now() - t0);
    if (this.stats.frameMs.length > MAX_SAMPLES) this.stats.frameMs.splice(0, MAX_SAMPLES / 2);
    this.root.dataset.frames = String(this.stats.frames);
    this.root.dataset.z = JSON.stringify(this.stats.z);
  }

  readoutText() {
    const [d0, d1] = this.dims;
    if (this.z.length <= 4) return `z = (${this.z.map(fmt).join(", ")})`;
    return `z${subscript(d0)} = ${fmt(this.z[d0])},  z${subscript(d1)} = ${fmt(this.z[d1])}`;
  }

  theme() {
    const cs = getComputedStyle(this.root);
    const get = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
    return {
      text: get("--st-text-color", "#31333f"),
      panel: get("--st-secondary-background-color", "#f0f2f6"),
      bg: get("--st-background-color", "#ffffff"),
      primary: get("--st-primary-color", "#ff4b4b"),
      font: get("--st-font", "'Source Sans', sans-serif"),
    };
  }

  drawBackground() {
    const ctx = this.bg.getContext("2d");
    const th = this.theme();
    const r = this.plotRect();
    const [x0, x1, y0, y1] = this.bounds;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.side, this.side);

    ctx.fillStyle = th.panel;
    ctx.beginPath();
    ctx.roundRect(r.x, r.y, r.w, r.h, 6);
    ctx.fill();

    const xt = niceTicks(x0, x1);
    const yt = niceTicks(y0, y1);
    ctx.save();
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.08;
    ctx.strokeStyle = th.text;
    ctx.beginPath();
    for (const v of xt.ticks) {
      const [px] = this.toPx(v, y0);
      ctx.moveTo(Math.round(px) + 0.5, r.y);
      ctx.lineTo(Math.round(px) + 0.5, r.y + r.h);
    }
    for (const v of yt.ticks) {
      const [, py] = this.toPx(x0, v);
      ctx.moveTo(r.x, Math.round(py) + 0.5);
      ctx.lineTo(r.x + r.w, Math.round(py) + 0.5);
    }
    ctx.stroke();
    ctx.restore();

    // the axes through the origin, when it is on the pad
    ctx.save();
    ctx.globalAlpha = 0.28;
    ctx.strokeStyle = th.text;
    ctx.beginPath();
    if (x0 < 0 && x1 > 0) {
      const [px] = this.toPx(0, y0);
      ctx.moveTo(Math.round(px) + 0.5, r.y);
      ctx.lineTo(Math.round(px) + 0.5, r.y + r.h);
    }
    if (y0 < 0 && y1 > 0) {
      const [, py] = this.toPx(x0, 0);
      ctx.moveTo(r.x, Math.round(py) + 0.5);
      ctx.lineTo(r.x + r.w, Math.round(py) + 0.5);
    }
    ctx.stroke();
    ctx.restore();

    if (this.points) this.drawPoints(ctx, r);

    ctx.fillStyle = th.text;
    ctx.globalAlpha = 0.72;
    ctx.font = `12px ${th.font}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt.ticks) ctx.fillText(tickLabel(v, xt.step), this.toPx(v, y0)[0], r.y + r.h + 6);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt.ticks) ctx.fillText(tickLabel(v, yt.step), r.x - 7, this.toPx(x0, v)[1]);
    ctx.globalAlpha = 0.5;
    for (const v of yt.ends) ctx.fillText(tickLabel(v, yt.step / 10), r.x - 7, this.toPx(x0, v)[1]);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt.ends) ctx.fillText(tickLabel(v, xt.step / 10), this.toPx(v, y0)[0], r.y + r.h + 6);

    ctx.globalAlpha = 0.9;
    ctx.font = `italic 15px ${th.font}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(`z${subscript(this.dims[0])}`, r.x + r.w / 2, this.side - 4);
    ctx.save();
    ctx.translate(14, r.y + r.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(`z${subscript(this.dims[1])}`, 0, 0);
    ctx.restore();
    ctx.globalAlpha = 1;
    this.bgDirty = false;
  }

  drawPoints(ctx, r) {
    const { n, xy, labels } = this.points;
    const radius = n > 4000 ? 1.4 : 2;
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.w, r.h);
    ctx.clip();
    ctx.globalAlpha = n > 4000 ? 0.45 : 0.6;
    for (let c = 0; c < CATEGORY10.length; c++) {
      ctx.fillStyle = CATEGORY10[c];
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (labels[i] % 10 !== c) continue;
        const [px, py] = this.toPx(xy[2 * i], xy[2 * i + 1]);
        ctx.moveTo(px + radius, py);
        ctx.arc(px, py, radius, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.restore();
  }

  drawPad() {
    if (!this.side) return;
    if (this.bgDirty) this.drawBackground();
    const ctx = this.padCtx;
    const th = this.th || (this.th = this.theme());
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.pad.width, this.pad.height);
    ctx.drawImage(this.bg, 0, 0);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);

    const r = this.plotRect();
    const [d0, d1] = this.dims;
    const [px, py] = this.toPx(this.z[d0], this.z[d1]);
    ctx.save();
    ctx.strokeStyle = th.primary;
    ctx.globalAlpha = 0.45;
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(r.x, Math.round(py) + 0.5);
    ctx.lineTo(r.x + r.w, Math.round(py) + 0.5);
    ctx.moveTo(Math.round(px) + 0.5, r.y);
    ctx.lineTo(Math.round(px) + 0.5, r.y + r.h);
    ctx.stroke();
    ctx.restore();

    const rad = this.dragging ? 10 : 8;
    ctx.save();
    if (this.dragging) {
      ctx.globalAlpha = 0.18;
      ctx.fillStyle = th.primary;
      ctx.beginPath();
      ctx.arc(px, py, rad + 9, 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.shadowColor = "rgba(0, 0, 0, 0.3)";
    ctx.shadowBlur = 4;
    ctx.shadowOffsetY = 1;
    ctx.fillStyle = th.primary;
    ctx.beginPath();
    ctx.arc(px, py, rad, 0, 2 * Math.PI);
    ctx.fill();
    ctx.shadowColor = "transparent";
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
    ctx.restore();
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const root = parentElement.querySelector(".aae-pad-root");
  if (!root) throw new Error("aae_latent_pad: the component's HTML is missing");
  const pad = root.__aaePad || (root.__aaePad = new Pad(root));
  const th = pad.theme(); // the theme may have changed between runs
  const thKey = JSON.stringify(th);
  if (thKey !== pad.thKey) {
    pad.thKey = thKey;
    pad.th = th;
    pad.bgDirty = true;
  }
  pad.update(data, { setStateValue, setTriggerValue });
  return () => pad.destroy();
}
