// Latent pad: the static layer, drawn into an offscreen canvas only when it
// changes (size, bounds, theme, classes shown, background choice): the panel, grid and
// axes, then the chosen background (the prior's density as contour bands, or the decoder's
// digits over a lattice), the held-out codes coloured by class, and the axis labels.

const BAND_LEVELS = [0.05, 0.2, 0.4, 0.6, 0.8]; // density contours, as a share of the peak
const LATTICE_N = 11; // digits per side of the lattice background

// the theme the static layer is drawn in: Streamlit's --st-* variables on `root`
function padTheme(root) {
  const cs = getComputedStyle(root);
  const get = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    text: get("--st-text-color", "#31333f"),
    panel: get("--st-secondary-background-color", "#f0f2f6"),
    bg: get("--st-background-color", "#ffffff"),
    primary: get("--st-primary-color", "#ff4b4b"),
    font: get("--st-font", "'Source Sans', sans-serif"),
  };
}

// a CSS colour -> [r, g, b] (through a 1x1 canvas, so any CSS syntax works)
function rgbOf(css) {
  const c = document.createElement("canvas");
  c.width = c.height = 1;
  const ctx = c.getContext("2d");
  ctx.fillStyle = css;
  ctx.fillRect(0, 0, 1, 1);
  return Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
}

function drawGrid(ctx, geom, th, xt, yt) {
  const r = geom.rect();
  const [x0, x1, y0, y1] = geom.bounds;
  ctx.save();
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.08;
  ctx.strokeStyle = th.text;
  ctx.beginPath();
  for (const v of xt.ticks) {
    const px = Math.round(geom.toPx(v, y0)[0]) + 0.5;
    ctx.moveTo(px, r.y);
    ctx.lineTo(px, r.y + r.h);
  }
  for (const v of yt.ticks) {
    const py = Math.round(geom.toPx(x0, v)[1]) + 0.5;
    ctx.moveTo(r.x, py);
    ctx.lineTo(r.x + r.w, py);
  }
  ctx.stroke();
  ctx.globalAlpha = 0.28; // the axes through the origin, when it is on the pad
  ctx.beginPath();
  if (x0 < 0 && x1 > 0) {
    const px = Math.round(geom.toPx(0, y0)[0]) + 0.5;
    ctx.moveTo(px, r.y);
    ctx.lineTo(px, r.y + r.h);
  }
  if (y0 < 0 && y1 > 0) {
    const py = Math.round(geom.toPx(x0, 0)[1]) + 0.5;
    ctx.moveTo(r.x, py);
    ctx.lineTo(r.x + r.w, py);
  }
  ctx.stroke();
  ctx.restore();
}

// density (row 0 = ymin) bilinearly resampled to half the plot's pixels, quantized into
// bands: a light fill per band and a darker rim where the band changes (the contour line)
function drawDensity(ctx, geom, th, density) {
  const r = geom.rect();
  const w = Math.max(2, Math.round(r.w / 2)), h = Math.max(2, Math.round(r.h / 2));
  const { nx, ny, grid } = density;
  const band = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) {
    const gy = (1 - (j + 0.5) / h) * (ny - 1); // canvas row 0 is the top (ymax)
    const y0 = Math.floor(gy), y1 = Math.min(ny - 1, y0 + 1), fy = gy - y0;
    for (let i = 0; i < w; i++) {
      const gx = ((i + 0.5) / w) * (nx - 1);
      const x0 = Math.floor(gx), x1 = Math.min(nx - 1, x0 + 1), fx = gx - x0;
      const v = ((grid[y0 * nx + x0] * (1 - fx) + grid[y0 * nx + x1] * fx) * (1 - fy) +
        (grid[y1 * nx + x0] * (1 - fx) + grid[y1 * nx + x1] * fx) * fy) / 255;
      let b = 0;
      while (b < BAND_LEVELS.length && v >= BAND_LEVELS[b]) b++;
      band[j * w + i] = b;
    }
  }
  const [cr, cg, cb] = rgbOf(th.text);
  const off = document.createElement("canvas");
  off.width = w;
  off.height = h;
  const octx = off.getContext("2d");
  const img = octx.createImageData(w, h);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const k = j * w + i, b = band[k];
      const rim = (i + 1 < w && band[k + 1] !== b) || (j + 1 < h && band[k + w] !== b);
      img.data.set([cr, cg, cb, rim ? 110 : b * 9], 4 * k);
    }
  }
  octx.putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, r.x, r.y, r.w, r.h);
  ctx.restore();
}

// the decoder's digit at the centre of each lattice cell, ink in the text colour
function drawLattice(ctx, geom, th, model, z, dims, cond) {
  const r = geom.rect();
  const [x0, x1, y0, y1] = geom.bounds;
  const side = model.side, n = LATTICE_N;
  const off = document.createElement("canvas");
  off.width = off.height = side * n;
  const octx = off.getContext("2d");
  const img = octx.createImageData(side, side);
  const [cr, cg, cb] = rgbOf(th.text);
  const zz = z.slice();
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      zz[dims[0]] = x0 + ((col + 0.5) / n) * (x1 - x0);
      zz[dims[1]] = y1 - ((row + 0.5) / n) * (y1 - y0);
      const px = model.decode(zz, cond);
      for (let i = 0; i < px.length; i++) {
        img.data.set([cr, cg, cb, Math.max(0, Math.min(255, px[i] * 255))], 4 * i);
      }
      octx.putImageData(img, col * side, row * side);
    }
  }
  ctx.save();
  ctx.globalAlpha = 0.55;
  ctx.drawImage(off, r.x, r.y, r.w, r.h);
  ctx.restore();
}

// codes as dots, one path per class; classes in `hidden` are left out. Returns dots drawn.
function drawPoints(ctx, geom, points, colors, hidden, faint) {
  const r = geom.rect();
  const { n, xy, labels } = points;
  const radius = n > 4000 ? 1.4 : 2;
  let drawn = 0;
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.x, r.y, r.w, r.h);
  ctx.clip();
  ctx.globalAlpha = (n > 4000 ? 0.45 : 0.6) * (faint ? 0.5 : 1);
  for (let c = 0; c < colors.length; c++) {
    if (hidden.has(c)) continue;
    ctx.fillStyle = colors[c];
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      if (labels[i] % colors.length !== c) continue;
      const [px, py] = geom.toPx(xy[2 * i], xy[2 * i + 1]);
      ctx.moveTo(px + radius, py);
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      drawn++;
    }
    ctx.fill();
  }
  ctx.restore();
  return drawn;
}

function drawAxisLabels(ctx, geom, th, xt, yt, dims, scale) {
  const r = geom.rect();
  const [x0, , y0] = geom.bounds;
  ctx.save();
  ctx.fillStyle = th.text;
  ctx.globalAlpha = 0.72;
  ctx.font = `${Math.round(12 * scale)}px ${th.font}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of xt.ticks) ctx.fillText(tickLabel(v, xt.step), geom.toPx(v, y0)[0], r.y + r.h + 6);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of yt.ticks) ctx.fillText(tickLabel(v, yt.step), r.x - 7, geom.toPx(x0, v)[1]);
  // the bounds' own labels, unless they would touch a tick's label (on a small pad the
  // bound can sit a few pixels from the nearest tick): the ticks are the ones to read
  ctx.globalAlpha = 0.5;
  const lineH = 12 * scale + 2, gapPx = 8;
  const ypx = (v) => geom.toPx(x0, v)[1], xpx = (v) => geom.toPx(v, y0)[0];
  for (const v of yt.ends) {
    if (yt.ticks.some((t) => Math.abs(ypx(t) - ypx(v)) < lineH)) continue;
    ctx.fillText(tickLabel(v, yt.step / 10), r.x - 7, ypx(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const half = (text) => ctx.measureText(text).width / 2;
  for (const v of xt.ends) {
    const text = tickLabel(v, xt.step / 10);
    if (xt.ticks.some((t) => Math.abs(xpx(t) - xpx(v)) <
        half(text) + half(tickLabel(t, xt.step)) + gapPx)) continue;
    ctx.fillText(text, xpx(v), r.y + r.h + 6);
  }
  ctx.globalAlpha = 0.9;
  ctx.font = `italic ${Math.round(15 * scale)}px ${th.font}`;
  ctx.textBaseline = "bottom";
  ctx.fillText(`z${subscript(dims[0])}`, r.x + r.w / 2, geom.side - 4);
  ctx.translate(14, r.y + r.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(`z${subscript(dims[1])}`, 0, 0);
  ctx.restore();
}

// The whole static layer into `canvas` (already sized side*dpr). layers: {points, colors,
// hidden: Set, background: "codes" | "prior" | "digits", density, model, z, dims, cond}.
// Returns the number of dots drawn.
function drawBackground(canvas, geom, th, layers, scale) {
  const ctx = canvas.getContext("2d");
  const r = geom.rect();
  const [x0, x1, y0, y1] = geom.bounds;
  ctx.setTransform(geom.dpr, 0, 0, geom.dpr, 0, 0);
  ctx.clearRect(0, 0, geom.side, geom.side);
  ctx.fillStyle = th.panel;
  ctx.beginPath();
  ctx.roundRect(r.x, r.y, r.w, r.h, 6);
  ctx.fill();
  const xt = niceTicks(x0, x1), yt = niceTicks(y0, y1);
  drawGrid(ctx, geom, th, xt, yt);
  if (layers.background === "prior" && layers.density) drawDensity(ctx, geom, th, layers.density);
  const lattice = layers.background === "digits" && layers.model;
  if (lattice) drawLattice(ctx, geom, th, layers.model, layers.z, layers.dims, layers.cond);
  let drawn = 0;
  if (layers.points) drawn = drawPoints(ctx, geom, layers.points, layers.colors, layers.hidden, lattice);
  drawAxisLabels(ctx, geom, th, xt, yt, layers.dims, scale);
  return drawn;
}
