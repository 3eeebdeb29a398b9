// Take-home page: the pad (explore and interpolate), the label and the prior sampler.
//
// Appended to the pad's own module (aae_core/web/pad/assets.JS), so Pad, padTheme and AAEDecoder are
// the Explore page's. Instead of Python, this file hands the Pad its data (th-data, built
// by aae_core/web/take_home/build.py) and keeps the state Python keeps on Explore: the mode, the
// marker's z, the two ends, the steps, the label. No api: the pad reports to nobody.

const SAMPLES_SHOWN = 16; // digits a click on "Draw" decodes (4 x 4)
const SAMPLE_COLS = 4;

function takeHome() {
  const TH = JSON.parse(document.getElementById("th-data").textContent);
  const root = document.querySelector(".aae-pad-root");
  const pad = new Pad(root);
  pad.th = padTheme(root);
  pad.thKey = JSON.stringify(pad.th);
  const state = { mode: "point", z: TH.z.slice(), ends: TH.ends, steps: 10, label: 0 };
  const fixed = {
    key: "take-home", model_id: TH.decoder.id, decoder: TH.decoder,
    points_id: TH.points ? TH.points.id : null, points: TH.points,
    density_id: TH.density ? TH.density.id : null, density: TH.density,
    classes: TH.classes, dims: [0, 1], bounds: TH.bounds, seq: 0, height: 440,
    image_px: 196, fit: false, scale: 1, server: null,
  };
  const cond = () => Array.from({ length: TH.cond_dim }, (_, k) => (k === state.label ? 1 : 0));
  // what the pad shows now (the user's drags included), so a mode change keeps it
  const remember = () => {
    if (pad.ends) state.ends = pad.ends.map((e) => e.slice());
    else state.z = pad.z.slice();
  };
  const show = () => pad.update({ ...fixed, mode: state.mode, z: state.z,
    ends: state.mode === "path" ? state.ends : null, steps: state.steps, cond: cond() }, null);

  bindModes(state, remember, show, !!TH.ends);
  bindLabels(TH.labels, state, remember, show);
  show();
  bindSampler(TH, state, pad, remember, show, cond);
  globalThis.__takeHome = { pad, state }; // for tests: what the page shows
}

function pressed(buttons, which) {
  for (const b of buttons) b.setAttribute("aria-pressed", String(b === which));
}

function bindModes(state, remember, show, canInterpolate) {
  const modes = [...document.querySelectorAll(".th-mode")];
  const stepsLabel = document.querySelector(".th-steps-label");
  const steps = document.querySelector(".th-steps");
  const stepsOut = document.querySelector(".th-steps-out");
  if (!canInterpolate) modes.find((b) => b.dataset.mode === "path").hidden = true;
  for (const b of modes) {
    b.addEventListener("click", () => {
      remember();
      state.mode = b.dataset.mode;
      pressed(modes, b);
      stepsLabel.hidden = state.mode !== "path";
      document.querySelector(".th-hint-point").hidden = state.mode === "path";
      document.querySelector(".th-hint-path").hidden = state.mode !== "path";
      show();
    });
  }
  steps.addEventListener("input", () => {
    remember();
    state.steps = +steps.value;
    stepsOut.textContent = steps.value;
    show();
  });
}

// label-conditioned decoders: one button per label (textContent: names are the card's text)
function bindLabels(names, state, remember, show) {
  const host = document.querySelector(".th-labels");
  if (!names.length) return;
  host.hidden = false;
  const caption = document.createElement("span");
  caption.className = "th-caption";
  caption.textContent = "Label fed to the decoder:";
  host.append(caption);
  const buttons = names.map((name, k) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "th-label";
    b.textContent = name;
    b.setAttribute("aria-pressed", String(k === state.label));
    b.addEventListener("click", () => {
      remember();
      state.label = k;
      pressed(buttons, b);
      show();
      document.dispatchEvent(new CustomEvent("th-label")); // the samples follow the label
    });
    return b;
  });
  host.append(...buttons);
}

// "Draw": SAMPLES_SHOWN codes from the pool of prior samples, decoded here; a click on a
// digit puts the marker on its code
function bindSampler(TH, state, pad, remember, show, cond) {
  const canvas = document.querySelector(".th-samples");
  const note = document.querySelector(".th-sample-note");
  const ctx = canvas.getContext("2d");
  const tile = document.createElement("canvas");
  let drawn = [];
  // decode `drawn` (the codes shown) with the label chosen now
  const paint = () => {
    const model = pad.model;
    if (!model) return;
    const side = model.side;
    tile.width = tile.height = side;
    const tileCtx = tile.getContext("2d");
    const img = tileCtx.createImageData(side, side);
    canvas.width = canvas.height = side * SAMPLE_COLS;
    drawn.forEach((z, i) => {
      AAEDecoder.paintGray(tileCtx, img, model.decode(z, cond()));
      ctx.drawImage(tile, (i % SAMPLE_COLS) * side, Math.floor(i / SAMPLE_COLS) * side);
    });
  };
  const draw = () => {
    drawn = Array.from({ length: SAMPLES_SHOWN },
      () => TH.pool[Math.floor(Math.random() * TH.pool.length)]);
    paint();
    note.textContent = `${SAMPLES_SHOWN} of ${TH.pool.length} codes the prior drew`;
    canvas.dataset.draws = String(+(canvas.dataset.draws || 0) + 1);
  };
  document.querySelector(".th-draw").addEventListener("click", draw);
  document.addEventListener("th-label", paint);
  canvas.addEventListener("click", (ev) => {
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor(((ev.clientX - rect.left) / rect.width) * SAMPLE_COLS);
    const row = Math.floor(((ev.clientY - rect.top) / rect.height) * SAMPLE_COLS);
    const z = drawn[row * SAMPLE_COLS + col];
    if (!z) return;
    remember();
    state.z = z.slice();
    if (state.mode === "path") document.querySelector(".th-mode[data-mode='point']").click();
    else show();
    document.getElementById("th-explore").scrollIntoView({ behavior: "smooth" });
  });
  draw();
}

takeHome();
