"""Safe model files: save and load estimators without pickle.

A model file is one `safetensors <https://github.com/huggingface/safetensors>`_
file: the arrays (network weights, bases, scores) as raw little-endian tensors,
and everything else (parameters, shapes, labels, history) as JSON in its header,
with the latentspec version that wrote it, a format version and a SHA-256 digest
of all of it: every header entry (the versions included) and every array's name,
type, shape and bytes. Loading parses JSON and copies bytes into arrays; it never
imports a name or calls anything the file asks for, so a file cannot run code.
It rebuilds only latentspec's own estimators and scikit-learn's ``Pipeline`` of
them.

Pickle (and joblib) keep working beside this; unlike a model file they also keep
the training state that ``warm_start`` continues from, but unpickling runs code
from the file, so only unpickle files you trust.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from latentspec import QuasiEigenBasis, load, save
>>> y = np.repeat([0, 1, 2], 10)
>>> Z = 3 * np.eye(4)[y] + 0.1 * np.random.default_rng(0).standard_normal((30, 4))
>>> basis = QuasiEigenBasis(n_draws=200, random_state=0).fit(Z, y)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "basis.safetensors"
>>> save(basis, path)
>>> again = load(path)
>>> bool(np.array_equal(again.transform(Z), basis.transform(Z)))
True
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import struct
import sys
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ._version import __version__
from .exceptions import ModelFileError

__all__ = ["FORMAT_VERSION", "SaveLoadMixin", "load", "save"]

FORMAT = "latentspec"
# Raised whenever the layout of a file changes so that an older reader would
# misread it; a reader refuses files of a newer format and keeps reading older ones.
# 1: the digest covers the estimator header and the arrays, not the other header entries.
# 2: the digest covers every header entry but itself, and the arrays.
FORMAT_VERSION = 2
_HEADER_LIMIT = 100_000_000  # bytes of JSON header we are willing to parse


# ----------------------------------------------------------------------- classes
# The estimators a model file may hold, by class name: every public subclass of
# SaveLoadMixin registers itself when it is defined (so this module never imports
# the estimators), and scikit-learn's Pipeline of them.
_REGISTERED: dict[str, type] = {}


def _savable_classes() -> dict[str, type]:
    """The only classes a model file may name."""
    from sklearn.pipeline import Pipeline

    return {**_REGISTERED, "Pipeline": Pipeline}


def _not_saved(est: Any) -> frozenset[str]:
    """The attributes of ``est`` that its class keeps out of model files (``_model_file_excludes``)."""
    return frozenset(getattr(type(est), "_model_file_excludes", ()))


def _torch() -> Any:
    """The torch module if it has been imported, else None: no value can then be a tensor."""
    return sys.modules.get("torch")


# ---------------------------------------------------------------------- encoding
class _Encoder:
    """Turns an estimator into JSON-able nodes plus a dict of named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.classes = _savable_classes()

    def savable(self, value: Any) -> bool:
        """Whether ``value`` is an instance of exactly one of the classes a model file can hold."""
        return self.classes.get(type(value).__name__) is type(value)

    def array(self, value: np.ndarray, key: str) -> dict[str, str]:
        # Little-endian, as safetensors stores and loads it, so the digest of what is
        # saved is the digest of what loads.
        self.arrays[key] = np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<"), copy=False)
        return {"__array__": key}

    def encode(self, value: Any, key: str, parameter: bool = False) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{key}.{i}", parameter) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{key}.{i}", parameter) for i, v in enumerate(value)]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"__dict__": {k: self.encode(v, f"{key}.{k}", parameter) for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return self.ndarray(value, key)
        torch = _torch()
        if torch is not None and isinstance(value, torch.device):
            return {"__device__": str(value)}
        if torch is not None and isinstance(value, torch.Tensor):
            return self.array(value.detach().cpu().numpy(), key)
        if torch is not None and isinstance(value, torch.nn.Module) and not parameter:
            # Fitted networks; a user's module given as a parameter (a generator) is foreign, as below.
            return {"__module__": {name: self.array(t.detach().cpu().numpy(), f"{key}.{name}")
                                   for name, t in value.state_dict().items()}}
        if self.savable(value):
            return self.estimator(value, key)
        if parameter:
            # A parameter such as a user's own classifier: it cannot be stored safely.
            return {"__unsaved__": repr(value)[:300]}
        raise TypeError(
            f"cannot store {key} of type {type(value).__name__} in a model file, which holds only "
            f"{sorted(self.classes)} and plain values; use pickle or joblib for other objects (they store any "
            "estimator, but loading them runs code from the file: load only files you trust)"
        )

    def ndarray(self, value: np.ndarray, key: str) -> Any:
        if value.dtype.kind in "biuf":
            return self.array(value, key)
        if value.dtype.kind in "UO" and all(isinstance(v, (str, int, float, bool)) for v in value.ravel().tolist()):
            return {"__list_array__": value.tolist(), "dtype": "object" if value.dtype.kind == "O" else value.dtype.str}
        raise TypeError(f"cannot store {key}: an array of dtype {value.dtype} with non-numeric, non-string items")

    def estimator(self, est: Any, key: str) -> dict[str, Any]:
        # Parameters that are foreign objects are recorded by name only; a Pipeline's
        # steps are the model itself, so there a foreign step is an error.
        params = set() if type(est).__name__ == "Pipeline" else set(est.get_params(deep=False))
        state = {
            name: self.encode(value, f"{key}.{name}", parameter=name in params)
            for name, value in vars(est).items()
            if name not in _not_saved(est)
        }
        return {"__estimator__": type(est).__name__, "state": state}


class _Decoder:
    """Rebuilds values from JSON-able nodes and named arrays; refuses anything unknown."""

    def __init__(self, arrays: dict[str, np.ndarray], device: Any) -> None:
        self.arrays = arrays
        self.device = device
        self.classes = _savable_classes()
        self.unsaved: list[str] = []

    def array(self, key: Any) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise ModelFileError(f"the header names an array {key!r} that the file does not hold")
        return self.arrays[key]

    def decode(self, node: Any, where: str) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, where) for v in node]
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise ModelFileError(f"unexpected entry in the header at {where}")
        tag = next(iter(node))
        if tag == "__tuple__" and isinstance(node[tag], list):
            return tuple(self.decode(v, where) for v in node[tag])
        if tag == "__dict__" and isinstance(node[tag], dict):
            return {str(k): self.decode(v, f"{where}.{k}") for k, v in node[tag].items()}
        if tag == "__array__":
            return self.array(node[tag]).copy()
        if tag == "__list_array__" and isinstance(node.get("dtype"), str):
            dtype = object if node["dtype"] == "object" else np.dtype(node["dtype"])
            if dtype is not object and np.dtype(dtype).kind != "U":
                raise ModelFileError(f"unexpected array type {node['dtype']!r} at {where}")
            return np.array(node[tag], dtype=dtype)
        if tag == "__device__" and isinstance(node[tag], str):
            return node[tag]  # the estimator resolves it on this machine
        if tag == "__module__" and isinstance(node[tag], dict):
            import torch  # network weights: only estimators with networks, which need torch anyway

            return {str(k): torch.from_numpy(self.array(v.get("__array__") if isinstance(v, dict) else None).copy())
                    for k, v in node[tag].items()}
        if tag == "__unsaved__":
            self.unsaved.append(f"{where} ({node[tag]})")
            return None
        if tag == "__estimator__" and isinstance(node.get("state"), dict):
            return self.estimator(node[tag], node["state"], where)
        raise ModelFileError(f"unexpected entry {tag!r} in the header at {where}")

    def estimator(self, name: Any, state: dict[str, Any], where: str) -> Any:
        if name not in self.classes:
            raise ModelFileError(
                f"the file names the class {name!r}; a model file can only hold {sorted(self.classes)}"
            )
        est = self.classes[name].__new__(self.classes[name])
        est.__dict__.update({str(k): self.decode(v, f"{where}.{k}") for k, v in state.items()})
        if hasattr(est, "_after_load"):
            est._after_load(self.device)
        return est


# -------------------------------------------------------------------- the file
def _digest(metadata: dict[str, str], arrays: dict[str, np.ndarray]) -> str:
    """The SHA-256 digest of a model file (format 2 on): all it holds but the digest itself.

    That is every ``__metadata__`` entry except ``sha256`` (format, versions, the
    estimator header), as JSON with sorted keys, then every array in the order of
    its name: name, dtype and shape as JSON, then its bytes. The rest of the file
    (the header length, the arrays' offsets, padding) only says where these are;
    a change there leaves the file unreadable, changes what the digest covers, or
    writes the same content another way.
    """
    covered = {key: value for key, value in metadata.items() if key != "sha256"}
    digest = hashlib.sha256(json.dumps(covered, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(json.dumps([key, array.dtype.str, list(array.shape)]).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _digest_format_1(header_json: str, arrays: dict[str, np.ndarray]) -> str:
    """The digest of a format-1 file: the estimator header and the arrays, not the other metadata."""
    digest = hashlib.sha256(header_json.encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"{key}|{array.dtype.str}|{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Write ``estimator`` to a model file that loads without running code.

    Parameters
    ----------
    estimator : LWGANEstimator, QuasiEigenBasis, LatentSpectralDenoiser, LatentRotator or Pipeline
        Fitted or not; a Pipeline may hold only these estimators (and
        ``"passthrough"``). Parameters that are other objects (e.g. a
        classifier given to ``QuasiEigenBasis``) are recorded by name only and
        load as None, with a warning.
    path : str or path-like
        Where to write (conventionally ``*.safetensors``); replaced atomically
        if it exists.

    Raises
    ------
    TypeError
        If the estimator (or a fitted attribute of it) is of a kind a model
        file cannot hold; pickle or joblib store those.
    IsADirectoryError
        If ``path`` is a directory.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    Examples
    --------
    See :mod:`latentspec.persistence`.
    """
    from safetensors.numpy import save as save_arrays

    path = _writable_path(path)
    encoder = _Encoder()
    if not encoder.savable(estimator):
        raise TypeError(
            f"save takes one of {sorted(encoder.classes)}, got {type(estimator).__name__}; "
            "use pickle or joblib for other objects"
        )
    tree = encoder.encode(estimator, "model")
    header_json = json.dumps(tree, allow_nan=True)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "latentspec_version": __version__,
        "torch_version": getattr(_torch(), "__version__", "not imported"),
        "estimator": header_json,
    }
    metadata["sha256"] = _digest(metadata, encoder.arrays)
    data = save_arrays(encoder.arrays, metadata=metadata)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _writable_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path, or an error naming the problem when a file cannot be written there."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"cannot save to {str(path)!r}: it is a directory; give a file path such as "
            f"{str(path / 'model.safetensors')!r}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot save to {str(path)!r}: the folder {str(folder)!r} does not exist; create it first, "
            f"e.g. pathlib.Path({str(folder)!r}).mkdir(parents=True)"
        )
    return path


def _read_metadata(data: bytes, path: Path) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors header, read with plain JSON."""
    if len(data) < 8:
        raise ModelFileError(f"{path}: not a latentspec model file (only {len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(_HEADER_LIMIT, len(data) - 8):
        raise ModelFileError(
            f"{path}: not a latentspec model file, or truncated (its header claims {size} bytes, "
            f"the file has {len(data) - 8} after the length)"
        )
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not a latentspec model file, or corrupt (unreadable header: {exc})") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path}: a safetensors file, but not a latentspec model file")
    if not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(f"{path}: corrupt (its header holds entries that are not text)")
    return metadata


def load(path: str | os.PathLike, device: Any = None) -> Any:
    """Read an estimator written by :func:`save`; runs no code from the file.

    Parameters
    ----------
    path : str or path-like
    device : str, torch.device or None, default=None
        Where to put network weights. None: the device the model was fitted
        on if this machine has it, else the CPU (with a warning), so a model
        saved on a GPU loads on a CPU-only machine.

    Returns
    -------
    estimator
        The estimator (or Pipeline) that was saved, ready to ``transform``.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) If the file is not a latentspec model file, is
        truncated or corrupt (the SHA-256 digest, which covers every header
        entry and every array, does not match), or was written in a newer
        format than this latentspec reads; the message says which.
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    See :mod:`latentspec.persistence`.
    """
    path = Path(path)
    return _load_bytes(path.read_bytes(), path, device)


def _load_bytes(data: bytes, path: Path, device: Any) -> Any:
    """:func:`load` of the content ``data`` of the file ``path`` (named in errors)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as load_arrays

    metadata = _read_metadata(data, path)
    version = metadata.get("format_version", "")
    if not (version.isdigit() and version.isascii()) or int(version) < 1:
        raise ModelFileError(f"{path}: corrupt (format version {version!r})")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written by latentspec {metadata.get('latentspec_version', '?')} in model-file format "
            f"{version}; this latentspec ({__version__}) reads formats up to {FORMAT_VERSION}: upgrade latentspec"
        )
    try:
        arrays = load_arrays(data)
    except SafetensorError as exc:
        raise ModelFileError(f"{path}: truncated or corrupt ({exc})") from None
    header_json = metadata.get("estimator", "")
    digest = _digest_format_1(header_json, arrays) if int(version) == 1 else _digest(metadata, arrays)
    if digest != metadata.get("sha256"):
        raise ModelFileError(f"{path}: corrupt (its content does not match the SHA-256 digest it was saved with)")
    try:
        tree = json.loads(header_json)
    except json.JSONDecodeError as exc:  # pragma: no cover - the digest catches changed headers first
        raise ModelFileError(f"{path}: corrupt header ({exc})") from None
    decoder = _Decoder(arrays, device)
    if not (isinstance(tree, dict) and "__estimator__" in tree):
        raise ModelFileError(f"{path}: the file holds no estimator")
    estimator = decoder.decode(tree, "model")
    if decoder.unsaved:
        warnings.warn(
            "these parameters were objects that a model file does not store, and were loaded as None: "
            f"{'; '.join(decoder.unsaved)}. The fitted model does not need them; set them again before refitting",
            UserWarning,
            stacklevel=3,  # the caller of load()
        )
    return estimator


class SaveLoadMixin:
    """``save(path)`` and ``load(path)`` for latentspec's estimators (see :func:`save`, :func:`load`).

    Every public subclass registers itself as a class a model file may hold, and
    names in ``_model_file_excludes`` the attributes it keeps out of the file
    (state that only pickle can carry, or objects not needed after ``fit``).
    """

    _model_file_excludes: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            _REGISTERED[cls.__name__] = cls

    def save(self, path: str | os.PathLike) -> None:
        """Write this estimator to a model file that loads without running code.

        Parameters
        ----------
        path : str or path-like
            Where to write, conventionally ``*.safetensors``.

        Examples
        --------
        See :mod:`latentspec.persistence`.
        """
        save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, device: Any = None) -> Any:
        """Read an estimator of this class from a model file written by ``save``.

        Parameters
        ----------
        path : str or path-like
        device : str, torch.device or None, default=None
            See :func:`latentspec.load`.

        Returns
        -------
        estimator : this class

        Examples
        --------
        See :mod:`latentspec.persistence`.
        """
        estimator = load(path, device=device)
        if not isinstance(estimator, cls):
            raise ModelFileError(f"{path} holds a {type(estimator).__name__}, not a {cls.__name__}")
        return estimator
