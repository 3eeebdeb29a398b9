"""Datasets as tensors preloaded once: MNIST, its 10k test split, Fashion-MNIST, digits
synthesised offline, or any folder of IDX files.

Every loader returns a `Dataset` whose images are (N, 784) float32 in [0, 1] and whose
labels are (N,) int64. Files are read with numpy only (no torchvision). Downloads go
through `_fetch`, the one function here that opens a socket, so tests can replace it.
Every failure is a `DataError` whose message says what is wrong and what to do.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import math
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aae_core.errors import ConfigError, DataError

DATASET_NAMES = ("mnist", "mnist-10k", "fashion-mnist", "synthetic-digits")
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

#: Official MD5 of the gzip files as published.
_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# Downloads are checked against these; local copies are checked by IDX structure only,
# because Debian's dataset-fashion-mnist re-gzips the files (same data, other MD5).
_FASHION_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
_FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
#: Where Debian's dataset-fashion-mnist package puts the four .gz files.
_SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
_FETCH_TIMEOUT_S = 30  # seconds without data before a mirror counts as down
_NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


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


# ----------------------------------------------------------------------------- public API


def default_cache_dir() -> Path:
    """$AAE_CACHE_DIR if set, else ~/.cache/aae-latent-explorer."""
    env = os.environ.get("AAE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "aae-latent-explorer"


# Loaded datasets, kept per process because the app asks for the same one on every rerun.
# A plain dict, not a decorator: bounded, visible, and keyed on everything that picks files.
_LOADED: dict[tuple[str, str, str], Dataset] = {}
_LOADED_MAX = 4


def load_dataset(
    name: str | Path, *, cache_dir: str | Path | None = None, download: bool = True
) -> Dataset:
    """Load one of DATASET_NAMES, or a folder of IDX files given by its path (str or Path).

    Downloaded files live under `cache_dir` (default: default_cache_dir()). With
    download=False nothing touches the network and missing files raise DataError.
    """
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    loader, key_name = _resolve(os.fspath(name))
    key = (key_name, str(cache), os.environ.get("AAE_DATA_DIR", ""))
    if key not in _LOADED:
        dataset = loader(cache, download)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))  # forget the oldest
        _LOADED[key] = dataset
    return _LOADED[key]


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip or raw, told apart by content) into a native-order array.

    IDX: 2 zero bytes, a dtype code, the number of dims, each dim as big-endian uint32,
    then the values, big-endian. The file must hold exactly that many bytes.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(
            f"{path} is not an IDX file (starts with {raw[:4].hex() or 'nothing'}); "
            "give MNIST-style files such as t10k-images-idx3-ubyte.gz"
        )
    ndim, dtype = raw[3], np.dtype(_IDX_DTYPES[raw[2]])
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise DataError(f"{path} is truncated inside its header; download it again")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = start + dtype.itemsize * math.prod(dims)
    if len(raw) != expected:
        raise DataError(
            f"{path} has {len(raw)} bytes but its header {dims} needs {expected} "
            "(truncated or corrupt); delete it and download it again"
        )
    values = np.frombuffer(raw, dtype, offset=start).reshape(dims)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


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


def synthetic_digits(n_train: int = 4000, n_test: int = 1000, seed: int = 0) -> Dataset:
    """Handwriting-like 28x28 digits drawn from stroke templates, offline and seeded.

    Each image is one template of its digit under a smooth random bend, rotation,
    slant, scale, shift and stroke weight, roughly centred in a 20-pixel box as in
    MNIST. Labels are balanced within each split. The same seed gives the same tensors.
    """
    if n_train < 1 or n_test < 1:
        raise ConfigError(
            f"synthetic digits need at least one train and one test image, got "
            f"{n_train} and {n_test}; ask for more"
        )
    rng = np.random.default_rng(seed)
    train_y, test_y = (rng.permutation(np.arange(n) % 10) for n in (n_train, n_test))
    x = _draw_digits(np.concatenate([train_y, test_y]), rng)
    return Dataset(
        name="synthetic-digits",
        split=f"synthetic digits, seed {seed}: {n_train} train / {n_test} held out",
        train_x=x[:n_train].contiguous(),
        train_y=torch.from_numpy(train_y).long(),
        test_x=x[n_train:].contiguous(),
        test_y=torch.from_numpy(test_y).long(),
        class_names=DIGIT_NAMES,
    )


# ----------------------------------------------------------------------------- loaders
# Each takes (cache_dir, download) and returns a Dataset.


def _load_mnist(cache_dir: Path, download: bool) -> Dataset:
    folder = cache_dir / "mnist"
    _ensure_files(folder, _MNIST_FILES, _MNIST_MIRRORS, "MNIST", download)
    return _official_split(folder, "mnist", "MNIST official split", DIGIT_NAMES)


def _load_mnist_10k(cache_dir: Path, download: bool) -> Dataset:
    """MNIST's 10k test split from $AAE_DATA_DIR or cache_dir/mnist: 8000 train / 2000 held out."""
    env = os.environ.get("AAE_DATA_DIR")
    folders = ([Path(env).expanduser()] if env else []) + [cache_dir / "mnist"]
    pair = next((p for p in map(_t10k_pair, folders) if p is not None), None)
    if pair is None:
        pair = _download_t10k(folders[-1], env, download)
    x, y = _read_pair(pair)
    return _holdout_split("mnist-10k", "MNIST t10k", x, y, DIGIT_NAMES)


def _download_t10k(folder: Path, env: str | None, download: bool) -> tuple[Path, Path]:
    """Fetch MNIST's two t10k files into `folder`, or say where to put them."""
    t10k = {k: v for k, v in _MNIST_FILES.items() if k.startswith("t10k")}
    try:
        _ensure_files(folder, t10k, _MNIST_MIRRORS, "MNIST test split", download)
    except DataError as err:  # the cause (offline, checksum) stays in the chained traceback
        why = ", and downloading them failed" if download else ""
        raise DataError(
            f"MNIST test split not found in $AAE_DATA_DIR ({env or 'not set'}) or {folder}{why}: "
            "put t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in one of them"
        ) from err
    return _find_pair(folder, "t10k")


def _load_fashion(cache_dir: Path, download: bool) -> Dataset:
    folder = cache_dir / "fashion-mnist"
    if all(_find(_SYSTEM_FASHION_DIR, f) for f in _FASHION_FILES):
        folder = _SYSTEM_FASHION_DIR
    else:
        _ensure_files(folder, _FASHION_FILES, _FASHION_MIRRORS, "Fashion-MNIST", download)
    return _official_split(folder, "fashion-mnist", "Fashion-MNIST official split", FASHION_NAMES)


def _load_synthetic(cache_dir: Path, download: bool) -> Dataset:
    return synthetic_digits()


def _load_folder(folder: Path) -> Dataset:
    """train-* and t10k-* IDX pairs as the official split; a lone pair is split 80/20."""
    train, test = _find_pair(folder, "train"), _find_pair(folder, "t10k")
    if train is None and test is None:
        raise DataError(
            f"no IDX files in {folder}: expected train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]"
        )
    if train is not None and test is not None:
        return _official_split(folder, str(folder), folder.name, DIGIT_NAMES)
    x, y = _read_pair(train or test)
    source = f"{folder.name} {'train' if train else 't10k'}"
    return _holdout_split(str(folder), source, x, y, DIGIT_NAMES)


_LOADERS: dict[str, Callable[[Path, bool], Dataset]] = {
    "mnist": _load_mnist,
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


def _official_split(folder: Path, name: str, title: str, class_names) -> Dataset:
    """Train on the train-* pair of `folder`, hold out its t10k-* pair, as published."""
    train_x, train_y = _read_pair(_find_pair(folder, "train"))
    test_x, test_y = _read_pair(_find_pair(folder, "t10k"))
    split = f"{title}: {len(train_y)} train images / {len(test_y)} t10k images held out"
    return Dataset(name, split, train_x, train_y, test_x, test_y, class_names)


def _holdout_split(name, source, x, y, class_names) -> Dataset:
    """First 80% of the images to train on, the last 20% held out, in file order."""
    n, k = len(y), int(0.8 * len(y))
    split = f"{source} images 0..{k - 1} train / {k}..{n - 1} held out"
    return Dataset(name, split, x[:k].contiguous(), y[:k], x[k:].contiguous(), y[k:], class_names)


# ----------------------------------------------------------------------------- IDX files

_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if they start with the gzip magic 1f 8b."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror}; check the path") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(
            f"{path} is a damaged gzip file ({err}); delete it and download it again"
        ) from None


def _find(folder: Path, filename: str) -> Path | None:
    """`folder/filename`, or its un-gzipped or dotted variant (train-images.idx3-ubyte)."""
    stem = filename.removesuffix(".gz")
    dotted = stem.replace("-idx", ".idx")
    for name in (stem + ".gz", stem, dotted + ".gz", dotted):
        if (folder / name).is_file():
            return folder / name
    return None


def _find_pair(folder: Path, part: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of `part` ("train" or "t10k"), or None if neither exists."""
    images = _find(folder, f"{part}-images-idx3-ubyte")
    labels = _find(folder, f"{part}-labels-idx1-ubyte")
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        have, need = ("images", "labels") if labels is None else ("labels", "images")
        raise DataError(
            f"{folder} has {part} {have} but no {part}-{need} file; add the missing file"
        )
    return images, labels


def _t10k_pair(folder: Path) -> tuple[Path, Path] | None:
    return _find_pair(folder, "t10k") if folder.is_dir() else None


def _read_pair(pair: tuple[Path, Path], n_classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 784) float32 in [0, 1] and labels (N,) int64, checked against each other."""
    images, labels = read_idx(pair[0]), read_idx(pair[1])
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{pair[0]} holds {images.dtype} images of shape {images.shape}; only uint8 "
            "28x28 images are supported"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(
            f"{pair[0].name} has {len(images)} images but {pair[1].name} has "
            f"{labels.shape} labels; use an images file and its own labels file"
        )
    if len(labels) and not 0 <= labels.min() <= labels.max() < n_classes:
        raise DataError(
            f"{pair[1]} has labels {labels.min()}..{labels.max()}, expected 0..{n_classes - 1}"
            "; check that it is a labels file of this dataset"
        )
    x = torch.from_numpy(images).reshape(len(images), -1).float().div_(255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


# ----------------------------------------------------------------------------- downloads


def _fetch(url: str, dest: Path) -> None:
    """Write the body at `url` to `dest`. The only network access in this module."""
    request = urllib.request.Request(url, headers={"User-Agent": "aae-latent-explorer"})
    with (
        urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_S) as response,
        dest.open("wb") as out,
    ):
        shutil.copyfileobj(response, out, 1 << 20)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ensure_files(
    folder: Path, files: dict[str, str], mirrors: tuple[str, ...], label: str, download: bool
) -> None:
    """Make every file of `files` (name -> MD5) exist in `folder`, downloading what is missing."""
    missing = [f for f in files if _find(folder, f) is None]
    if not missing:
        return
    if not download:
        raise DataError(
            f"{label} is not in {folder}: put {', '.join(files)} there, or allow downloading"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"cannot create {folder} ({err.strerror}); set AAE_CACHE_DIR to a writable folder"
        ) from None
    for filename in missing:
        _download(folder, filename, files[filename], mirrors, label, list(files))


def _download(folder, filename, md5, mirrors, label, all_files) -> None:
    """Try each mirror: fetch to a temp file in `folder`, check MD5, rename atomically."""
    problems, mismatch = [], False
    for base in mirrors:
        tmp = _temp_file(folder, filename)
        try:
            _fetch(base + filename, tmp)
            got = _md5(tmp)
            if got == md5:
                os.replace(tmp, folder / filename)
                return
            mismatch = True
            problems.append(f"{base}{filename} has MD5 {got}, expected {md5}")
        except _NETWORK_ERRORS as err:
            problems.append(f"{base}: {getattr(err, 'reason', err)}")
        except OSError as err:
            raise DataError(
                f"cannot write {tmp} ({err.strerror}); free disk space or set AAE_CACHE_DIR"
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
    if mismatch:
        raise DataError(
            f"checksum mismatch, download discarded ({'; '.join(problems)}); try again later "
            f"or put the official {filename} in {folder}"
        )
    raise DataError(
        f"cannot download {label} (offline? {problems[0]}): put {', '.join(all_files)} in {folder}"
    )


def _temp_file(folder: Path, filename: str) -> Path:
    """An empty temp file next to the destination, so the final rename is atomic."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    except OSError as err:
        raise DataError(
            f"cannot write in {folder} ({err.strerror}); set AAE_CACHE_DIR to a writable folder"
        ) from None
    os.close(fd)
    return Path(name)


# ----------------------------------------------------------------------------- synthetic digits
# Strokes are polylines in template units: x to the right, y down, the digit's height
# spanning y in [-1, 1]. They are sampled densely, bent and posed per image, splatted
# into a 28x28 ink map, blurred and saturated. Everything is vectorised over images.

_PX_PER_UNIT = 9.5  # template height 2 units -> about 19 px, like MNIST's 20-px box
_STEP = 0.04  # template units between samples along a stroke (about 0.4 px)
_CHUNK = 5000  # images rendered at once; bounds memory for large requests


def _arc(cx, cy, rx, ry, deg0, deg1, n=24) -> np.ndarray:
    """(n, 2) points on an ellipse from angle deg0 to deg1 (clockwise on screen, y down)."""
    t = np.radians(np.linspace(deg0, deg1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points) -> np.ndarray:
    return np.array(points, dtype=float)


def _digit_strokes() -> dict[int, list[list[np.ndarray]]]:
    """digit -> its variants -> each variant's polylines."""
    return {
        0: [[_arc(0, 0, 0.55, 0.95, -90, 270, 40)]],
        1: [[_line((0.05, -1), (-0.05, 1))], [_line((-0.35, -0.6), (0.08, -1), (-0.02, 1))]],
        2: [
            [
                np.vstack([_arc(0, -0.45, 0.5, 0.52, -165, 25), _line((-0.55, 1))]),
                _line((-0.55, 1), (0.6, 1)),
            ],
            [
                np.vstack(
                    [_arc(0, -0.45, 0.5, 0.52, -165, 40), _arc(-0.35, 0.85, 0.2, 0.15, -80, 200)]
                ),
                _line((-0.45, 0.9), (0.6, 0.95)),
            ],
        ],
        3: [
            [_arc(0, -0.5, 0.45, 0.48, -160, 90), _arc(0, 0.48, 0.52, 0.52, -90, 160)],
            [_line((-0.45, -1), (0.45, -1), (-0.05, -0.1)), _arc(0, 0.45, 0.52, 0.55, -95, 160)],
        ],
        4: [
            [_line((0.25, -1), (-0.55, 0.35), (0.6, 0.35)), _line((0.25, -1), (0.25, 1))],
            [_line((-0.35, -1), (-0.45, 0.25), (0.55, 0.25)), _line((0.3, -0.9), (0.3, 1))],
        ],
        5: [[_line((0.5, -1), (-0.35, -1), (-0.45, -0.1)), _arc(0, 0.4, 0.5, 0.56, -125, 155)]],
        6: [[_arc(0.6, 0.4, 1.05, 1.4, -115, -180, 20), _arc(0, 0.45, 0.5, 0.52, 180, 540)]],
        7: [
            [_line((-0.55, -1), (0.55, -1), (-0.1, 1))],
            [_line((-0.55, -1), (0.55, -1), (-0.1, 1)), _line((-0.25, 0), (0.4, 0))],
        ],
        8: [[_arc(0, -0.5, 0.42, 0.48, 90, 450), _arc(0, 0.48, 0.5, 0.52, -90, 270)]],
        9: [
            [_arc(0, -0.45, 0.48, 0.52, 0, 360), _line((0.48, -0.45), (0.3, 1))],
            [_arc(0, -0.45, 0.48, 0.52, 0, 360), _arc(-0.6, -0.45, 1.08, 1.45, 0, 80, 20)],
        ],
    }


def _resample(polyline: np.ndarray) -> np.ndarray:
    """Points every _STEP units along the polyline, ends included: (k, 2)."""
    arc_len = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(polyline, axis=0).T))])
    at = np.linspace(0.0, arc_len[-1], max(2, math.ceil(arc_len[-1] / _STEP) + 1))
    return np.stack([np.interp(at, arc_len, polyline[:, i]) for i in (0, 1)], axis=1)


def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All variants as one zero-padded array (T, K, 2) float32, which of its points are
    real (T, K) bool, and each variant's digit (T,)."""
    variants = [
        (digit, np.vstack([_resample(p) for p in polylines]))
        for digit, options in _digit_strokes().items()
        for polylines in options
    ]
    k = max(len(points) for _, points in variants)
    padded = np.zeros((len(variants), k, 2), dtype=np.float32)
    real = np.zeros((len(variants), k), dtype=bool)
    for i, (_, points) in enumerate(variants):
        padded[i, : len(points)], real[i, : len(points)] = points, True
    return padded, real, np.array([digit for digit, _ in variants])


def _draw_digits(labels: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    """One random rendering per label: (n, 784) float32 in [0, 1]."""
    templates, real, template_digit = _templates()
    n = len(labels)
    choice = np.empty(n, dtype=np.int64)
    for digit in range(10):  # a random variant of each image's own digit
        options, mine = np.flatnonzero(template_digit == digit), labels == digit
        choice[mine] = rng.choice(options, mine.sum())
    # Per-image random parameters are drawn up front, so chunking cannot change them.
    bend = [
        rng.uniform(lo, hi, (n, 1, 2)).astype(np.float32)  # amplitude, frequency, phase
        for lo, hi in ((0, 0.1), (1.5, 3.5), (0, 2 * np.pi))
    ]
    x_axis, y_axis, shift = _random_poses(rng, n)
    gain = rng.uniform(1.4, 4.0, n).astype(np.float32)  # ink saturation: stroke weight
    out = torch.empty(n, 784)
    for lo in range(0, n, _CHUNK):
        c = slice(lo, lo + _CHUNK)
        points = templates[choice[c]]  # (b, K, 2) template units
        amp, freq, phase = (b[c] for b in bend)
        points = points + amp * np.sin(freq * points[..., ::-1] + phase)  # smooth bend
        points = points[..., :1] * x_axis[c] + points[..., 1:] * y_axis[c] + shift[c]  # pixels
        out[c] = _render(points, real[choice[c]], torch.from_numpy(gain[c]))
    return out


def _random_poses(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Affine maps from template units to pixels, as the images of the x and y unit vectors
    and a shift, each (n, 1, 2): p -> p_x * x_axis + p_y * y_axis + shift.

    The linear part is rotation @ slant @ scale, times _PX_PER_UNIT.
    """
    angle = np.radians(rng.uniform(-12, 12, n))
    slant = rng.uniform(-0.3, 0.25, n)  # x += slant * y; negative leans right (y is down)
    sx, sy = rng.uniform(0.7, 1.1, n), rng.uniform(0.85, 1.08, n)
    cos, sin = np.cos(angle), np.sin(angle)
    x_axis = np.stack([cos * sx, sin * sx], axis=-1)
    y_axis = np.stack([(cos * slant - sin) * sy, (sin * slant + cos) * sy], axis=-1)
    shift = 13.5 + rng.uniform(-1.2, 1.2, (n, 2))  # 13.5 = centre of pixels 0..27
    return tuple(
        (a * scale)[:, None, :].astype(np.float32)
        for a, scale in ((x_axis, _PX_PER_UNIT), (y_axis, _PX_PER_UNIT), (shift, 1.0))
    )


def _render(points: np.ndarray, real: np.ndarray, gain: torch.Tensor) -> torch.Tensor:
    """Splat the real ones of (b, K, 2) pixel-space points bilinearly, blur and saturate
    the ink: (b, 784) in [0, 1]. `real` (b, K) marks points that are not padding."""
    b = len(points)
    x, y = points[..., 0], points[..., 1]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    base = np.arange(b)[:, None] * 784  # each image's offset in the flat ink buffer
    ink = np.zeros(b * 784)
    for dx, dy, w in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi, yi = x0 + dx, y0 + dy
        inside = real & (xi >= 0) & (xi < 28) & (yi >= 0) & (yi < 28)
        ink += np.bincount((base + yi * 28 + xi)[inside], w[inside], minlength=b * 784)
    blur = _blur_matrix()
    img = blur @ torch.from_numpy(ink).float().view(b, 28, 28) @ blur  # separable blur
    return torch.tanh(img * gain.view(b, 1, 1)).reshape(b, 784)


def _blur_matrix(sigma: float = 0.65, radius: int = 2) -> torch.Tensor:
    """(28, 28) banded Gaussian: M @ img blurs columns, img @ M blurs rows (M is symmetric)."""
    offset = torch.arange(28.0)[:, None] - torch.arange(28.0)[None, :]
    weights = torch.exp(-offset.pow(2) / (2 * sigma**2)) * (offset.abs() <= radius)
    return weights / weights[14].sum()  # interior rows sum to 1; edge rows lose off-canvas ink
