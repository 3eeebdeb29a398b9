// Take-home page: the replay of a recorded Watch it learn run, with its timeline.
//
// Appended to the Watch component's module (aae_core/web/watch/assets.JS), so Plane, DigitStrip,
// decodeView and fmtLoss are the Watch page's. th-replay-data holds the recording
// (aae_core/web/take_home/build.py: aae_core/watch/recording.py's packets, the AAE's view only; a
// packet without density or prior samples keeps the packet before's).

const PLAY_MS = 260; // between two timeline stops while playing
const PLANE_MAX = 460; // CSS px of the plane's square at most

function takeHomeReplay() {
  const rec = JSON.parse(document.getElementById("th-replay-data").textContent);
  const body = document.querySelector(".th-replay-body");
  if (!rec) {
    body.hidden = true;
    document.querySelector(".th-replay-none").hidden = false;
    return;
  }
  const meta = rec.meta;
  const labels = AAEBase64.bytes(meta.labels);
  const originals = unpackImages(meta.originals, meta.fixed_labels.length, 784);
  // carry density and prior samples forward, then decode each packet once, when shown
  let carried = {};
  const raw = rec.packets.map((p) => {
    carried = { ...carried, ...p.aae };
    return { step: p.step, losses: p.losses || {}, view: carried };
  });
  const views = new Array(raw.length).fill(null);
  const viewAt = (i) => {
    if (!views[i]) {
      const last = i > 0 ? views[i - 1] : null;
      views[i] = decodeView(raw[i].view, meta, null, last);
    }
    return views[i];
  };
  const plane = new Plane(document.querySelector(".th-plane"));
  const strip = new DigitStrip(document.querySelector(".th-strip"));
  plane.palette = strip.palette = rec.palette; // aae_core.images.PALETTE, as the Watch gets it
  const scrub = document.querySelector(".th-scrub");
  const timeLabel = document.querySelector(".th-time");
  const statsEl = document.querySelector(".th-stats");
  const playBtn = document.querySelector(".th-play");
  document.querySelector(".th-replay-about").textContent =
    `A 2-D AAE learning ${rec.dataset || "digits"} from scratch, ${rec.steps} training steps, ` +
    `recorded at ${raw.length} moments. Drag the timeline (or press Play): the held-out ` +
    "digits' codes move over the discriminator's verdict until they fill the prior.";
  scrub.max = String(raw.length - 1);
  let at = 0, timer = 0;

  const render = () => {
    const width = body.clientWidth || PLANE_MAX;
    plane.resize(Math.max(160, Math.min(PLANE_MAX, width - MARGIN.l - MARGIN.r)));
    for (let i = 0; i <= at; i++) viewAt(i); // in order: a packet's missing D map is the one before's
    const view = views[at];
    plane.draw(view, { labels, arrows: true, arrowIdx: meta.arrow_idx,
      fixedLabels: meta.fixed_labels, trails: null, trailOn: null });
    strip.draw([
      { label: "held-out digits", images: originals, colored: true },
      { label: "AAE rebuilds", images: view.recon },
      { label: "decoded prior z", images: view.samples },
    ], meta.fixed_labels.length, Math.min(width, plane.side + 58), meta.fixed_labels);
    const l = raw[at].losses;
    timeLabel.textContent = `step ${raw[at].step} · ${at + 1} of ${raw.length}`;
    const rows = [["reconstruction loss", l.recon_loss], ["D loss", l.d_loss],
      ["encoder's adversarial loss", l.g_loss]];
    statsEl.replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = fmtLoss(v);
      return [dt, dd];
    }));
    body.dataset.frame = String(at);
  };
  const stop = () => {
    clearInterval(timer);
    timer = 0;
    playBtn.textContent = "▶ Play";
  };
  scrub.addEventListener("input", () => {
    stop();
    at = +scrub.value;
    render();
  });
  playBtn.addEventListener("click", () => {
    if (timer) return stop();
    if (at >= raw.length - 1) at = 0;
    playBtn.textContent = "❚❚ Pause";
    timer = setInterval(() => {
      at = Math.min(raw.length - 1, at + 1);
      scrub.value = String(at);
      render();
      if (at >= raw.length - 1) stop();
    }, PLAY_MS);
  });
  new ResizeObserver(() => render()).observe(body);
  render();
}

takeHomeReplay();
