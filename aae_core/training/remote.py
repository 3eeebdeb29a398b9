"""Training on a Ray cluster: the app's runs as Ray actors, the sweeps' runs as Ray tasks.

What goes where (no shared disk is assumed between this process and the cluster):

- to the cluster: the aae_core package itself (a Ray runtime_env py_module, so the nodes
  need this project's requirements but not its files; a local Ray started here imports it
  from this folder instead), the run's configs, the dataset's *name*
  (each node loads or renders it itself; MNIST needs $AAE_DATA_DIR or its cache there)
  and, to continue a checkpoint, that checkpoint's files as bytes;
- back from the cluster: Progress snapshots (losses, a latent snapshot, sample images;
  about 50 KB a poll) and each checkpoint the run saves, as the bytes of its files, which
  this side writes atomically into its own runs folder. A worker that dies therefore leaves
  the last per-epoch checkpoint intact here.

`RemoteTrainer` has a Trainer's interface but its `run()` drives an actor instead of the
loop, so `TrainingRun` (and everything built on it) is the one interface over both
backends. The model and the data are loaded on the node only: this side holds the
settings, a weightless copy of the model (its prior, for the map's box) and the progress.
A sweep's run is `submit_training(TrainJob)`: a function call with typed settings.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from aae_core.config import ModelConfig, TrainConfig
from aae_core.errors import AAEError, ConfigError, DivergenceError
from aae_core.store.checkpoints import (
    epochs_done,
    read_checkpoint_files,
    read_config,
    write_checkpoint_files,
)
from aae_core.training.train import (
    Controls,
    Progress,
    ProgressBoard,
    RunState,
    TrainingRun,
    check_epochs_left,
    make_trainer,
)

ADDRESS_ENV = "AAE_RAY_ADDRESS"  # the app: a Ray cluster to send Train-page runs to
GPU_FRACTION_ENV = "AAE_RAY_GPU_FRACTION"  # share of a GPU one run asks for (default 0.25)
POLL_S = 0.5  # how often this side asks a remote run for its progress
ANSWER_TIMEOUT_S = 60.0  # a started actor that does not answer a poll for this long is lost

_connect_lock = threading.Lock()


class RemoteError(AAEError):
    """The cluster could not be reached, or lost a run."""


def configured_address() -> str | None:
    """$AAE_RAY_ADDRESS: the Ray cluster the app's runs are sent to (unset: they train in
    the app's process). The one place it is read."""
    return os.environ.get(ADDRESS_ENV, "").strip() or None


def _ray():
    """Ray, imported on first use (about 2 s): the app without a cluster never pays it."""
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is in requirements.txt
        raise RemoteError("Ray is not installed: pip install -r requirements.txt") from None
    return ray


PROBE_TIMEOUT_S = 3.0  # a cluster's address that does not accept a connection in this is down
#: How many times Ray's own connect loop tries a port that accepts connections but does
#: not answer as a Ray GCS (its default is about 20 tries of some 40 s, each logging three
#: warning lines); $RAY_gcs_server_port_wait_time_s, when set, wins.
GCS_TRIES_ENV, GCS_TRIES = "RAY_gcs_server_port_wait_time_s", "1"
_failed: dict[str, str] = {}  # address -> the one line that said why it could not be reached
log = logging.getLogger(__name__)


def connection_problem(address: str | None = None) -> str | None:
    """Why the last try to reach the cluster at `address` (default: the configured one)
    failed, or None. Until `retry_connection`, nothing tries that address again."""
    address = address or configured_address()
    return _failed.get(address) if address else None


def retry_connection(address: str | None = None) -> str:
    """Forget the last failure and try to reach the cluster now (the user asked); returns
    its address, or raises RemoteError with the one line, said once more."""
    address = address or configured_address()
    if not address:
        raise RemoteError(f"no Ray cluster is configured (${ADDRESS_ENV} is not set)")
    _failed.pop(address, None)
    return connect(address)


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of 'HOST:PORT' or 'ray://HOST:PORT'; None for 'auto' (a local cluster
    Ray finds itself)."""
    if address == "auto":
        return None
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RemoteError(f"the Ray address {address!r} is not HOST:PORT, ray://HOST:PORT "
                          "or auto")
    return host.strip("[]"), int(port)


def _probe(address: str) -> None:
    """Refuse an address nothing listens at, in at most PROBE_TIMEOUT_S, before Ray's own
    connect loop (which retries for minutes, a warning line each time) ever starts."""
    where = _host_port(address)
    if where is None:
        return
    try:
        socket.create_connection(where, timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise RemoteError(f"cannot reach the Ray cluster at {address}: {why}") from None


def connect(address: str | None = None, *, num_cpus: int | None = None) -> str:
    """Join the Ray cluster at `address` ('auto', 'HOST:PORT' or 'ray://HOST:10001'), or,
    without one, start a local Ray with `num_cpus` CPUs and no dashboard (nothing from the
    internet). Once per process; returns the cluster's address.

    A cluster that cannot be reached is one RemoteError line, logged once; later calls
    repeat that line at once, without trying again, until `retry_connection`."""
    ray = _ray()
    address = address or os.environ.get("RAY_ADDRESS") or None  # as ray.init itself would
    with _connect_lock:
        if address in _failed:
            raise RemoteError(_failed[address])
        if not ray.is_initialized():
            try:
                _init(ray, address, num_cpus)
            except RemoteError as exc:
                if address:
                    _failed[address] = str(exc)
                log.warning("%s", exc)
                raise
        return ray.get_runtime_context().gcs_address


#: Ray's own setting for the niceness of the workers its raylet starts (Ray's default: 15).
WORKER_NICENESS_ENV = "RAY_worker_niceness"


def _init(ray, address: str | None, num_cpus: int | None) -> None:
    options = {"log_to_driver": False, "configure_logging": False}
    try:
        if address:  # its nodes get this code with the job (they need torch only)
            _probe(address)
            os.environ.setdefault(GCS_TRIES_ENV, GCS_TRIES)
            ray.init(address=address, runtime_env={"py_modules": [_package_dir()]},
                     **options)
        else:  # local workers inherit this process's environment: no upload needed
            _export_pythonpath()
            # Ray starts its workers at nice 15: beside any other process (the app, a test,
            # another sweep) a run then got almost no CPU (an AAE run of about 5 s took
            # 218 s on a busy 2-core machine). A run is one process with one thread, so at
            # the ordinary priority it takes its fair share and no more. A user's own
            # setting wins.
            os.environ.setdefault(WORKER_NICENESS_ENV, "0")
            ray.init(num_cpus=num_cpus, include_dashboard=False, **options)
    except RemoteError:
        raise
    except Exception as exc:  # Ray raises bare Exceptions too (a start timed out)
        with contextlib.suppress(Exception):  # leave nothing half-connected behind
            ray.shutdown()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else \
            type(exc).__name__
        raise RemoteError(f"cannot reach the Ray cluster at {address or 'local'}: "
                          f"{reason}") from None


def _package_dir() -> str:
    return str(Path(__file__).resolve().parents[1])


def _export_pythonpath() -> None:
    """Make aae_core importable in the local Ray's workers, whatever their folder (they
    inherit this environment; a runtime_env upload would cost each new worker seconds)."""
    root = str(Path(__file__).resolve().parents[2])
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *parts])


def resources(device: str, cpus: int = 1) -> dict:
    """What one run asks the cluster for: `cpus` CPUs, plus a share of a GPU when it trains
    on one ('cuda', or 'auto' on a cluster that has GPUs). Small models are launch-bound on
    a GPU, so several runs share one ($AAE_RAY_GPU_FRACTION, default 0.25)."""
    ray = _ray()
    wants_gpu = device.startswith("cuda") or (
        device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
    if not wants_gpu:
        return {"num_cpus": cpus, "num_gpus": 0}
    raw = os.environ.get(GPU_FRACTION_ENV, "0.25")
    try:
        fraction = float(raw)
    except ValueError:
        fraction = -1.0
    if not 0 < fraction <= 1:
        raise ConfigError(f"{GPU_FRACTION_ENV} must be a number > 0 and <= 1, got {raw!r}")
    return {"num_cpus": cpus, "num_gpus": fraction}


# --- the app: one run as an actor ----------------------------------------------------------
class TrainerActor:
    """Lives on a Ray worker: the ordinary TrainingRun, saving into a private temp folder;
    `poll` hands back its progress and any checkpoint newer than the caller has."""

    def __init__(self, model_cfg, train_cfg, name: str, *, card: dict, local_dir: str,
                 resume_files: dict[str, bytes] | None = None, dataset=None, threads: int = 1,
                 snapshot_every_s: float = 1.0):
        import torch

        torch.set_num_threads(max(1, threads))
        self.root = Path(tempfile.mkdtemp(prefix="aae-ray-run-"))
        self.out_dir, self.local_dir = self.root / name, local_dir
        resume = None
        if resume_files:  # the checkpoint to continue, as sent by the app
            resume = write_checkpoint_files(self.root / "resume" / name, resume_files)
        trainer = make_trainer(model_cfg, train_cfg, out_dir=self.out_dir, resume_from=resume,
                               dataset=dataset, card=card, snapshot_every_s=snapshot_every_s,
                               card_class_names=True)
        self.run = TrainingRun(trainer).start()

    def poll(self, have: int | None) -> tuple[Progress, int | None, dict[str, bytes] | None]:
        """(progress, checkpoint version, its files if newer than `have`, else None)."""
        p = self.run.progress()
        p = replace(p, message=p.message.replace(str(self.out_dir), self.local_dir))
        version, files = read_checkpoint_files(self.out_dir, newer_than=have)
        return p, version, files

    def pause(self) -> None:
        self.run.pause()

    def resume(self) -> None:
        self.run.resume()

    def stop(self) -> None:
        """Ask the loop to stop (it saves where it got to); `poll` says when it has."""
        self.run.ask_to_stop()

    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        """Remove this run's temp folder (its checkpoints are on the app's side by now)."""
        shutil.rmtree(self.root, ignore_errors=True)


def weightless_model(model_cfg: ModelConfig):
    """The model's shapes on the "meta" device (no weights, no memory) with its real prior:
    what this side needs of a run that trains elsewhere (the map's box)."""
    import torch

    from aae_core.models import build_model

    with torch.device("meta"):
        return build_model(model_cfg)


class RemoteTrainer(ProgressBoard):
    """A run on a Ray actor, mirrored here with a Trainer's interface (`run`, `controls`,
    `snapshot`, `set_state`, `release`, the settings).

    Nothing heavy is built here: the settings are validated (the configs check themselves),
    and `run()` starts the actor, which loads the data and builds (or loads) the model on
    its node; it forwards pause/resume/stop, copies the actor's Progress every POLL_S and
    writes each checkpoint it saves into `out_dir`. Failures come out as the loop's own:
    DivergenceError, an AAEError raised over there (a bad setting only the data reveals),
    or one RemoteError line when the worker dies.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, *, out_dir,
                 address: str | None, start_epoch: int = 0, card: dict | None = None,
                 resume_files: dict[str, bytes] | None = None, send_dataset=None,
                 threads: int = 1, controls: Controls | None = None,
                 snapshot_every_s: float = 1.0, on_progress=None):
        check_epochs_left(start_epoch, train_cfg.epochs)
        super().__init__(Progress(epoch=start_epoch, epochs=train_cfg.epochs), on_progress)
        self.model_config, self.train_cfg = model_cfg, train_cfg
        self.model = weightless_model(model_cfg)
        self.out_dir, self.start_epoch = Path(out_dir), start_epoch
        self.card = dict(card or {})
        self.address, self.resume_files = address, resume_files
        self.send_dataset, self.threads = send_dataset, threads
        self.controls = controls or Controls()
        self.snapshot_every_s = snapshot_every_s
        self.released = False
        self.actor = None

    def release(self) -> None:
        """Nothing to free here: the weights and the data live on the node."""
        self.released = True

    def run(self) -> Progress:
        self.set_state(RunState.STARTING)
        have = None  # the version of the last checkpoint written here
        try:
            self.actor = self._launch()
            progress = self._follow(have)
        finally:
            if self.actor is not None:
                with contextlib.suppress(Exception):  # a dead actor has nothing to clean
                    _ray().get(self.actor.close.remote(), timeout=10)
                with contextlib.suppress(Exception):
                    _ray().kill(self.actor)
        if progress.state == RunState.DIVERGED:
            raise DivergenceError(progress.message)
        if progress.state == RunState.FAILED:
            raise RemoteError(progress.message)
        return self.snapshot()

    def _launch(self):
        ray = _ray()
        connect(self.address)
        actor_cls = ray.remote(TrainerActor).options(
            max_restarts=0, **resources(self.train_cfg.device, self.threads))
        return actor_cls.remote(
            self.model_config, self.train_cfg, self.out_dir.name, card=self.card,
            local_dir=str(self.out_dir), resume_files=self.resume_files,
            dataset=self.send_dataset, threads=self.threads,
            snapshot_every_s=self.snapshot_every_s)

    def _follow(self, have: int | None) -> Progress:
        """Poll until the remote run is done; returns its last Progress."""
        told_paused = told_stop = False
        while True:
            c = self.controls
            if c.stop.is_set() and not told_stop:
                self.actor.stop.remote()
                told_stop = True
            paused = not c.running.is_set()
            if paused != told_paused and not told_stop:
                (self.actor.pause if paused else self.actor.resume).remote()
                told_paused = paused
            answer = self._answer(self.actor.poll.remote(have))
            if answer is None:  # stopped before the actor ever started
                self.set_state(RunState.STOPPED, "stopped before it started")
                return self.snapshot()
            p, version, files = answer
            if files:
                write_checkpoint_files(self.out_dir, files)
                have = version
            self._mirror(p, saved=have is not None)
            if p.done:
                return p
            c.stop.wait(POLL_S)

    def _answer(self, ref):
        """The poll's answer; None when the user stopped a run still waiting for a worker
        (a full cluster: it waits as long as it must). A dead worker or a lost cluster
        becomes one RemoteError line."""
        ray = _ray()
        waited, patient = 0.0, self.progress.state != RunState.STARTING
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=POLL_S)
                if ready:
                    return ray.get(ready[0])
                waited += POLL_S
                if self.controls.stop.is_set() and self.progress.state == RunState.STARTING:
                    return None
                if patient and waited > ANSWER_TIMEOUT_S:
                    raise RemoteError(self._lost("its worker stopped answering"))
        except ray.exceptions.RayTaskError as exc:  # an error raised by the run over there
            cause = getattr(exc, "cause", None)
            if isinstance(cause, AAEError):
                raise type(cause)(str(cause)) from None
            why = f"{type(cause).__name__}: {cause}" if cause else "the worker raised an error"
            raise RemoteError(f"the run failed on the cluster: {why}") from None
        except ray.exceptions.RayError as exc:  # the worker or its node died
            if self.progress.state == RunState.STARTING:  # it never ran: say why it could not
                raise RemoteError(f"the run could not start on the cluster: "
                                  f"{_last_error_line(exc)}") from None
            raise RemoteError(self._lost(f"{type(exc).__name__}")) from None

    def _lost(self, why: str) -> str:
        saved = self.progress.checkpoint
        kept = f"the last saved checkpoint is kept at {saved}" if saved else \
            "no epoch had completed, so no checkpoint was saved"
        return f"the Ray cluster lost this run ({why}); {kept}"

    def _mirror(self, p: Progress, *, saved: bool) -> None:
        """Copy the remote Progress here; `checkpoint` names the folder on this side."""
        with self.lock:
            self.progress = replace(p, checkpoint=str(self.out_dir) if saved else None)
        if self.on_progress is not None:
            self.on_progress(self.snapshot())

    def worker_pid(self) -> int:
        """The process id of the Ray worker training this run (for fault tests)."""
        return _ray().get(self.actor.pid.remote())


def _last_error_line(exc: BaseException) -> str:
    """The last 'SomeError: why' line of a Ray error's text (which holds a traceback)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    named = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", ln)]
    return (named or lines or [type(exc).__name__])[-1][:300]


def make_remote_trainer(model_cfg, train_cfg, *, address: str | None, out_dir,
                        resume_from=None, dataset=None, threads: int = 1,
                        **kwargs) -> RemoteTrainer:
    """A RemoteTrainer for a new model, or to continue the checkpoint `resume_from` (read
    here without its weights: its settings, its epochs and its files, sent as bytes). A
    dataset object given here (tests) is sent to the cluster; otherwise its name is, and
    each node loads it itself."""
    start_epoch, resume_files = 0, None
    if resume_from is not None:
        model_cfg, saved = read_config(resume_from)
        start_epoch = epochs_done(resume_from)
        if dataset is None:  # the checkpoint's own data, as make_trainer continues it
            train_cfg = replace(train_cfg, dataset=saved.dataset)
        resume_files = read_checkpoint_files(resume_from)[1]
    elif model_cfg is None:
        raise ConfigError("give a model config or a checkpoint to resume from")
    return RemoteTrainer(model_cfg, train_cfg, out_dir=out_dir, address=address,
                         start_epoch=start_epoch, resume_files=resume_files,
                         send_dataset=dataset, threads=threads, **kwargs)


# --- sweeps: one run as a task -------------------------------------------------------------
@dataclass(frozen=True)
class TrainJob:
    """One sweep run, as sent to a Ray task: typed settings, and the card's extra fields
    (e.g. the "command" a finished run is recognised by when the sweep is run again)."""

    model: ModelConfig
    train: TrainConfig
    card: dict = field(default_factory=dict)
    threads: int = 1  # torch threads (and CPUs asked of the cluster)
    shown_as: str = "run"  # where the caller keeps the checkpoint (named in the report)


@dataclass(frozen=True)
class JobResult:
    """What a sweep task sends back: whether it finished, its report (the summary line and
    metrics, or the one-line error) and its checkpoint's files."""

    ok: bool
    report: str
    files: dict[str, bytes]


def train_job(job: TrainJob) -> JobResult:
    """Train `job` where this runs (a Ray worker), saving into a private temp folder that is
    removed afterwards; returns the checkpoint as bytes. A bad setting that only the data
    reveals (too few images, labels beyond the data set) is a failed result, not an error."""
    import torch

    from aae_core.analysis.evaluate import check_measurable
    from aae_core.data import load_dataset

    torch.set_num_threads(max(1, job.threads))
    work = Path(tempfile.mkdtemp(prefix="aae-ray-task-"))
    try:
        out = work / "run"
        data = load_dataset(job.train.dataset)
        check_measurable(data)
        progress = make_trainer(job.model, job.train, out_dir=out, dataset=data,
                                card=job.card).run()
        return JobResult(True, progress.summary(job.shown_as), read_checkpoint_files(out)[1])
    except AAEError as exc:
        return JobResult(False, f"error: {exc}", {})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def submit_training(job: TrainJob, *, device: str | None = None):
    """Submit one sweep run as a Ray task asking for `job.threads` CPUs (and a GPU share
    when it trains on a GPU); returns its ObjectRef (of a JobResult). A worker that dies is
    retried once."""
    ray = _ray()
    task = ray.remote(train_job).options(
        max_retries=1, **resources(device or job.train.device, job.threads))
    return task.remote(job)
