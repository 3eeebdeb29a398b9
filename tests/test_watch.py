"""Watch it learn: what the page draws is what the model computes.

- the heatmap is D evaluated on the lattice (and survives the packet's uint8 encoding);
- for a known D the arrows are the known gradient, and a small step along an arrow
  raises D's "prior" output; the VAE's arrows are its KL term's known gradient;
- each stepper button runs exactly its phase (the contract tests' phase table);
- a painted prior's samples fall inside the painted region;
- the session: packets within the byte budget, prior changes, reset, the thread.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from aae_core.errors import ConfigError
from aae_core.nets import Discriminator
from aae_core.watch import PHASES, PaintedPrior, WatchConfig, WatchSession, mask_from_b64
from aae_core.watch import packet as pk
from aae_core.watch.fields import (
    adversarial_push,
    discriminator_map,
    kl_pull,
    lattice,
    prior_density,
    square_window,
)
from aae_core.watch.session import STILL_KEYS
from tests.helpers import PHASES as CONTRACT_PHASES
from tests.helpers import module_of, tiny_dataset

WINDOW = (-3.0, 3.0, -2.0, 4.0)


@pytest.fixture
def session():
    config = WatchConfig(hidden=(16,), batch_size=8, n_codes=40, n_prior=50, n_arrows=12,
                         grid=12, packets_per_s=0, device="cpu")
    s = WatchSession(config, dataset=tiny_dataset())
    yield s
    s.close()


class LinearD(nn.Module):
    """D(z) = a . z + b: the generator loss's gradient is known in closed form."""

    def __init__(self, a=(1.5, -0.5), b=0.3):
        super().__init__()
        self.lin = nn.Linear(2, 1)
        with torch.no_grad():
            self.lin.weight.copy_(torch.tensor([a]))
            self.lin.bias.fill_(b)

    def forward(self, z, cond=None):
        return self.lin(z)


class BowlD(nn.Module):
    """D(z) = k - |z - c|^2: 'prior' near c."""

    def __init__(self, c=(0.5, -1.0), k=2.0):
        super().__init__()
        self.c = nn.Parameter(torch.tensor(c))
        self.k = k

    def forward(self, z, cond=None):
        return (self.k - (z - self.c).pow(2).sum(1, keepdim=True))


# --- the heatmap ---------------------------------------------------------------------


def test_lattice_is_row_major_from_the_top_left():
    grid = lattice(WINDOW, 4)
    assert grid.shape == (16, 2)
    assert torch.allclose(grid[0], torch.tensor([-2.25, 3.25]))  # top-left cell centre
    assert torch.allclose(grid[3], torch.tensor([2.25, 3.25]))  # top-right
    assert torch.allclose(grid[-1], torch.tensor([2.25, -1.25]))  # bottom-right


def test_heatmap_is_the_discriminator_on_the_grid():
    torch.manual_seed(0)
    disc = Discriminator(2, (32, 32), input_noise=0.5)  # noise must not reach the map
    heat = discriminator_map(disc, WINDOW, 20)
    with torch.no_grad():
        expected = torch.sigmoid(disc.net(lattice(WINDOW, 20))).view(20, 20)
    assert torch.allclose(heat, expected, atol=1e-6)
    assert disc.training  # the map leaves D as it found it
    decoded = pk.unpack_field(pk.field(heat), 20)  # what the browser receives
    assert np.abs(decoded - expected.numpy()).max() <= 0.5 / 255 + 1e-6


def test_heatmap_of_a_known_discriminator():
    heat = discriminator_map(LinearD(), WINDOW, 8)
    z = lattice(WINDOW, 8)
    assert torch.allclose(heat.view(-1), torch.sigmoid(1.5 * z[:, 0] - 0.5 * z[:, 1] + 0.3))


# --- the arrows ----------------------------------------------------------------------


def test_arrows_of_a_linear_discriminator_are_its_known_gradient():
    a = torch.tensor([1.5, -0.5])
    codes = torch.randn(30, 2, generator=torch.Generator().manual_seed(1))
    push = adversarial_push(LinearD(), codes)
    # -d/dz of -log sigma(a.z + b) = a * sigma(-(a.z + b))
    expected = a * torch.sigmoid(-(codes @ a + 0.3))[:, None]
    assert torch.allclose(push, expected, atol=1e-6)


def test_arrows_of_a_bowl_discriminator_point_at_its_centre():
    c = torch.tensor([0.5, -1.0])
    codes = torch.randn(30, 2, generator=torch.Generator().manual_seed(2)) * 2
    push = adversarial_push(BowlD(), codes)
    d = 2.0 - (codes - c).pow(2).sum(1)
    expected = torch.sigmoid(-d)[:, None] * (-2 * (codes - c))
    assert torch.allclose(push, expected, atol=1e-5)


def test_a_small_step_along_an_arrow_raises_d_prior_output():
    torch.manual_seed(3)
    disc = Discriminator(2, (32, 32))
    codes = torch.randn(200, 2) * 1.5
    push = adversarial_push(disc, codes).double()
    keep = push.norm(dim=1) > 1e-4
    step = 1e-3 * push[keep] / push[keep].norm(dim=1, keepdim=True)
    disc64 = disc.double()
    with torch.no_grad():
        before = torch.sigmoid(disc64(codes[keep].double()))
        after = torch.sigmoid(disc64(codes[keep].double() + step))
    assert keep.sum() > 150
    assert (after > before).all()


def test_vae_arrows_are_the_kl_terms_known_gradient(session):
    session.show_vae(True)
    x = session.x_codes[:10]
    mu, pull = kl_pull(session.vae, x)
    # gaussian prior, closed-form KL: d/dmu = mu / std^2 per code, so the pull is -mu
    assert torch.allclose(pull, -mu * session.vae.config.reg_weight, atol=1e-6)
    with torch.no_grad():
        assert torch.allclose(mu, session.vae.encode(x))


def test_vae_arrows_for_a_mixture_follow_the_prior_log_density(session):
    session.set_prior("mixture")
    session.show_vae(True)
    mu, pull = kl_pull(session.vae, session.x_codes[:10])
    z = mu.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(session.vae.prior.log_prob(z).sum(), z)
    assert torch.allclose(pull, grad, atol=1e-5)  # -d/dmu (log q(mu) - log p(mu))


# --- the stepper ---------------------------------------------------------------------


def spy_steps(model, monkeypatch) -> list[tuple[str, set[str]]]:
    """Record (optimizer name, modules whose weights moved) for every optimizer step."""
    params = dict(model.named_parameters())
    log = []
    for name, opt in model.ensure_optimizers().items():
        def spy(*args, _name=name, _step=opt.step, **kwargs):
            before = {n: p.detach().clone() for n, p in params.items()}
            out = _step(*args, **kwargs)
            log.append((_name, {module_of(n) for n, p in params.items()
                                if not torch.equal(before[n], p)}))
            return out

        monkeypatch.setattr(opt, "step", spy)
    return log


@pytest.mark.parametrize("index", range(3), ids=[key for key, _, _ in PHASES])
def test_each_stepper_button_changes_exactly_its_phase(session, monkeypatch, index):
    key = PHASES[index][0]
    expected_opt, expected_modules = CONTRACT_PHASES["aae"][index]
    for earlier, _, _ in PHASES[:index]:  # the phases before it, on the same batch
        session.step_phase(earlier)
    log = spy_steps(session.aae, monkeypatch)
    session.step_phase(key)
    assert log == [(expected_opt, expected_modules)]


def test_stepping_d_changes_the_heatmap_not_the_codes_and_the_encoder_moves_codes(session):
    before = session.latest()
    after_d = session.step_phase("discriminator") and session.latest()
    assert after_d["phase"] == "discriminator" and after_d["phase_steps"] == 1
    assert after_d["aae"]["codes"] == before["aae"]["codes"]
    assert after_d["aae"]["heat"] != before["aae"]["heat"]
    session.step_phase("encoder")
    after_e = session.latest()
    assert after_e["aae"]["codes"] != after_d["aae"]["codes"]
    assert after_e["aae"]["heat"] == after_d["aae"]["heat"]  # D was frozen


def test_three_phases_share_a_batch_and_a_repeat_takes_the_next(session):
    session.step_phase("reconstruct")
    first = session._stepper_batch
    session.step_phase("discriminator")
    session.step_phase("encoder")
    assert session._stepper_batch is first
    session.step_phase("reconstruct")
    assert session._stepper_batch is not first


def test_unknown_phase_is_refused(session):
    with pytest.raises(ConfigError, match="unknown phase 'dance'"):
        session.step_phase("dance")


# --- the painted prior -----------------------------------------------------------------


def test_painted_prior_samples_fall_inside_the_painted_region():
    side, window = 32, (-4.0, 4.0, -4.0, 4.0)
    mask = np.zeros((side, side), np.float32)
    mask[2:6, 20:30] = 1.0  # a bar near the top right: x in [1, 3.5), y in (2.5, 3.5]
    mask[24:30, 4:8] = 0.5  # a fainter block bottom left: x in [-3, -2), y in (-3.5, -2]
    prior = PaintedPrior(mask, window)
    z = prior.sample(5000, generator=torch.Generator().manual_seed(0))
    in_bar = (z[:, 0] >= 1) & (z[:, 0] < 3.5) & (z[:, 1] > 2.5) & (z[:, 1] <= 3.5)
    in_block = (z[:, 0] >= -3) & (z[:, 0] < -2) & (z[:, 1] > -3.5) & (z[:, 1] <= -2)
    assert (in_bar | in_block).all()
    assert prior.contains(z).all()
    # cells weigh by paint: 40 cells at 1 vs 24 at 0.5 -> 40 / 52 of the samples in the bar
    assert in_bar.float().mean().item() == pytest.approx(40 / 52, abs=0.03)


def test_painted_mask_from_the_browser():
    raw = bytes([0] * 15 + [255])
    mask = mask_from_b64(base64.b64encode(raw).decode(), 4)
    assert mask.shape == (4, 4) and mask[3, 3] == 1.0 and mask.sum() == 1.0
    with pytest.raises(ConfigError, match="has 16 cells, expected 25"):
        mask_from_b64(base64.b64encode(raw).decode(), 5)
    with pytest.raises(ConfigError, match="not valid base64"):
        mask_from_b64("not base64!", 4)
    with pytest.raises(ConfigError, match="paint at least one cell"):
        PaintedPrior(np.zeros((4, 4)), WINDOW)


@pytest.mark.parametrize("window", [
    (-float("inf"), float("inf"), -float("inf"), float("inf")),  # from Python
    (-1e30, 1e30, -1e30, 1e30),  # what a crafted browser message sent
    (float("nan"), 1.0, -1.0, 1.0), (-3.0, 3.0, 2.0, 2.0), (-21.0, 3.0, -3.0, 3.0),
    (-3.0, 3.0, -3.0), ("a", "b", "c", "d"), None])
def test_a_painted_prior_refuses_a_window_out_of_range(window):
    mask = np.ones((4, 4), np.float32)
    with pytest.raises(ConfigError, match=r"window must be .* finite number from -20 to 20"):
        PaintedPrior(mask, window)


def test_a_window_at_the_limits_is_taken():
    assert PaintedPrior(np.ones((4, 4)), (-20, 20, -20, 20)).window == (-20.0, 20.0, -20.0, 20.0)


def test_diverged_losses_are_never_published_the_models_start_again(session):
    with torch.no_grad():  # what an overflowing loss leaves behind: NaN weights
        next(session.aae.encoder.parameters()).fill_(float("nan"))
    session.play()  # its thread may train a step or two more: NaN as well
    session.run_for(1)
    packet = session.snapshot_now()
    assert packet["phase"] == "reset" and packet["step"] == 0 and not session.playing
    assert all(np.isfinite(v) for v in packet["losses"].values())
    assert all(torch.isfinite(p).all() for p in session.aae.parameters())
    notice = session.take_notice()
    assert re.match(r"Training diverged at step [1-9]\d* \(not finite: .*d_loss", notice)
    assert "started again from fresh weights and paused" in notice
    assert session.take_notice() is None  # shown once
    session.run_for(2)
    assert all(np.isfinite(v) for v in session.snapshot_now()["losses"].values())


def test_a_painted_prior_becomes_the_aaes_prior(session):
    mask = np.zeros((16, 16), np.float32)
    mask[:4, :4] = 1
    window = (-3.0, 3.0, -3.0, 3.0)
    session.set_painted_prior(PaintedPrior(mask, window))
    p = session.latest()
    assert p["prior"] == "painted" and p["aae"]["window"] == list(window)
    samples = pk.unpack_positions(p["aae"]["prior"], window)
    assert (samples[:, 0] <= -1.5 + 1e-3).all() and (samples[:, 1] >= 1.5 - 1e-3).all()
    real, _, _ = session.aae._adversary_inputs(session._next_batch())  # what D is shown
    assert session.aae.prior.contains(real).all()


# --- the session ---------------------------------------------------------------------


def test_packets_fit_the_budget_and_decode(session):
    session.show_vae(True)
    p = session.latest()
    assert pk.json_size(p) <= pk.PACKET_LIMIT
    codes = pk.unpack_positions(p["aae"]["codes"], p["aae"]["window"])
    with torch.no_grad():
        expected = session.aae.encode(session.x_codes).numpy()
    assert np.abs(codes - expected).max() < 1e-3 * 3.5  # int16 of the window
    recon = pk.unpack_images4(p["aae"]["recon"], len(session.fixed_idx))
    with torch.no_grad():
        assert np.abs(recon - session.aae.reconstruct(session.x_fixed).numpy()).max() <= 1 / 30
    assert p["vae"] is not None and "heat" not in p["vae"]


def test_full_size_packets_fit_the_budget():
    s = WatchSession(WatchConfig(device="cpu", packets_per_s=0), dataset=tiny_dataset(200, 600))
    try:
        s.show_vae(True)
        assert pk.json_size(s.latest()) <= pk.PACKET_LIMIT
    finally:
        s.close()


def test_changing_the_prior_changes_contours_samples_and_window(session):
    before = session.latest()["aae"]
    session.set_prior("swiss-roll")
    after = session.latest()
    assert after["prior"] == "swiss-roll" and after["phase"] == "prior"
    assert after["aae"]["density"] != before["density"]
    assert after["aae"]["prior"] != before["prior"]
    assert session.aae.config.prior.name == "swiss-roll"
    with pytest.raises(ConfigError, match="unknown prior 'banana'"):
        session.set_prior("banana")


def test_the_vae_keeps_a_prior_it_can_pull_towards(session):
    session.show_vae(True)
    session.set_prior("uniform")
    assert session.vae.config.prior.name == "gaussian"
    assert "needs a prior with a density" in session.latest()["vae_note"]
    session.set_prior("mixture")
    assert session.vae.config.prior.name == "mixture" and session.latest()["vae_note"] == ""


def test_a_vae_switched_on_later_says_it_starts_from_scratch(session):
    session.show_vae(True)  # on from step 0: nothing to say
    assert session.latest()["vae_since"] == 0 and session.latest()["vae_note"] == ""
    session.show_vae(False)
    assert session.latest()["vae_since"] is None
    session.run_for(3)
    session.show_vae(True)
    session.run_for(2)
    packet = session.snapshot_now()
    assert packet["vae_since"] == 3
    assert packet["vae_note"] == ("The VAE started from scratch at step 3: it has trained 2 "
                                  "steps, the AAE 5.")
    session.reset()  # both start again together
    assert session.latest()["vae_since"] == 0 and session.latest()["vae_note"] == ""


def test_prior_density_peaks_where_the_prior_does():
    from aae_core.priors import PriorSpec, build_prior

    prior = build_prior(PriorSpec(name="gaussian", dim=2))
    window = square_window(prior.bounds())
    density = prior_density(prior, window, 31)
    assert density.max() == 1.0 and density[15, 15] == 1.0 and density[0, 0] < 0.01
    roll = prior_density(build_prior(PriorSpec(name="swiss-roll", dim=2)), window, 31)
    assert roll.max() == 1.0 and (roll >= 0).all()


def test_packets_after_gives_only_new_ones_and_everything_after_a_reset(session):
    first = session.latest()
    session.step_phase("reconstruct")
    newer = session.packets_after(first["seq"], first["run"])
    assert [p["phase"] for p in newer] == ["reconstruct"]
    session.reset()
    fresh = session.packets_after(newer[-1]["seq"], first["run"])
    assert fresh and all(p["run"] != first["run"] for p in fresh)
    assert fresh[-1]["step"] == 0 and fresh[-1]["phase"] == "reset"


def test_training_packets_carry_images_every_nth_and_controls_always(session):
    session.show_vae(True)
    stepped = session.step_phase("reconstruct") and session.latest()
    assert stepped["images"] and "recon" in stepped["aae"] and "recon" in stepped["vae"]
    every = session.config.images_every
    train = [session.snapshot_now("train") for _ in range(2 * every)]
    assert [p["images"] for p in train] == ([False] * (every - 1) + [True]) * 2
    for p in train:
        for model in ("aae", "vae"):
            # the still parts (images, the prior's drawing) travel together
            assert all((key in p[model]) == p["images"] for key in STILL_KEYS)
            assert "codes" in p[model]  # the codes move: in every packet
    # D's map in every heat_every-th training packet (the browser keeps the last one)
    heat_every = session.config.heat_every
    assert [p["seq"] % heat_every == 0 for p in train] == ["heat" in p["aae"] for p in train]
    assert "heat" in stepped["aae"]  # a phase's packet always shows D
    # a reader whose packets have none gets the newest still parts, as their packet had
    images = session.latest_images()
    assert images["seq"] == train[-1]["seq"] and images["run"] == session.run_id
    for model in ("aae", "vae"):
        assert images[model] == {k: train[-1][model][k] for k in ("window", *STILL_KEYS)}


def test_a_viewer_gets_training_packets_bare_and_controls_whole(session):
    """Each packet is encoded once whole and once bare; a shared run's viewer reads the bare
    training packets (less than half the bytes) and every control's packet whole."""
    every = session.config.images_every
    train = [session.snapshot_now("train") for _ in range(every)]
    stepped = session.step_phase("discriminator") and session.latest()
    packets = train + [stepped]
    whole = json.loads(session.packets_json(packets))
    bare = json.loads(session.packets_json(packets, bare=True))
    assert whole == packets  # the texts built with the packets, read back
    assert train[-1]["images"] and not bare[every - 1]["images"]
    for sent, p in zip(bare[:every], train, strict=True):
        assert not set(STILL_KEYS) & (set(sent["aae"]) | set(sent["vae"] or {}))
        assert {k: v for k, v in p["aae"].items() if k not in STILL_KEYS} == sent["aae"]
    assert bare[-1] == stepped and "density" in stepped["aae"]  # a control's: whole
    assert len(session.packets_json(train, bare=True)) < len(session.packets_json(train)) / 2


def test_latest_images_after_a_reset_are_of_the_new_run(session):
    session.reset()
    images = session.latest_images()
    assert images["run"] == session.run_id and images["vae"] is None
    recon = pk.unpack_images4(images["aae"]["recon"], len(session.fixed_idx))
    with torch.no_grad():
        assert np.abs(recon - session.aae.reconstruct(session.x_fixed).numpy()).max() <= 1 / 30


def wait_for(condition, timeout: float = 60.0) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.02)


def test_play_trains_in_the_background_and_close_stops_it(session):
    session.packets_per_s = 50
    session.set_speed("full")
    session.play()
    wait_for(lambda: session.step >= 5)
    session.pause()
    assert session.latest()["phase"] == "train"
    session.close()
    assert not session.thread.is_alive()


def test_slow_motion_publishes_each_phase_in_turn(session):
    session.config = replace(session.config, slow_motion_pause_s=0.01)
    session.set_slow_motion(True)
    first = session.latest()["seq"]
    session.play()
    wait_for(lambda: len(session.packets_after(first, session.run_id)) >= 3)
    session.pause()
    phases = [p["phase"] for p in session.packets_after(first, session.run_id)]
    assert phases[:3] == ["reconstruct", "discriminator", "encoder"]
    steps = [p["step"] for p in session.packets_after(first, session.run_id)]
    assert steps[:3] == [0, 0, 1]  # a training step is done when its three phases are


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="grid must be a whole number from 8 to 96"):
        WatchConfig(grid=500)
    with pytest.raises(ConfigError, match="n_arrows cannot exceed n_codes"):
        WatchConfig(n_codes=10, n_arrows=20)


def test_a_watched_run_takes_the_gil_back_quickly():
    """Its training thread asks for the GIL back after each torch call: beside the page's
    other threads (a shared run's viewers) it must not wait Python's 5 ms each time."""
    import sys

    from aae_core.device import GIL_SWITCH_S

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    s = WatchSession(WatchConfig(hidden=(16,), batch_size=8, n_codes=40, n_prior=50,
                                 n_arrows=12, grid=12, packets_per_s=0, device="cpu"),
                     dataset=tiny_dataset())
    try:
        s.play()
        wait_for(lambda: s.step > 0)
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_S)
    finally:
        s.close()
        sys.setswitchinterval(before)
