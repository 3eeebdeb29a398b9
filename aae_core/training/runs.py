"""The run service: a server's training runs, started, queued, paused and stopped, behind
one lock (the Train page's backend; nothing here knows about a UI).

Who owns a run (the Train page says the same to the user):

- A run belongs to the server, not to a browser tab. Closing or reloading the tab does
  not stop it: it trains to the end and saves its checkpoint in runs_dir()/<name>
  (Stop saves too, where it got to). The finished model then shows in every model picker.
- Everyone can see every run (name, model, state, epoch) and watch any run's progress.
- Pause, resume and stop belong to the run's owner: the browser session that started it,
  known by an opaque owner token that the page keeps in that session's state.
- When the owner's session ends, the page calls `release(owner)`: the run is left without
  an owner and any visitor may `adopt` it (that is how you regain its controls after
  reopening the tab). If the same session reconnects first, `attach(owner)` gives the run
  back to it.
- At most one active run per owner, and at most `max_runs()` runs training at once (per
  device, aae_core/training/capacity.py: on a CPU $AAE_MAX_RUNS, default max(1, cpu_count
  // 2), as CPU training shares the machine with the app itself; on a CUDA GPU
  $AAE_MAX_GPU_RUNS, default from its memory and SMs). A run started beyond that limit
  waits in a first-come, first-served queue (its position is shown) and starts when a run
  ends; a user's queued run is their one active run, so nobody holds two places. The queue
  is bounded ($AAE_MAX_QUEUE, default 100).
- Where runs train: in this process (a thread each), or, with $AAE_RAY_ADDRESS set, on
  that Ray cluster (a Ray actor each, see aae_core/training/remote.py; checkpoints come
  back as bytes into runs_dir()). Both are a TrainingRun: nothing here or on the page
  differs.
- When the server process exits normally (Ctrl+C, SIGTERM), an atexit hook stops every
  active run, which saves it where it got to; a killed process keeps the last per-epoch
  checkpoint.

Each run's worker sets torch to `threads()` intra-op threads ($AAE_TRAIN_THREADS, default
1; 0 leaves torch's default). torch applies the setting to the calling thread and makes it
the default for threads created afterwards (a server's other threads included), so after
the first run the whole app computes with one thread per task: on a busy 2-core machine
OpenMP threads that wait for each other cost far more than they give (85 ms vs 1478 ms per
step, measured).
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import replace
from pathlib import Path

from aae_core.config import ModelConfig, TrainConfig
from aae_core.device import cpu_threads
from aae_core.errors import AAEError, CheckpointError, ConfigError
from aae_core.store.catalog import APP_MADE, delete_app_run, resolve_run, runs_dir, runs_usage_bytes
from aae_core.store.checkpoints import check_name, epochs_done, read_config
from aae_core.training import capacity
from aae_core.training.remote import (
    RemoteError,
    configured_address,
    connection_problem,
    make_remote_trainer,
)
from aae_core.training.train import RunState, TrainingRun, make_trainer

KEEP_FINISHED = 20  # finished runs remembered for viewing (their checkpoints stay on disk)
EXIT_SAVE_S = 10.0  # at server exit, how long each active run gets to stop and save


class BusyError(AAEError):
    """A run cannot start now: the owner or the server already has enough running."""


class NotYours(AAEError):
    """Pause/resume/stop asked by a session that does not own the run."""


class QuotaError(AAEError):
    """The runs folder is at its quota ($AAE_RUNS_QUOTA_MB)."""


def checkpoint_bytes(model_cfg: ModelConfig) -> int:
    """About how much a run's checkpoint takes: float32 weights and Adam's two moments
    (the held-out codes are small beside them)."""
    from aae_core.models import MODELS

    return 3 * 4 * MODELS[model_cfg.model].parameter_count(model_cfg)


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 10 * 2**20 else f"{n / 2**20:.1f} MB"


def build_trainer(model_cfg, train_cfg, *, threads: int, card: dict | None = None, **kwargs):
    """A local Trainer, or a RemoteTrainer when a Ray cluster is configured: the one place
    that chooses the backend. Its card says the app made it (the runs it may delete)."""
    kwargs["card"] = {**(card or {}), "made_by": APP_MADE}
    address = configured_address()
    if address:
        return make_remote_trainer(model_cfg, train_cfg, address=address,
                                   threads=max(1, threads), **kwargs)
    return make_trainer(model_cfg, train_cfg, card_class_names=True, **kwargs)


def check_run_name(name) -> str:
    """A run's name is its checkpoint folder's name: letters, digits, '.', '_', '-'."""
    name = name.strip() if isinstance(name, str) else name
    if not name:
        raise ConfigError("the run name is empty: give the run a name (letters, digits, "
                          "'.', '_' and '-')")
    try:
        return check_name(name)
    except CheckpointError as exc:
        raise ConfigError(str(exc).replace("checkpoint name", "run name")) from None


class ServerRun(TrainingRun):
    """A TrainingRun with a name, an owner and a checkpoint folder."""

    def __init__(self, trainer, *, name: str, owner: str, threads: int | None,
                 resumed_from: str | None = None):
        super().__init__(trainer, threads=threads)
        self.name, self.owner, self.owner_present = name, owner, True
        self.resumed_from = resumed_from
        self.started_at = time.time()
        self.model_config: ModelConfig = trainer.model_config
        self.train_config: TrainConfig = trainer.train_cfg
        self.start_epoch = trainer.start_epoch
        self.queue_position = 0  # 1, 2, ... while waiting in the queue; 0 otherwise

    @property
    def queued(self) -> bool:
        return self.queue_position > 0

    @property
    def alive(self) -> bool:
        """Waiting in the queue or training."""
        return self.queued or self.thread.is_alive()

    @property
    def out_dir(self) -> Path:
        return self.trainer.out_dir

    @property
    def stopping(self) -> bool:
        return self.alive and self.trainer.controls.stop.is_set()

    @property
    def pausing(self) -> bool:
        """Pause was asked for; the worker has not reached its pause point yet."""
        return (self.alive and not self.trainer.controls.running.is_set()
                and self.progress().state != RunState.PAUSED)

    def map_bounds(self, codes) -> tuple:
        """The box of a map of this run's codes (the prior's, widened to hold them); the
        model's weights are not needed, only its prior."""
        from aae_core.analysis.explore import view_bounds

        return view_bounds(self.trainer.model, codes)

    def owner_label(self, viewer: str) -> str:
        """'you', 'another tab' or 'nobody (tab closed)', as seen by `viewer`."""
        if self.owner == viewer:
            return "you"
        return "another tab" if self.owner_present else "nobody (tab closed)"


class Place:
    """A training place of the service held by something that trains but is not a run (a
    Watch it learn session): it counts against `max_runs()` until `release()`."""

    def __init__(self, service: RunService, holder: str):
        self._service, self.holder, self._held = service, holder, True

    def release(self) -> None:
        """Give the place back (idempotent); a queued run may start in it."""
        if self._held:
            self._held = False
            self._service._give_back(self.holder)


class RunService:
    """Every run this server process started, by name, and the places that other live
    training (Watch sessions) holds: one budget, `max_runs()` (thread-safe)."""

    def __init__(self, *, max_runs: int | None = None, threads: int | None = None,
                 keep_finished: int = KEEP_FINISHED, max_queue: int | None = None):
        self._lock = threading.Lock()
        self._runs: dict[str, ServerRun] = {}  # by name, oldest first
        self._latest: dict[str, str] = {}  # owner -> name of their latest run
        self._reserved: dict[str, str] = {}  # name -> owner, while a run is being set up
        self._queue: list[ServerRun] = []  # runs waiting for a place, first come first
        self._max_runs, self._threads, self.keep_finished = max_runs, threads, keep_finished
        self._max_queue = max_queue
        self._places: dict[str, int] = {}  # holder -> handles held (a tab: one place)
        self._exit_hook = False

    def max_runs(self) -> int:
        """Places to train at once (capacity.server_run_limit unless given)."""
        return self._max_runs if self._max_runs is not None else capacity.server_run_limit()

    def max_queue(self) -> int:
        return self._max_queue if self._max_queue is not None else capacity.max_queue()

    def threads(self) -> int:
        """torch intra-op threads of each run's worker (0: torch's default)."""
        return self._threads if self._threads is not None else cpu_threads()

    # --- starting --------------------------------------------------------------------
    def start(self, owner: str, model_cfg: ModelConfig | None, train_cfg: TrainConfig,
              name: str, *, resume_from: str | Path | None = None, dataset=None,
              **trainer_kwargs) -> ServerRun:
        """Validate everything, then start training `name` in a background thread (or on
        the Ray cluster), or queue it when `max_runs()` runs are training (`run.queued`).

        `resume_from` names a checkpoint in runs_dir() (or gives its folder) to continue;
        `train_cfg.epochs` is then the total to reach. Raises ConfigError/DataError/
        CheckpointError for bad settings and BusyError when the owner already has a run
        or the queue is full; nothing is started or written in either case.
        """
        name = check_run_name(name)
        problem = connection_problem()
        if problem:  # said once; not tried again until someone asks (retry_connection)
            raise RemoteError(f"{problem} (not tried again until a retry of the connection "
                              "is asked for)")
        resume = self._resume_path(resume_from)
        if model_cfg is None and resume is None:
            raise ConfigError("give a model configuration or a checkpoint to continue")
        limit, threads = self.max_runs(), self.threads()
        out_dir = runs_dir() / name
        in_place = resume is not None and out_dir.resolve() == resume
        self._check_quota(0 if in_place else
                          checkpoint_bytes(model_cfg or read_config(resume)[0]))
        with self._lock:
            self._check_can_start(owner, name, out_dir, resume)
            self._reserved[name] = owner
        try:  # slow (data, model, checkpoint): outside the lock
            trainer = build_trainer(model_cfg, train_cfg, out_dir=out_dir, resume_from=resume,
                                    dataset=dataset, threads=threads, **trainer_kwargs)
            run = ServerRun(trainer, name=name, owner=owner, threads=threads,
                            resumed_from=resume.name if resume else None)
            run.on_end = self._run_ended
        except BaseException:
            with self._lock:
                self._reserved.pop(name, None)
            raise
        with self._lock:
            self._reserved.pop(name, None)
            self._runs.pop(name, None)  # an earlier, finished run of this checkpoint
            self._runs[name] = run
            self._latest[owner] = name
            self._prune()
            if not self._exit_hook:  # the server stopping: save every run where it got to
                atexit.register(self.stop_all, EXIT_SAVE_S)
                self._exit_hook = True
            if self._queue or self._training() >= limit:
                self._queue.append(run)
                self._renumber_queue()
            else:
                run.start()
        return run

    def continue_run(self, owner: str, checkpoint: str, more_epochs: int, *,
                     name: str | None = None, **kwargs) -> ServerRun:
        """Train a checkpoint of runs_dir() for `more_epochs` more epochs, saving it in place
        (or as `name`). Its saved training settings are kept."""
        path = self._resume_path(checkpoint)
        _, train = read_config(path)
        if isinstance(more_epochs, bool) or not isinstance(more_epochs, int) or more_epochs < 1:
            raise ConfigError(f"more epochs must be a whole number >= 1, got {more_epochs!r}")
        train_cfg = replace(train, epochs=epochs_done(path) + more_epochs)
        return self.start(owner, None, train_cfg, name or path.name, resume_from=path, **kwargs)

    @staticmethod
    def _check_quota(needed: int) -> None:
        """Refuse a run whose checkpoint would take the runs folder past its quota."""
        quota, used = capacity.runs_quota_bytes(), runs_usage_bytes()
        if used + needed > quota:
            raise QuotaError(
                f"the runs folder is full: {_mb(used)} of its {_mb(quota)} quota are used and "
                f"this run needs about {_mb(needed)}; delete saved runs you no longer need "
                f"(the Train page's Saved runs tab) or raise ${capacity.QUOTA_ENV}")

    @staticmethod
    def _resume_path(resume_from) -> Path | None:
        if resume_from is None:
            return None
        try:
            return resolve_run(resume_from)
        except CheckpointError as exc:
            raise ConfigError(str(exc)) from None

    # --- the queue (every method here runs under self._lock) -------------------------
    def _training(self, ending: ServerRun | None = None) -> int:
        """Places taken now: runs training (their worker alive, not counting `ending`) and
        places held by other live training."""
        runs = sum(r.thread.is_alive() for r in self._runs.values() if r is not ending)
        return runs + len(self._places)

    def _renumber_queue(self) -> None:
        for i, run in enumerate(self._queue, start=1):
            run.queue_position = i
            run.trainer.set_state(RunState.QUEUED,
                                  f"waiting in the queue: {i} of {len(self._queue)}")

    def _start_queued(self, ending: ServerRun | None = None) -> None:
        """Start queued runs, first come first, while places are free."""
        started = False
        while self._queue and self._training(ending) < self.max_runs():
            run = self._queue.pop(0)
            run.queue_position = 0
            run.trainer.set_state(RunState.STARTING)
            run.started_at = time.time()
            run.start()
            started = True
        if started:
            self._renumber_queue()

    def _run_ended(self, run: ServerRun) -> None:
        """A worker is ending (its own thread calls this): free what only training needed,
        and its place goes to the queue."""
        run.trainer.release()
        with self._lock:
            self._start_queued(ending=run)

    def _leave_queue(self, run: ServerRun) -> None:
        self._queue.remove(run)
        run.queue_position = 0
        run.trainer.set_state(RunState.STOPPED, "left the queue before it started; nothing was "
                                         "trained or saved")
        run.trainer.release()
        self._renumber_queue()

    def _check_can_start(self, owner, name, out_dir: Path, resume: Path | None) -> None:
        mine = self._active_of(owner)
        if mine is not None and (mine in self._queue):
            raise BusyError(f"you already have a run waiting in the queue ({mine.name}); one "
                            "place each: leave the queue to start another")
        if mine is not None:
            raise BusyError(f"you already have a run in progress ({self._name_of(mine)}); "
                            "pause or stop it, or wait until it finishes")
        if name in self._reserved or (name in self._runs and self._runs[name].alive):
            raise BusyError(f"a run named {name!r} is training right now; choose another name")
        if out_dir.exists() and (resume is None or out_dir.resolve() != resume):
            raise ConfigError(f"a model named {name!r} already exists in {out_dir.parent}; "
                              "choose another name, or continue it with Train further")
        if len(self._queue) >= self.max_queue():
            raise BusyError(f"busy: the queue is full ({len(self._queue)} runs waiting); "
                            "try again when one has started")

    def _active_of(self, owner: str) -> ServerRun | str | None:
        """The owner's active run, or the name of one being set up, or None."""
        for name, o in self._reserved.items():
            if o == owner:
                return self._runs.get(name) or name
        return next((r for r in self._runs.values() if r.owner == owner and r.alive), None)

    @staticmethod
    def _name_of(run: ServerRun | str) -> str:
        return run if isinstance(run, str) else run.name

    def _prune(self) -> None:
        """Forget the oldest finished runs beyond keep_finished (never an active one)."""
        finished = [n for n, r in self._runs.items() if not r.alive and r.progress().done]
        for name in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._runs[name]
        for owner, name in list(self._latest.items()):
            if name not in self._runs:
                del self._latest[owner]

    # --- looking -----------------------------------------------------------------------
    def get(self, owner: str) -> ServerRun | None:
        """The owner's latest run, active or finished (None when there is none)."""
        with self._lock:
            name = self._latest.get(owner)
            return self._runs.get(name) if name else None

    def find(self, name: str) -> ServerRun | None:
        with self._lock:
            return self._runs.get(name)

    def runs(self) -> list[ServerRun]:
        """Every remembered run, newest first."""
        with self._lock:
            return list(reversed(self._runs.values()))

    def active_count(self) -> int:
        """Runs training now (queued ones and Watch sessions not counted)."""
        with self._lock:
            return sum(r.thread.is_alive() for r in self._runs.values())

    def queued_count(self) -> int:
        with self._lock:
            return len(self._queue)

    def suggest_name(self, prefix: str) -> str:
        """`prefix-N`, the first N that is neither saved nor training."""
        root = runs_dir()
        prefix = prefix.strip().replace(" ", "-") or "run"
        with self._lock:
            for n in range(1, 10_000):
                name = f"{prefix}-{n}"
                if name not in self._runs and name not in self._reserved and \
                        not (root / name).exists():
                    return name
        return f"{prefix}-{int(time.time())}"

    # --- controls (owner only) ---------------------------------------------------------
    def _owned(self, owner: str, name: str) -> ServerRun:
        with self._lock:
            run = self._runs.get(name)
        if run is None:
            raise ConfigError(f"no run named {name!r} on this server")
        if run.owner != owner:
            raise NotYours(f"{name} was started in another tab: only that tab can pause or stop "
                           "it (or anyone, once that tab is closed)")
        return run

    def pause(self, owner: str, name: str) -> None:
        run = self._owned(owner, name)
        if run.alive and not run.queued and not run.progress().done and not run.stopping:
            run.pause()

    def resume(self, owner: str, name: str) -> None:
        run = self._owned(owner, name)
        if run.alive and run.progress().state == RunState.PAUSED:
            run.resume()

    def stop(self, owner: str, name: str, *, timeout: float | None = 5.0):
        """Ask the run to stop; it saves a checkpoint of where it got to. Waits up to
        `timeout` seconds for that (0: return at once). Returns its Progress.
        A queued run leaves the queue (nothing was trained, nothing is saved)."""
        run = self._owned(owner, name)
        with self._lock:
            if run.queued:
                self._leave_queue(run)
                return run.progress()
        return run.stop(timeout)

    # --- places for other live training ----------------------------------------------------
    def take_place(self, holder: str, what: str = "a Watch it learn session") -> Place:
        """A place for `holder` (e.g. a browser tab's Watch session), from the same budget as
        the runs; a holder that has one shares it (a tab switching its digits holds one
        place throughout). Refused with one plain line when every place is taken or runs
        are waiting for one (they came first)."""
        with self._lock:
            if holder not in self._places:
                limit, waiting = self.max_runs(), len(self._queue)
                if waiting or self._training() >= limit:
                    raise BusyError(self._full(limit, waiting, what))
            self._places[holder] = self._places.get(holder, 0) + 1
            return Place(self, holder)

    def _full(self, limit: int, waiting: int, what: str) -> str:
        runs = sum(r.thread.is_alive() for r in self._runs.values())
        parts = [f"{runs} run{'s' if runs != 1 else ''} training"]
        if self._places:
            parts.append(f"{len(self._places)} watched live")
        if waiting:
            parts.append(f"{waiting} waiting")
        return (f"all {limit} training place{'s' if limit != 1 else ''} on this server are "
                f"taken ({', '.join(parts)}); {what} needs one: try again when one ends")

    def _give_back(self, holder: str) -> None:
        with self._lock:
            left = self._places.get(holder, 0) - 1
            if left > 0:
                self._places[holder] = left
                return
            self._places.pop(holder, None)
            self._start_queued()

    def watch_count(self) -> int:
        """Places held by live training that is not a run (Watch sessions)."""
        with self._lock:
            return len(self._places)

    # --- saved runs ----------------------------------------------------------------------
    def delete_saved(self, name: str) -> int:
        """Delete the saved run `name` for good (the user asked and confirmed): only one the
        app trained, and never while it trains or waits (catalog.delete_app_run says what
        else is refused). Returns the bytes freed."""
        leaf = Path(str(name)).name
        with self._lock:
            run = self._runs.get(leaf)
            if leaf in self._reserved or (run is not None and run.alive):
                raise BusyError(f"{leaf} is training or waiting to; stop it first")
            try:
                freed = delete_app_run(leaf)
            except CheckpointError as exc:
                raise ConfigError(str(exc)) from None
            self._runs.pop(leaf, None)  # nothing left to show or continue
            for owner in [o for o, n in self._latest.items() if n == leaf]:
                del self._latest[owner]
        return freed

    @staticmethod
    def usage() -> tuple[int, int]:
        """(bytes the runs folder holds, its quota)."""
        return runs_usage_bytes(), capacity.runs_quota_bytes()

    # --- sessions coming and going -----------------------------------------------------
    def release(self, owner: str) -> None:
        """The owner's session ended (tab closed): its runs go on, without an owner."""
        with self._lock:
            for run in self._runs.values():
                if run.owner == owner:
                    run.owner_present = False

    def attach(self, owner: str) -> None:
        """The owner's session is (back) here: it keeps the runs nobody adopted meanwhile."""
        with self._lock:
            for run in self._runs.values():
                if run.owner == owner:
                    run.owner_present = True

    def adopt(self, owner: str, name: str) -> ServerRun:
        """Take over a run whose owner's tab was closed (e.g. your own, after reopening it)."""
        with self._lock:
            run = self._runs.get(name)
            if run is None:
                raise ConfigError(f"no run named {name!r} on this server")
            if run.owner == owner:
                return run
            if run.owner_present:
                raise NotYours(f"{name} belongs to a tab that is still open")
            mine = self._active_of(owner)
            if mine is not None and run.alive:
                raise BusyError(f"you already have a run in progress ({self._name_of(mine)})")
            run.owner, run.owner_present = owner, True
            self._latest[owner] = name
            return run

    def stop_all(self, timeout: float | None = 10.0) -> None:
        """Empty the queue, then stop every active run (each saves); for tests and
        shutdown."""
        with self._lock:
            for run in list(self._queue):
                self._leave_queue(run)
        for run in self.runs():
            if run.alive:
                run.stop(timeout)
