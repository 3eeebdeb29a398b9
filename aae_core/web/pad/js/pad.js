// Latent pad: the Pad. It holds the state (z, or the two ends of a path),
// applies Python's data, lays out the map and the digit, and on every animation frame
// decodes in the browser and paints. On release it sends the full z (or both ends) to
// Python once: setStateValue("z", {z, xy, seq, have, picked}) or ("ends", {ends, seq, have}).

const PICK_RADIUS = 10; // CSS px: a click this close to a shown code snaps onto it
const END_RADIUS = 28; // CSS px: a press this close to a path end grabs that end
const MARKER_HIT = 12; // CSS px: a click this close to the marker (or an end) is on it

class Pad {
  constructor(root) {
    this.root = root;
    this.canvas = root.querySelector(".aae-pad");
    this.preview = root.querySelector(".aae-preview");
    this.strip = root.querySelector(".aae-strip");
    this.caption = root.querySelector(".aae-caption");
    this.readout = root.querySelector(".aae-readout");
    this.pickedText = root.querySelector(".aae-picked");
    this.status = root.querySelector(".aae-status");
    this.padCtx = this.canvas.getContext("2d");
    this.prevCtx = this.preview.getContext("2d");
    this.stripCtx = this.strip.getContext("2d");
    this.bg = document.createElement("canvas"); // the static layer, redrawn only when dirty
    this.bgDirty = true;
    this.geom = new PlotGeometry();
    this.size = { side: 0, digit: 0, stacked: false };
    this.th = null;
    this.api = null;
    this.key = null;
    this.data = null;
    this.z = [0, 0];
    this.ends = null; // path mode: [zA, zB] (full vectors)
    this.active = 1; // path mode: the end being moved (and shown as the big digit)
    this.endPicked = [null, null]; // path mode: held-out index of the code each end sits on
    this.dims = [0, 1];
    this.cond = [];
    this.model = null;
    this.modelId = null;
    this.points = null;
    this.pointsId = null;
    this.density = null;
    this.densityId = null;
    this.requested = new Set(); // ids already asked for with "need"
    this.imageData = null;
    this.lastDataZ = "";
    this.seq = 0;
    this.dragging = false;
    this.pending = null; // [x, y] waiting for the next animation frame
    this.picked = null; // held-out index of the code a click snapped to
    this.raf = 0;
    this.stats = statsWanted() ? new PadStats(this) : null;
    this.frame = this.frame.bind(this);
    this.input = new PadInput(this.canvas, this);
    this.legend = new Legend(root.querySelector(".aae-legend"), () => {
      this.bgDirty = true;
      this.frame();
    });
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(root);
    this.onWindowResize = () => this.layout();
    globalThis.addEventListener("resize", this.onWindowResize);
  }

  destroy() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.resizeObserver.disconnect();
    globalThis.removeEventListener("resize", this.onWindowResize);
    this.input.destroy();
    this.stats?.unregister();
    delete this.root.__aaePad;
  }

  // ---- data from Python -------------------------------------------------------------
  update(data, api) {
    this.api = api;
    this.data = data;
    if (this.key !== data.key) {
      this.key = data.key;
      this.root.dataset.key = data.key;
      this.stats?.register(data.key);
    }
    this.seq = Math.max(this.seq, data.seq || 0);
    this.loadModel(data);
    this.loadPoints(data);
    this.loadDensity(data);
    const cond = data.cond || [];
    if (JSON.stringify(cond) !== JSON.stringify(this.cond)) this.bgDirty = true; // lattice
    this.cond = cond;
    const options = ["codes", ...(data.density_id ? ["prior"] : []), "digits"];
    this.legend.render(this.points ? data.classes || [] : [], this.points ? options : ["codes"]);
    this.applyGeometry(data);
    this.applyPosition(data);
    this.stats?.onData(data, this);
    if (!this.dragging) this.frame();
  }

  applyGeometry(data) {
    const geom = JSON.stringify([data.bounds, data.dims, data.height, data.image_px, data.fit,
      data.scale, data.mode, data.steps]);
    if (geom === this.geomKey) return;
    this.geomKey = geom;
    this.geom.bounds = data.bounds;
    this.dims = data.dims;
    this.root.classList.toggle("aae-path", data.mode === "path");
    this.root.style.setProperty("--aae-scale", String(data.scale || 1));
    this.strip.hidden = data.mode !== "path";
    this.size.side = 0; // force a relayout
    this.layout();
  }

  applyPosition(data) {
    const key = JSON.stringify([data.z, data.ends]);
    if (key === this.lastDataZ) return;
    this.lastDataZ = key;
    if (this.dragging) return; // during a drag the user's hand wins
    this.z = data.z.slice();
    this.ends = data.mode === "path" && data.ends ? data.ends.map((e) => e.slice()) : null;
    this.picked = null;
    this.endPicked = [null, null];
  }

  loadModel(data) {
    if (data.model_id === this.modelId && this.model) return;
    let model = cacheGet(CACHE.models, data.model_id);
    let parsed = false, error = null;
    if (!model && data.decoder) {
      try {
        model = new AAEDecoder.MLPDecoder(data.decoder);
        parsed = true;
        cachePut(CACHE.models, data.model_id, model);
      } catch (err) {
        error = String(err.message);
        this.setStatus(`Cannot load the decoder: ${err.message}`, true);
      }
    }
    if (!model && !data.decoder) this.request(data.model_id);
    this.model = model || null;
    this.modelId = data.model_id;
    this.bgDirty = true;
    this.root.dataset.ready = model ? "1" : "0";
    this.stats?.onModel(this, parsed, error);
    if (model) {
      this.setStatus("");
      if (this.preview.width !== model.side) this.preview.width = this.preview.height = model.side;
      this.imageData = this.prevCtx.createImageData(model.side, model.side);
    } else if (!error) {
      this.setStatus("Loading the decoder…");
    }
  }

  // a cached payload (points or density): from the cache, from data, or asked for
  loadCached(map, id, payload, decode) {
    if (!id) return null;
    let v = cacheGet(map, id);
    if (!v && payload) {
      v = decode(payload);
      cachePut(map, id, v);
    }
    if (!v) this.request(id);
    return v || null;
  }

  loadPoints(data) {
    const id = data.points_id || null;
    if (id === this.pointsId && (this.points || !id)) return;
    this.points = this.loadCached(CACHE.points, id, data.points, decodePoints);
    this.pointsId = id;
    this.bgDirty = true;
  }

  loadDensity(data) {
    const id = data.density_id || null;
    if (id === this.densityId && (this.density || !id)) return;
    this.density = this.loadCached(CACHE.densities, id, data.density, decodeDensity);
    this.densityId = id;
    this.bgDirty = true;
  }

  // Python left out a payload we do not hold (cache evicted): ask once, it reruns and sends
  request(id) {
    if (this.requested.has(id) || !this.api) return;
    this.requested.add(id);
    this.stats?.onNeed(id);
    this.api.setTriggerValue("need", id);
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("aae-error", isError);
    this.status.hidden = !text;
  }
}
