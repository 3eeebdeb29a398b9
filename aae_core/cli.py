"""The command line: list, train, eval, sample (the contract in ARCHITECTURE.md).

Every bad argument or input ends with one line on stderr and exit status 2, checked before
any work starts; a file that cannot be written (a full disk) ends with one line and exit
status 1. Nothing the user already has is replaced: `train --out` writes a new folder, or
over a checkpoint of this app only when the same path is given to `--overwrite`; `sample
--out` writes a new PNG or replaces a PNG, never inside a checkpoint folder. `--resume`
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
from aae_core.words import with_article

EXIT_USAGE = 2
EXIT_FAILED = 1  # a write failure or an internal error
MAX_PATH_BYTES, MAX_PATH_PART_BYTES = 4000, 255


def _prior_spread(spec):
    """The value of the PriorSpec field that --prior-std sets for this prior (the prior's
    class names it: std, or a mixture's radial_std)."""
    from aae_core.priors import PRIORS

    return getattr(spec, PRIORS[spec.name].spread_field)


#: `train` flags that make up the experiment: a resumed run takes them from its checkpoint.
#: Flag -> how to read it from (ModelConfig, TrainConfig). A new run's defaults are read the
#: same way from the configs' own defaults (`run_defaults`): they live in aae_core.config.
RUN_SETTINGS = {
    "model": lambda m, t: m.model,
    "prior": lambda m, t: m.prior.name,
    "prior_std": lambda m, t: _prior_spread(m.prior),
    "components": lambda m, t: m.prior.components,
    "encoder": lambda m, t: m.encoder,
    "latent_dim": lambda m, t: m.latent_dim,
    "hidden": lambda m, t: m.hidden,
    "disc_hidden": lambda m, t: m.disc_hidden,
    "n_classes": lambda m, t: m.n_classes,
    "lr": lambda m, t: m.lr,
    "lr_adv": lambda m, t: m.lr_adv,
    "beta1": lambda m, t: m.beta1,
    "reg_weight": lambda m, t: m.reg_weight,
    "generator_weight": lambda m, t: m.generator_weight,
    "disc_noise": lambda m, t: m.disc_input_noise,
    "input_noise": lambda m, t: m.encoder_input_noise,
    "dataset": lambda m, t: t.dataset,
    "batch_size": lambda m, t: t.batch_size,
    "labels": lambda m, t: t.labels,
    "seed": lambda m, t: t.seed,
}


def run_defaults(model: str | None = None, latent_dim: int | None = None) -> dict:
    """The flags of a new `train` run left unset: ModelConfig's and TrainConfig's defaults
    (prior_std: None, the chosen prior's own spread), then the model's preferred_settings
    for that latent size (e.g. the 2-D AAE's rates, measured in RESULTS.md). Includes
    "epochs"."""
    from aae_core.config import ModelConfig, TrainConfig
    from aae_core.models import MODELS

    m, t = ModelConfig(), TrainConfig()
    out = {dest: read(m, t) for dest, read in RUN_SETTINGS.items()}
    out |= {"prior_std": None, "epochs": t.epochs}
    out["model"] = model or out["model"]
    return out | MODELS[out["model"]].preferred_settings(latent_dim or out["latent_dim"])


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
    from aae_core.models import MODELS
    from aae_core.nets import ENCODER_KINDS
    from aae_core.priors import PRIOR_NAMES

    p = _Parser(prog="python -m aae_core", description="Adversarial autoencoders on a CPU.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="models, priors, datasets and checkpoints")

    t = sub.add_parser("train", help="train a model and save a checkpoint folder")
    t.add_argument("--model", choices=list(MODELS), help="default aae")
    t.add_argument("--prior", choices=list(PRIOR_NAMES), help="default gaussian")
    t.add_argument("--prior-std", type=float, default=None,
                   help="gaussian std (default 1); mixture radial std (default 0.3)")
    t.add_argument("--components", type=int, help="mixture/swiss-roll parts (default 10)")
    t.add_argument("--encoder", choices=list(ENCODER_KINDS), help="default deterministic")
    t.add_argument("--dataset",
                   help="mnist, mnist-10k, fashion-mnist, synthetic-digits (default) or a "
                        "folder of IDX")
    t.add_argument("--latent-dim", type=int, help="default 2")
    t.add_argument("--hidden", type=_sizes, help="e.g. 1000,1000 (default 256,256)")
    t.add_argument("--disc-hidden", type=_sizes, help="default 256,256")
    t.add_argument("--n-classes", type=int, help="labels, clusters or heads (default 10)")
    t.add_argument("--epochs", type=int, default=None,
                   help="default 10 (a 2-D aae: 24); with --resume: the total to reach")
    t.add_argument("--batch-size", type=int, help="default 100 (a 2-D aae: 50)")
    t.add_argument("--labels", type=int, help="-1 all (default), 0 none, N labelled")
    t.add_argument("--lr", type=float, help="default 1e-3")
    t.add_argument("--lr-adv", type=float, help="default 1e-3")
    t.add_argument("--beta1", type=float, help="default 0.5")
    t.add_argument("--reg-weight", type=float, help="WAE lambda / VAE beta (default 1)")
    t.add_argument("--generator-weight", type=float,
                   help="aae models: 0 gives the generator phase its own Adam at --lr-adv (the "
                        "paper's form); w > 0 steps the autoencoder's Adam on w x its loss "
                        "(default 0; a 2-D aae: 1)")
    t.add_argument("--disc-noise", type=float, help="noise std on D's input (default 0)")
    t.add_argument("--input-noise", type=float,
                   help="noise std on the encoder's input (semi-supervised family; default 0)")
    t.add_argument("--seed", type=int, help="default 0")
    t.add_argument("--device", default=None, help="auto (default), cpu, cuda or mps")
    t.add_argument("--out", required=True, help="a new checkpoint folder to write")
    t.add_argument("--overwrite", default=None, metavar="PATH",
                   help="replace the checkpoint at --out: give the same path again")
    t.add_argument("--resume", default=None,
                   help="continue this checkpoint, with its settings, to --epochs in all")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--cuda-graph", choices=["auto", "on", "off"], default=None,
                   help="capture the training step in a CUDA graph: auto (default: on CUDA; "
                        "$AAE_CUDA_GRAPH), on, off")

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
    return p


def _model_config(args):
    from aae_core.config import ModelConfig
    from aae_core.priors import PRIORS, PriorSpec

    std = args.prior_std  # RUN_SETTINGS defaults are filled in by now
    spec = PriorSpec(name=args.prior, dim=args.latent_dim, components=args.components)
    if std is not None:
        spec = replace(spec, **{PRIORS[args.prior].spread_field: std})
    return ModelConfig(model=args.model, prior=spec, encoder=args.encoder, hidden=args.hidden,
                       disc_hidden=args.disc_hidden, n_classes=args.n_classes, lr=args.lr,
                       lr_adv=args.lr_adv, beta1=args.beta1, reg_weight=args.reg_weight,
                       generator_weight=args.generator_weight,
                       disc_input_noise=args.disc_noise,
                       encoder_input_noise=args.input_noise)


def cmd_list(args) -> int:
    from aae_core.data import DATASET_NAMES
    from aae_core.models import MODELS
    from aae_core.store.checkpoints import list_checkpoints, read_config, recover_root

    print("models:")
    for name, cls in MODELS.items():
        print(f"  {name:<22} priors: {', '.join(cls.supported_priors):<36} {cls.description}")
    print("datasets:", ", ".join(DATASET_NAMES), "or a folder of IDX files")
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
    from aae_core.store.checkpoints import recover_root
    from aae_core.training.train import make_trainer

    out = _check_train_out(args)
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
    print(f"{progress.state}: {progress.epoch} epochs, {progress.step} steps, "
          f"{progress.elapsed_s:.1f} s, {progress.images_per_s:.0f} images/s -> {args.out}")
    for key, value in progress.metrics.items():
        if isinstance(value, float):
            print(f"  {key:<22} {value:.4f}")
    return 0


def _new_settings(args):
    """(ModelConfig, TrainConfig) of a new run: the flags given, defaults for the rest."""
    from aae_core.config import TrainConfig

    defaults = run_defaults(args.model, args.latent_dim)
    for dest in (*RUN_SETTINGS, "epochs"):
        if getattr(args, dest) is None:
            setattr(args, dest, defaults[dest])
    _check_seed(args.seed)
    train = TrainConfig(dataset=args.dataset, epochs=args.epochs,
                        batch_size=args.batch_size, labels=args.labels, seed=args.seed,
                        device=args.device or "auto")
    return _model_config(args), train


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
            flag = "--" + dest.replace("_", "-")
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
