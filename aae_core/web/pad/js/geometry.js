// Latent pad: geometry. Sizes of the pad and the digit, latent <-> pixel
// coordinates and number formats (axis ticks: aae_core/web/shared_js/ticks.js). No drawing and no
// DOM events here.

const MARGIN = { l: 50, r: 14, t: 14, b: 50 }; // CSS px around the plot area (square plot)
const GAP = 24; // between the map and the digit
const MIN_BESIDE = 260; // a smaller pad puts the digit above it instead (phones)
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";

function subscript(n) {
  return String(n).split("").map((c) => SUBSCRIPTS[+c] ?? c).join("");
}

function fmt(v) {
  const s = (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
  return s.replace("-", "−");
}

// Pad side, digit side and arrangement (CSS px) for a root `width` wide.
// opts: {height, imagePx, fit, availHeight}: `fit` (presentation) grows both to fill
// availHeight; otherwise the pad is at most `height` and the digit is imagePx.
function padLayout(width, opts) {
  if (opts.fit) {
    const side = Math.floor(Math.min(opts.availHeight, (width - GAP) / 1.6));
    const digit = Math.floor(Math.min(width - GAP - side - 4, side * 0.78));
    if (side >= MIN_BESIDE && digit >= 120) return { side, digit, stacked: false };
  } else if (width - GAP - opts.imagePx >= Math.min(opts.height, MIN_BESIDE)) {
    return { side: Math.floor(Math.min(opts.height, width - GAP - opts.imagePx)),
      digit: opts.imagePx, stacked: false };
  }
  // narrow: the digit sits above the pad (and stays on screen while dragging)
  const side = Math.max(160, Math.floor(Math.min(width, opts.fit ? opts.availHeight : width)));
  return { side, digit: Math.max(96, Math.min(opts.imagePx, Math.floor(width * 0.42))), stacked: true };
}

class PlotGeometry {
  constructor() {
    this.side = 0;
    this.dpr = 1;
    this.bounds = [-1, 1, -1, 1];
  }

  rect() {
    return { x: MARGIN.l, y: MARGIN.t, w: this.side - MARGIN.l - MARGIN.r, h: this.side - MARGIN.t - MARGIN.b };
  }

  // latent (x, y) -> CSS px inside the pad canvas
  toPx(x, y) {
    const r = this.rect();
    const [x0, x1, y0, y1] = this.bounds;
    return [r.x + ((x - x0) / (x1 - x0)) * r.w, r.y + ((y1 - y) / (y1 - y0)) * r.h];
  }

  // CSS px inside the pad canvas -> latent (x, y), clamped to the bounds
  fromPx(px, py) {
    const r = this.rect();
    const [x0, x1, y0, y1] = this.bounds;
    const u = Math.min(1, Math.max(0, (px - r.x) / r.w));
    const v = Math.min(1, Math.max(0, (py - r.y) / r.h));
    return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
  }

  clamp(x, y) {
    const [x0, x1, y0, y1] = this.bounds;
    return [Math.min(x1, Math.max(x0, x)), Math.min(y1, Math.max(y0, y))];
  }
}
