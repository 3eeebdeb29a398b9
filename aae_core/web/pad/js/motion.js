// Latent pad: the Pad's motion: layout, input -> z (or a path end), the
// per-frame decode and paint, and the release to Python. Methods of Pad (pad.js).

Object.assign(Pad.prototype, {
  layout() {
    const data = this.data;
    if (!data) return;
    const width = this.root.clientWidth || data.height + GAP + data.image_px;
    const below = data.mode === "path" ? this.stripHeight(width) + 16 : 0;
    const top = Math.max(0, this.root.getBoundingClientRect().top);
    const availHeight = Math.max(MIN_BESIDE, globalThis.innerHeight - top - below - 16);
    const size = padLayout(width, { height: data.height, imagePx: data.image_px,
      fit: !!data.fit, availHeight });
    const dpr = globalThis.devicePixelRatio || 1;
    if (size.side === this.size.side && size.digit === this.size.digit && dpr === this.geom.dpr
        && size.stacked === this.size.stacked) return;
    this.size = size;
    this.geom.side = size.side;
    this.geom.dpr = dpr;
    for (const c of [this.canvas, this.bg]) c.width = c.height = Math.round(size.side * dpr);
    this.canvas.style.width = this.canvas.style.height = `${size.side}px`;
    this.preview.style.width = this.preview.style.height = `${size.digit}px`;
    this.root.classList.toggle("aae-stacked", size.stacked);
    // the legend: under the digit when they sit side by side, else under the pad
    const home = this.root.querySelector(size.stacked ? ".aae-map" : ".aae-side");
    if (this.legend.container.parentElement !== home) home.append(this.legend.container);
    this.legend.container.style.maxWidth = size.stacked ? "" : `${Math.max(size.digit, 240)}px`;
    if (data.fit && !size.stacked) this.fitDigit(size);
    this.root.querySelector(".aae-map").style.width = `${size.side}px`;
    if (data.mode === "path") {
      const n = data.steps, h = this.stripHeight(width);
      this.strip.width = 28 * n;
      this.strip.height = 28;
      this.strip.style.width = `${h * n}px`;
      this.strip.style.height = `${h}px`;
    }
    this.bgDirty = true;
    this.stats && (this.stats.layout = { ...size });
    if (!this.dragging) this.frame();
  },

  // presentation: shrink the digit until the column beside the pad (caption, digit,
  // readout, legend) is no taller than the pad
  fitDigit(size) {
    const side = this.root.querySelector(".aae-side");
    const extra = side.getBoundingClientRect().height - size.digit;
    const digit = Math.floor(Math.max(120, Math.min(size.digit, size.side - extra)));
    if (digit === size.digit) return;
    size.digit = digit;
    this.preview.style.width = this.preview.style.height = `${digit}px`;
    this.legend.container.style.maxWidth = `${Math.max(digit, 240)}px`;
  },

  stripHeight(width) {
    return Math.floor(Math.min(96 * (this.data.scale || 1), width / this.data.steps));
  },

  // ---- input (PadInput calls these, in canvas CSS px) ----------------------------------
  begin(px, py) {
    this.dragging = true;
    this.picked = null;
    if (this.ends) {
      const d = this.ends.map((e) => {
        const [ex, ey] = this.geom.toPx(e[this.dims[0]], e[this.dims[1]]);
        return Math.hypot(ex - px, ey - py);
      });
      this.active = d[0] < d[1] ? 0 : 1; // the nearer end; beyond END_RADIUS it jumps here
      this.endPicked[this.active] = null;
      this.grabOffset = d[this.active] <= END_RADIUS ? this.offsetTo(this.ends[this.active], px, py) : [0, 0];
      this.onMarker = d[this.active] <= MARKER_HIT;
    } else {
      this.grabOffset = [0, 0];
      this.onMarker = Math.hypot(...this.offsetTo(this.z, px, py)) <= MARKER_HIT;
    }
    this.pending = this.geom.fromPx(px + this.grabOffset[0], py + this.grabOffset[1]);
    this.schedule();
  },

  offsetTo(z, px, py) {
    const [ex, ey] = this.geom.toPx(z[this.dims[0]], z[this.dims[1]]);
    return [ex - px, ey - py];
  },

  move(px, py) {
    if (!this.dragging) return;
    this.pending = this.geom.fromPx(px + this.grabOffset[0], py + this.grabOffset[1]);
    this.schedule(); // coalesced: only the latest position is decoded
  },

  end(p, isClick) {
    if (!this.dragging) return;
    if (p) this.pending = this.geom.fromPx(p[0] + this.grabOffset[0], p[1] + this.grabOffset[1]);
    if (p && isClick && !this.onMarker) this.snapToCode(p[0], p[1]); // a click on the marker stays
    this.dragging = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.frame(); // the final image belongs to the final z
    this.release();
  },

  // a click on a shown code puts the marker (or the moved end) exactly on that code
  snapToCode(px, py) {
    if (!this.points) return;
    const { n, xy, labels, index } = this.points;
    const hidden = this.legend.hidden, nc = Math.max(1, (this.data.classes || []).length);
    let best = -1, bestD = PICK_RADIUS;
    for (let i = 0; i < n; i++) {
      if (hidden.has(labels[i] % nc)) continue;
      const [qx, qy] = this.geom.toPx(xy[2 * i], xy[2 * i + 1]);
      const d = Math.hypot(qx - px, qy - py);
      if (d < bestD) [best, bestD] = [i, d];
    }
    if (best < 0) return;
    this.pending = [xy[2 * best], xy[2 * best + 1]];
    if (this.ends) this.endPicked[this.active] = index ? index[best] : best;
    const name = (this.data.classes || [])[labels[best] % nc]?.name ?? String(labels[best]);
    this.picked = { index: index ? index[best] : best, label: labels[best], name };
  },

  nudge(dx, dy, coarse) {
    const [x0, x1, y0, y1] = this.geom.bounds;
    const f = coarse ? 0.05 : 0.01;
    const z = this.ends ? this.ends[this.active] : this.z;
    this.picked = null;
    if (this.ends) this.endPicked[this.active] = null;
    this.pending = this.geom.clamp(z[this.dims[0]] + dx * f * (x1 - x0), z[this.dims[1]] + dy * f * (y1 - y0));
    this.schedule();
  },

  nudgeEnd() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.frame();
    this.release();
  },

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  },

  release() {
    this.seq += 1;
    const have = cachedIds();
    this.lastDataZ = ""; // whatever Python echoes next is applied
    this.stats?.onRelease(this);
    if (!this.api) return;
    if (this.ends) {
      this.api.setStateValue("ends", { ends: this.ends.map((e) => e.slice()), seq: this.seq, have,
        picked: this.endPicked.slice() });
    } else {
      const [d0, d1] = this.dims;
      this.api.setStateValue("z", { z: this.z.slice(), xy: [this.z[d0], this.z[d1]], seq: this.seq,
        have, picked: this.picked ? this.picked.index : null });
    }
  },

  // ---- one animation frame ---------------------------------------------------------------
  frame() {
    this.raf = 0;
    const t0 = performance.now();
    const z = this.ends ? this.ends[this.active] : this.z;
    if (this.pending) {
      z[this.dims[0]] = this.pending[0];
      z[this.dims[1]] = this.pending[1];
      this.pending = null;
    }
    let image = null, strip = null;
    if (this.model) {
      image = this.model.decode(z, this.cond);
      AAEDecoder.paintGray(this.prevCtx, this.imageData, image);
      if (this.stats) image = image.slice(); // the strip below reuses the decoder's buffer
      if (this.ends) strip = this.paintStrip();
    }
    const t1 = performance.now();
    this.drawPad();
    this.writeText();
    this.stats?.onFrame(this, image, strip, t0, t1, performance.now());
  },

  // the path's digits, decoded in the browser, into the strip canvas (28 px per step)
  paintStrip() {
    const n = this.data.steps, [a, b] = this.ends, side = this.model.side;
    const out = this.stats ? [] : null, zt = a.slice();
    for (let i = 0; i < n; i++) {
      const t = n > 1 ? i / (n - 1) : 0;
      for (let k = 0; k < zt.length; k++) zt[k] = a[k] + t * (b[k] - a[k]);
      const px = this.model.decode(zt, this.cond);
      AAEDecoder.paintGray(this.prevCtx, this.imageData, px); // reused buffer, then copied
      this.stripCtx.drawImage(this.preview, i * side, 0);
      if (out) out.push(px.slice());
    }
    // the big digit shows the end being moved: repaint it over the strip's last step
    AAEDecoder.paintGray(this.prevCtx, this.imageData, this.model.decode(this.ends[this.active], this.cond));
    return out;
  },

  drawPad() {
    if (!this.geom.side) return;
    const th = this.th;
    if (this.bgDirty) {
      const drawn = drawBackground(this.bg, this.geom, th, {
        points: this.points, colors: (this.data.classes || []).map((c) => c.color),
        hidden: this.legend.hidden, background: this.legend.background, density: this.density,
        model: this.model, z: this.z, dims: this.dims, cond: this.cond,
      }, this.data.scale || 1);
      this.bgDirty = false;
      this.stats?.onBackground(this.legend, drawn);
    }
    const ctx = this.padCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.bg, 0, 0);
    ctx.setTransform(this.geom.dpr, 0, 0, this.geom.dpr, 0, 0);
    const [d0, d1] = this.dims, scale = this.data.scale || 1;
    const star = this.data.star;
    const [bx0, bx1, by0, by1] = this.data.bounds;
    if (star && star.length > Math.max(d0, d1) && star[d0] >= bx0 && star[d0] <= bx1 &&
        star[d1] >= by0 && star[d1] <= by1) { // off the map: the caption gives its code
      const [sx, sy] = this.geom.toPx(star[d0], star[d1]);
      drawStar(ctx, sx, sy, scale);
    }
    if (this.ends) {
      const px = this.ends.map((e) => this.geom.toPx(e[d0], e[d1]));
      drawPath(ctx, th, px, this.data.steps, this.dragging ? this.active : -1, scale);
    } else {
      const [px, py] = this.geom.toPx(this.z[d0], this.z[d1]);
      drawCrosshair(ctx, this.geom, th, px, py);
      drawMarker(ctx, th, px, py, { active: this.dragging, scale });
    }
  },

  writeText() {
    const [d0, d1] = this.dims;
    const show = (z) => (z.length <= 4 ? `(${z.map(fmt).join(", ")})`
      : `z${subscript(d0)} = ${fmt(z[d0])}, z${subscript(d1)} = ${fmt(z[d1])}`);
    if (this.ends) {
      this.caption.textContent = `end ${"AB"[this.active]}`;
      this.readout.textContent = `A ${show(this.ends[0])} → B ${show(this.ends[1])}`;
    } else {
      this.caption.textContent = "decoder(z)";
      this.readout.textContent = `z = ${show(this.z)}`;
    }
    const p = this.picked;
    this.pickedText.hidden = !p;
    if (p) this.pickedText.textContent = `held-out #${p.index} · ${p.name}`;
  },
});
