"""WatchSession: a small 2-D AAE (and, on request, a VAE beside it) learning live.

One background thread trains both models on the same batches; every 1/packets_per_s
seconds it builds a snapshot packet (aae_core/watch/packet.py) behind the lock and keeps
the newest few in a ring, from which a page hands the browser those it has not seen.
A training packet carries its still parts, the digit images (reconstructions, decoded prior
samples) and the prior's drawing (density, samples), only every `images_every`-th time (the
browser keeps the last ones): they are two thirds of a packet's bytes and change slowly or
not at all. A packet a control publishes (a phase, a prior, a reset) always carries them;
`latest_images()` gives the newest for a reader that has none. Each packet is encoded to
JSON once, twice over: whole, and bare (without its still parts) for a shared run's many
viewers, who get the still parts once a call instead (docs/ARCHITECTURE.md, "The
lecturer's broadcast").
The page controls it from its own thread: play/pause, speed, slow motion, the phase
stepper, the prior, reset. The model lock serialises training, stepping and snapshots.

The thread never touches any UI; `close()` stops it (the page calls it when the tab's
session ends: a watched run is a demonstration, nothing is saved). A session trains, so
on a server it holds a training place of the run service (aae_core/training/runs.py),
which the page takes before building it and `close()` gives back: one budget for runs and
watched models.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, replace
from typing import Protocol

import torch

from aae_core.config import ModelConfig
from aae_core.data import Dataset, load_dataset
from aae_core.device import resolve_device, take_the_gil_back_quickly
from aae_core.errors import ConfigError
from aae_core.models import Batch, build_model
from aae_core.priors import PRIOR_NAMES, Prior, PriorSpec, build_prior
from aae_core.settings import configs_from, run_defaults
from aae_core.watch import packet as pk
from aae_core.watch.fields import (
    adversarial_push,
    discriminator_map,
    kl_pull,
    prior_density,
    square_window,
)

#: The stepper's phases, in training order: (key, the AAE's method, the button's words).
PHASES = (
    ("reconstruct", "reconstruction_phase", "Reconstruct"),
    ("discriminator", "discriminator_phase", "Update the discriminator"),
    ("encoder", "generator_phase", "Update the encoder"),
)
PHASE_KEYS = tuple(key for key, _, _ in PHASES)
#: Speed choices: steps per second at most (None: as fast as the machine goes).
SPEEDS = {"slow": 3.0, "steady": 12.0, "fast": 40.0, "full": None}
#: The digits a watched model may learn (the page offers those that load without a download).
DATASETS = ("synthetic-digits", "mnist-10k")
RING = 32  # packets kept for late readers
#: A packet view's still parts: the digit images and the prior's drawing (see above).
STILL_KEYS = ("recon", "samples", "density", "prior")
DIGITS_SHOWN = 10  # fixed held-out digits with reconstructions (one per class when possible)
#: The watched models are the command line's 2-D models (aae_core/settings.py), but for the
#: departures of WATCHED_DEPARTURES.
_AAE_2D = run_defaults("aae", 2)
#: The paper's form of the AAE's generator phase (an Adam of its own, at the
#: discriminator's rate lr_adv = lr), which the stepper shows as a phase of its own.
WATCHED_DEPARTURES = {"generator_weight": 0.0}


@dataclass(frozen=True)
class WatchConfig:
    dataset: str = "synthetic-digits"
    hidden: tuple[int, ...] = _AAE_2D["hidden"]  # encoder, decoder and discriminator sizes
    # batches of 100 (the 2-D aae trains on 50): the pace the page was measured at (README,
    # "Watch it learn": updates a second, training watched vs unwatched)
    batch_size: int = 100
    lr: float = _AAE_2D["lr"]  # both phases' rate (lr_adv = lr, as the command line's)
    n_codes: int = 400  # held-out codes drawn on the plane
    n_prior: int = 300  # prior samples drawn on the plane
    n_arrows: int = 30  # codes that get an arrow
    grid: int = 28  # cells per side of the heatmap (the browser smooths it)
    density_grid: int = 56  # cells per side of the prior's density (smooth contours)
    # None: 12 a second on a CPU, 30 on a GPU; 0: no packets (the benchmark's unwatched run)
    packets_per_s: float | None = None
    # at most this share of the thread's time goes to building packets: on a slow machine
    # packets come less often rather than slowing the training they show
    packet_share: float = 0.2
    images_every: int = 4  # training packets: the digit images in one of this many
    heat_every: int = 2  # training packets: D's map in one of this many (the costliest part)
    threads: int = 1  # torch intra-op threads of the training thread (0: torch's default)
    slow_motion_pause_s: float = 0.8
    device: str = "auto"
    seed: int = 0

    def __post_init__(self):
        for name, low, high in (("batch_size", 2, 4096), ("n_codes", 10, 2000),
                                ("n_prior", 10, 2000), ("n_arrows", 0, 500), ("grid", 8, 96),
                                ("density_grid", 8, 128), ("images_every", 1, 60),
                                ("heat_every", 1, 60)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{name} must be a whole number from {low} to {high}")
        if self.packets_per_s is not None and not 0 <= self.packets_per_s <= 60:
            raise ConfigError("packets_per_s must be between 0 and 60")
        if not 0 < self.packet_share <= 1:
            raise ConfigError("packet_share must be in (0, 1]")
        if self.n_arrows > self.n_codes:
            raise ConfigError("n_arrows cannot exceed n_codes")


class TrainingPlace(Protocol):
    """A place in a server's training budget (the run service's Place)."""

    def release(self) -> None: ...


class WatchSession:
    def __init__(self, config: WatchConfig = WatchConfig(), dataset: Dataset | None = None,
                 place: TrainingPlace | None = None):
        self._place = place  # given back by close()
        self.config, self.device = config, resolve_device(config.device)
        self.packets_per_s = config.packets_per_s if config.packets_per_s is not None else \
            (30.0 if self.device.type == "cuda" else 12.0)
        self.data = (dataset or load_dataset(config.dataset)).to(self.device)
        self.lock = threading.RLock()  # the models: training, stepping, snapshots
        self._ring_lock = threading.Lock()  # the packets: readers never wait for a step
        self._waiting = 0  # page calls waiting for the models (the trainer lets them in)
        self._stop, self._playing = threading.Event(), threading.Event()
        self.speed, self.slow_motion = "fast", False
        self.ring: deque[dict] = deque(maxlen=RING)
        # seq -> the packet as JSON, whole and bare (no still parts), for the ring's packets
        self._texts: dict[int, tuple[str, str]] = {}
        self.seq = 0
        self.build_s = 0.0  # seconds the thread spent building packets (the benchmark reads it)
        self._since_images = 0  # training packets built since the last with images
        # the newest packet's still parts: {"seq", "run", "aae", "vae"}
        self._images: dict | None = None
        self._pick_watched_examples()
        self.prior_choice, self._painted = "gaussian", None
        self.vae = None
        self._notice: str | None = None  # a recovery the page has not shown yet
        self._reset_models()
        self.thread = threading.Thread(target=self._work, name="aae-watch", daemon=True)
        self.thread.start()

    # --- set-up ------------------------------------------------------------------------
    def _pick_watched_examples(self) -> None:
        """Fixed held-out images: the codes drawn, one digit per class shown, arrows' codes."""
        x, y = self.data.test_x, self.data.test_y
        n = min(self.config.n_codes, len(x))
        self.x_codes, self.y_codes = x[:n], y[:n]  # (N, 784), (N,)
        firsts = [int((y == k).nonzero()[0]) for k in range(self.data.n_classes) if (y == k).any()]
        self.fixed_idx = firsts[:DIGITS_SHOWN]
        self.x_fixed, self.y_fixed = x[self.fixed_idx], y[self.fixed_idx]  # (10, 784), (10,)
        g = torch.Generator().manual_seed(self.config.seed)
        self.arrow_idx = torch.randperm(n, generator=g)[: self.config.n_arrows].tolist()

    def _model_config(self, model: str, prior: PriorSpec) -> ModelConfig:
        c = self.config
        model_cfg, _ = configs_from({"model": model, "latent_dim": 2, "hidden": c.hidden,
                                     "disc_hidden": c.hidden, "lr": c.lr, "lr_adv": c.lr,
                                     **WATCHED_DEPARTURES})
        return replace(model_cfg, prior=prior)

    def _reset_models(self) -> None:
        torch.manual_seed(self.config.seed)
        spec = PriorSpec(name="gaussian", dim=2)
        self.aae = build_model(self._model_config("aae", spec)).to(self.device).train()
        self.aae.ensure_optimizers()
        if self.vae is not None:
            self.vae = self._new_vae()
        self.vae_since = 0  # the step the VAE started from scratch at
        self.run_id = uuid.uuid4().hex[:12]
        self.step = self.phase_steps = 0
        self.losses: dict[str, torch.Tensor | float] = {}
        self.vae_note = ""
        self._gen = torch.Generator().manual_seed(self.config.seed)
        self._order, self._cursor = torch.empty(0, dtype=torch.long), 0
        self._stepped: set[str] = set()
        self._stepper_batch: Batch | None = None
        self._views = {}  # per model: the prior's window, density, samples (change with it)
        self._set_prior(self._named_prior(self.prior_choice) if self.prior_choice != "painted"
                        else self._painted)

    def _new_vae(self):
        spec = self._vae_spec(self.prior_choice)
        vae = build_model(self._model_config("vae", spec)).to(self.device).train()
        vae.ensure_optimizers()
        return vae

    @staticmethod
    def _vae_spec(choice: str) -> PriorSpec:
        from aae_core.models import MODELS

        name = choice if choice in MODELS["vae"].supported_priors else "gaussian"
        return PriorSpec(name=name, dim=2)

    @staticmethod
    def _named_prior(name: str) -> Prior:
        if name not in PRIOR_NAMES:
            raise ConfigError(f"unknown prior {name!r}; choose one of {', '.join(PRIOR_NAMES)}")
        return build_prior(PriorSpec(name=name, dim=2))

    # --- data --------------------------------------------------------------------------
    def _next_batch(self) -> Batch:
        n, bs = len(self.data.train_x), min(self.config.batch_size, len(self.data.train_x))
        if self._cursor + bs > len(self._order):
            self._order, self._cursor = torch.randperm(n, generator=self._gen), 0
        idx = self._order[self._cursor:self._cursor + bs].to(self.device)
        self._cursor += bs
        return Batch(self.data.train_x[idx], self.data.train_y[idx])

    # --- controls (called from the page's thread) ---------------------------------------
    @contextlib.contextmanager
    def _control(self):
        """The model lock for a page call: the trainer, which takes the lock again right
        after each step, pauses between steps while someone waits (no starving the page)."""
        if self.config.threads:  # model work in this thread too: as many torch threads
            torch.set_num_threads(self.config.threads)
        with self._ring_lock:
            self._waiting += 1
        try:
            with self.lock:
                yield
        finally:
            with self._ring_lock:
                self._waiting -= 1

    @property
    def playing(self) -> bool:
        return self._playing.is_set() and not self._stop.is_set()

    @property
    def closed(self) -> bool:
        """True once close() was called (the tab that owned it went)."""
        return self._stop.is_set()

    def play(self) -> None:
        self._playing.set()

    def pause(self) -> None:
        self._playing.clear()

    def set_speed(self, speed: str) -> None:
        if speed not in SPEEDS:
            raise ConfigError(f"speed must be one of {', '.join(SPEEDS)}")
        self.speed = speed

    def set_slow_motion(self, on: bool) -> None:
        self.slow_motion = bool(on)

    def reset(self) -> None:
        """Fresh weights (same seed), step 0, a new run id (the browser's timeline restarts)."""
        self.pause()
        with self._control():
            self._reset_models()
            self._publish("reset")

    def step_phase(self, key: str) -> dict:
        """Run exactly one phase of the AAE on one batch; publish what it changed.

        Reconstruct, discriminator, encoder in turn share one batch; asking for a phase
        already run on the current batch starts the next one.
        """
        method = {k: m for k, m, _ in PHASES}.get(key)
        if method is None:
            raise ConfigError(f"unknown phase {key!r}; choose one of {', '.join(PHASE_KEYS)}")
        with self._control():
            if self._stepper_batch is None or key in self._stepped:
                self._stepper_batch, self._stepped = self._next_batch(), set()
            out = getattr(self.aae, method)(self._stepper_batch)
            self._stepped.add(key)
            self.phase_steps += 1
            self.losses |= out
            self._publish(key)
        return out

    def set_prior(self, name: str) -> None:
        """Switch both models to a named prior while they train (the VAE only to priors
        with a density its KL can use; it keeps a gaussian otherwise)."""
        prior = self._named_prior(name)
        with self._control():
            self.prior_choice = name
            self._set_prior(prior)
            self._publish("prior")

    def set_painted_prior(self, prior: Prior) -> None:
        """The student's own prior (a PaintedPrior) for the AAE; the VAE cannot use it."""
        with self._control():
            self.prior_choice, self._painted = "painted", prior
            self._set_prior(prior)
            self._publish("prior")

    def show_vae(self, on: bool) -> None:
        with self._control():
            if on and self.vae is None:
                self.vae, self.vae_since = self._new_vae(), self.step
                self._set_prior(self.aae.prior)
            elif not on:
                self.vae = None
                self._views.pop("vae", None)
            self._publish("vae")

    def _set_prior(self, prior: Prior) -> None:
        self.aae.prior = prior.to(self.device)
        if prior.name in PRIOR_NAMES:
            self.aae.config = replace(self.aae.config, prior=PriorSpec(name=prior.name, dim=2))
        self._views["aae"] = self._prior_view(self.aae.prior)
        if self.vae is not None:
            spec = self._vae_spec(self.prior_choice)
            if spec.name != self.vae.config.prior.name:
                self.vae.config = replace(self.vae.config, prior=spec)
                self.vae.prior = build_prior(spec).to(self.device)
            self._views["vae"] = self._prior_view(self.vae.prior)
            self.vae_note = "" if spec.name == prior.name else (
                f"The VAE stays on a {spec.name} prior: its KL term needs a prior with a "
                "density it can pull towards.")

    def _prior_view(self, prior: Prior) -> dict:
        """What changes only with the prior: the window, the contours, the drawn samples
        and the fixed prior codes decoded into images (same z throughout)."""
        c = self.config
        # a painted prior keeps the window it was painted in (its bounds would zoom in)
        window = getattr(prior, "window", None) or square_window(prior.bounds())
        gen = torch.Generator(device=self.device).manual_seed(c.seed + 7)
        labels = torch.arange(DIGITS_SHOWN, device=self.device) % prior.n_components \
            if prior.n_components else None
        return {"window": window,
                "density": pk.field(prior_density(prior, window, c.density_grid)),
                "prior": pk.positions(prior.sample(c.n_prior, generator=gen), window),
                "z_show": prior.sample(DIGITS_SHOWN, labels=labels, generator=gen)}

    # --- packets -----------------------------------------------------------------------
    def meta(self) -> dict:
        """What never changes in a run: labels, the fixed digits, which codes get arrows."""
        if getattr(self, "_meta", {}).get("run") != self.run_id:
            self._meta = self._build_meta()
        return self._meta

    def _build_meta(self) -> dict:
        return {"run": self.run_id, "grid": self.config.grid, "side": 28,
                "density_grid": self.config.density_grid,
                "labels": pk.b64(self.y_codes.cpu().numpy(), "u1"),
                "fixed_labels": self.y_fixed.tolist(), "originals": pk.images4(self.x_fixed),
                "arrow_idx": self.arrow_idx, "pos_scale": pk.POS_SCALE}

    @torch.no_grad()
    def _model_images(self, name: str) -> dict:
        """The fixed digits rebuilt and the fixed prior codes decoded, 4-bit (10 each)."""
        model, view = getattr(self, name), self._views[name]
        return {"recon": pk.images4(model.reconstruct(self.x_fixed)),
                "samples": pk.images4(model.decode(view["z_show"]))}

    @torch.no_grad()
    def _model_view(self, name: str, images: bool, heat: bool = True) -> dict:
        model, view = getattr(self, name), self._views[name]  # name: "aae" or "vae"
        window = view["window"]
        codes = model.encode(self.x_codes)  # (N, 2)
        out = {"window": list(window), "codes": pk.positions(codes, window),
               "fixed_codes": pk.positions(model.encode(self.x_fixed), window)}
        if images:  # the still parts (the prior's drawing changes only with the prior)
            out |= {"density": view["density"], "prior": view["prior"],
                    **self._model_images(name)}
        pick = self.x_codes[self.arrow_idx]
        if model.has_adversary:
            push = adversarial_push(model.discriminator, codes[self.arrow_idx])
            if heat:  # else the browser keeps the last map (D moves slowly between two)
                out["heat"] = pk.field(discriminator_map(model.discriminator, window,
                                                         self.config.grid))
        else:
            push = kl_pull(model, pick)[1]
        out["arrows"] = pk.b64(push.nan_to_num(0.0).float().cpu().numpy(), "f4")
        return out

    def _recover_if_diverged(self) -> bool:
        """If a loss went NaN or infinite (caller holds the lock), start the models again
        from fresh weights, paused, and keep a notice for the page; True if it did. A
        diverged model shows nothing true: its codes, maps and images are NaN too."""
        bad = sorted(k for k, v in self.losses.items() if not torch.isfinite(
            torch.as_tensor(v, dtype=torch.float32)).all())
        if not bad:
            return False
        step = self.step
        self.pause()
        self._reset_models()
        self._notice = (f"Training diverged at step {step} (not finite: {', '.join(bad)}), "
                        "so the models were started again from fresh weights and paused. "
                        "Press Play to go on, or choose another prior.")
        return True

    def take_notice(self) -> str | None:
        """The message of a recovery since the last call (None if there was none)."""
        with self._ring_lock:
            notice, self._notice = self._notice, None
        return notice

    def _publish(self, phase: str) -> dict:
        """Build a packet of both models now (caller holds the lock) and ring it; with the
        images unless it is a training packet between two `images_every`-th ones. Losses
        that went NaN or infinite are never published: the models start again first."""
        if self._recover_if_diverged():
            phase = "reset"
        self.seq += 1
        self._since_images += 1
        images = phase != "train" or self._since_images >= self.config.images_every
        heat = phase != "train" or self.seq % self.config.heat_every == 0
        packet = {"seq": self.seq, "run": self.run_id, "step": self.step,
                  "t": round(time.time(), 3),  # when it was built: a viewer's lag
                  "phase_steps": self.phase_steps, "phase": phase,
                  "prior": self.prior_choice, "vae_note": self._vae_words(),
                  "vae_since": self.vae_since if self.vae is not None else None,
                  "losses": {k: round(float(v), 4) for k, v in self.losses.items()},
                  "images": images,
                  "aae": self._model_view("aae", images, heat),
                  "vae": self._model_view("vae", images) if self.vae is not None else None}
        # encoded once, sent to every reader as is (a shared run has many)
        whole = json.dumps(packet, separators=(",", ":"))
        bare = json.dumps(_bare(packet), separators=(",", ":")) if images else whole
        with self._ring_lock:
            if images:
                self._since_images = 0
                self._images = {"seq": self.seq, "run": self.run_id,
                                **{m: {k: packet[m][k] for k in ("window", *STILL_KEYS)}
                                   if packet[m] else None for m in ("aae", "vae")}}
            self.ring.append(packet)
            self._texts[packet["seq"]] = (whole, bare)
            if len(self._texts) > RING:
                kept = {p["seq"] for p in self.ring}
                self._texts = {k: v for k, v in self._texts.items() if k in kept}
        return packet

    def _vae_words(self) -> str:
        """The VAE's note: that it started from scratch (when the AAE had trained before
        it) and why its prior differs, when it does."""
        if self.vae is None:
            return ""
        late = (f"The VAE started from scratch at step {self.vae_since:,}: it has trained "
                f"{self.step - self.vae_since:,} steps, the AAE {self.step:,}."
                if self.vae_since else "")
        return " ".join(t for t in (late, self.vae_note) if t)

    def latest_images(self) -> dict:
        """The newest packet's still parts ({"seq", "run", "aae", "vae"}, each model's
        {"window", "recon", "samples", "density", "prior"}): for a reader whose packets
        carry none."""
        with self._ring_lock:
            if self._images is not None and self._images["run"] == self.run_id:
                return self._images
        with self._control():
            self._publish("start")
            return self._images

    def packets_after(self, seq: int, run: str | None = None, limit: int = 12) -> list[dict]:
        """The current run's newest `limit` packets with a larger seq than `seq` (all of
        them when the reader's `run` is an older one: a reset happened)."""
        with self._ring_lock:
            fresh = [p for p in self.ring if p["run"] == self.run_id
                     and (p["seq"] > seq or run != self.run_id)]
        return fresh[-limit:]

    def packets_json(self, packets: list[dict], bare: bool = False) -> str:
        """`packets` (from packets_after or latest) as one JSON array, from the texts each
        packet was encoded to when it was built; `bare`: training packets without their
        still parts (a viewer of a shared run gets those from latest_images once a call)."""
        with self._ring_lock:
            texts = [self._texts.get(p["seq"]) for p in packets]
        out = []
        for text, p in zip(texts, packets, strict=True):
            if text is None:  # fell out of the ring since it was read
                out.append(json.dumps(_bare(p) if bare and p["phase"] == "train" else p,
                                      separators=(",", ":")))
            else:  # a control's packet goes whole: it shows what the control changed
                out.append(text[1] if bare and p["phase"] == "train" else text[0])
        return "[" + ",".join(out) + "]"

    def snapshot_now(self, phase: str = "train") -> dict:
        """Publish a packet of the models as they are now."""
        with self._control():
            return self._publish(phase)

    def latest(self) -> dict:
        with self._ring_lock:
            if self.ring:
                return self.ring[-1]
        with self._control():
            return self.ring[-1] if self.ring else self._publish("start")

    # --- the thread --------------------------------------------------------------------
    def _train_step(self) -> None:
        batch = self._next_batch()
        # losses stay on the device (0-d tensors): only a packet reads them
        self.losses = dict(self.aae.train_step(batch))
        if self.vae is not None:
            vae_out = self.vae.train_step(batch)
            self.losses |= {f"vae_{k}": v for k, v in vae_out.items()}
        self.step += 1

    def _slow_step(self) -> None:
        """One training step as its three phases, a pause after each (slow motion)."""
        batch = None
        for key, method, _ in PHASES:
            if self._stop.is_set() or not self.playing:
                return
            with self.lock:
                batch = batch or self._next_batch()
                out = getattr(self.aae, method)(batch)
                self.losses |= out
                if key == "encoder":
                    if self.vae is not None:
                        self.vae.train_step(batch)
                    self.step += 1
                self._publish(key)
            self._stop.wait(self.config.slow_motion_pause_s)

    def _work(self) -> None:
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        take_the_gil_back_quickly()  # a watched run trains beside the page's viewers
        next_packet = 0.0
        while not self._stop.is_set():
            if not self._playing.wait(0.1):
                continue
            t0 = time.perf_counter()
            if self.slow_motion:
                self._slow_step()
                continue
            with self.lock:
                if not self.playing:  # paused (or reset) while this thread waited
                    continue
                self._train_step()
                if self.packets_per_s and t0 >= next_packet:
                    next_packet = self._timed_publish(t0, next_packet)
            cap = SPEEDS[self.speed]
            if cap:
                self._stop.wait(max(0.0, 1.0 / cap - (time.perf_counter() - t0)))
            while self._waiting and not self._stop.is_set():
                time.sleep(0.001)  # a page call waits for the models: let it in first

    def _timed_publish(self, now: float, due: float) -> float:
        """Publish a packet; return when the next one is due. On a steady cadence, one every
        1 / packets_per_s after the last was due (timing from `now` would add half a step
        to every interval: 12 a second asked, 10.5 delivered); from `now` again after a
        pause; and never sooner than keeps packets within `packet_share` of the time."""
        start = time.perf_counter()
        self._publish("train")
        cost = time.perf_counter() - start
        self.build_s += cost
        interval = 1.0 / self.packets_per_s
        steady = due + interval if now - due < interval else now + interval
        return max(steady, now + cost / self.config.packet_share)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and free this session's place (idempotent)."""
        self._stop.set()
        self._playing.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)
        if self._place is not None:
            self._place.release()
            self._place = None

    def run_for(self, steps: int) -> None:
        """Train `steps` steps in the caller's thread (tests, the benchmark)."""
        with self._control():
            for _ in range(steps):
                self._train_step()


def _bare(packet: dict) -> dict:
    """`packet` without its still parts (STILL_KEYS), marked as having no images."""
    views = {m: {k: v for k, v in packet[m].items() if k not in STILL_KEYS}
             if packet[m] else None for m in ("aae", "vae")}
    return packet | {"images": False} | views
