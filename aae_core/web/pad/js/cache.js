// Latent pad: the per-document cache of decoded payloads.
//
// Decoded models, point sets and density grids are kept by content id, so a re-render never
// re-parses weights and Python may omit payloads the browser already holds ("have").

const MAX_CACHED = 6; // entries kept per kind (least recently used goes first)

const CACHE = globalThis.__aaePadCache ||
  (globalThis.__aaePadCache = { models: new Map(), points: new Map(), densities: new Map() });

function cacheGet(map, id) {
  const v = map.get(id);
  if (v !== undefined) {
    map.delete(id);
    map.set(id, v);
  }
  return v;
}

function cachePut(map, id, v) {
  map.set(id, v);
  while (map.size > MAX_CACHED) map.delete(map.keys().next().value);
}

function cachedIds() {
  return [...CACHE.models.keys(), ...CACHE.points.keys(), ...CACHE.densities.keys()];
}

// {n, xy: Float32Array (2n), labels: Uint8Array (n), index: Uint32Array (n) | null}
function decodePoints(p) {
  const index = p.index ? AAEBase64.uint32(p.index) : null;
  return { n: p.n, xy: AAEBase64.float32(p.xy), labels: AAEBase64.bytes(p.labels), index };
}

// {nx, ny, grid: Uint8Array (ny * nx), row 0 at the bottom}
function decodeDensity(d) {
  return { nx: d.nx, ny: d.ny, grid: AAEBase64.bytes(d.grid) };
}
