"""Datasets: IDX parsing, loaders, downloads (with a fake fetch; never the network),
synthetic digits and labelled subsets."""

from __future__ import annotations

import gzip
import hashlib
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from aae_core import data
from aae_core.data import (
    DATASET_NAMES,
    Dataset,
    available,
    downloads,
    labeled_indices,
    load_dataset,
    read_idx,
    registry,
    synthetic_digits,
)
from aae_core.errors import ConfigError, DataError

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
SHARED_MNIST_FULL = SHARED_MNIST.with_name("mnist-full")
#: Class counts of MNIST's 60,000 train labels (the mnist-full folder's README).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
SYSTEM_FASHION = Path("/usr/share/datasets/fashion-mnist")
# Label counts of MNIST's official 10,000-image test split, digits 0..9.
MNIST_T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_GZ = list(downloads.MNIST_FILES)

# IDX dtype codes by (numpy kind, item size).
_IDX_CODES = {("u", 1): 8, ("i", 1): 9, ("i", 2): 11, ("i", 4): 12, ("f", 4): 13, ("f", 8): 14}


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of `array`: magic, big-endian uint32 dims, big-endian values."""
    code = _IDX_CODES[(array.dtype.kind, array.dtype.itemsize)]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_pair(folder: Path, part: str, n: int, *, gz: bool = True, seed: int = 0) -> None:
    """`part`-images/labels IDX files with n random 28x28 images, labels cycling 0..9."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    write_idx(folder / f"{part}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{part}-labels-idx1-ubyte{ext}", (np.arange(n) % 10).astype(np.uint8))


def fake_mnist_files(n_train: int = 30, n_test: int = 20) -> dict[str, bytes]:
    """Gzipped IDX bytes under the four official MNIST file names."""
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8),
    }
    return {name: gzip.compress(idx_bytes(a), mtime=0) for name, a in arrays.items()}


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert message and "\n" not in message
    return message


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No network, no shared loader cache, no user environment leaking into a test."""

    def no_network(url, dest):
        pytest.fail(f"a test tried to download {url}")

    monkeypatch.setattr(downloads, "_fetch", no_network)
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.delenv("AAE_DATA_DIR", raising=False)


@pytest.fixture
def fake_mnist(monkeypatch):
    """Fake MNIST files and their MD5s in place of the official ones; returns the bytes."""
    files = fake_mnist_files()
    md5s = {name: hashlib.md5(raw).hexdigest() for name, raw in files.items()}
    for name, md5 in md5s.items():
        monkeypatch.setitem(downloads.MNIST_FILES, name, md5)
    return files


# ----------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([[-5, 70000], [1, 2]], dtype=np.int32),
        np.array([0.5, -1.25, 3.0], dtype=np.float32),
    ],
    ids=["uint8-3d", "int32-2d", "float32-1d"],
)
def test_read_idx_round_trip(tmp_path, array, suffix):
    back = read_idx(write_idx(tmp_path / f"a.idx{suffix}", array))
    assert back.dtype == array.dtype and back.dtype.isnative
    assert back.flags.writeable
    np.testing.assert_array_equal(back, array)


_GOOD = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        pytest.param(b"", "not an IDX", id="empty"),
        pytest.param(b"PK\x03\x04 a zip file, not IDX", "not an IDX", id="bad-magic"),
        pytest.param(b"\x00\x00\x07\x03" + _GOOD[4:], "not an IDX", id="bad-dtype-code"),
        pytest.param(_GOOD[:10], "header", id="cut-header"),
        pytest.param(_GOOD[:-5], "truncated", id="cut-data"),
        pytest.param(_GOOD + b"junk", "truncated or corrupt", id="trailing-bytes"),
        pytest.param(gzip.compress(_GOOD[:-100]), "truncated", id="cut-data-gzipped"),
        pytest.param(gzip.compress(_GOOD)[:-20], "damaged gzip", id="cut-gzip"),
        pytest.param(b"\x1f\x8b" + bytes(range(200)), "damaged gzip", id="garbage-gzip"),
    ],
)
def test_read_idx_rejects_bad_files(tmp_path, content, match):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=match) as err:
        read_idx(path)
    assert str(path) in one_line(err)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read") as err:
        read_idx(tmp_path / "nope.gz")
    one_line(err)


# ----------------------------------------------------------------------------- synthetic


def test_synthetic_digits_shapes_range_balance():
    ds = synthetic_digits(200, 100, seed=3)
    assert ds.name == "synthetic-digits" and "seed 3" in ds.split
    assert ds.train_x.shape == (200, 784) and ds.test_x.shape == (100, 784)
    assert ds.train_x.dtype == torch.float32 and ds.train_y.dtype == torch.int64
    assert ds.train_x.is_contiguous() and ds.test_x.is_contiguous()
    assert ds.train_x.min() >= 0.0 and ds.train_x.max() <= 1.0
    assert ds.train_x.max() > 0.99  # strokes saturate, as MNIST's do
    assert torch.bincount(ds.train_y, minlength=10).tolist() == [20] * 10
    assert torch.bincount(ds.test_y, minlength=10).tolist() == [10] * 10
    assert ds.class_names == tuple("0123456789") and ds.n_classes == 10
    # Roughly centred like MNIST: the mean centre of mass lies near pixel 13.5.
    img = ds.train_x.view(-1, 28, 28)
    coords = torch.arange(28.0)
    mass = img.sum((1, 2))
    cy = ((img.sum(2) * coords).sum(1) / mass).mean()
    cx = ((img.sum(1) * coords).sum(1) / mass).mean()
    assert abs(cy - 13.5) < 1.5 and abs(cx - 13.5) < 1.5


def test_synthetic_digits_deterministic_per_seed():
    a, b = synthetic_digits(50, 20, seed=7), synthetic_digits(50, 20, seed=7)
    c = synthetic_digits(50, 20, seed=8)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert not torch.equal(a.train_x, c.train_x)


def test_synthetic_digits_are_learnable():
    """5-nearest-neighbours on raw pixels must separate the classes well."""
    ds = synthetic_digits(2000, 500, seed=0)
    neighbours = torch.cdist(ds.test_x, ds.train_x).topk(5, largest=False).indices
    predicted = torch.mode(ds.train_y[neighbours], dim=1).values
    accuracy = (predicted == ds.test_y).float().mean().item()
    assert accuracy > 0.8


def test_synthetic_digits_rejects_empty_split():
    with pytest.raises(ConfigError, match="at least one"):
        synthetic_digits(0, 10)


def test_load_dataset_caches_per_process():
    first = load_dataset("synthetic-digits")
    assert load_dataset("synthetic-digits") is first
    assert first.train_x.shape == (4000, 784) and first.test_x.shape == (1000, 784)


# ----------------------------------------------------------------------------- labelled subsets


def test_labeled_indices_balanced_and_deterministic():
    labels = torch.randperm(1000, generator=torch.Generator().manual_seed(0)) % 10
    picked = labeled_indices(labels, 100, 10, seed=1)
    assert picked.dtype == torch.int64 and len(picked.unique()) == 100
    assert torch.equal(picked, picked.sort().values)
    assert torch.bincount(labels[picked], minlength=10).tolist() == [10] * 10
    assert torch.equal(picked, labeled_indices(labels, 100, 10, seed=1))
    assert not torch.equal(picked, labeled_indices(labels, 100, 10, seed=2))


def test_labeled_indices_remainder_and_limits():
    labels = torch.arange(100) % 10
    counts = torch.bincount(labels[labeled_indices(labels, 15, 10, seed=0)], minlength=10)
    assert counts.tolist() == [2] * 5 + [1] * 5  # the remainder goes to the first classes
    assert labeled_indices(labels, 0, 10, seed=0).shape == (0,)
    with pytest.raises(ConfigError, match="between 0 and 100"):
        labeled_indices(labels, 101, 10, seed=0)
    with pytest.raises(DataError, match="class 0 has 10 examples"):
        labeled_indices(labels, 90, 5, seed=0)  # 18 per class from classes of 10


# ----------------------------------------------------------------------------- folders of IDX


def test_folder_with_train_and_t10k(tmp_path):
    write_pair(tmp_path / "digits", "train", 30)
    write_pair(tmp_path / "digits", "t10k", 10, gz=False)  # un-gzipped names work too
    ds = load_dataset(str(tmp_path / "digits"))
    assert ds.name == str((tmp_path / "digits").resolve())
    assert ds.train_x.shape == (30, 784) and ds.test_x.shape == (10, 784)
    raw = read_idx(tmp_path / "digits" / "train-images-idx3-ubyte.gz")
    assert torch.equal(ds.train_x, torch.from_numpy(raw).reshape(30, 784).float() / 255)
    assert ds.train_y.tolist() == [i % 10 for i in range(30)]


def test_folder_with_only_t10k_splits_80_20(tmp_path):
    write_pair(tmp_path, "t10k", 50)
    ds = load_dataset(tmp_path)
    assert ds.train_x.shape == (40, 784) and ds.test_x.shape == (10, 784)
    assert "0..39 train / 40..49 held out" in ds.split


def _bad_labels(folder: Path, labels: np.ndarray) -> None:
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)


@pytest.mark.parametrize(
    ("spoil", "match"),
    [
        (lambda f: _bad_labels(f, np.zeros(7, np.uint8)), "10 images but"),
        (lambda f: _bad_labels(f, np.full(10, 12, np.uint8)), "labels 12..12"),
        (lambda f: (f / "t10k-labels-idx1-ubyte.gz").unlink(), "no t10k-labels file"),
        (
            lambda f: write_idx(f / "t10k-images-idx3-ubyte.gz", np.zeros((10, 32, 32), np.uint8)),
            "28x28",
        ),
        (lambda f: [p.unlink() for p in f.iterdir()], "no IDX files"),
    ],
    ids=["count-mismatch", "label-range", "missing-labels", "wrong-size", "empty"],
)
def test_folder_errors(tmp_path, spoil, match):
    write_pair(tmp_path, "t10k", 10)
    spoil(tmp_path)
    with pytest.raises(DataError, match=match) as err:
        load_dataset(tmp_path)
    one_line(err)


def test_unknown_name_lists_valid_names(tmp_path):
    for name in ("mnist-60k", str(tmp_path / "missing"), ""):
        with pytest.raises(DataError) as err:
            load_dataset(name)
        assert all(valid in one_line(err) for valid in DATASET_NAMES)


# ----------------------------------------------------------------------------- MNIST download


def test_mnist_download_with_fake_fetch(tmp_path, monkeypatch, fake_mnist):
    urls = []

    def fake_fetch(url, dest):
        urls.append(url)
        dest.write_bytes(fake_mnist[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(downloads, "_fetch", fake_fetch)
    ds = load_dataset("mnist", cache_dir=tmp_path)
    assert ds.train_x.shape == (30, 784) and ds.test_x.shape == (20, 784)
    assert ds.split == "MNIST official split: 30 train images / 20 t10k images held out"
    assert sorted(urls) == sorted(downloads.MNIST_MIRRORS[0] + name for name in MNIST_GZ)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(MNIST_GZ)

    # Second time, in a new process (empty loader cache), the cached files are enough.
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setattr(downloads, "_fetch", lambda url, dest: pytest.fail("downloaded twice"))
    again = load_dataset("mnist", cache_dir=tmp_path, download=False)
    assert torch.equal(again.train_x, ds.train_x)


def test_mnist_second_mirror_used_when_first_is_down(tmp_path, monkeypatch, fake_mnist):
    def flaky_fetch(url, dest):
        if url.startswith(downloads.MNIST_MIRRORS[0]):
            raise urllib.error.URLError("connection refused")
        dest.write_bytes(fake_mnist[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(downloads, "_fetch", flaky_fetch)
    assert load_dataset("mnist", cache_dir=tmp_path).train_x.shape == (30, 784)


def test_mnist_checksum_mismatch_discards_the_download(tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setattr(downloads, "_fetch", lambda url, dest: dest.write_bytes(b"not the file"))
    with pytest.raises(DataError, match="checksum mismatch") as err:
        load_dataset("mnist", cache_dir=tmp_path)
    assert str(tmp_path / "mnist") in one_line(err)
    assert list((tmp_path / "mnist").iterdir()) == []  # no temp file, no bad file


def test_mnist_offline_names_the_directory(tmp_path, monkeypatch):
    def offline(url, dest):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(downloads, "_fetch", offline)
    with pytest.raises(DataError, match="cannot download MNIST") as err:
        load_dataset("mnist", cache_dir=tmp_path)
    message = one_line(err)
    assert str(tmp_path / "mnist") in message and "train-images-idx3-ubyte.gz" in message
    assert "AAE_DATA_DIR" in message  # the other place the files may lie
    assert list((tmp_path / "mnist").iterdir()) == []


def test_mnist_without_download_names_the_directory(tmp_path):
    # The autouse fixture fails the test if anything is fetched.
    with pytest.raises(DataError, match="put .* in one of them") as err:
        load_dataset("mnist", cache_dir=tmp_path, download=False)
    assert str(tmp_path / "mnist") in one_line(err)


# ----------------------------------------------------------------------------- mnist-10k


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"{SHARED_MNIST} is not on this machine")
def test_mnist_10k_from_shared_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AAE_DATA_DIR", str(SHARED_MNIST))
    ds = load_dataset("mnist-10k", cache_dir=tmp_path, download=False)
    assert ds.split == "MNIST t10k images 0..7999 train / 8000..9999 held out"
    assert ds.train_x.shape == (8000, 784) and ds.test_x.shape == (2000, 784)
    assert ds.train_x.min() == 0.0 and ds.train_x.max() == 1.0
    assert ds.train_y[:3].tolist() == [7, 2, 1]  # the first digits of the published file
    counts = torch.bincount(torch.cat([ds.train_y, ds.test_y]), minlength=10)
    assert counts.tolist() == MNIST_T10K_COUNTS


@pytest.mark.skipif(not SHARED_MNIST_FULL.is_dir(),
                    reason=f"{SHARED_MNIST_FULL} (the full MNIST) is not on this machine")
def test_mnist_full_split_from_aae_data_dir_without_a_download(tmp_path, monkeypatch):
    # The autouse fixture fails the test if anything is fetched.
    monkeypatch.setenv("AAE_DATA_DIR", str(SHARED_MNIST_FULL))
    assert available("mnist", cache_dir=tmp_path)
    ds = load_dataset("mnist", cache_dir=tmp_path, download=False)
    assert ds.train_x.shape == (60000, 784) and ds.test_x.shape == (10000, 784)
    assert torch.bincount(ds.train_y, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(ds.test_y, minlength=10).tolist() == MNIST_T10K_COUNTS
    assert ds.test_y[:3].tolist() == [7, 2, 1]  # the test split is the published one
    # the same folder serves the quick split too: its test pair is the t10k files
    small = load_dataset("mnist-10k", cache_dir=tmp_path, download=False)
    assert torch.equal(small.train_x, ds.test_x[:8000])


@pytest.mark.skipif(not SHARED_MNIST_FULL.is_dir(),
                    reason=f"{SHARED_MNIST_FULL} (the full MNIST) is not on this machine")
def test_mnist_val_holds_out_the_end_of_the_train_split_never_a_test_image(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("AAE_DATA_DIR", str(SHARED_MNIST_FULL))
    full = load_dataset("mnist", cache_dir=tmp_path, download=False)
    val = load_dataset("mnist-val", cache_dir=tmp_path, download=False)
    assert val.train_x.shape == (50000, 784) and val.test_x.shape == (10000, 784)
    assert torch.equal(val.train_x, full.train_x[:50000])
    assert torch.equal(val.test_x, full.train_x[50000:])
    assert "held out for validation" in val.split
    assert available("mnist-val", cache_dir=tmp_path)


def test_mnist_val_refuses_a_train_split_too_small_to_hold_out(tmp_path, fake_mnist):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, raw in fake_mnist.items():
        (folder / name).write_bytes(raw)
    assert available("mnist-val", cache_dir=tmp_path)  # the files are there ...
    with pytest.raises(DataError, match="too few to hold out") as err:  # ... but only 30
        load_dataset("mnist-val", cache_dir=tmp_path, download=False)
    one_line(err)


def test_mnist_is_available_from_aae_data_dir_with_its_four_files(tmp_path, monkeypatch,
                                                                    fake_mnist):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AAE_DATA_DIR", str(data_dir))
    assert not available("mnist", cache_dir=tmp_path / "cache")
    data_dir.mkdir()
    for name, raw in fake_mnist.items():
        (data_dir / name).write_bytes(raw)
    assert available("mnist", cache_dir=tmp_path / "cache")
    ds = load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)
    assert ds.train_x.shape == (30, 784) and ds.test_x.shape == (20, 784)
    assert not (tmp_path / "cache" / "mnist").exists()  # nothing downloaded or copied


def test_mnist_missing_names_aae_data_dir_and_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AAE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match="MNIST not found") as err:
        load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)
    message = one_line(err)
    assert str(tmp_path / "data") in message and str(tmp_path / "cache" / "mnist") in message
    assert "train-images-idx3-ubyte.gz" in message


def test_mnist_10k_from_cache_dir(tmp_path):
    write_pair(tmp_path / "mnist", "t10k", 100)
    ds = load_dataset("mnist-10k", cache_dir=tmp_path, download=False)
    assert ds.train_x.shape == (80, 784) and ds.test_x.shape == (20, 784)


def test_mnist_10k_missing_names_both_places(tmp_path, monkeypatch):
    monkeypatch.setenv("AAE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match="MNIST test split not found") as err:
        load_dataset("mnist-10k", cache_dir=tmp_path / "cache", download=False)
    message = one_line(err)
    assert str(tmp_path / "data") in message and str(tmp_path / "cache" / "mnist") in message


def test_mnist_10k_downloads_only_the_test_files(tmp_path, monkeypatch, fake_mnist):
    fetched = []

    def fake_fetch(url, dest):
        fetched.append(url.rsplit("/", 1)[1])
        dest.write_bytes(fake_mnist[fetched[-1]])

    monkeypatch.setattr(downloads, "_fetch", fake_fetch)
    ds = load_dataset("mnist-10k", cache_dir=tmp_path)
    assert sorted(fetched) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert ds.train_x.shape == (16, 784) and ds.test_x.shape == (4, 784)


# ----------------------------------------------------------------------------- Fashion-MNIST


@pytest.mark.skipif(not SYSTEM_FASHION.is_dir(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_system_package(tmp_path):
    ds = load_dataset("fashion-mnist", cache_dir=tmp_path, download=False)
    assert ds.train_x.shape == (60000, 784) and ds.test_x.shape == (10000, 784)
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[-1] == "Ankle boot"
    assert torch.bincount(ds.train_y).tolist() == [6000] * 10
    assert torch.bincount(ds.test_y).tolist() == [1000] * 10
    assert not (tmp_path / "fashion-mnist").exists()  # nothing copied or downloaded


def test_fashion_mnist_missing_without_download(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_SYSTEM_FASHION_DIR", tmp_path / "not-installed")
    with pytest.raises(DataError, match="Fashion-MNIST is not in") as err:
        load_dataset("fashion-mnist", cache_dir=tmp_path, download=False)
    assert str(tmp_path / "fashion-mnist") in one_line(err)


# ----------------------------------------------------------------------------- Dataset


def test_dataset_to_returns_a_new_dataset():
    ds = synthetic_digits(20, 10)
    moved = ds.to("cpu")
    assert moved is not ds and moved.split == ds.split
    assert torch.equal(moved.train_x, ds.train_x) and moved.image_shape == (28, 28)


def test_dataset_checks_shapes():
    x = torch.zeros(4, 784)
    with pytest.raises(DataError, match="labels"):
        Dataset("bad", "-", x, torch.zeros(3, dtype=torch.int64), x, torch.zeros(4).long(), ("a",))
    with pytest.raises(DataError, match="float32"):
        Dataset("bad", "-", x.double(), torch.zeros(4).long(), x, torch.zeros(4).long(), ("a",))


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("AAE_CACHE_DIR", str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv("AAE_CACHE_DIR")
    assert data.default_cache_dir() == Path.home() / ".cache" / "aae-latent-explorer"


# ----------------------------------------------------------------------------- available


def loads_offline(name: str, cache_dir: Path) -> bool:
    try:
        load_dataset(name, cache_dir=cache_dir, download=False)
    except DataError:
        return False
    return True


def test_synthetic_digits_are_always_available(tmp_path):
    assert available("synthetic-digits", cache_dir=tmp_path / "empty")


def test_mnist_is_available_with_its_four_files(tmp_path, fake_mnist):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, raw in fake_mnist.items():
        (folder / name).write_bytes(raw)
    assert available("mnist", cache_dir=tmp_path) and loads_offline("mnist", tmp_path)


@pytest.mark.parametrize("missing", MNIST_GZ)
def test_mnist_missing_one_of_four_files_is_not_available(tmp_path, fake_mnist, missing):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, raw in fake_mnist.items():
        if name != missing:
            (folder / name).write_bytes(raw)
    assert not available("mnist", cache_dir=tmp_path)
    assert not loads_offline("mnist", tmp_path)  # the loader needs the same four files
    # the test split alone is enough for mnist-10k, and only it
    assert available("mnist-10k", cache_dir=tmp_path) == missing.startswith("train")


def test_mnist_10k_is_available_from_aae_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AAE_DATA_DIR", str(tmp_path / "data"))
    assert not available("mnist-10k", cache_dir=tmp_path / "cache")
    write_pair(tmp_path / "data", "t10k", 20)
    assert available("mnist-10k", cache_dir=tmp_path / "cache")
    assert loads_offline("mnist-10k", tmp_path / "cache")
    assert not available("mnist", cache_dir=tmp_path / "cache")  # needs the train files too


def test_fashion_mnist_needs_all_four_files_in_one_place(tmp_path, monkeypatch):
    system = tmp_path / "system"
    monkeypatch.setattr(registry, "_SYSTEM_FASHION_DIR", system)
    write_pair(system, "train", 20)  # half in the system folder, half in the cache
    write_pair(tmp_path / "fashion-mnist", "t10k", 10)
    assert not available("fashion-mnist", cache_dir=tmp_path)
    assert not loads_offline("fashion-mnist", tmp_path)
    write_pair(system, "t10k", 10, gz=False)
    assert available("fashion-mnist", cache_dir=tmp_path)
    assert loads_offline("fashion-mnist", tmp_path)


def test_folders_and_unknown_names(tmp_path):
    assert not available(tmp_path / "digits") and not available("mnist-60k")
    assert not available("")
    write_pair(tmp_path / "digits", "t10k", 10)
    assert available(tmp_path / "digits") and available(str(tmp_path / "digits"))
