// Watch it learn: the model diagram that lights the running phase, and the digit strips.

const PHASE_TEXT = {
  reconstruct: ["Reconstruct",
    "Encoder and decoder learn to copy the digit. The codes move; D does not change."],
  discriminator: ["Update the discriminator",
    "D learns to tell prior samples from codes. The heatmap changes; the codes do not."],
  encoder: ["Update the encoder",
    "The encoder pushes its codes where D says “prior”: they move along the arrows. D is frozen."],
  train: ["Training", "Every step runs the three phases on one batch of 100 digits."],
  paused: ["Paused", "Press Play, or step through one phase at a time."],
};

// which nodes and edges each phase lights (ids in DIAGRAM_SVG)
const PHASE_PARTS = {
  reconstruct: ["n-x", "n-enc", "n-z", "n-dec", "n-xr", "e-x-enc", "e-enc-z", "e-z-dec", "e-dec-xr"],
  discriminator: ["n-z", "n-p", "n-d", "e-z-d", "e-p-d", "e-d-out", "n-out"],
  encoder: ["n-x", "n-enc", "n-z", "n-d", "e-x-enc", "e-enc-z", "e-z-d", "e-grad"],
};

const DIAGRAM_SVG = `
<svg viewBox="0 0 440 200" class="ww-diagram" role="img" aria-label="Model diagram">
  <defs>
    <marker id="ww-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
            orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>
  </defs>
  <g class="ww-edges" fill="none" stroke-width="2.4" marker-end="url(#ww-arr)">
    <path id="e-x-enc" d="M52,42 L84,42"/>
    <path id="e-enc-z" d="M176,42 L204,42"/>
    <path id="e-z-dec" d="M248,42 L276,42"/>
    <path id="e-dec-xr" d="M368,42 L396,42"/>
    <path id="e-z-d" d="M226,60 L226,126"/>
    <path id="e-p-d" d="M118,150 L170,150"/>
    <path id="e-d-out" d="M284,150 L310,150"/>
    <path id="e-grad" class="ww-grad" d="M196,164 C 150,196 110,110 130,64"/>
  </g>
  <g class="ww-nodes">
    <g id="n-x"><rect x="14" y="26" width="38" height="32" rx="7"/><text x="33" y="47">x</text></g>
    <g id="n-enc" class="ww-net"><rect x="84" y="22" width="92" height="40" rx="9"/><text x="130" y="47">encoder</text></g>
    <g id="n-z" class="ww-var"><ellipse cx="226" cy="42" rx="22" ry="18"/><text x="226" y="47">z</text></g>
    <g id="n-dec" class="ww-net"><rect x="276" y="22" width="92" height="40" rx="9"/><text x="322" y="47">decoder</text></g>
    <g id="n-xr"><rect x="396" y="26" width="38" height="32" rx="7"/><text x="415" y="47">x̂</text></g>
    <g id="n-p" class="ww-var"><ellipse cx="84" cy="150" rx="34" ry="18"/><text x="84" y="155">z′~p(z)</text></g>
    <g id="n-d" class="ww-adv"><rect x="170" y="128" width="114" height="44" rx="9"/><text x="227" y="155">discriminator</text></g>
    <g id="n-out"><text x="360" y="146" class="ww-small">prior</text><text x="360" y="164" class="ww-small">or code?</text></g>
  </g>
</svg>`;

class Diagram {
  constructor(host) {
    host.innerHTML = DIAGRAM_SVG;
    this.svg = host.querySelector("svg");
    this.title = host.parentElement.querySelector(".ww-phase-title");
    this.text = host.parentElement.querySelector(".ww-phase-text");
    this.phase = null;
  }

  light(phase) {
    if (phase === this.phase) return;
    this.phase = phase;
    const parts = PHASE_PARTS[phase];
    this.svg.dataset.phase = phase;
    this.svg.querySelectorAll("[id^='n-'], [id^='e-']").forEach((el) => {
      el.classList.toggle("ww-on", !!parts && parts.includes(el.id));
      el.classList.toggle("ww-off", !!parts && !parts.includes(el.id));
    });
    const frozen = phase === "encoder";
    this.svg.querySelector("#n-d").classList.toggle("ww-frozen", frozen);
    const [title, text] = PHASE_TEXT[phase] || PHASE_TEXT.train;
    this.title.textContent = title;
    this.text.textContent = text;
  }
}

// Rows of 28x28 digits on one canvas: [{label, images: Uint8Array(n*784)}]
class DigitStrip {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.tile = document.createElement("canvas");
    this.tile.width = 28;
    this.tile.height = 28;
    this.tileCtx = this.tile.getContext("2d");
    this.tileImage = this.tileCtx.createImageData(28, 28);
    this.layout = null;
    this.palette = []; // class colours (aae_core.images.PALETTE), set by the Watch
  }

  // rows: [{label, images (n * 784 bytes) or null, colored}]; each row's label sits left of
  // its digits, or above them where the digits would not fit beside it (a phone)
  draw(rows, n, width, labels) {
    const dpr = window.devicePixelRatio || 1;
    const gap = 4, minCell = 26;
    const above = width - 118 < n * (minCell + gap);
    const labelW = above ? 0 : 118, labelH = above ? 18 : 0;
    const cell = Math.max(above ? 16 : minCell,
      Math.min(56, Math.floor((width - labelW) / n) - gap));
    const rowH = labelH + cell + gap;
    const w = labelW + n * (cell + gap), h = rows.length * rowH;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
    }
    this.layout = { labelW, cell, gap };
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const style = getComputedStyle(this.canvas);
    ctx.font = `14px ${style.fontFamily}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = above ? "left" : "right";
    ctx.imageSmoothingEnabled = false;
    rows.forEach((row, r) => {
      const top = r * rowH, y = top + labelH;
      ctx.fillStyle = style.color || "#31333f";
      if (above) ctx.fillText(row.label, 0, top + labelH / 2);
      else ctx.fillText(row.label, labelW - 10, y + cell / 2);
      for (let i = 0; i < n; i++) {
        const px = this.tileImage.data;
        for (let p = 0; p < 784; p++) {
          const v = row.images ? row.images[i * 784 + p] : 0;
          px[4 * p] = px[4 * p + 1] = px[4 * p + 2] = v;
          px[4 * p + 3] = 255;
        }
        this.tileCtx.putImageData(this.tileImage, 0, 0);
        const x = labelW + i * (cell + gap);
        ctx.drawImage(this.tile, x, y, cell, cell);
        if (row.colored && labels) {
          ctx.fillStyle = classColor(this.palette, labels[i]);
          ctx.fillRect(x, y + cell - 4, cell, 4);
        }
      }
    });
  }

  // index of the digit column under CSS px (x, y), or -1
  hit(x) {
    if (!this.layout) return -1;
    const { labelW, cell, gap } = this.layout;
    const i = Math.floor((x - labelW) / (cell + gap));
    return x >= labelW && (x - labelW) % (cell + gap) < cell ? i : -1;
  }
}
