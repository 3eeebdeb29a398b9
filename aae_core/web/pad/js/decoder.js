// AAE latent pad: an MLP decoder for the browser (no library, no build step).
//
// Rebuilds the decoder sent by aae_core/web/pad/payload.py (base64 float32 weights, W row-major
// (out, in)) as Float32Arrays and runs it with preallocated buffers, so one decode of
// 2 -> 256 -> 256 -> 784 allocates nothing and takes well under a millisecond.
//
// Its weights are read by the shared base64 decoder (aae_core/web/shared_js/base64.js, AAEBase64).
// Loads both as a classic <script> after base64.js (defines globalThis.AAEDecoder; see
// aae_core/web/pad/assets.py:standalone_decoder_js) and as part of the pad component's ES module.
const AAEDecoder = (() => {
  "use strict";

  const ACT = { none: 0, relu: 1, leaky_relu: 2, sigmoid: 3, tanh: 4 };
  const LEAKY_SLOPE = 0.2;

  // y = act(W x + b), W (nOut, nIn) row-major; four partial sums keep the FPU pipelines busy
  function dense(w, b, x, y, nIn, nOut, act) {
    const n4 = nIn - (nIn % 4);
    for (let j = 0, row = 0; j < nOut; j++, row += nIn) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let i = 0;
      for (; i < n4; i += 4) {
        s0 += w[row + i] * x[i];
        s1 += w[row + i + 1] * x[i + 1];
        s2 += w[row + i + 2] * x[i + 2];
        s3 += w[row + i + 3] * x[i + 3];
      }
      let s = b[j] + (s0 + s1) + (s2 + s3);
      for (; i < nIn; i++) s += w[row + i] * x[i];
      y[j] = s;
    }
    switch (act) {
      case ACT.relu:
        for (let j = 0; j < nOut; j++) if (y[j] < 0) y[j] = 0;
        break;
      case ACT.leaky_relu:
        for (let j = 0; j < nOut; j++) if (y[j] < 0) y[j] *= LEAKY_SLOPE;
        break;
      case ACT.sigmoid:
        for (let j = 0; j < nOut; j++) y[j] = 1 / (1 + Math.exp(-y[j]));
        break;
      case ACT.tanh:
        for (let j = 0; j < nOut; j++) y[j] = Math.tanh(y[j]);
        break;
      default:
        break;
    }
  }

  class MLPDecoder {
    // payload: the dict made by aae_core/web/pad/payload.py:decoder_payload
    constructor(payload) {
      this.id = payload.id;
      this.latentDim = payload.latent_dim;
      this.condDim = payload.cond_dim;
      this.layers = [];
      let nIn = this.latentDim + this.condDim;
      for (const [k, l] of payload.layers.entries()) {
        if (!(l.act in ACT)) throw new Error(`layer ${k}: unknown activation ${l.act}`);
        if (l.in !== nIn) throw new Error(`layer ${k}: expects ${l.in} inputs, has ${nIn}`);
        const w = AAEBase64.float32(l.w);
        const b = AAEBase64.float32(l.b);
        if (w.length !== l.in * l.out || b.length !== l.out) {
          throw new Error(`layer ${k}: weight sizes do not match ${l.out}x${l.in}`);
        }
        this.layers.push({ w, b, nIn: l.in, nOut: l.out, act: ACT[l.act], y: new Float32Array(l.out) });
        nIn = l.out;
      }
      if (this.layers.length === 0) throw new Error("decoder has no layers");
      this.input = new Float32Array(this.latentDim + this.condDim);
      this.outDim = nIn;
      this.side = Math.round(Math.sqrt(nIn));
    }

    // z: latentDim numbers, cond: condDim numbers (or null -> zeros).
    // Returns the internal output buffer (valid until the next call): side*side in [0, 1].
    decode(z, cond) {
      const x = this.input;
      const L = this.latentDim;
      for (let i = 0; i < L; i++) x[i] = z[i];
      for (let i = 0; i < this.condDim; i++) x[L + i] = cond ? cond[i] : 0;
      let src = x;
      for (const l of this.layers) {
        dense(l.w, l.b, src, l.y, l.nIn, l.nOut, l.act);
        src = l.y;
      }
      return src;
    }
  }

  // Gray image (0 = black, 1 = white, MNIST-style) into an ImageData, then onto ctx at (0, 0).
  function paintGray(ctx, imageData, pixels) {
    const d = imageData.data;
    for (let i = 0, k = 0; i < pixels.length; i++, k += 4) {
      const v = pixels[i];
      const g = v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
      d[k] = g;
      d[k + 1] = g;
      d[k + 2] = g;
      d[k + 3] = 255;
    }
    ctx.putImageData(imageData, 0, 0);
  }

  return { MLPDecoder, dense, paintGray, ACT };
})();

if (typeof globalThis !== "undefined" && !globalThis.AAEDecoder) globalThis.AAEDecoder = AAEDecoder;
