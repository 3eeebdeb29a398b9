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
    checkpoints and results tables can record it.
    """

    name: str
    split: str
    train_x: torch.Tensor  # (N, 784) float32 in [0, 1]
    train_y: torch.Tensor  # (N,) int64 in 0..n_classes-1
    test_x: torch.Tensor  # (M, 784) float32 in [0, 1], never trained on
    test_y: torch.Tensor  # (M,) int64
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] = (28, 28)

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

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def to(self, device: torch.device | str) -> Dataset:
        """A new Dataset with every tensor on `device` (this one is left unchanged)."""
        return dataclasses.replace(
            self,
            train_x=self.train_x.to(device),
            train_y=self.train_y.to(device),
            test_x=self.test_x.to(device),
            test_y=self.test_y.to(device),
        )


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
