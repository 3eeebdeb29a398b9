"""Datasets as tensors preloaded once: MNIST, its 10k test split, Fashion-MNIST, digits
synthesised offline, or any folder of IDX files.

Every loader returns a `Dataset` whose images are (N, 784) float32 in [0, 1] and whose
labels are (N,) int64. Every failure is a `DataError` whose message says what is wrong
and what to do. One job a file:

    dataset.py    the Dataset, its splits and labelled subsets
    registry.py   the named datasets: where their files lie, available, load_dataset
    idx.py        reading IDX files and finding them in a folder
    downloads.py  downloads into the cache, checked against the published MD5s
    synthetic.py  the synthetic-digit renderer
"""

from aae_core.data.dataset import DIGIT_NAMES, FASHION_NAMES, Dataset, labeled_indices
from aae_core.data.downloads import default_cache_dir
from aae_core.data.idx import read_idx
from aae_core.data.registry import DATASET_NAMES, available, load_dataset, where
from aae_core.data.synthetic import synthetic_digits

__all__ = [
    "DATASET_NAMES",
    "DIGIT_NAMES",
    "FASHION_NAMES",
    "Dataset",
    "available",
    "default_cache_dir",
    "labeled_indices",
    "load_dataset",
    "read_idx",
    "synthetic_digits",
    "where",
]
