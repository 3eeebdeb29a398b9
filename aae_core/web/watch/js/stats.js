// Watch it learn: test and benchmark instrumentation, OFF unless a test asks.
//
// A test opts in before the page loads (Playwright: page.add_init_script(
// "globalThis.__aaeWatchStats = true"), bench/browser.py:enable_watch_stats); the Watch
// then keeps one WatchStats as globalThis.__aaeWatch (one per document, so the counts
// survive a remount). Without the flag the Watch holds no WatchStats and does no
// bookkeeping: every hook is `this.stats?.hook(...)`, skipped whole when stats is null, so
// no packet is measured with JSON.stringify and no list grows.

const STATS_KEPT = 4000; // entries kept per list (the oldest half goes beyond)

function watchStatsWanted() {
  return globalThis.__aaeWatchStats === true;
}

function watchStats() {
  return globalThis.__aaeWatch || (globalThis.__aaeWatch = new WatchStats());
}

class WatchStats {
  constructor() {
    this.received = 0; // packets taken in
    this.drawn = 0; // packets the player animated to
    this.skipped = 0; // packets dropped because the player fell behind
    this.played = []; // seq of each packet animated to, in order
    this.perCall = []; // fresh packets each component call brought
    this.seqs = []; // seq of each packet received, in arrival order
    this.arrivals = []; // performance.now() at each arrival
    this.bytes = []; // JSON size of each packet
    this.calls = 0;
    this.callBytes = []; // JSON size of each call's data
    this.frameMs = []; // drawing time of each animation frame
    this.lastPacket = null; // a summary of the newest packet (seq, step, losses, ...)
    this.painted = 0; // painted priors sent to Python
    this.blank = {}; // per model: the sentence its plane last showed instead of a view
    this.run = null;
  }

  keep(list, v) {
    list.push(v);
    if (list.length > STATS_KEPT) list.splice(0, STATS_KEPT / 2);
  }

  onCall(data, fresh) {
    this.calls += 1;
    this.keep(this.callBytes, JSON.stringify(data).length);
    this.keep(this.perCall, fresh);
  }

  onRun(run) {
    this.run = run;
  }

  onPacket(p, now) {
    this.received += 1;
    this.keep(this.seqs, p.seq);
    this.keep(this.arrivals, now);
    this.keep(this.bytes, JSON.stringify(p).length);
    const last = this.lastPacket;
    this.lastPacket = { seq: p.seq, step: p.step, phase: p.phase, phase_steps: p.phase_steps,
      prior: p.prior, losses: p.losses, vae: !!p.vae,
      density: p.aae.density || (last && last.density),
      heat: p.aae.heat || (last && last.heat), codes: p.aae.codes,
      vae_codes: p.vae ? p.vae.codes : null };
  }

  onSkip(n) {
    this.skipped += n;
  }

  onPlay(seq) {
    this.drawn += 1;
    this.keep(this.played, seq);
  }

  onFrame(ms) {
    this.keep(this.frameMs, ms);
  }

  onPainted() {
    this.painted += 1;
  }

  onBlank(model, text) {
    this.blank[model] = text;
  }
}
