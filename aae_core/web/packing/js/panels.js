// Packing panels: the held-out codes of each compared model over the prior's density, one
// square canvas per slot, same axes in every slot, one class legend for all of them (a
// click hides or shows a digit's codes in every panel). The drawing is the latent pad's
// static layer (pad/js/background.js: grid, density bands, dots, axis labels); pointing at
// a code names it in a readout over the panel's top left corner.

const SLOT_GAP = 16; // CSS px between slots
const MIN_SLOT = 240; // a narrower slot stacks the panels, one a row (phones)
const HOVER_RADIUS = 10; // CSS px: the nearest shown code this close is named
const FIT_MIN = 200; // fit (presenting): the smallest side the window's height may leave

// what tests and benchmarks read: window.__aaePacking[key] (a few numbers, set after each
// draw; cheap, so always on)
function packingRegistry() {
  return globalThis.__aaePacking || (globalThis.__aaePacking = {});
}

class PackingPanels {
  constructor(root) {
    this.root = root;
    this.row = root.querySelector(".aae-panels");
    this.th = null;
    this.thKey = null;
    this.data = null;
    this.density = null;
    this.densityId = null;
    this.slots = []; // per slot: null, or {el, canvas, bg, readout, geom, points, pointsId, drawn}
    this.layoutKey = null;
    this.dirty = true;
    this.legend = new Legend(root.querySelector(".aae-legend"), () => {
      this.dirty = true;
      this.draw();
    });
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(root);
    // fit: what is above the panels may grow after they are drawn (the page's later
    // elements), and the window's height may change
    const main = document.querySelector("[data-testid='stMainBlockContainer']");
    if (main) this.resizeObserver.observe(main);
    this.onWindowResize = () => this.layout();
    globalThis.addEventListener("resize", this.onWindowResize);
  }

  destroy() {
    this.resizeObserver.disconnect();
    globalThis.removeEventListener("resize", this.onWindowResize);
    if (this.data && packingRegistry()[this.data.key]) delete packingRegistry()[this.data.key];
    delete this.root.__aaePacking;
  }

  update(data) {
    this.data = data;
    this.root.style.setProperty("--aae-scale", String(data.scale || 1));
    if (data.density_id !== this.densityId) {
      this.density = data.density ? decodeDensity(data.density) : null;
      this.densityId = data.density_id;
      this.dirty = true;
    }
    this.syncSlots(data.slots);
    this.legend.render(data.classes || [], ["codes"]);
    this.layoutKey = null; // bounds, height or the slots may have changed
    this.dirty = true;
    this.layout();
  }

  // one DOM panel per non-empty slot, kept across runs; points decoded when their id changes
  syncSlots(specs) {
    while (this.slots.length > specs.length) this.slots.pop()?.el.remove();
    specs.forEach((spec, i) => {
      let slot = this.slots[i];
      if (!spec) {
        if (slot) slot.el.remove();
        this.slots[i] = null;
        return;
      }
      if (!slot) {
        slot = this.slots[i] = this.makeSlot();
      }
      slot.title.textContent = spec.title;
      slot.canvas.setAttribute("aria-label", `${spec.title}: the codes over the prior's density`);
      if (spec.points_id !== slot.pointsId) {
        slot.points = spec.points ? decodePoints(spec.points) : null;
        slot.pointsId = spec.points_id;
        slot.hover = -1; // an index into the old codes
        slot.readout.hidden = true;
      }
    });
    // DOM order = slot order (an empty slot keeps its place in the row as a spacer)
    this.row.replaceChildren(...this.slots.map((s, i) => s ? s.el : this.spacer(i)));
  }

  makeSlot() {
    const el = document.createElement("div");
    el.className = "aae-panel";
    const title = document.createElement("div");
    title.className = "aae-panel-title";
    const canvas = document.createElement("canvas");
    canvas.className = "aae-panel-plot";
    canvas.setAttribute("role", "img");
    const readout = document.createElement("div");
    readout.className = "aae-panel-readout";
    readout.hidden = true;
    const stage = document.createElement("div");
    stage.className = "aae-panel-stage";
    stage.append(canvas, readout);
    el.append(title, stage);
    const slot = { el, title, canvas, readout, bg: document.createElement("canvas"),
      geom: new PlotGeometry(), points: null, pointsId: null, drawn: 0, hover: -1 };
    canvas.addEventListener("pointermove", (e) => this.hover(slot, e));
    canvas.addEventListener("pointerdown", (e) => this.hover(slot, e));
    canvas.addEventListener("pointerleave", () => this.unhover(slot));
    return slot;
  }

  spacer(i) {
    const el = document.createElement("div");
    el.className = "aae-panel aae-panel-empty";
    el.dataset.slot = String(i);
    return el;
  }

  // slot width and panel side from the root's width: side by side when every slot gets at
  // least MIN_SLOT px, else one panel a row (empty slots dropped); `fit` (presenting) also
  // keeps the panels, their titles and the legend inside the window's height
  layout() {
    const data = this.data;
    if (!data) return;
    const width = this.root.clientWidth || data.height * data.slots.length;
    const n = Math.max(1, data.slots.length);
    const slotW = Math.floor((width - SLOT_GAP * (n - 1)) / n);
    const stacked = slotW < MIN_SLOT && n > 1;
    let side = Math.min(data.height, stacked ? width : slotW);
    if (data.fit && !stacked) side = Math.min(side, Math.max(FIT_MIN, this.heightLeft()));
    side = Math.max(160, Math.floor(side));
    const dpr = globalThis.devicePixelRatio || 1;
    const key = JSON.stringify([side, stacked, dpr, slotW]);
    if (key === this.layoutKey && !this.dirty) return;
    this.layoutKey = key;
    this.root.classList.toggle("aae-stacked", stacked);
    for (const el of this.row.children) el.style.width = stacked ? "" : `${slotW}px`;
    for (const slot of this.slots) {
      if (!slot) continue;
      slot.geom.side = side;
      slot.geom.dpr = dpr;
      slot.geom.bounds = data.bounds;
      for (const c of [slot.canvas, slot.bg]) c.width = c.height = Math.round(side * dpr);
      slot.canvas.style.width = slot.canvas.style.height = `${side}px`;
    }
    this.side = side;
    this.stacked = stacked;
    this.dirty = true;
    this.draw();
  }

  // CSS px from the root's top to the window's bottom, less what is not a canvas (a title,
  // the legend, the gaps)
  heightLeft() {
    const top = Math.max(0, this.root.getBoundingClientRect().top);
    const title = this.row.querySelector(".aae-panel-title")?.getBoundingClientRect().height || 0;
    const legend = this.legend.container.getBoundingClientRect().height || 0;
    return globalThis.innerHeight - top - title - legend - 24;
  }

  draw() {
    if (!this.dirty || !this.th || !this.data) return;
    this.dirty = false;
    const colors = (this.data.classes || []).map((c) => c.color);
    for (const slot of this.slots) {
      if (!slot || !slot.geom.side) continue;
      slot.drawn = drawBackground(slot.bg, slot.geom, this.th, {
        points: slot.points, colors, hidden: this.legend.hidden, background: "prior",
        density: this.density, dims: [0, 1],
      }, this.data.scale || 1);
      this.paint(slot);
    }
    this.report();
  }

  // the static layer, and a ring round the code pointed at
  paint(slot) {
    const ctx = slot.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, slot.canvas.width, slot.canvas.height);
    ctx.drawImage(slot.bg, 0, 0);
    if (slot.hover < 0 || !slot.points) return;
    const { xy } = slot.points;
    const [px, py] = slot.geom.toPx(xy[2 * slot.hover], xy[2 * slot.hover + 1]);
    ctx.setTransform(slot.geom.dpr, 0, 0, slot.geom.dpr, 0, 0);
    ctx.strokeStyle = this.th.text;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, 2 * Math.PI);
    ctx.stroke();
  }

  // the nearest shown code within HOVER_RADIUS of the pointer, named in the readout
  hover(slot, e) {
    if (!slot.points) return;
    const rect = slot.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left, py = e.clientY - rect.top;
    const { n, xy, labels, index } = slot.points;
    const classes = this.data.classes || [], nc = Math.max(1, classes.length);
    const [bx0, bx1, by0, by1] = slot.geom.bounds;
    let best = -1, bestD = HOVER_RADIUS;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (x < bx0 || x > bx1 || y < by0 || y > by1 || this.legend.hidden.has(labels[i] % nc)) continue;
      const [qx, qy] = slot.geom.toPx(x, y);
      const d = Math.hypot(qx - px, qy - py);
      if (d < bestD) [best, bestD] = [i, d];
    }
    if (best === slot.hover) return;
    slot.hover = best;
    slot.readout.hidden = best < 0;
    if (best >= 0) {
      const name = classes[labels[best] % nc]?.name ?? String(labels[best]);
      const number = index ? index[best] : best;
      slot.readout.textContent = `${name} · held-out #${number} · z = (${fmt(xy[2 * best])}, ` +
        `${fmt(xy[2 * best + 1])})`;
    }
    this.paint(slot);
  }

  unhover(slot) {
    if (slot.hover < 0) return;
    slot.hover = -1;
    slot.readout.hidden = true;
    this.paint(slot);
  }

  report() {
    const drawn = this.slots.map((s) => (s ? s.drawn : null));
    this.root.dataset.drawn = drawn.map((d) => (d === null ? "-" : d)).join(",");
    packingRegistry()[this.data.key] = { drawn, side: this.side, stacked: this.stacked,
      hidden: [...this.legend.hidden].sort((a, b) => a - b), bounds: this.data.bounds.slice() };
  }
}
