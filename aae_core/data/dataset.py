"""The Dataset: train and held-out tensors of one dataset, and labelled subsets of it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from aae_core.errors import ConfigError, DataError

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


@dataclass(frozen=True)
class Dataset:
    """Train and held-out tensors of one dataset; treat the tensors as read-only.

    `split` says in words which images are trained on and which are held out, so that
    checkpoints and results tables can record it. A dataset drawn under known factors of
    variation (synthetic-digits) also carries them, one row per image, named by
    `factor_names`; the others have none (None and ()).
    """

    name: str
    split: str
    train_x: torch.Tensor  # (N, 784) float32 in [0, 1]
    train_y: torch.Tensor  # (N,) int64 in 0..n_classes-1
    test_x: torch.Tensor  # (M, 784) float32 in [0, 1], never trained on
    test_y: torch.Tensor  # (M,) int64
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] = (28, 28)
    train_factors: torch.Tensor | None = None  # (N, F) float32: what each image was drawn under
    test_factors: torch.Tensor | None = None  # (M, F) float32
    factor_names: tuple[str, ...] = ()  # F names

    def __post_init__(self) -> None:
        pixels = math.prod(self.image_shape)
        for part, x, y in (
            ("train", self.train_x, self.train_y),
            ("test", self.test_x, self.test_y),
        ):
            if x.dtype != torch.float32 or x.ndim != 2 or x.shape[1] != pixels:
                raise DataError(
                    f"{self.name}: {part} images are {x.dtype} {tuple(x.shape)}, expected "
                    f"float32 (N, {pixels}); build a Dataset from flattened float images"
                )
            if y.dtype != torch.int64 or y.shape != (x.shape[0],):
                raise DataError(
                    f"{self.name}: {part} labels are {y.dtype} {tuple(y.shape)}, expected "
                    f"int64 ({x.shape[0]},); give one int64 label per image"
                )
        self._check_factors()

    def _check_factors(self) -> None:
        given = (self.train_factors is not None, self.test_factors is not None)
        if given == (False, False) and not self.factor_names:
            return
        if not all(given) or not self.factor_names:
            raise DataError(f"{self.name}: factors need train_factors, test_factors and "
                            f"factor_names together; give all three or none")
        for part, x, f in (("train", self.train_x, self.train_factors),
                           ("test", self.test_x, self.test_factors)):
            want = (x.shape[0], len(self.factor_names))
            if f.dtype != torch.float32 or tuple(f.shape) != want:
                raise DataError(f"{self.name}: {part} factors are {f.dtype} {tuple(f.shape)}, "
                                f"expected float32 {want}: one row per image, one column "
                                f"per factor name")

    @property
    def has_factors(self) -> bool:
        return bool(self.factor_names)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def to(self, device: torch.device | str) -> Dataset:
        """A new Dataset with every tensor on `device` (this one is left unchanged)."""
        moved = {key: getattr(self, key).to(device)
                 for key in ("train_x", "train_y", "test_x", "test_y", "train_factors",
                             "test_factors") if getattr(self, key) is not None}
        return dataclasses.replace(self, **moved)


def official_split(name: str, title: str, train, test, class_names) -> Dataset:
    """Train on the `train` (images, labels) pair, hold out the `test` pair, as published."""
    (train_x, train_y), (test_x, test_y) = train, test
    split = f"{title}: {len(train_y)} train images / {len(test_y)} t10k images held out"
    return Dataset(name, split, train_x, train_y, test_x, test_y, class_names)


def holdout_split(name: str, source: str, x, y, class_names) -> Dataset:
    """First 80% of the images (N, 784) to train on, the last 20% held out, in file order."""
    n, k = len(y), int(0.8 * len(y))
    split = f"{source} images 0..{k - 1} train / {k}..{n - 1} held out"
    return Dataset(name, split, x[:k].contiguous(), y[:k], x[k:].contiguous(), y[k:], class_names)


def validation_split(name: str, title: str, train, n_validation: int, class_names) -> Dataset:
    """Settings are chosen here, never on the test images: the first N - n_validation images
    of a train (images, labels) pair to train on, its last n_validation held out."""
    x, y = train
    n = len(y)
    k = n - n_validation
    if k < n_validation:
        raise DataError(f"{title}'s train split has {n} images, too few to hold out "
                        f"{n_validation} for validation and train on the rest")
    split = f"{title} train images 0..{k - 1} train / {k}..{n - 1} held out for validation"
    return Dataset(name, split, x[:k].contiguous(), y[:k], x[k:].contiguous(), y[k:], class_names)


def labeled_indices(labels: torch.Tensor, n_labels: int, n_classes: int, seed: int) -> torch.Tensor:
    """A class-balanced, seeded choice of `n_labels` indices into `labels`: (n_labels,) int64.

    Each class gets n_labels // n_classes; the remainder goes one each to the first
    classes. The result is sorted and on the CPU; n_labels = 0 gives an empty tensor.
    """
    labels = labels.detach().cpu()
    if not 0 <= n_labels <= len(labels):
        raise ConfigError(
            f"cannot pick {n_labels} labelled examples from {len(labels)}; "
            f"choose a number between 0 and {len(labels)}"
        )
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(n_classes):
        quota = n_labels // n_classes + (1 if c < n_labels % n_classes else 0)
        members = torch.nonzero(labels == c).squeeze(1)
        if quota > len(members):
            raise DataError(
                f"class {c} has {len(members)} examples but {quota} labelled ones were "
                "asked for; ask for fewer labels"
            )
        chosen.append(members[torch.randperm(len(members), generator=generator)[:quota]])
    return torch.cat(chosen).sort().values if chosen else torch.empty(0, dtype=torch.int64)
