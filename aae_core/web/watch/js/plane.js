// Watch it learn: one latent plane on a canvas (the AAE's or the VAE's).
//
// draw(frame) paints, back to front: D's verdict as a heatmap (AAE) or the prior's density
// as a tint (VAE), the prior's contours, prior samples, the codes of held-out digits
// coloured by digit, the push on a subset of codes as arrows, trails of chosen digits,
// the fixed digits as numbered discs, and the axes. A frame is an interpolated view
// (main.js tweens between packets); nothing here keeps model state.

const MARGIN = { l: 46, r: 12, t: 10, b: 40 }; // CSS px around the square plot
const HEAT_CODE = [178, 84, 196]; // D says "a code": purple
const HEAT_PRIOR = [38, 160, 128]; // D says "a prior sample": green
const HEAT_ALPHA = 0.42; // strongest tint at p = 0 or 1
const CONTOUR_LEVELS = [0.08, 0.3, 0.65];
const CONTOUR_COLOR = "rgba(8, 94, 74, 0.85)";
const PRIOR_DOT = "rgba(8, 94, 74, 0.55)";
const ARROW_COLOR = "rgba(25, 25, 30, 0.8)";

class Plane {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.side = 400;
    this.dpr = 1;
    this.heatCanvas = document.createElement("canvas");
    this.heatCtx = this.heatCanvas.getContext("2d");
    this.contourCache = { key: null, segs: [] };
    this.win = [-1, 1, -1, 1];
    this.paint = null; // {mask: Uint8Array(G*G), G, win} while painting
    this.arrowGain = 1;
    this.palette = []; // class colours (aae_core.images.PALETTE), set by the Watch
  }

  resize(side) {
    const dpr = window.devicePixelRatio || 1;
    if (side === this.side && dpr === this.dpr) return;
    this.side = side;
    this.dpr = dpr;
    const w = side + MARGIN.l + MARGIN.r, h = side + MARGIN.t + MARGIN.b;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
  }

  // plane -> CSS px
  px(x) {
    return MARGIN.l + ((x - this.win[0]) / (this.win[1] - this.win[0])) * this.side;
  }

  py(y) {
    return MARGIN.t + ((this.win[3] - y) / (this.win[3] - this.win[2])) * this.side;
  }

  // CSS px (relative to the canvas) -> plane
  toPlane(cx, cy) {
    const x = this.win[0] + ((cx - MARGIN.l) / this.side) * (this.win[1] - this.win[0]);
    const y = this.win[3] - ((cy - MARGIN.t) / this.side) * (this.win[3] - this.win[2]);
    return [x, y];
  }

  draw(f, opts) {
    const ctx = this.ctx;
    this.win = f.window;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.side + MARGIN.l + MARGIN.r, this.side + MARGIN.t + MARGIN.b);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.l, MARGIN.t, this.side, this.side);
    ctx.clip();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(MARGIN.l, MARGIN.t, this.side, this.side);
    if (f.heat) this.drawField(f.heat, f.grid, true);
    else if (f.density) this.drawField(f.density, f.densityGrid, false);
    if (this.paint) this.drawPaint();
    this.drawContours(f);
    this.drawDots(f.prior, () => PRIOR_DOT, 1.7);
    this.drawCodes(f, opts.labels);
    if (opts.arrows) this.drawArrows(f, opts.arrowIdx);
    this.drawTrails(opts.trails);
    this.drawFixed(f.fixed, opts.fixedLabels, opts.trailOn);
    ctx.restore();
    this.drawAxes();
  }

  // an empty plane with a sentence in its middle (a replayed moment the model did not exist)
  blank(text) {
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.side + MARGIN.l + MARGIN.r, this.side + MARGIN.t + MARGIN.b);
    ctx.fillStyle = "#f3f3f5";
    ctx.fillRect(MARGIN.l, MARGIN.t, this.side, this.side);
    const style = getComputedStyle(this.canvas);
    ctx.fillStyle = style.color || "#31333f";
    ctx.font = `15px ${style.fontFamily}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const words = text.split(" "), lines = [];
    for (const w of words) { // wrap to the plane's width
      const last = lines.length ? lines[lines.length - 1] : null;
      if (last !== null && ctx.measureText(`${last} ${w}`).width < this.side - 24) {
        lines[lines.length - 1] = `${last} ${w}`;
      } else lines.push(w);
    }
    lines.forEach((line, i) => ctx.fillText(line, MARGIN.l + this.side / 2,
      MARGIN.t + this.side / 2 + (i - (lines.length - 1) / 2) * 20));
  }

  drawField(values, G, isHeat) {
    if (this.heatCanvas.width !== G) {
      this.heatCanvas.width = G;
      this.heatCanvas.height = G;
      this.heatImage = this.heatCtx.createImageData(G, G);
    }
    const px = this.heatImage.data;
    for (let i = 0; i < G * G; i++) {
      const v = values[i];
      let rgb, a;
      if (isHeat) {
        const s = (v - 0.5) * 2; // -1 (code) .. 1 (prior)
        rgb = s < 0 ? HEAT_CODE : HEAT_PRIOR;
        a = Math.min(1, Math.abs(s)) * HEAT_ALPHA;
      } else {
        rgb = HEAT_PRIOR;
        a = Math.sqrt(v) * 0.22;
      }
      // premultiply over white: the small canvas is opaque, so smoothing blends colours
      px[4 * i] = 255 + (rgb[0] - 255) * a;
      px[4 * i + 1] = 255 + (rgb[1] - 255) * a;
      px[4 * i + 2] = 255 + (rgb[2] - 255) * a;
      px[4 * i + 3] = 255;
    }
    this.heatCtx.putImageData(this.heatImage, 0, 0);
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    // the field's cells are centred on the lattice: stretch the G x G image over the window
    ctx.drawImage(this.heatCanvas, MARGIN.l, MARGIN.t, this.side, this.side);
  }

  drawPaint() {
    const { mask, G, win } = this.paint;
    const ctx = this.ctx;
    ctx.fillStyle = "rgba(38, 160, 128, 0.35)";
    const cw = (win[1] - win[0]) / G, ch = (win[3] - win[2]) / G;
    for (let r = 0; r < G; r++) {
      for (let c = 0; c < G; c++) {
        const v = mask[r * G + c];
        if (!v) continue;
        ctx.globalAlpha = 0.35 + 0.65 * (v / 255);
        const x = this.px(win[0] + c * cw), y = this.py(win[3] - r * ch);
        ctx.fillRect(x, y, this.px(win[0] + (c + 1) * cw) - x + 0.5,
          this.py(win[3] - (r + 1) * ch) - y + 0.5);
      }
    }
    ctx.globalAlpha = 1;
  }

  drawContours(f) {
    if (!f.density) return;
    const key = f.densityKey;
    if (this.contourCache.key !== key) {
      this.contourCache = {
        key,
        segs: CONTOUR_LEVELS.map((lv) =>
          contourSegments(f.density, f.densityGrid, f.densityWindow, lv)),
      };
    }
    const ctx = this.ctx;
    ctx.strokeStyle = CONTOUR_COLOR;
    ctx.lineCap = "round";
    this.contourCache.segs.forEach((segs, i) => {
      ctx.lineWidth = 1.1 + 0.5 * i;
      ctx.setLineDash(i === 0 ? [4, 4] : []);
      ctx.beginPath();
      for (let k = 0; k < segs.length; k += 4) {
        ctx.moveTo(this.px(segs[k]), this.py(segs[k + 1]));
        ctx.lineTo(this.px(segs[k + 2]), this.py(segs[k + 3]));
      }
      ctx.stroke();
    });
    ctx.setLineDash([]);
  }

  drawDots(xy, color, r) {
    if (!xy) return;
    const ctx = this.ctx;
    ctx.fillStyle = color();
    ctx.beginPath();
    for (let i = 0; i < xy.length; i += 2) {
      const x = this.px(xy[i]), y = this.py(xy[i + 1]);
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fill();
  }

  drawCodes(f, labels) {
    if (!f.codes || !labels) return;
    const ctx = this.ctx;
    const r = Math.max(2.2, this.side / 190);
    const nColors = Math.max(1, this.palette.length);
    for (let k = 0; k < nColors; k++) { // one path per colour: fewer fill calls
      ctx.fillStyle = classColor(this.palette, k);
      ctx.globalAlpha = 0.82;
      ctx.beginPath();
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] % nColors !== k) continue;
        const x = this.px(f.codes[2 * i]), y = this.py(f.codes[2 * i + 1]);
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  // raw gradients -> arrows: length grows with the push and saturates at 11 % of the window
  drawArrows(f, idx) {
    if (!f.arrows || !f.codes || !idx) return;
    const ctx = this.ctx;
    const width = this.win[1] - this.win[0];
    const maxLen = 0.11 * width;
    const gRef = (6 / width) * this.arrowGain;
    ctx.strokeStyle = ARROW_COLOR;
    ctx.fillStyle = ARROW_COLOR;
    ctx.lineWidth = 1.5;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j];
      const gx = f.arrows[2 * j], gy = f.arrows[2 * j + 1];
      const g = Math.hypot(gx, gy);
      if (!(g > 1e-9)) continue;
      const len = maxLen * Math.tanh(g / gRef);
      const x0 = this.px(f.codes[2 * i]), y0 = this.py(f.codes[2 * i + 1]);
      const x1 = this.px(f.codes[2 * i] + (gx / g) * len);
      const y1 = this.py(f.codes[2 * i + 1] + (gy / g) * len);
      const lpx = Math.hypot(x1 - x0, y1 - y0);
      if (lpx < 2) continue;
      const head = Math.min(7, 0.45 * lpx);
      const a = Math.atan2(y1 - y0, x1 - x0);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1 - Math.cos(a) * head * 0.6, y1 - Math.sin(a) * head * 0.6);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - head * Math.cos(a - 0.42), y1 - head * Math.sin(a - 0.42));
      ctx.lineTo(x1 - head * Math.cos(a + 0.42), y1 - head * Math.sin(a + 0.42));
      ctx.closePath();
      ctx.fill();
    }
  }

  // trails: [{label, xy: [x0, y0, ...]}], older points fainter
  drawTrails(trails) {
    if (!trails) return;
    const ctx = this.ctx;
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    for (const t of trails) {
      const n = t.xy.length / 2;
      if (n < 2) continue;
      ctx.strokeStyle = classColor(this.palette, t.label);
      ctx.lineWidth = 2.2;
      for (let i = 1; i < n; i++) {
        ctx.globalAlpha = 0.05 + 0.75 * Math.pow(i / (n - 1), 1.5);
        ctx.beginPath();
        ctx.moveTo(this.px(t.xy[2 * i - 2]), this.py(t.xy[2 * i - 1]));
        ctx.lineTo(this.px(t.xy[2 * i]), this.py(t.xy[2 * i + 1]));
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  drawFixed(xy, labels, trailOn) {
    if (!xy || !labels) return;
    const ctx = this.ctx;
    const r = Math.max(8, this.side / 58);
    ctx.font = `700 ${Math.round(r * 1.25)}px ${getComputedStyle(this.canvas).fontFamily}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let i = 0; i < labels.length; i++) {
      const x = this.px(xy[2 * i]), y = this.py(xy[2 * i + 1]);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(this.palette, labels[i]);
      ctx.fill();
      ctx.lineWidth = trailOn && trailOn.has(i) ? 3 : 2;
      ctx.strokeStyle = trailOn && trailOn.has(i) ? "#111" : "#fff";
      ctx.stroke();
      ctx.fillStyle = "#fff";
      ctx.fillText(String(labels[i]), x, y + 0.5);
    }
  }

  drawAxes() {
    const ctx = this.ctx;
    const [x0, x1, y0, y1] = this.win;
    ctx.strokeStyle = "rgba(49, 51, 63, 0.35)";
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.l + 0.5, MARGIN.t + 0.5, this.side - 1, this.side - 1);
    const style = getComputedStyle(this.canvas);
    ctx.fillStyle = style.color || "#31333f";
    ctx.font = `13px ${style.fontFamily}`;
    const xt = niceTicks(x0, x1), yt = niceTicks(y0, y1);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt.ticks) {
      const x = this.px(v);
      ctx.fillRect(x, MARGIN.t + this.side, 1, 5);
      ctx.fillText(tickLabel(v, xt.step), x, MARGIN.t + this.side + 7);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt.ticks) {
      const y = this.py(v);
      ctx.fillRect(MARGIN.l - 5, y, 5, 1);
      ctx.fillText(tickLabel(v, yt.step), MARGIN.l - 8, y);
    }
    ctx.font = `italic 14px ${style.fontFamily}`;
    ctx.textAlign = "center";
    ctx.fillText("z₁", MARGIN.l + this.side / 2, MARGIN.t + this.side + 30);
    ctx.save();
    ctx.translate(12, MARGIN.t + this.side / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("z₂", 0, 0);
    ctx.restore();
  }
}
