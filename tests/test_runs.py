"""The run service (aae_core/training/runs.py): limits, ownership, names, resume, and
nothing lost."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
import torch

from aae_core.errors import ConfigError
from aae_core.models.aae import AAE
from aae_core.store.checkpoints import load_checkpoint
from aae_core.training import capacity
from aae_core.training.capacity import DeviceInfo
from aae_core.training.runs import BusyError, NotYours, QuotaError, RunService
from aae_core.training.train import Controls, RunState
from tests.conftest import TINY, train_config, wait_for


@pytest.fixture(autouse=True)
def cpu_server(monkeypatch):
    """These runs train on the CPU (device "cpu"), so the server's limit is the CPU's, on any
    machine (a GPU server's own limit is tested with made-up devices below)."""
    monkeypatch.setattr(capacity, "server_device",
                        lambda: DeviceInfo("cpu", cpu_cores=os.cpu_count() or 1))


def start(reg, owner, name, data, *, model_cfg=TINY, **changes):
    kwargs = {k: changes.pop(k) for k in ("controls", "on_progress", "resume_from")
              if k in changes}
    return reg.start(owner, model_cfg, train_config(**changes), name, dataset=data, **kwargs)


def start_paused(reg, owner, name, data):
    """A run that stays active without using the CPU: paused before its first step."""
    controls = Controls()
    controls.running.clear()
    run = start(reg, owner, name, data, epochs=1000, controls=controls)
    wait_for(lambda: run.progress().state in (RunState.RUNNING, RunState.PAUSED),
             "the worker to begin")
    run.pause()
    return run


def finish(run):
    run.thread.join(60)
    assert not run.alive
    return run.progress()


def test_a_run_trains_saves_and_stays_visible_after_it_finishes(registry, runs, data):
    run = start(registry, "alice", "first", data, epochs=2)
    p = finish(run)
    assert (p.state, p.epoch, p.epochs) == (RunState.FINISHED, 2, 2)
    assert registry.get("alice") is run and registry.find("first") is run
    assert registry.get("bob") is None
    assert [r.name for r in registry.runs()] == ["first"]
    ckpt = load_checkpoint(runs / "first")
    assert ckpt.card["epochs"] == 2 and ckpt.card["class_names"] == list(data.class_names)
    assert p.checkpoint == str(runs / "first")


def test_one_active_run_per_session(registry, runs, data):
    start_paused(registry, "alice", "a1", data)
    with pytest.raises(BusyError, match="you already have a run in progress"):
        start(registry, "alice", "a2", data)
    assert not (runs / "a2").exists()
    other = start_paused(registry, "bob", "b1", data)  # another session may
    assert other.alive and registry.get("alice").name == "a1"


def test_beyond_the_limit_runs_wait_in_a_fair_queue(runs, data, monkeypatch):
    monkeypatch.setenv("AAE_MAX_RUNS", "1")
    reg = RunService()
    try:
        assert reg.max_runs() == 1
        first = start_paused(reg, "alice", "a1", data)
        bob = start(reg, "bob", "b1", data)
        carol = start(reg, "carol", "c1", data)
        assert (bob.queue_position, carol.queue_position) == (1, 2)
        assert bob.alive and bob.progress().state == RunState.QUEUED and not bob.thread.is_alive()
        assert (reg.active_count(), reg.queued_count()) == (1, 2)
        assert not (runs / "b1").exists()  # nothing trains or is written while it waits
        with pytest.raises(BusyError, match=r"you already have a run waiting in the queue "
                                            r"\(b1\); one place each"):
            start(reg, "bob", "b2", data)  # one place in the queue per user
        reg.stop("alice", "a1")  # a place frees up: the first in the queue gets it
        assert finish(first).state == RunState.STOPPED
        wait_for(lambda: not bob.queued, "b1 to leave the queue")
        assert carol.queue_position == 1 and carol.progress().state == RunState.QUEUED
        assert "1 of 1" in carol.progress().message
        assert finish(bob).state == RunState.FINISHED  # ... and then the next one
        assert finish(carol).state == RunState.FINISHED and (runs / "c1" / "config.json").is_file()
    finally:
        reg.stop_all()


def test_leaving_the_queue_saves_nothing_and_moves_the_others_up(runs, data, monkeypatch):
    monkeypatch.setenv("AAE_MAX_RUNS", "1")
    reg = RunService()
    try:
        start_paused(reg, "alice", "a1", data)
        bob, carol = start(reg, "bob", "b1", data), start(reg, "carol", "c1", data)
        with pytest.raises(NotYours):
            reg.stop("carol", "b1")  # only its owner takes it out
        p = reg.stop("bob", "b1")
        assert (p.state, p.step) == (RunState.STOPPED, 0) and "left the queue" in p.message
        assert not bob.alive and not (runs / "b1").exists()
        assert carol.queue_position == 1 and reg.queued_count() == 1
        assert start(reg, "bob", "b2", data).queue_position == 2  # bob may queue again
    finally:
        reg.stop_all()
    assert reg.queued_count() == 0 and not any(r.alive for r in reg.runs())


def test_a_full_queue_refuses_with_a_clear_message(runs, data, monkeypatch):
    monkeypatch.setenv("AAE_MAX_RUNS", "1")
    monkeypatch.setenv("AAE_MAX_QUEUE", "1")
    reg = RunService()
    try:
        start_paused(reg, "alice", "a1", data)
        start(reg, "bob", "b1", data)
        with pytest.raises(BusyError, match=r"busy: the queue is full \(1 runs waiting\)"):
            start(reg, "carol", "c1", data)
        assert reg.find("c1") is None
    finally:
        reg.stop_all()


@pytest.mark.parametrize("name, value", [("AAE_MAX_RUNS", "0"), ("AAE_MAX_RUNS", "-2"),
                                         ("AAE_MAX_RUNS", "many"), ("AAE_TRAIN_THREADS", "-1"),
                                         ("AAE_TRAIN_THREADS", "1.5")])
def test_bad_server_settings_are_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} must be a whole number"):
        RunService().max_runs() if name == "AAE_MAX_RUNS" else RunService().threads()


def test_the_defaults_are_half_the_cores_and_one_thread_per_run(monkeypatch):
    monkeypatch.delenv("AAE_MAX_RUNS", raising=False)
    monkeypatch.delenv("AAE_TRAIN_THREADS", raising=False)
    assert capacity.server_run_limit() == max(1, (os.cpu_count() or 1) // 2)
    assert RunService().threads() == 1
    monkeypatch.setenv("AAE_TRAIN_THREADS", "3")
    assert RunService().threads() == 3 and RunService(threads=2).threads() == 2


def test_stop_saves_where_it_got_to(registry, runs, data, observed_controls):
    controls = observed_controls

    def pause_at_step_two(p):  # deterministic: stop inside the first epoch
        if p.step == 2:
            controls.running.clear()

    run = start(registry, "alice", "stopped", data, epochs=1000, controls=controls,
                on_progress=pause_at_step_two)
    assert controls.held.wait(60), "the worker never reached the pause point"
    p = registry.stop("alice", "stopped", timeout=60)  # the timeout only guards a hang
    assert controls.released.is_set() and not run.alive
    assert (p.state, p.step) == (RunState.STOPPED, 2)
    ckpt = load_checkpoint(runs / "stopped")
    assert (ckpt.card["epochs"], ckpt.card["steps"]) == (0, 2)


@pytest.mark.parametrize("name", ["../x", "a/b", "", "  ", ".hidden", "x" * 81, None])
def test_bad_names_are_refused_before_anything_starts(registry, runs, data, name):
    with pytest.raises(ConfigError, match="run name"):
        start(registry, "alice", name, data)
    assert registry.runs() == [] and not runs.exists()


def test_an_existing_checkpoint_is_never_overwritten(registry, runs, data):
    finish(start(registry, "alice", "mine", data))
    before = {p.name: p.stat().st_mtime_ns for p in (runs / "mine").iterdir()}
    for owner in ("alice", "bob"):
        with pytest.raises(ConfigError, match="a model named 'mine' already exists"):
            start(registry, owner, "mine", data)
    assert {p.name: p.stat().st_mtime_ns for p in (runs / "mine").iterdir()} == before


def test_two_sessions_cannot_train_the_same_name(registry, runs, data):
    start_paused(registry, "alice", "same", data)
    with pytest.raises(BusyError, match="a run named 'same' is training right now"):
        start(registry, "bob", "same", data)


def test_train_further_continues_the_same_checkpoint(registry, runs, data):
    finish(start(registry, "alice", "base", data, epochs=1))
    run = registry.continue_run("alice", "base", 2, dataset=data)
    assert run.start_epoch == 1 and run.resumed_from == "base"
    p = finish(run)
    assert (p.state, p.epoch, p.epochs) == (RunState.FINISHED, 3, 3)
    assert load_checkpoint(runs / "base").card["epochs"] == 3


def test_train_further_into_a_new_name_keeps_the_original(registry, runs, data):
    finish(start(registry, "alice", "base", data, epochs=1))
    original = (runs / "base" / "model.safetensors").read_bytes()
    finish(registry.continue_run("alice", "base", 1, name="base-more", dataset=data))
    assert load_checkpoint(runs / "base-more").card["epochs"] == 2
    assert (runs / "base" / "model.safetensors").read_bytes() == original
    finish(start(registry, "alice", "other", data))
    with pytest.raises(ConfigError, match="already exists"):  # resume of base, not of other
        registry.continue_run("alice", "base", 1, name="other", dataset=data)


@pytest.mark.parametrize("what, call, message", [
    ("labels beyond the dataset", lambda reg, data: start(reg, "alice", "r", data, labels=5000),
     "labels=5000 but the dataset has only 200"),
    ("a missing checkpoint", lambda reg, data: reg.continue_run("alice", "nope", 1),
     "no saved run named 'nope'"),
    ("a path outside the runs", lambda reg, data: reg.continue_run("alice", "/etc", 1),
     "no saved run named 'etc'"),
    ("no model and no checkpoint",
     lambda reg, data: reg.start("alice", None, train_config(), "r", dataset=data),
     "give a model configuration"),
    ("zero more epochs", None, "more epochs must be a whole number >= 1"),
])
def test_bad_settings_start_nothing(registry, runs, data, what, call, message):
    if call is None:
        finish(start(registry, "alice", "base", data))
        call = lambda reg, data: reg.continue_run("alice", "base", 0)  # noqa: E731
    with pytest.raises(ConfigError, match=message):
        call(registry, data)
    assert not (runs / "r").exists() and all(not r.alive for r in registry.runs())
    ok = finish(start(registry, "alice", "ok", data))
    assert ok.state == RunState.FINISHED  # nothing was left reserved


def test_only_the_owner_controls_a_run_until_its_tab_closes(registry, data):
    run = start_paused(registry, "alice", "a1", data)
    for action in (registry.pause, registry.resume, registry.stop):
        with pytest.raises(NotYours, match="started in another tab"):
            action("bob", "a1")
    with pytest.raises(NotYours, match="still open"):
        registry.adopt("bob", "a1")
    assert run.owner_label("bob") == "another tab" and run.owner_label("alice") == "you"

    registry.release("alice")  # alice's tab closed: the run goes on, ownerless
    assert run.alive and run.owner_label("bob") == "nobody (tab closed)"
    registry.attach("alice")  # ...and alice's session reconnected first
    assert run.owner_label("bob") == "another tab"

    registry.release("alice")
    assert registry.adopt("bob", "a1") is run and registry.get("bob") is run
    with pytest.raises(NotYours):
        registry.pause("alice", "a1")
    registry.resume("bob", "a1")
    assert registry.stop("bob", "a1", timeout=10).state == RunState.STOPPED


def test_pause_and_resume_hold_and_continue_the_steps(registry, data, observed_controls):
    controls = observed_controls
    run = start(registry, "alice", "pr", data, epochs=1000, controls=controls)
    wait_for(lambda: run.progress().step >= 1, "a first step")
    registry.pause("alice", "pr")
    assert controls.held.wait(60), "the worker never reached the pause point"
    held = run.progress().step  # the step in flight is finished and counted
    assert not controls.released.wait(0.3)  # the worker stays at the pause point
    assert run.progress().state == RunState.PAUSED and run.progress().step == held
    registry.resume("alice", "pr")
    wait_for(lambda: run.progress().step > held, "steps after resuming")


def test_an_error_in_the_worker_is_kept_and_the_next_run_starts(registry, data, monkeypatch):
    real, broken = AAE.train_step, [True]

    def boom(self, batch):
        if broken[0]:
            raise RuntimeError("boom")
        return real(self, batch)

    monkeypatch.setattr(AAE, "train_step", boom)
    p = finish(start(registry, "alice", "bad", data))
    assert p.state == RunState.FAILED and p.message == "RuntimeError: boom"
    assert isinstance(registry.find("bad").error, RuntimeError)
    broken[0] = False
    assert finish(start(registry, "alice", "good", data)).state == RunState.FINISHED


def test_a_diverging_run_says_so(registry, data, monkeypatch):
    real = AAE.train_step
    monkeypatch.setattr(AAE, "train_step",
                        lambda self, batch: {**real(self, batch), "d_loss": math.nan})
    p = finish(start(registry, "alice", "nan", data))
    assert p.state == RunState.DIVERGED and "diverged at step 1" in p.message
    assert "no epoch had completed" in p.message


def test_the_worker_trains_with_one_torch_thread(registry, data, monkeypatch):
    seen = []
    real = AAE.train_step

    def step(self, batch):
        seen.append(torch.get_num_threads())
        return real(self, batch)

    monkeypatch.setattr(AAE, "train_step", step)
    finish(start(registry, "alice", "threads", data))
    assert seen and set(seen) == {1}


def test_finished_runs_are_forgotten_beyond_the_limit(runs, data):
    reg = RunService(max_runs=1, keep_finished=2)
    for k in range(4):
        finish(start(reg, "alice", f"r{k}", data))
    # pruned as each run starts: two finished ones are kept beside the new one
    assert [r.name for r in reg.runs()] == ["r3", "r2", "r1"]
    assert sorted(p.name for p in runs.iterdir()) == ["r0", "r1", "r2", "r3"]


def test_suggested_names_are_free(registry, runs, data):
    assert registry.suggest_name("aae") == "aae-1"
    finish(start(registry, "alice", "aae-1", data))
    start_paused(registry, "bob", "aae-2", data)
    assert registry.suggest_name("aae") == "aae-3"


# --- the limit per device (made-up devices: the rules, on any machine) ------------------

H200 = DeviceInfo("cuda", name="NVIDIA H200", cpu_cores=16, memory_bytes=141 * 2**30,
                  multiprocessors=132)


@pytest.mark.parametrize(("device", "limit"), [
    (DeviceInfo("cpu", cpu_cores=2), 1),
    (DeviceInfo("cpu", cpu_cores=1), 1),
    (DeviceInfo("cpu", cpu_cores=64), 32),
    (DeviceInfo("mps", cpu_cores=8), 4),
    (H200, 32),  # 132 SMs / 4 = 33, 141 GiB / 1 GiB = 141, 2 x 16 cores = 32
    (DeviceInfo("cuda", cpu_cores=64, memory_bytes=8 * 2**30, multiprocessors=46), 8),  # memory
    (DeviceInfo("cuda", cpu_cores=64, memory_bytes=80 * 2**30, multiprocessors=20), 5),  # SMs
    (DeviceInfo("cuda", cpu_cores=1, memory_bytes=2**29, multiprocessors=2), 1),  # at least 1
], ids=["2-cores", "1-core", "64-cores", "mps", "h200", "small-gpu", "few-sms", "tiny-gpu"])
def test_the_run_limit_follows_the_device(monkeypatch, device, limit):
    monkeypatch.delenv("AAE_MAX_RUNS", raising=False)
    monkeypatch.delenv("AAE_MAX_GPU_RUNS", raising=False)
    monkeypatch.setattr(capacity, "server_device", lambda: device)
    assert RunService().max_runs() == limit
    assert RunService(max_runs=3).max_runs() == 3  # an explicit limit wins


def test_each_kind_of_device_has_its_own_setting(monkeypatch):
    monkeypatch.setenv("AAE_MAX_RUNS", "3")
    monkeypatch.setenv("AAE_MAX_GPU_RUNS", "12")
    monkeypatch.setattr(capacity, "server_device", lambda: H200)
    assert RunService().max_runs() == 12
    monkeypatch.setattr(capacity, "server_device", lambda: DeviceInfo("cpu", cpu_cores=16))
    assert RunService().max_runs() == 3
    monkeypatch.setenv("AAE_MAX_GPU_RUNS", "lots")
    monkeypatch.setattr(capacity, "server_device", lambda: H200)
    with pytest.raises(ConfigError, match="AAE_MAX_GPU_RUNS must be a whole number >= 1, "
                                          "got 'lots'"):
        RunService().max_runs()


def test_the_server_describes_its_own_device():
    info = capacity.describe_device("cpu")
    assert (info.kind, info.cpu_cores) == ("cpu", os.cpu_count() or 1)
    assert info.summary() == f"cpu ({info.cpu_cores} cores)"
    assert H200.summary() == "NVIDIA H200 (141 GiB, 132 SMs)"


# --- the service's boundaries (read from the source) -------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _sources(*folders: str) -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text() for folder in folders
            for p in (ROOT / folder).rglob("*.py")}


def test_nobody_calls_the_trainers_private_methods_from_outside():
    outside = {name: text for name, text in _sources("aae_core", "ui", "pages").items()
               if name != "aae_core/training/train.py"}
    calls = {name: re.findall(r"trainer\._[a-z]\w*", text) for name, text in outside.items()}
    assert {name: found for name, found in calls.items() if found} == {}


def test_the_ray_address_is_read_in_one_place():
    reads = re.compile(r"(environ|getenv)\W*(get\()?\W*(ADDRESS_ENV|\W?AAE_RAY_ADDRESS)")
    readers = [name for name, text in _sources("aae_core", "ui", "pages", "bench").items()
               for _ in reads.finditer(text)]
    assert readers == ["aae_core/training/remote.py"]


def test_the_ui_holds_no_run_policy():
    text = (ROOT / "ui" / "run_service.py").read_text()
    assert "class " not in text and "def " not in text  # one instance of the core's service


def test_run_states_are_named_by_the_enum_only():
    """No module compares a run's state with a bare string (RunState, train.py)."""
    bare = re.compile(r"state\)?\s*(==|!=|in)\s*\(?\"(queued|starting|running|paused|"
                      r"finished|stopped|diverged|failed)\"")
    found = {name: bare.findall(text) for name, text in
             _sources("aae_core", "ui", "pages", "bench", "tests").items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


# --- the runs folder's quota, and deleting one's saved runs ---------------------------------

def test_at_the_quota_a_new_run_is_refused_saying_how_to_free_space(registry, runs, data,
                                                                     monkeypatch):
    monkeypatch.setenv("AAE_RUNS_QUOTA_MB", "1")
    runs.mkdir()
    (runs / "notes.bin").write_bytes(b"x" * (3 * 2**19))  # 1.5 MB of the user's own
    with pytest.raises(QuotaError, match=r"the runs folder is full: 1\.5 MB of its 1\.0 MB "
                                         r"quota are used .* delete saved runs you no longer "
                                         r"need .* or raise \$AAE_RUNS_QUOTA_MB"):
        start(registry, "alice", "r", data)
    assert [p.name for p in runs.iterdir()] == ["notes.bin"] and registry.runs() == []
    assert (runs / "notes.bin").stat().st_size == 3 * 2**19  # never touched
    (runs / "notes.bin").unlink()
    assert finish(start(registry, "alice", "r", data)).state == RunState.FINISHED


@pytest.mark.parametrize("bad", ["0", "-5", "lots"])
def test_a_bad_quota_setting_is_one_line(registry, runs, data, monkeypatch, bad):
    monkeypatch.setenv("AAE_RUNS_QUOTA_MB", bad)
    with pytest.raises(ConfigError, match="AAE_RUNS_QUOTA_MB must be a whole number >= 1"):
        start(registry, "alice", "r", data)


def test_a_saved_app_run_can_be_deleted_and_nothing_else(registry, runs, data):
    finish(start(registry, "alice", "mine", data))
    used_before, _ = registry.usage()
    freed = registry.delete_saved("mine")
    assert freed > 0 and not (runs / "mine").exists() and registry.find("mine") is None
    assert registry.usage()[0] == used_before - freed

    from aae_core.models import build_model
    from aae_core.store.checkpoints import save_checkpoint

    cli_made = save_checkpoint(runs / "from-cli", build_model(TINY), train_config())
    finish(start(registry, "alice", "cluttered", data))
    (runs / "cluttered" / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()}
    for name, message in [("from-cli", "was not trained by this app"),
                          ("cluttered", r"holds other things too \(notes\.txt\)"),
                          ("aae-gaussian", "no saved run named 'aae-gaussian'"),
                          ("../checkpoints/aae-gaussian", "no saved run named"),
                          ("/etc", "no saved run named 'etc'")]:
        with pytest.raises(ConfigError, match=message):
            registry.delete_saved(name)
    assert {p: p.read_bytes() for p in runs.rglob("*") if p.is_file()} == before
    assert (cli_made / "model.safetensors").is_file()

    active = start_paused(registry, "bob", "busy", data)
    with pytest.raises(BusyError, match="busy is training or waiting to; stop it first"):
        registry.delete_saved("busy")
    assert active.alive


# --- one budget for everything that trains ---------------------------------------------------

def test_watch_sessions_take_their_places_from_the_same_budget_as_runs(runs, data):
    service = RunService(max_runs=1)
    try:
        place = service.take_place("tab-a")
        run = start(service, "alice", "r1", data)  # the one place is watched: the run waits
        assert run.queued and not run.thread.is_alive() and not (runs / "r1").exists()
        with pytest.raises(BusyError) as refused:
            service.take_place("tab-b")
        assert str(refused.value) == (
            "all 1 training place on this server are taken (0 runs training, 1 watched "
            "live, 1 waiting); a Watch it learn session needs one: try again when one ends")
        again = service.take_place("tab-a")  # the same tab (switching its digits) shares it
        place.release()
        place.release()  # idempotent
        assert run.queued and service.watch_count() == 1
        again.release()  # the tab's last handle: the place goes to the queue
        assert service.watch_count() == 0
        assert finish(run).state == RunState.FINISHED
    finally:
        service.stop_all()


def test_a_training_run_leaves_no_place_to_watch_and_closing_a_session_frees_its_place(
        runs, data):
    from aae_core.watch.session import WatchConfig, WatchSession

    service = RunService(max_runs=1)
    try:
        training = start_paused(service, "alice", "r1", data)
        with pytest.raises(BusyError, match=r"taken \(1 run training\); a Watch it learn "
                                            r"session needs one"):
            service.take_place("tab-a")
        service.stop("alice", "r1", timeout=60)
        assert not training.alive
        config = WatchConfig(hidden=(16,), batch_size=8, n_codes=40, n_prior=50, n_arrows=12,
                             grid=12, packets_per_s=0, device="cpu")
        watched = WatchSession(config, dataset=data, place=service.take_place("tab-a"))
        queued = start(service, "bob", "r2", data)
        assert queued.queued  # the Watch session holds the place
        watched.close()
        assert finish(queued).state == RunState.FINISHED  # its place went to the queue
    finally:
        service.stop_all()


def test_one_threads_setting_serves_the_command_line_and_the_server(monkeypatch):
    from aae_core.device import cpu_threads

    monkeypatch.delenv("AAE_TRAIN_THREADS", raising=False)
    assert cpu_threads() == 1 and cpu_threads(3) == 3  # --threads wins
    monkeypatch.setenv("AAE_TRAIN_THREADS", "2")
    assert cpu_threads() == 2 == RunService().threads() and cpu_threads(1) == 1
    monkeypatch.setenv("AAE_TRAIN_THREADS", "0")  # torch's own default
    assert cpu_threads() == 0
