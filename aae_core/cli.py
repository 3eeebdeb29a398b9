"""The command line: list, train, eval, sample, settings, export, record-watch (the contract:
docs/ARCHITECTURE.md, "The command line").

Every bad argument or input ends with one line on stderr and exit status 2, checked before
any work starts; a file that cannot be written (a full disk) ends with one line and exit
status 1. Nothing the user already has is replaced: `train --out` writes a new folder, or
over a checkpoint of this app only when the same path is given to `--overwrite`; `sample
--out` writes a new PNG or replaces a PNG, never inside a checkpoint folder; `export` and
`record-watch` write a new file, or replace one only with `--overwrite`. `--resume`
continues the saved run with its own settings and refuses a flag that would change them.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from aae_core.errors import AAEError, ConfigError, WriteError
from aae_core.settings import RUN_SETTINGS, SETTING_NAMES, as_flags, complete, configs_from
from aae_core.settings import default_help as _default
from aae_core.settings import flag as setting_flag
from aae_core.words import with_article

EXIT_USAGE = 2
EXIT_FAILED = 1  # a write failure or an internal error
MAX_PATH_BYTES, MAX_PATH_PART_BYTES = 4000, 255
EXPORT_WATCH_STEPS = 300  # a fresh Watch run for the take-home page: a few seconds on a CPU


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 256,256, got {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError("expected at least one layer size")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m aae_core", description="Adversarial autoencoders on a CPU.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="models, priors, datasets and checkpoints")

    t = sub.add_parser("train", help="train a model and save a checkpoint folder")
    _add_setting_flags(t)
    t.add_argument("--device", default=None, help="auto (default), cpu, cuda or mps")
    t.add_argument("--out", required=True, help="a new checkpoint folder to write")
    t.add_argument("--overwrite", default=None, metavar="PATH",
                   help="replace the checkpoint at --out: give the same path again")
    t.add_argument("--resume", default=None,
                   help="continue this checkpoint, with its settings, to --epochs in all")
    t.add_argument("--threads", type=int, default=None,
                   help="torch threads on a CPU (default $AAE_TRAIN_THREADS, else 1: a second "
                        "thread collapses when anything else runs; bench/thread_policy.py)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--cuda-graph", choices=["auto", "on", "off"], default=None,
                   help="capture the training step in a CUDA graph: auto (default: on CUDA; "
                        "$AAE_CUDA_GRAPH), on, off")

    d = sub.add_parser("settings", help="the settings a new `train` run gets: its flags, the "
                                        "model's defaults filled in")
    _add_setting_flags(d)
    d.add_argument("--show", type=_names, default=SETTING_NAMES, metavar="NAME,...",
                   help="print only these settings, e.g. epochs,batch_size (default: all)")

    e = sub.add_parser("eval", help="held-out metrics of a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--dataset", default=None, help="default: the checkpoint's dataset")
    e.add_argument("--json", action="store_true")
    e.add_argument("--disentanglement", action="store_true",
                   help="also score each latent dimension against the digit and its shape "
                        "(MIG, DCI, SAP, label leakage); measures the held-out digits once")
    e.add_argument("--device", default=None,
                   help="where to compute (default: where the card's metrics were computed, "
                        "when this machine has it, else cpu)")

    s = sub.add_parser("sample", help="decode prior samples to a PNG grid")
    s.add_argument("checkpoint")
    s.add_argument("-n", type=int, default=64)
    s.add_argument("--out", required=True, help="a PNG file to write (a new one or a PNG)")
    s.add_argument("--label", type=int, default=None, help="mixture component / digit class")
    s.add_argument("--seed", type=int, default=0)

    x = sub.add_parser("export", help="the take-home page: one HTML file that works offline")
    x.add_argument("checkpoint")
    x.add_argument("--out", required=True, help="an .html file to write")
    x.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    x.add_argument("--watch-recording", default=None, metavar="FILE",
                   help="a Watch run to replay, written by `record-watch`")
    x.add_argument("--watch-steps", type=int, default=None,
                   help=f"record a fresh Watch run of N steps to replay instead (default "
                        f"{EXPORT_WATCH_STEPS}; 0: no replay)")

    r = sub.add_parser("record-watch", help="record a Watch it learn run for `export`")
    r.add_argument("--out", required=True, help="a .json file to write")
    r.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    r.add_argument("--steps", type=int, default=EXPORT_WATCH_STEPS, help="training steps")
    r.add_argument("--frames", type=int, default=40, help="snapshots kept (2 to 60)")
    r.add_argument("--dataset", default="synthetic-digits",
                   help="synthetic-digits (default) or mnist-10k")
    r.add_argument("--seed", type=int, default=0)
    return p


def _add_setting_flags(p: argparse.ArgumentParser) -> None:
    """The run settings' flags (aae_core.settings; unset: the model's defaults there)."""
    from aae_core.models import MODELS
    from aae_core.nets import ENCODER_KINDS
    from aae_core.priors import PRIOR_NAMES

    p.add_argument("--model", choices=list(MODELS), help=_default("model"))
    p.add_argument("--prior", choices=list(PRIOR_NAMES), help=_default("prior"))
    p.add_argument("--prior-std", type=float, default=None,
                   help="gaussian std (default 1); mixture radial std (default 0.3)")
    p.add_argument("--components", type=int,
                   help=f"mixture/swiss-roll parts ({_default('components')})")
    p.add_argument("--encoder", choices=list(ENCODER_KINDS), help=_default("encoder"))
    p.add_argument("--dataset",
                   help="mnist, mnist-10k, fashion-mnist, synthetic-digits or a folder of "
                        f"IDX ({_default('dataset')})")
    p.add_argument("--latent-dim", type=int, help=_default("latent_dim"))
    p.add_argument("--hidden", type=_sizes, help=f"e.g. 1000,1000 ({_default('hidden')})")
    p.add_argument("--disc-hidden", type=_sizes, help=_default("disc_hidden"))
    p.add_argument("--n-classes", type=int,
                   help=f"labels, clusters or heads ({_default('n_classes')})")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"{_default('epochs')}; with --resume: the total to reach")
    p.add_argument("--batch-size", type=int, help=_default("batch_size"))
    p.add_argument("--labels", type=int,
                   help=f"-1 all, 0 none, N labelled ({_default('labels')})")
    p.add_argument("--lr", type=float, help=_default("lr"))
    p.add_argument("--lr-adv", type=float, help=_default("lr_adv"))
    p.add_argument("--lr-decay-to", type=float,
                   help="both rates fall along a half cosine, epoch by epoch, to this factor "
                        f"of themselves at the last epoch; 1 keeps them constant "
                        f"({_default('lr_decay_to')})")
    p.add_argument("--beta1", type=float, help=_default("beta1"))
    p.add_argument("--reg-weight", type=float,
                   help=f"WAE lambda / VAE beta ({_default('reg_weight')})")
    p.add_argument("--generator-weight", type=float,
                   help="aae models: 0 gives the generator phase its own Adam at --lr-adv (the "
                        "paper's form); w > 0 steps the autoencoder's Adam on w x its loss "
                        f"({_default('generator_weight')})")
    p.add_argument("--disc-noise", type=float,
                   help=f"noise std on D's input ({_default('disc_noise')})")
    p.add_argument("--input-noise", type=float,
                   help="noise std on the encoder's input (semi-supervised family; "
                        f"{_default('input_noise')})")
    p.add_argument("--seed", type=int, help=_default("seed"))


def _given_settings(args) -> dict:
    return {name: getattr(args, name) for name in SETTING_NAMES}


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip().replace("-", "_") for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in SETTING_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown setting(s) {text!r}; choose from "
                                         f"{', '.join(SETTING_NAMES)}")
    return names


def cmd_settings(args) -> int:
    """Print the flags of a new run's settings (those in --show), defaults filled in."""
    settings = complete(_given_settings(args))
    print(shlex.join(as_flags({name: settings[name] for name in args.show})))
    return 0


def cmd_list(args) -> int:
    from aae_core.data import DATASET_NAMES, where
    from aae_core.models import MODELS
    from aae_core.store.checkpoints import list_checkpoints, read_config, recover_root

    print("models:")
    for name, cls in MODELS.items():
        print(f"  {name:<22} priors: {', '.join(cls.supported_priors):<36} {cls.description}")
    print("datasets (or a folder of IDX files; $AAE_DATA_DIR is looked in first for MNIST):")
    for name in DATASET_NAMES:
        print(f"  {name:<22} {where(name)}")
    print("checkpoints:")
    recover_root(Path("checkpoints"))
    for path in list_checkpoints(Path("checkpoints")):
        try:
            cfg, train = read_config(path)
            print(f"  {path}  ({cfg.model}, {cfg.prior.name} prior, {cfg.latent_dim}-D, "
                  f"{train.dataset})")
        except AAEError as exc:
            print(f"  {path}  (unreadable: {exc})")
    return 0


def cmd_train(args, argv) -> int:
    from aae_core.analysis.evaluate import check_measurable
    from aae_core.data import load_dataset
    from aae_core.device import use_cpu_threads
    from aae_core.store.checkpoints import check_writable, recover_root
    from aae_core.training.train import make_trainer

    use_cpu_threads(args.threads)  # before any work: a bad value costs nothing
    out = _check_train_out(args)
    try:
        check_writable(out)  # a place that cannot be written fails now, not after training
    except WriteError as exc:
        raise ConfigError(f"--out: {exc}; give a folder you can write to") from None
    recover_root(out.parent)
    model_cfg, train = _resumed_settings(args) if args.resume else _new_settings(args)
    data = load_dataset(train.dataset)
    check_measurable(data)
    card = {"command": "python -m aae_core " + shlex.join(argv)}
    bar = _ProgressBar(enabled=not args.no_progress)
    trainer = make_trainer(model_cfg, train, out_dir=out, resume_from=args.resume,
                           dataset=data, card=card, on_progress=bar.update,
                           cuda_graph=args.cuda_graph)
    try:
        progress = trainer.run()
    except KeyboardInterrupt:
        trainer.controls.stop.set()
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        bar.close()
    print(progress.summary(args.out))
    return 0


def _new_settings(args):
    """(ModelConfig, TrainConfig) of a new run: the flags given, defaults for the rest
    (aae_core.settings)."""
    if args.seed is not None:
        _check_seed(args.seed)
    return configs_from(_given_settings(args), device=args.device or "auto")


def train_configs(argv: list[str]):
    """The (ModelConfig, TrainConfig) that `python -m aae_core <argv>` (a `train` command)
    trains, without training: (None, TrainConfig) for --resume. Bad input: ConfigError,
    or SystemExit(2) from the parser."""
    args = build_parser().parse_args(list(argv))
    if args.command != "train":
        raise ConfigError(f"not a train command: {shlex.join(argv)}")
    return _resumed_settings(args) if args.resume else _new_settings(args)


def _resumed_settings(args):
    """(None, TrainConfig) continuing the checkpoint at --resume: its own data set, labels,
    batch size and seed; only --epochs (the total to reach) and --device may be given.
    Any other flag that differs from the checkpoint is refused."""
    from aae_core.store.checkpoints import load_checkpoint

    _check_path_length("--resume", args.resume)
    ckpt = load_checkpoint(args.resume)
    model_cfg, saved = ckpt.model.config, ckpt.train
    for dest, read in RUN_SETTINGS.items():
        given, kept = getattr(args, dest), read(model_cfg, saved)
        if given is not None and not _same_setting(given, kept):
            flag = setting_flag(dest)
            raise ConfigError(f"{flag} {_shown(given)} conflicts with the checkpoint's "
                              f"{_shown(kept)}: a resumed run keeps its settings (drop {flag}, "
                              f"or train a new model)")
    done = int(ckpt.card.get("epochs", saved.epochs))
    if args.epochs is None or args.epochs <= done:
        plural = "" if done == 1 else "s"
        raise ConfigError(f"--resume: {Path(args.resume).name} has {done} epoch{plural}; "
                          f"give --epochs, the total to reach, above {done}")
    return None, replace(saved, epochs=args.epochs, device=args.device or saved.device)


def _same_setting(given, kept) -> bool:
    if isinstance(given, str) and isinstance(kept, str) and given != kept:
        try:  # a data set folder given another way
            return Path(given).resolve() == Path(kept).resolve() and Path(given).is_dir()
        except (OSError, ValueError):
            return False
    if isinstance(given, tuple):
        return tuple(given) == tuple(kept)
    return given == kept


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _check_path_length(flag: str, path) -> None:
    raw = os.fsencode(path)
    if not raw.strip() or len(raw) > MAX_PATH_BYTES or \
            any(len(part) > MAX_PATH_PART_BYTES for part in raw.split(b"/")):
        raise ConfigError(f"{flag}: the path is empty or too long (at most {MAX_PATH_BYTES} "
                          f"bytes, {MAX_PATH_PART_BYTES} per name)")


def _inside_checkpoint(path: Path) -> Path | None:
    """The checkpoint folder that `path` (a new file or folder) would land in, if any."""
    for folder in Path(os.path.abspath(path)).parents:
        if (folder / "config.json").exists() and (folder / "model.safetensors").exists():
            return folder
    return None


def _existing_folder(flag: str, path: Path) -> None:
    """The folder `path` goes in must exist (or, for train, be creatable) and be a folder."""
    parent = Path(os.path.abspath(path)).parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ConfigError(f"{flag}: {folder} is not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ConfigError(f"{flag}: cannot write in {folder} (permission denied)")
            return


def _check_train_out(args) -> Path:
    """--out of train: a new folder, or a checkpoint of this app named again by --overwrite.
    Never a file, a link, another folder, or a folder inside a checkpoint."""
    from aae_core.store.checkpoints import check_name, read_config

    _check_path_length("--out", args.out)
    out = Path(args.out)
    try:
        check_name(out.name)
    except AAEError as exc:
        raise ConfigError(f"--out: {exc}") from None
    home = _inside_checkpoint(out)
    if home is not None:
        raise ConfigError(f"--out {args.out} lies inside the checkpoint {home}; give a new "
                          f"folder outside it")
    if args.overwrite is not None:
        _check_path_length("--overwrite", args.overwrite)
        if os.path.abspath(args.overwrite) != os.path.abspath(out):
            raise ConfigError(f"--overwrite {args.overwrite} is not --out {args.out}: name "
                              f"the checkpoint to replace twice, the same way")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        kind = "a link" if out.is_symlink() else "a file"
        raise ConfigError(f"--out {args.out} is {kind}; give a new folder name (nothing is "
                          f"replaced)")
    if out.exists():
        try:
            read_config(out)
        except AAEError:
            raise ConfigError(f"--out {args.out} is a folder that is not a checkpoint of this "
                              f"app; give a new folder name (nothing in it is touched)") from None
        if args.overwrite is None:
            raise ConfigError(f"--out {args.out} already holds a checkpoint; to replace it, "
                              f"name it again: --overwrite {args.out}")
    _existing_folder("--out", out)
    return out


def _check_sample_out(path: str) -> Path:
    """--out of sample: a .png in an existing folder outside every checkpoint; an existing
    file there must be a PNG (it is replaced), nothing else is."""
    _check_path_length("--out", path)
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out {path}: give a file name ending in .png")
    home = _inside_checkpoint(out)
    if home is not None:
        raise ConfigError(f"--out {path} lies inside the checkpoint {home}; write it elsewhere")
    _existing_folder("--out", out)
    if not Path(os.path.abspath(out)).parent.is_dir():
        raise ConfigError(f"--out {path}: the folder {out.parent} does not exist")
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise ConfigError(f"--out {path} exists and is not a plain file; nothing is replaced")
    if out.exists():
        with open(out, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                raise ConfigError(f"--out {path} exists and is not a PNG; nothing is replaced "
                                  f"(choose another name)")
    return out


def _check_new_file(flag: str, path: str, suffix: str, overwrite: bool) -> Path:
    """--out of export / record-watch: a `suffix` file in an existing folder outside every
    checkpoint; an existing file is replaced only with --overwrite, and only a plain file."""
    _check_path_length(flag, path)
    out = Path(path)
    if out.suffix.lower() != suffix:
        raise ConfigError(f"{flag} {path}: give a file name ending in {suffix}")
    home = _inside_checkpoint(out)
    if home is not None:
        raise ConfigError(f"{flag} {path} lies inside the checkpoint {home}; write it elsewhere")
    if not Path(os.path.abspath(out)).parent.is_dir():
        raise ConfigError(f"{flag} {path}: the folder {out.parent} does not exist")
    _existing_folder(flag, out)
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise ConfigError(f"{flag} {path} exists and is not a plain file; nothing is replaced")
    if out.exists() and not overwrite:
        raise ConfigError(f"{flag} {path} already exists; give --overwrite to replace it, "
                          f"or another name")
    return out


def _write_new(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary sibling renamed into place, so a failed
    write leaves any previous file whole; failures are one WriteError line."""
    from aae_core.store.checkpoints import why_not_written

    tmp = path.parent / f".tmp-{uuid.uuid4().hex[:8]}-{path.name}"
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write {path}: {why_not_written(exc)}") from None


class _ProgressBar:
    def __init__(self, enabled: bool):
        self.bar, self.enabled = None, enabled

    def update(self, progress) -> None:
        if not self.enabled or not progress.total_steps:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=progress.total_steps, unit="step", file=sys.stderr)
        self.bar.n = progress.step
        last = {k: f"{v[-1]:.3g}" for k, v in progress.history.items() if v}
        self.bar.set_postfix(epoch=progress.epoch, **last, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _eval_device(requested: str | None, card: dict):
    """--device; else the kind of device the card's metrics were computed on, when this
    machine has one (kNN votes and prior samples differ slightly between devices, so only
    the same kind of device reproduces the card's numbers); else the CPU."""
    import torch

    from aae_core.device import resolve_device

    if requested:
        try:
            return resolve_device(requested)
        except RuntimeError:  # torch's own complaint about an unknown device name
            raise ConfigError(f"--device must be auto, cpu, cuda or mps, got {requested!r}") \
                from None

    recorded = card.get("metrics_device") or card.get("device")  # older cards: "device"
    try:
        return resolve_device(torch.device(recorded).type) if recorded else torch.device("cpu")
    except (ConfigError, RuntimeError, TypeError):  # not here (a GPU card on a laptop)
        return torch.device("cpu")


def cmd_eval(args) -> int:
    from aae_core.analysis.evaluate import check_measurable, evaluate
    from aae_core.data import load_dataset
    from aae_core.store.checkpoints import load_checkpoint

    _check_path_length("checkpoint", args.checkpoint)
    ckpt = load_checkpoint(args.checkpoint)
    data = load_dataset(args.dataset or ckpt.train.dataset)
    check_measurable(data)
    if args.disentanglement:
        from aae_core.analysis.disentanglement import check_digits

        check_digits(data)  # before the other metrics, so that a refusal comes at once
    device = _eval_device(args.device, ckpt.card)
    result = {"checkpoint": str(ckpt.path), "model": ckpt.model.config.model,
              "prior": ckpt.model.config.prior.name, "dataset": data.name, "split": data.split,
              "device": device.type,
              "metrics": evaluate(ckpt.model.to(device), data.to(device))}
    if args.disentanglement:
        from aae_core.analysis.disentanglement import score_model

        report = score_model(ckpt.model.to("cpu"), data)
        result["disentanglement"] = {
            "factors": [f.name for f in report.factors], "scores": report.scores(),
            "importance": report.importance.round(4).tolist(),
            "mutual_info": report.mutual_info.round(4).tolist()}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['checkpoint']}: {result['model']} ({result['prior']} prior) on "
          f"{data.name} [{data.split}], computed on {device.type}")
    for key, value in result["metrics"].items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        print(f"  {key:<22} {shown}")
    if args.disentanglement:
        _print_disentanglement(result["disentanglement"])
    return 0


def _print_disentanglement(scored: dict) -> None:
    """The scores, then which factor each latent dimension matters most for (DCI's R)."""
    print(f"disentanglement of the held-out codes against: {', '.join(scored['factors'])}")
    for key, value in scored["scores"].items():
        print(f"  {key:<22} {value:.4f}")
    for dim, row in enumerate(scored["importance"]):
        best = max(range(len(row)), key=row.__getitem__)
        print(f"  z[{dim}] matters most for {scored['factors'][best]} "
              f"(importance {row[best]:.2f})")


def cmd_sample(args) -> int:
    import torch

    from aae_core.images import tile, to_png_bytes
    from aae_core.store.checkpoints import load_checkpoint

    if not 1 <= args.n <= 10_000:
        raise ConfigError(f"-n must be from 1 to 10000, got {args.n}")
    _check_seed(args.seed)
    out = _check_sample_out(args.out)
    _check_path_length("checkpoint", args.checkpoint)
    ckpt = load_checkpoint(args.checkpoint)
    model = ckpt.model
    labels = None
    if args.label is not None:
        from aae_core.analysis.explore import label_parts

        parts = label_parts(model)
        if not parts:
            raise ConfigError(f"--label: {with_article(model.config.model)} with "
                              f"{with_article(model.prior.name)} prior "
                              f"has no labelled parts to sample from")
        if not 0 <= args.label < parts:
            raise ConfigError(f"--label must be from 0 to {parts - 1}, got {args.label}")
        labels = torch.full((args.n,), args.label, dtype=torch.long)
    with torch.no_grad():
        images = model.sample(args.n, labels=labels,
                              generator=torch.Generator().manual_seed(args.seed))
    _write_new(out, to_png_bytes(tile(images.view(-1, 28, 28).numpy()), scale=2))
    print(f"wrote {args.n} samples to {args.out}")
    return 0


def cmd_export(args) -> int:
    """The take-home page of a checkpoint, with a Watch run to replay (recorded now, or
    read from --watch-recording)."""
    import time

    from aae_core.store.checkpoints import load_checkpoint
    from aae_core.watch.recording import MAX_STEPS, read_recording, record_run

    started = time.perf_counter()
    out = _check_new_file("--out", args.out, ".html", args.overwrite)
    if args.watch_recording is not None and args.watch_steps is not None:
        raise ConfigError("give --watch-recording or --watch-steps, not both")
    steps = EXPORT_WATCH_STEPS if args.watch_steps is None else args.watch_steps
    if not 0 <= steps <= MAX_STEPS:
        raise ConfigError(f"--watch-steps must be a whole number from 0 to {MAX_STEPS}")
    recording = None
    if args.watch_recording is not None:
        _check_path_length("--watch-recording", args.watch_recording)
        recording = read_recording(args.watch_recording)
    _check_path_length("checkpoint", args.checkpoint)
    ckpt = load_checkpoint(args.checkpoint)
    if recording is None and steps:
        recording = record_run(steps, frames=min(40, steps + 1))
    # The page is the app's pad and Watch code inlined (ui/take_home): the one command
    # whose output is a piece of the app, so the one place aae_core reaches into ui/.
    from aae_core.web.take_home import build_take_home

    page = build_take_home(ckpt, title=ckpt.path.name, recording=recording)
    _write_new(out, page.html.encode("utf-8"))
    print(f"wrote {args.out}: {page.nbytes / 1e6:.2f} MB ({page.codes_shown:,} codes, "
          f"{page.replay_frames} replay frames) in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_record_watch(args) -> int:
    from aae_core.watch.recording import MAX_FRAMES, MAX_STEPS, record_run, recording_bytes

    out = _check_new_file("--out", args.out, ".json", args.overwrite)
    if not 1 <= args.steps <= MAX_STEPS:
        raise ConfigError(f"--steps must be a whole number from 1 to {MAX_STEPS}")
    if not 2 <= args.frames <= MAX_FRAMES:
        raise ConfigError(f"--frames must be a whole number from 2 to {MAX_FRAMES}")
    _check_seed(args.seed)
    recording = record_run(args.steps, args.frames, dataset=args.dataset, seed=args.seed)
    data = recording_bytes(recording)
    _write_new(out, data)
    print(f"wrote {args.out}: {len(recording['packets'])} snapshots of {args.steps} steps "
          f"on {args.dataset}, {len(data) / 1e6:.2f} MB")
    return 0


def _check_seed(seed: int) -> None:
    if not 0 <= seed < 2**63:
        raise ConfigError(f"--seed must be a whole number from 0 to 2**63 - 1, got {seed}")


def main(argv: list[str] | None = None) -> int:
    """Run one command. Bad input: one line, exit 2; a failed write: one line, exit 1;
    anything unforeseen: one line naming it, exit 1 ($AAE_DEBUG=1 shows the traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list(args)
        if args.command == "train":
            return cmd_train(args, argv)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "settings":
            return cmd_settings(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "record-watch":
            return cmd_record_watch(args)
        return cmd_sample(args)
    except WriteError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_FAILED
    except AAEError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except (Exception, RecursionError, MemoryError) as exc:
        if os.environ.get("AAE_DEBUG"):
            raise
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {first} (run with "
                         f"AAE_DEBUG=1 for details)\n")
        return EXIT_FAILED
