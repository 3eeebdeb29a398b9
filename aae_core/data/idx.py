"""IDX files (MNIST's format): parse one, find a dataset's files in a folder, read an
(images, labels) pair as tensors. Files are read with numpy only (no torchvision)."""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np
import torch

from aae_core.errors import DataError

# IDX dtype code -> numpy dtype (multi-byte values are big-endian in the file).
_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


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


def find(folder: Path, filename: str) -> Path | None:
    """`folder/filename`, or its un-gzipped or dotted variant (train-images.idx3-ubyte)."""
    stem = filename.removesuffix(".gz")
    dotted = stem.replace("-idx", ".idx")
    for name in (stem + ".gz", stem, dotted + ".gz", dotted):
        if (folder / name).is_file():
            return folder / name
    return None


def has_all(folder: Path, filenames) -> bool:
    """Whether every one of `filenames` (or its variant, see `find`) lies in `folder`."""
    return all(find(folder, f) is not None for f in filenames)


def find_pair(folder: Path, part: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of `part` ("train" or "t10k"), or None if neither exists."""
    images = find(folder, f"{part}-images-idx3-ubyte")
    labels = find(folder, f"{part}-labels-idx1-ubyte")
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        have, need = ("images", "labels") if labels is None else ("labels", "images")
        raise DataError(
            f"{folder} has {part} {have} but no {part}-{need} file; add the missing file"
        )
    return images, labels


def read_pair(pair: tuple[Path, Path], n_classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
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
