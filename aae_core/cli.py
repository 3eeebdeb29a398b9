"""The command line: list, train, eval, sample (the contract in ARCHITECTURE.md).

Every bad argument or input ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from aae_core.errors import AAEError, ConfigError

EXIT_USAGE = 2


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
    t.add_argument("--model", default="aae", choices=list(MODELS))
    t.add_argument("--prior", default="gaussian", choices=list(PRIOR_NAMES))
    t.add_argument("--prior-std", type=float, default=None,
                   help="gaussian std (default 1); mixture radial std (default 0.3)")
    t.add_argument("--components", type=int, default=10, help="mixture/swiss-roll parts")
    t.add_argument("--encoder", default="deterministic", choices=list(ENCODER_KINDS))
    t.add_argument("--dataset", default="synthetic-digits",
                   help="mnist, mnist-10k, fashion-mnist, synthetic-digits or a folder of IDX")
    t.add_argument("--latent-dim", type=int, default=2)
    t.add_argument("--hidden", type=_sizes, default=(256, 256), help="e.g. 1000,1000")
    t.add_argument("--disc-hidden", type=_sizes, default=(256, 256))
    t.add_argument("--n-classes", type=int, default=10, help="labels, clusters or heads")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=100)
    t.add_argument("--labels", type=int, default=-1, help="-1 all, 0 none, N labelled")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--lr-adv", type=float, default=1e-3)
    t.add_argument("--beta1", type=float, default=0.5)
    t.add_argument("--reg-weight", type=float, default=1.0, help="WAE lambda / VAE beta")
    t.add_argument("--disc-noise", type=float, default=0.0, help="noise std on D's input")
    t.add_argument("--input-noise", type=float, default=0.0,
                   help="noise std on the encoder's input (semi-supervised family)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto")
    t.add_argument("--out", required=True, help="checkpoint folder to write")
    t.add_argument("--resume", default=None, help="continue this checkpoint to --epochs")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    e = sub.add_parser("eval", help="held-out metrics of a checkpoint")
    e.add_argument("checkpoint")
    e.add_argument("--dataset", default=None, help="default: the checkpoint's dataset")
    e.add_argument("--json", action="store_true")

    s = sub.add_parser("sample", help="decode prior samples to a PNG grid")
    s.add_argument("checkpoint")
    s.add_argument("-n", type=int, default=64)
    s.add_argument("--out", required=True)
    s.add_argument("--label", type=int, default=None, help="mixture component / digit class")
    s.add_argument("--seed", type=int, default=0)
    return p


def _model_config(args):
    from aae_core.config import ModelConfig
    from aae_core.priors import PriorSpec

    std = args.prior_std
    spec = PriorSpec(name=args.prior, dim=args.latent_dim, components=args.components)
    if std is not None:
        field = "radial_std" if args.prior == "mixture" else "std"
        spec = replace(spec, **{field: std})
    return ModelConfig(model=args.model, prior=spec, encoder=args.encoder, hidden=args.hidden,
                       disc_hidden=args.disc_hidden, n_classes=args.n_classes, lr=args.lr,
                       lr_adv=args.lr_adv, beta1=args.beta1, reg_weight=args.reg_weight,
                       disc_input_noise=args.disc_noise,
                       encoder_input_noise=args.input_noise)


def cmd_list(args) -> int:
    from aae_core.checkpoints import list_checkpoints, read_config
    from aae_core.data import DATASET_NAMES
    from aae_core.models import MODELS

    print("models:")
    for name, cls in MODELS.items():
        print(f"  {name:<22} priors: {', '.join(cls.supported_priors):<36} {cls.description}")
    print("datasets:", ", ".join(DATASET_NAMES), "or a folder of IDX files")
    print("checkpoints:")
    for path in list_checkpoints(Path("checkpoints")):
        try:
            cfg, train = read_config(path)
            print(f"  {path}  ({cfg.model}, {cfg.prior.name} prior, {cfg.latent_dim}-D, "
                  f"{train.dataset})")
        except AAEError as exc:
            print(f"  {path}  (unreadable: {exc})")
    return 0


def cmd_train(args, argv) -> int:
    from aae_core.config import TrainConfig
    from aae_core.train import make_trainer

    train = TrainConfig(dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size,
                        labels=args.labels, seed=args.seed, device=args.device)
    model_cfg = None if args.resume else _model_config(args)
    card = {"command": "python -m aae_core " + shlex.join(argv)}
    bar = _ProgressBar(enabled=not args.no_progress)
    trainer = make_trainer(model_cfg, train, out_dir=args.out, resume_from=args.resume,
                           card=card, on_progress=bar.update)
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


def cmd_eval(args) -> int:
    from aae_core.checkpoints import load_checkpoint
    from aae_core.data import load_dataset
    from aae_core.evaluate import evaluate

    ckpt = load_checkpoint(args.checkpoint)
    data = load_dataset(args.dataset or ckpt.train.dataset)
    result = {"checkpoint": str(ckpt.path), "model": ckpt.model.config.model,
              "prior": ckpt.model.config.prior.name, "dataset": data.name, "split": data.split,
              "metrics": evaluate(ckpt.model, data)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['checkpoint']}: {result['model']} ({result['prior']} prior) on "
              f"{data.name} [{data.split}]")
        for key, value in result["metrics"].items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            print(f"  {key:<22} {shown}")
    return 0


def cmd_sample(args) -> int:
    import torch

    from aae_core.checkpoints import load_checkpoint
    from aae_core.images import save_grid

    if not 1 <= args.n <= 10_000:
        raise ConfigError(f"-n must be from 1 to 10000, got {args.n}")
    ckpt = load_checkpoint(args.checkpoint)
    model = ckpt.model
    labels = None
    if args.label is not None:
        from aae_core.explore import label_parts

        parts = label_parts(model)
        if not parts:
            raise ConfigError(f"--label: a {model.config.model} with a {model.prior.name} prior "
                              f"has no labelled parts to sample from")
        if not 0 <= args.label < parts:
            raise ConfigError(f"--label must be from 0 to {parts - 1}, got {args.label}")
        labels = torch.full((args.n,), args.label, dtype=torch.long)
    with torch.no_grad():
        images = model.sample(args.n, labels=labels,
                              generator=torch.Generator().manual_seed(args.seed))
    save_grid(images.view(-1, 28, 28).numpy(), args.out)
    print(f"wrote {args.n} samples to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
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
    except AAEError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
