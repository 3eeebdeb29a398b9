"""Downloads into the cache folder, checked against the published MD5s.

`_fetch` is the one function in the package that opens a socket, so tests can replace
it. A file is fetched to a temp file next to its destination, checked, then renamed, so
a failed or corrupt download never leaves a file behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from aae_core.data.idx import find
from aae_core.errors import DataError
from aae_core.paths import default_cache_dir  # noqa: F401  (re-exported)

#: Official MD5 of the gzip files as published.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# Downloads are checked against these; local copies are checked by IDX structure only,
# because Debian's dataset-fashion-mnist re-gzips the files (same data, other MD5).
FASHION_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
_FETCH_TIMEOUT_S = 30  # seconds without data before a mirror counts as down
_NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


def ensure_files(
    folder: Path, files: dict[str, str], mirrors: tuple[str, ...], label: str, download: bool
) -> None:
    """Make every file of `files` (name -> MD5) exist in `folder`, downloading what is missing."""
    missing = [f for f in files if find(folder, f) is None]
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


def _fetch(url: str, dest: Path) -> None:
    """Write the body at `url` to `dest`. The only network access in this package."""
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
