// Axis ticks of a latent plane: the one tick maker of the latent pad and of Watch it learn.

// ~n "nice" ticks (1, 2, 2.5, 5 x 10^k steps) inside [lo, hi]; `ends` are the bounds when
// they are not ticks themselves (labelled too, so a plane's extent is always readable)
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

// a tick's text: as many decimals as the step needs, a true minus sign
function tickLabel(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(digits + (step * Math.pow(10, digits) % 1 ? 1 : 0), 4)).replace("-", "−");
}
