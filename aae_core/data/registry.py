"""The named datasets: where each one's files lie, `available` (can it load without a
download?) and `load_dataset` (load it once per process)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aae_core.data import downloads, idx
from aae_core.data.dataset import (
    DIGIT_NAMES,
    FASHION_NAMES,
    Dataset,
    holdout_split,
    official_split,
    validation_split,
)
from aae_core.data.synthetic import synthetic_digits
from aae_core.errors import DataError

DATASET_NAMES = ("mnist", "mnist-val", "mnist-10k", "fashion-mnist", "synthetic-digits")
#: Images of the train split held out by mnist-val (as the classic 50,000 / 10,000 split).
MNIST_VALIDATION_IMAGES = 10_000
#: Where Debian's dataset-fashion-mnist package puts the four .gz files.
_SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@dataclass(frozen=True)
class _Source:
    """The IDX files a named dataset's loader reads, and the folders it looks in.

    `files` are the published names (un-gzipped and dotted variants count, see idx.find);
    all of them must lie in one folder. `folders(cache_dir)` lists the folders in the
    order they are looked at; missing files are downloaded into the last one.
    """

    label: str
    files: tuple[str, ...]
    md5s: dict[str, str]  # published name -> MD5 of the download (downloads.*_FILES)
    mirrors: tuple[str, ...]
    folders: Callable[[Path], list[Path]]


def _data_dir_then_cache(cache_dir: Path) -> list[Path]:
    """$AAE_DATA_DIR first (a folder of MNIST's IDX files: the test pair for mnist-10k, all
    four files for mnist), then the cache folder the download fills."""
    env = os.environ.get("AAE_DATA_DIR")
    return ([Path(env).expanduser()] if env else []) + [cache_dir / "mnist"]


_SOURCES = {
    "mnist": _Source("MNIST", tuple(downloads.MNIST_FILES), downloads.MNIST_FILES,
                     downloads.MNIST_MIRRORS, _data_dir_then_cache),
    "mnist-10k": _Source("MNIST test split",
                         ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
                         downloads.MNIST_FILES, downloads.MNIST_MIRRORS, _data_dir_then_cache),
    "fashion-mnist": _Source("Fashion-MNIST", tuple(downloads.FASHION_FILES),
                             downloads.FASHION_FILES, downloads.FASHION_MIRRORS,
                             lambda cache_dir: [_SYSTEM_FASHION_DIR,
                                                cache_dir / "fashion-mnist"]),
}

#: Datasets that read another one's files.
_FILES_OF = {"mnist-val": "mnist"}


def available(name: str | Path, *, cache_dir: str | Path | None = None) -> bool:
    """Whether `name` loads without a download: every file its loader reads is here.

    synthetic-digits always is (it is drawn); a folder when it holds a complete train or
    t10k pair; an unknown name never is.
    """
    name = os.fspath(name)
    if name == "synthetic-digits":
        return True
    name = _FILES_OF.get(name, name)
    if name in _SOURCES:
        return _local_folder(name, _cache(cache_dir)) is not None
    folder = Path(name).expanduser()
    return bool(name.strip()) and any(
        idx.has_all(folder, (f"{part}-images-idx3-ubyte", f"{part}-labels-idx1-ubyte"))
        for part in ("train", "t10k"))


def where(name: str, *, cache_dir: str | Path | None = None) -> str:
    """Where the named dataset would load from, in a few words: its folder, 'drawn here' or
    'download'. For `python -m aae_core list`, so a user sees which data this machine has."""
    if name == "synthetic-digits":
        return "drawn here"
    name = _FILES_OF.get(name, name)
    folder = _local_folder(name, _cache(cache_dir)) if name in _SOURCES else None
    return str(folder) if folder is not None else "not here: downloaded on first use"


# Loaded datasets, kept per process because the app asks for the same one on every rerun.
# A plain dict, not a decorator: bounded, visible, and keyed on everything that picks files.
_LOADED: dict[tuple[str, str, str], Dataset] = {}
_LOADED_MAX = 4


def load_dataset(
    name: str | Path, *, cache_dir: str | Path | None = None, download: bool = True
) -> Dataset:
    """Load one of DATASET_NAMES, or a folder of IDX files given by its path (str or Path).

    Downloaded files live under `cache_dir` (default: downloads.default_cache_dir()). With
    download=False nothing touches the network and missing files raise DataError.
    """
    cache = _cache(cache_dir)
    loader, key_name = _resolve(os.fspath(name))
    key = (key_name, str(cache), os.environ.get("AAE_DATA_DIR", ""))
    if key not in _LOADED:
        dataset = loader(cache, download)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))  # forget the oldest
        _LOADED[key] = dataset
    return _LOADED[key]


def _cache(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else \
        downloads.default_cache_dir()


def _local_folder(name: str, cache_dir: Path) -> Path | None:
    """The first folder that holds every file `name` needs, or None."""
    source = _SOURCES[name]
    return next((f for f in source.folders(cache_dir) if idx.has_all(f, source.files)), None)


def _ready_folder(name: str, cache_dir: Path, download: bool) -> Path:
    """The folder holding every file `name` needs, downloading the missing ones if allowed."""
    folder = _local_folder(name, cache_dir)
    if folder is None:
        source = _SOURCES[name]
        folder = source.folders(cache_dir)[-1]
        md5s = {f: source.md5s[f] for f in source.files}
        downloads.ensure_files(folder, md5s, source.mirrors, source.label, download)
    return folder


# ----------------------------------------------------------------------------- loaders
# Each takes (cache_dir, download) and returns a Dataset.


def _load_mnist(cache_dir: Path, download: bool) -> Dataset:
    """The full official split (60,000 train, 10,000 test) from $AAE_DATA_DIR, the cache or
    the download."""
    folder = _mnist_folder("mnist", "MNIST", cache_dir, download)
    return _official(folder, "mnist", "MNIST official split", DIGIT_NAMES)


def _load_mnist_val(cache_dir: Path, download: bool) -> Dataset:
    """MNIST's train split alone, its last 10,000 images held out: where settings are
    chosen (the test images are for reporting only)."""
    folder = _mnist_folder("mnist", "MNIST", cache_dir, download)
    train = idx.read_pair(idx.find_pair(folder, "train"))
    return validation_split("mnist-val", "MNIST", train, MNIST_VALIDATION_IMAGES, DIGIT_NAMES)


def _load_mnist_10k(cache_dir: Path, download: bool) -> Dataset:
    """MNIST's 10k test split from $AAE_DATA_DIR or cache_dir/mnist: 8000 train / 2000 held out."""
    folder = _mnist_folder("mnist-10k", "MNIST test split", cache_dir, download)
    x, y = idx.read_pair(idx.find_pair(folder, "t10k"))
    return holdout_split("mnist-10k", "MNIST t10k", x, y, DIGIT_NAMES)


def _mnist_folder(name: str, what: str, cache_dir: Path, download: bool) -> Path:
    """The folder that holds `name`'s files; else one message naming both places to put them
    (after a failed download, the download's own message, which says why, and the other place)."""
    try:
        return _ready_folder(name, cache_dir, download)
    except DataError as err:  # the cause (offline, checksum) stays in the chained traceback
        env = os.environ.get("AAE_DATA_DIR")
        if download and name == "mnist":
            raise DataError(f"{err}, or set $AAE_DATA_DIR to a folder that holds them") from err
        why = ", and downloading them failed" if download else ""
        raise DataError(
            f"{what} not found in $AAE_DATA_DIR ({env or 'not set'}) or "
            f"{cache_dir / 'mnist'}{why}: put {' and '.join(_SOURCES[name].files)} in one "
            "of them"
        ) from err


def _load_fashion(cache_dir: Path, download: bool) -> Dataset:
    return _official(_ready_folder("fashion-mnist", cache_dir, download), "fashion-mnist",
                     "Fashion-MNIST official split", FASHION_NAMES)


def _load_synthetic(cache_dir: Path, download: bool) -> Dataset:
    return synthetic_digits()


def _load_folder(folder: Path) -> Dataset:
    """train-* and t10k-* IDX pairs as the official split; a lone pair is split 80/20."""
    train, test = idx.find_pair(folder, "train"), idx.find_pair(folder, "t10k")
    if train is None and test is None:
        raise DataError(
            f"no IDX files in {folder}: expected train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"
        )
    if train is not None and test is not None:
        return _official(folder, str(folder), folder.name, DIGIT_NAMES)
    x, y = idx.read_pair(train or test)
    source = f"{folder.name} {'train' if train else 't10k'}"
    return holdout_split(str(folder), source, x, y, DIGIT_NAMES)


def _official(folder: Path, name: str, title: str, class_names) -> Dataset:
    """Train on the train-* pair of `folder`, hold out its t10k-* pair, as published."""
    train = idx.read_pair(idx.find_pair(folder, "train"))
    test = idx.read_pair(idx.find_pair(folder, "t10k"))
    return official_split(name, title, train, test, class_names)


_LOADERS: dict[str, Callable[[Path, bool], Dataset]] = {
    "mnist": _load_mnist,
    "mnist-val": _load_mnist_val,
    "mnist-10k": _load_mnist_10k,
    "fashion-mnist": _load_fashion,
    "synthetic-digits": _load_synthetic,
}


def _resolve(name: str) -> tuple[Callable[[Path, bool], Dataset], str]:
    """The loader for `name` and the name it is cached under."""
    if name in _LOADERS:
        return _LOADERS[name], name
    path = Path(name).expanduser()
    if name.strip() and path.is_dir():
        folder = path.resolve()
        return (lambda cache_dir, download: _load_folder(folder)), str(folder)
    hint = "; give the folder that holds it" if path.is_file() else ""
    raise DataError(
        f"unknown dataset {name!r}{hint}: use one of {', '.join(DATASET_NAMES)}, "
        "or a path to a folder of IDX files"
    )
