// Watch it learn: decoding packets and small helpers (no DOM).
//
// Packets carry base64 of little-endian arrays (aae_core/watch/packet.py), read with the
// shared AAEBase64 (aae_core/web/shared_js/base64.js): positions as int16 offsets from the window's
// centre (POS_SCALE per half-width), fields as uint8, images as 4-bit grey levels (two
// pixels a byte, high nibble first).

// the colour of class k: palette is aae_core.images.PALETTE, sent in the component's data
function classColor(palette, k) {
  return palette && palette.length ? palette[k % palette.length] : "#31333f";
}

// int16 window offsets -> plane coordinates, Float32Array (x0, y0, x1, y1, ...)
function unpackPositions(text, win, scale) {
  const q = AAEBase64.int16(text);
  const out = new Float32Array(q.length);
  const cx = (win[0] + win[1]) / 2, cy = (win[2] + win[3]) / 2;
  const hx = (win[1] - win[0]) / 2, hy = (win[3] - win[2]) / 2;
  for (let i = 0; i < q.length; i += 2) {
    out[i] = cx + (q[i] / scale) * hx;
    out[i + 1] = cy + (q[i + 1] / scale) * hy;
  }
  return out;
}

function unpackField(text) {
  const u = AAEBase64.bytes(text);
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = u[i] / 255;
  return out;
}

// 4-bit images -> Uint8Array of grey levels 0..255, n * pixels
function unpackImages(text, n, pixels) {
  const packed = AAEBase64.bytes(text);
  const out = new Uint8Array(n * pixels);
  for (let i = 0, j = 0; i < packed.length && j < out.length; i++) {
    out[j++] = (packed[i] >> 4) * 17;
    if (j < out.length) out[j++] = (packed[i] & 15) * 17;
  }
  return out;
}

function lerp(a, b, t) {
  return a + (b - a) * t;
}

// element-wise lerp of two equal-length arrays into `out` (b alone when lengths differ)
function lerpArray(a, b, t, out) {
  if (!a || !b || a.length !== b.length) return b;
  const o = out && out.length === b.length ? out : new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) o[i] = a[i] + (b[i] - a[i]) * t;
  return o;
}

function easeInOut(t) {
  return t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
}

// Contour segments of a G x G field (row 0 at the top) at `level`, by marching squares on
// the cell centres; returns [x0, y0, x1, y1, ...] in plane coordinates.
function contourSegments(field, G, win, level) {
  const segs = [];
  const dx = (win[1] - win[0]) / G, dy = (win[3] - win[2]) / G;
  const X = (c) => win[0] + (c + 0.5) * dx;
  const Y = (r) => win[3] - (r + 0.5) * dy;
  const at = (r, c) => field[r * G + c];
  const cross = (va, vb) => (level - va) / (vb - va);
  for (let r = 0; r < G - 1; r++) {
    for (let c = 0; c < G - 1; c++) {
      const a = at(r, c), b = at(r, c + 1), d = at(r + 1, c), e = at(r + 1, c + 1);
      const idx = (a > level) | ((b > level) << 1) | ((e > level) << 2) | ((d > level) << 3);
      if (idx === 0 || idx === 15) continue;
      // edge points: top (a-b), right (b-e), bottom (d-e), left (a-d)
      const top = () => [X(c + cross(a, b)), Y(r)];
      const right = () => [X(c + 1), Y(r + cross(b, e))];
      const bottom = () => [X(c + cross(d, e)), Y(r + 1)];
      const left = () => [X(c), Y(r + cross(a, d))];
      const pairs = {
        1: [[left, top]], 2: [[top, right]], 3: [[left, right]], 4: [[right, bottom]],
        5: [[left, top], [right, bottom]], 6: [[top, bottom]], 7: [[left, bottom]],
        8: [[bottom, left]], 9: [[bottom, top]], 10: [[top, right], [bottom, left]],
        11: [[bottom, right]], 12: [[right, left]], 13: [[right, top]], 14: [[top, left]],
      }[idx];
      for (const [p, q] of pairs) {
        const u = p(), v = q();
        segs.push(u[0], u[1], v[0], v[1]);
      }
    }
  }
  return segs;
}

function fmtLoss(v) {
  if (v === undefined || v === null || !isFinite(v)) return "–";
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}
