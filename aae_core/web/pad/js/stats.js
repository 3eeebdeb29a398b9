// Latent pad: test and benchmark instrumentation, OFF unless a test asks.
//
// A test opts in before the page loads (Playwright: page.add_init_script(
// "globalThis.__aaePadStats = true")); each pad then registers a PadStats object as
// window.__aaePad[key]. Without the flag the pad holds no PadStats and does no bookkeeping
// (every hook is `this.stats?.hook(...)`, skipped whole when stats is null).

const MAX_SAMPLES = 5000; // timing entries kept for benchmarks

function statsWanted() {
  return globalThis.__aaePadStats === true;
}

function statsRegistry() {
  return globalThis.__aaePad || (globalThis.__aaePad = {});
}

class PadStats {
  constructor(pad) {
    this.pad = pad;
    this.key = null;
    this.frames = 0;
    this.decodeMs = [];
    this.frameMs = [];
    this.lastImage = null; // Float32Array: the digit painted last (its own copy)
    this.strip = null; // [Float32Array] along the interpolation path, when there is one
    this.z = [];
    this.ends = null;
    this.seq = 0;
    this.releases = 0;
    this.dragging = false;
    this.modelId = null;
    this.ready = false;
    this.error = null;
    this.parses = 0;
    this.decoderSent = false;
    this.needs = [];
    this.picked = null;
    this.hidden = [];
    this.background = "codes";
    this.drawnPoints = 0;
    this.layout = null;
    this.server = null; // {z, image: Float32Array}: Python's authoritative decode, if sent
  }

  // page coordinates (CSS px) of latent point (x, y), for tests driving the mouse
  clientOf(x, y) {
    const rect = this.pad.canvas.getBoundingClientRect();
    const [px, py] = this.pad.geom.toPx(x, y);
    return [rect.left + px, rect.top + py];
  }

  register(key) {
    const reg = statsRegistry();
    if (this.key !== null && reg[this.key] === this) delete reg[this.key];
    this.key = key;
    reg[key] = this;
  }

  unregister() {
    const reg = statsRegistry();
    if (this.key !== null && reg[this.key] === this) delete reg[this.key];
  }

  push(list, v) {
    list.push(v);
    if (list.length > MAX_SAMPLES) list.splice(0, MAX_SAMPLES / 2);
  }

  onData(data, pad) {
    this.decoderSent = !!data.decoder;
    this.star = data.star || null;
    if (data.server) {
      this.server = { z: data.server.z, image: AAEBase64.float32(data.server.image) };
    }
    this.layout = { ...pad.size };
  }

  onModel(pad, parsed, error) {
    if (parsed) this.parses += 1;
    if (error) this.error = error;
    this.modelId = pad.model ? pad.modelId : null;
    this.ready = !!pad.model;
  }

  onNeed(id) {
    this.needs.push(id);
  }

  onBackground(legend, drawn) {
    this.hidden = [...legend.hidden].sort((a, b) => a - b);
    this.background = legend.background;
    this.drawnPoints = drawn;
  }

  // t0: frame start, t1: after decoding and painting the digit(s), t2: frame end
  onFrame(pad, image, strip, t0, t1, t2) {
    if (image) {
      this.lastImage = image.slice();
      this.frames += 1;
      this.push(this.decodeMs, t1 - t0);
    }
    this.strip = strip ? strip.map((s) => s.slice()) : null;
    this.z = pad.z.slice();
    this.ends = pad.ends ? pad.ends.map((e) => e.slice()) : null;
    this.dragging = pad.dragging;
    this.picked = pad.picked;
    this.push(this.frameMs, t2 - t0);
  }

  onRelease(pad) {
    this.seq = pad.seq;
    this.releases += 1;
    this.dragging = false;
  }
}
