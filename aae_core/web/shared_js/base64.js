// Base64 of little-endian arrays -> typed arrays: the one decoder of the latent pad and of
// Watch it learn (each component's bundle puts this file first; see aae_core/web/bundle.py).
//
// Python encodes with aae_core/web/pad/payload.py (float32 weights and images, uint8 labels and
// grids, uint32 indices)
// and aae_core/watch/packet.py (int16 positions, uint8 fields, float32 arrows). Every
// decode checks that the byte count is a whole number of elements, so a truncated payload
// fails loudly instead of drawing garbage.
//
// Loads both as a classic <script> (defines globalThis.AAEBase64) and inside an ES module.
const AAEBase64 = (() => {
  "use strict";

  const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const GETTERS = { Int16Array: "getInt16", Uint32Array: "getUint32", Float32Array: "getFloat32" };

  // base64 text -> a fresh Uint8Array (its own buffer, byteOffset 0)
  function bytes(b64) {
    if (typeof b64 !== "string") throw new Error("base64 payload is not a string");
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(b64);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // base64 -> Type (Int16Array, Uint32Array or Float32Array), read as little-endian
  function typed(b64, Type, what) {
    const raw = bytes(b64);
    const size = Type.BYTES_PER_ELEMENT;
    if (raw.length % size !== 0) {
      throw new Error(`${what} payload length ${raw.length} is not a multiple of ${size}`);
    }
    const n = raw.length / size;
    // `raw` owns its buffer from offset 0, so a view is aligned and safe to keep
    if (LITTLE_ENDIAN) return new Type(raw.buffer, raw.byteOffset, n);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const out = new Type(n);
    for (let i = 0; i < n; i++) out[i] = view[GETTERS[Type.name]](size * i, true);
    return out;
  }

  const float32 = (b64) => typed(b64, Float32Array, "float32");
  const int16 = (b64) => typed(b64, Int16Array, "int16");
  const uint32 = (b64) => typed(b64, Uint32Array, "uint32");

  return { bytes, float32, int16, uint32 };
})();

if (typeof globalThis !== "undefined" && !globalThis.AAEBase64) globalThis.AAEBase64 = AAEBase64;
