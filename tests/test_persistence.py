"""Safe model files: exact round trips, no code run on load, clear errors for bad files."""

import json
import os
import pickle
import struct
import warnings

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import latentspec
from latentspec import (
    LatentRotator,
    LatentSpectralDenoiser,
    LWGANEstimator,
    ModelFileError,
    QuasiEigenBasis,
    load,
    save,
)
from latentspec.persistence import FORMAT_VERSION, _digest, _digest_format_1, _load_bytes


@pytest.fixture(scope="module")
def labelled_codes():
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["three", "eight", "one"]), 20)
    Z = 3 * np.eye(4)[np.unique(y, return_inverse=True)[1]] + 0.3 * rng.standard_normal((60, 4))
    return Z, y


def fitted_spectral(Z, y):
    basis = QuasiEigenBasis(n_rounds=3, n_draws=300, random_state=0)
    return [
        basis.fit(Z, y),
        LatentSpectralDenoiser(n_components=2, basis=basis, random_state=0).fit(Z, y),
        LatentRotator(source="three", target="eight", basis=basis, random_state=0).fit(Z, y),
    ]


def round_trip(estimator, tmp_path, **kwargs):
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    return load(path, **kwargs)


def test_lwgan_round_trip_is_exact(fitted_auto, s_curve, tmp_path):
    """Guards save/load of the LWGAN: same codes, reconstructions, rank, scores, history, parameters."""
    again = round_trip(fitted_auto, tmp_path)
    assert type(again) is LWGANEstimator
    np.testing.assert_array_equal(again.transform(s_curve), fitted_auto.transform(s_curve))
    Z = fitted_auto.transform(s_curve)
    np.testing.assert_array_equal(again.inverse_transform(Z), fitted_auto.inverse_transform(Z))
    assert again.get_params() == fitted_auto.get_params()
    assert (again.rank_, again.intrinsic_dim_, again.intrinsic_dim_interval_, again.n_steps_) == (
        fitted_auto.rank_, fitted_auto.intrinsic_dim_, fitted_auto.intrinsic_dim_interval_, fitted_auto.n_steps_
    )
    for key, value in fitted_auto.rank_scores_.items():
        np.testing.assert_array_equal(again.rank_scores_[key], value, err_msg=key)
    for key, value in fitted_auto.history_.items():
        np.testing.assert_array_equal(again.history_[key], value, err_msg=key)
    np.testing.assert_array_equal(again.sample(5, random_state=0), fitted_auto.sample(5, random_state=0))


def test_lwgan_with_labels_round_trip(tmp_path):
    """The class-conditional prior (classes_, class_weights_) survives, so sample() is unchanged."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)), np.repeat(["a", "b", "c"], 20)
    est = LWGANEstimator(latent_dim=3, rank=3, label_weight=1.0, n_warmup=5, n_critic_refit=2,
                         encoder_layers=(8,), generator_layers=(8,), critic_layers=(8,), n_score_repeats=2,
                         batch_size=30, random_state=0).fit(X, y)
    again = round_trip(est, tmp_path)
    np.testing.assert_array_equal(again.classes_, est.classes_)
    np.testing.assert_array_equal(again.sample(7, random_state=3), est.sample(7, random_state=3))


@pytest.mark.parametrize("index", [0, 1, 2], ids=["QuasiEigenBasis", "LatentSpectralDenoiser", "LatentRotator"])
def test_spectral_round_trip_is_exact(labelled_codes, tmp_path, index):
    """Guards save/load of the deep LSD estimators, string class labels included."""
    Z, y = labelled_codes
    estimator = fitted_spectral(Z, y)[index]
    again = round_trip(estimator, tmp_path)
    assert type(again) is type(estimator)
    np.testing.assert_array_equal(again.transform(Z), estimator.transform(Z))
    C = estimator.transform(Z)
    np.testing.assert_array_equal(again.inverse_transform(C), estimator.inverse_transform(C))
    if index == 0:
        np.testing.assert_array_equal(again.predict(Z), estimator.predict(Z))
        assert again.score(Z, y) == estimator.score(Z, y)
    if index == 2:
        assert (again.source_, again.target_) == ("three", "eight")
        np.testing.assert_array_equal(again.path(Z[:2], n_steps=4), estimator.path(Z[:2], n_steps=4))


def test_pipeline_round_trip(s_curve, tmp_path, tiny_params):
    """A Pipeline of latentspec estimators is saved whole; its denoising idiom gives the same result."""
    y = (s_curve[:, 0] > 0).astype(int)
    pipe = make_pipeline(
        LWGANEstimator(latent_dim=3, rank=3, **tiny_params),
        LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(n_rounds=2, n_draws=100), random_state=0),
    ).fit(s_curve, y)
    again = round_trip(pipe, tmp_path)
    np.testing.assert_array_equal(
        again.inverse_transform(again.transform(s_curve)), pipe.inverse_transform(pipe.transform(s_curve))
    )


def test_big_endian_arrays_round_trip(labelled_codes, tmp_path):
    """A fitted array in big-endian byte order is saved little-endian, and the file loads (its digest matches)."""
    Z, y = labelled_codes
    basis = fitted_spectral(Z, y)[0]
    expected = basis.transform(Z)
    basis.components_ = basis.components_.astype(">f8")
    again = round_trip(basis, tmp_path)
    assert again.components_.dtype == np.dtype("<f8")
    np.testing.assert_array_equal(again.transform(Z), expected)


def test_unfitted_estimator_round_trip(tmp_path):
    est = LWGANEstimator(latent_dim=5, encoder_layers=(7, 9), learning_rate=1e-3, device="cpu")
    again = round_trip(est, tmp_path)
    assert again.get_params() == est.get_params()
    assert isinstance(again.encoder_layers, tuple)


def test_method_forms_and_class_check(labelled_codes, tmp_path):
    """est.save(path) and Class.load(path); loading with the wrong class is refused."""
    Z, y = labelled_codes
    basis = fitted_spectral(Z, y)[0]
    path = tmp_path / "basis.safetensors"
    basis.save(path)
    np.testing.assert_array_equal(QuasiEigenBasis.load(path).transform(Z), basis.transform(Z))
    with pytest.raises(ModelFileError, match="not a LatentRotator"):
        LatentRotator.load(path)


def test_file_records_versions(labelled_codes, tmp_path):
    from safetensors import safe_open

    path = tmp_path / "basis.safetensors"
    save(fitted_spectral(*labelled_codes)[0], path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    assert metadata["latentspec_version"] == latentspec.__version__
    assert metadata["format_version"] == "2" and metadata["format"] == "latentspec"


class _TensorOnFakeGPU(torch.Tensor):
    """A CPU tensor that behaves, for saving, like one on the first GPU (as the pickle test fakes CUDA storages).

    It reports ``cuda:0`` as its device and, like a real CUDA tensor, refuses ``numpy()``
    until it is copied to the host with ``.cpu()`` (or ``.to("cpu")``, or ``numpy(force=True)``),
    which give an ordinary CPU tensor. So a ``save`` that forgot to move weights to the CPU fails.
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func == torch.Tensor.device.__get__:
            return torch.device("cuda", 0)
        targets = [*args[1:], kwargs.get("device")]
        to_cpu = func is torch.Tensor.to and any(
            str(target) == "cpu" for target in targets if isinstance(target, (str, torch.device))
        )
        if func is torch.Tensor.cpu or to_cpu:
            with torch._C.DisableTorchFunctionSubclass():
                return args[0].as_subclass(torch.Tensor).clone()
        if func in (torch.Tensor.numpy, torch.Tensor.__array__):
            if not kwargs.get("force"):
                raise TypeError(
                    "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                    "host memory first."
                )
            with torch._C.DisableTorchFunctionSubclass():
                return args[0].as_subclass(torch.Tensor).numpy()
        return super().__torch_function__(func, types, args, kwargs)


def _on_fake_gpu(module):
    """Replace every weight of ``module`` (in place) by the same values on the fake GPU."""
    for part in module.modules():
        for store in (part._parameters, part._buffers):
            for name, tensor in store.items():
                if tensor is not None:
                    store[name] = tensor.detach().as_subclass(_TensorOnFakeGPU)


def test_model_saved_on_gpu_loads_on_cpu(fitted_rank2, s_curve, tmp_path, monkeypatch):
    """Guards GPU-to-CPU model files: weights (and a tensor attribute) that live on CUDA are saved from the CPU.

    The weights claim CUDA and refuse numpy() unless moved to the CPU first, as real
    CUDA tensors do; the file then loads on a CPU-only machine, with a warning, and
    predicts the same.
    """
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    est = pickle.loads(pickle.dumps(fitted_rank2))  # a copy to change
    expected = est.transform(s_curve)
    _on_fake_gpu(est.module_)
    est.device_ = torch.device("cuda", 0)
    center = est.center_
    est.center_ = torch.from_numpy(center.copy()).as_subclass(_TensorOnFakeGPU)  # a fitted tensor attribute
    weights = est.module_.state_dict()
    # The fake is real: every tensor saved claims the GPU, and numpy() refuses it as for a CUDA tensor.
    assert {tensor.device for tensor in [*weights.values(), est.center_]} == {torch.device("cuda", 0)}
    with pytest.raises(TypeError, match="cuda"):
        next(iter(weights.values())).numpy()
    with pytest.raises(TypeError, match="cuda"):
        est.center_.numpy()

    path = tmp_path / "gpu.safetensors"
    save(est, path)
    with pytest.warns(UserWarning, match="CPU"):
        again = load(path)
    assert again.device_ == torch.device("cpu")
    assert {type(t) for t in again.module_.state_dict().values()} == {torch.Tensor}
    assert {t.device for t in again.module_.state_dict().values()} == {torch.device("cpu")}
    np.testing.assert_array_equal(again.center_, center)
    np.testing.assert_array_equal(again.transform(s_curve), expected)
    assert load(path, device="cpu").device_ == torch.device("cpu")


def test_foreign_parameters_load_as_none_with_a_warning(labelled_codes, tmp_path):
    """A user's classifier given as a parameter cannot be stored safely: it is named, and loads as None."""
    Z, y = labelled_codes
    classifier = SVC().fit(Z, y)
    basis = QuasiEigenBasis(labelling="generator", generator=lambda codes: codes, classifier=classifier,
                            n_rounds=2, n_draws=200, random_state=0).fit(Z, y)
    path = tmp_path / "basis.safetensors"
    save(basis, path)
    with pytest.warns(UserWarning, match="classifier.*SVC"):
        again = load(path)
    assert again.classifier is None and again.generator is None
    np.testing.assert_array_equal(again.predict(Z), basis.predict(Z))

    # A torch generator is foreign too: named and loaded as None, not as its weights.
    module = torch.nn.Linear(Z.shape[1], Z.shape[1])
    basis = QuasiEigenBasis(labelling="generator", generator=module, classifier=classifier,
                            n_rounds=2, n_draws=200, random_state=0).fit(Z, y)
    save(basis, path)
    with pytest.warns(UserWarning, match=r"generator \(Linear"):
        again = load(path)
    assert again.generator is None
    np.testing.assert_array_equal(again.predict(Z), basis.predict(Z))


def test_save_refuses_what_it_cannot_store(s_curve, tmp_path):
    with pytest.raises(TypeError, match="StandardScaler"):
        save(StandardScaler(), tmp_path / "x.safetensors")
    pipe = make_pipeline(StandardScaler(), QuasiEigenBasis())
    with pytest.raises(TypeError, match="StandardScaler"):
        save(pipe, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


# -------------------------------------------------------------- hostile files
class _RunsCode:
    """Unpickling this creates a file: the test checks that no load path ever does so."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_payload_runs_no_code(tmp_path):
    """Guards safety: a pickle (and a torch.save file) crafted to run code is refused, and nothing runs."""
    marker = tmp_path / "code-ran"
    for name, write in [
        ("pickled.safetensors", lambda p: p.write_bytes(pickle.dumps(_RunsCode(marker)))),
        ("torch.safetensors", lambda p: torch.save({"x": _RunsCode(marker)}, p)),
    ]:
        path = tmp_path / name
        write(path)
        assert not marker.exists()
        with pytest.raises(ModelFileError, match="not a latentspec model file"):
            load(path)
        assert not marker.exists(), f"loading {name} ran code"


def craft(path, tree, arrays=None, **metadata):
    """Write a well-formed safetensors file with the given header tree and a valid digest (of its format)."""
    from safetensors.numpy import save as save_arrays

    arrays = arrays or {"x": np.zeros(1)}
    header = json.dumps(tree)
    meta = {"format": "latentspec", "format_version": str(FORMAT_VERSION), "estimator": header, **metadata}
    meta["sha256"] = _digest_format_1(header, arrays) if meta["format_version"] == "1" else _digest(meta, arrays)
    path.write_bytes(save_arrays(arrays, metadata=meta))


@pytest.mark.parametrize(
    "tree, match",
    [
        ({"__estimator__": "os.system", "state": {}}, "can only hold"),
        ({"__estimator__": "Popen", "state": {"args": "touch /tmp/x"}}, "can only hold"),
        ({"__estimator__": "QuasiEigenBasis", "state": {"f": {"__reduce__": ["os.system", "id"]}}}, "unexpected"),
        ({"__estimator__": "QuasiEigenBasis", "state": {"c": {"__array__": "missing"}}}, "does not hold"),
        ({"__estimator__": "QuasiEigenBasis", "state": {"c": {"__list_array__": [1], "dtype": "O8"}}}, "type"),
        ([1, 2, 3], "no estimator"),
    ],
)
def test_crafted_headers_are_refused(tmp_path, tree, match):
    """Only latentspec's estimators and plain data can be named; anything else is an error."""
    path = tmp_path / "crafted.safetensors"
    craft(path, tree)
    with pytest.raises(ModelFileError, match=match):
        load(path)


def test_newer_format_is_refused(labelled_codes, tmp_path):
    path = tmp_path / "new.safetensors"
    craft(path, {"__estimator__": "QuasiEigenBasis", "state": {}}, format_version="7", latentspec_version="9.0")
    with pytest.raises(ModelFileError, match=r"format 7.*upgrade latentspec"):
        load(path)


@pytest.mark.parametrize("version", [2, "\u00b2", "-1", "0"], ids=["a number", "superscript two", "-1", "0"])
def test_format_version_that_is_no_format_is_refused(tmp_path, version):
    """A header entry that is not text, or a format version that names no format: corrupt, not a crash."""
    header = json.dumps({
        "__metadata__": {"format": "latentspec", "format_version": version, "estimator": "{}", "sha256": ""},
        "x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
    }).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "odd.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    with pytest.raises(ModelFileError, match="corrupt"):
        load(path)


def test_format_1_files_are_read_with_their_digest(tmp_path):
    """A file of the previous format loads when its digest (of header and arrays) matches, and only then."""
    tree = {"__estimator__": "QuasiEigenBasis", "state": {"n_rounds": 2}}
    path = tmp_path / "old.safetensors"
    craft(path, tree, format_version="1", latentspec_version="0.1.0")
    assert load(path).n_rounds == 2
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load(path)


@pytest.mark.parametrize(
    "old, new",
    [
        (b'"format_version":"2"', b'"format_version":"1"'),  # read as the previous format: its digest differs
        (b'"latentspec_version":"', b'"latentspec_version":"9'),
        (b'"torch_version":"', b'"torch_version":"0'),
        (b'"format":"latentspec"', b'"format":"latentspec","note":"x"'),
    ],
    ids=["format_version", "latentspec_version", "torch_version", "extra entry"],
)
def test_changed_metadata_is_refused(labelled_codes, tmp_path, old, new):
    """Guards the digest's reach: every header entry, not only the estimator and the arrays, is covered."""
    from safetensors.numpy import load as load_arrays
    from safetensors.numpy import save as save_arrays

    path = tmp_path / "basis.safetensors"
    save(fitted_spectral(*labelled_codes)[0], path)
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = data[8 : 8 + size]
    assert header.count(old) == 1
    metadata = json.loads(header.replace(old, new))["__metadata__"]
    # Rewritten as a well-formed file whose only change is that entry (the digest kept as saved).
    path.write_bytes(save_arrays(load_arrays(data), metadata=metadata))
    with pytest.raises(ModelFileError, match="corrupt.*SHA-256"):
        load(path)


def test_every_bit_flip_is_refused(tmp_path):
    """Guards integrity: a model file with any one bit flipped, anywhere, is refused with a ModelFileError.

    Header length, array layout, every metadata entry (versions, format, digest, the
    estimator) and the array bytes: none of the flips loads, and none fails otherwise.
    """
    y = np.repeat([0, 1], 5)
    Z = 3 * np.eye(2)[y] + 0.3 * np.random.default_rng(0).standard_normal((10, 2))
    path = tmp_path / "basis.safetensors"
    save(QuasiEigenBasis(n_rounds=1, n_draws=20, random_state=0).fit(Z, y), path)
    data = path.read_bytes()
    loaded, other_errors = [], []
    for position in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            try:
                _load_bytes(bytes(flipped), path, None)  # load() without writing 8,000 files
            except ModelFileError:
                continue
            except Exception as exc:  # noqa: BLE001 - any other failure is what the test looks for
                other_errors.append(f"byte {position} bit {bit}: {type(exc).__name__}: {exc}")
            else:
                loaded.append(f"byte {position} ({chr(data[position])!r}) bit {bit}")
    assert not loaded, f"{len(loaded)} of {8 * len(data)} single-bit flips load: {loaded[:10]}"
    assert not other_errors, other_errors[:10]


@pytest.fixture
def saved_file(labelled_codes, tmp_path):
    path = tmp_path / "basis.safetensors"
    save(fitted_spectral(*labelled_codes)[0], path)
    return path


@pytest.mark.parametrize("keep", [0, 5, 8, 100, -1, -40])
def test_truncated_files_are_refused(saved_file, keep):
    """Guards truncation: a file cut anywhere gives a clear ModelFileError."""
    data = saved_file.read_bytes()
    saved_file.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    with pytest.raises(ModelFileError, match="truncated|not a latentspec model file"):
        load(saved_file)


def test_corrupted_array_bytes_are_refused(saved_file):
    """Guards integrity: one flipped bit in the arrays fails the digest check."""
    data = bytearray(saved_file.read_bytes())
    data[-3] ^= 0x01
    saved_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load(saved_file)


def test_corrupted_header_is_refused(saved_file):
    data = bytearray(saved_file.read_bytes())
    (size,) = struct.unpack("<Q", bytes(data[:8]))
    position = 8 + data[8 : 8 + size].index(b"components_") + 3
    data[position] = ord("X")  # still valid JSON, another name: the digest no longer matches
    saved_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt"):
        load(saved_file)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.safetensors")


def test_save_replaces_atomically(labelled_codes, tmp_path):
    path = tmp_path / "basis.safetensors"
    path.write_bytes(b"old")
    save(fitted_spectral(*labelled_codes)[0], path)
    assert load(path).classes_.tolist() == ["eight", "one", "three"]
    assert os.listdir(tmp_path) == ["basis.safetensors"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_saves_and_loads_on_cpu(s_curve, tiny_params, tmp_path, monkeypatch):
    """Guards a real GPU fit: its model file loads on a CPU-only machine and predicts the same."""
    est = LWGANEstimator(latent_dim=2, device="cuda", **tiny_params).fit(s_curve)
    expected = est.transform(s_curve)
    path = tmp_path / "gpu.safetensors"
    est.save(path)
    assert load(path).device_.type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CPU"):
        loaded = load(path)
    assert {p.device.type for p in loaded.module_.parameters()} == {"cpu"}
    np.testing.assert_allclose(loaded.transform(s_curve), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_interrupted_continues_on_the_gpu(s_curve, tiny_params, monkeypatch):
    """A GPU fit resumes with its CUDA random state: continued equals uninterrupted, on the GPU."""
    from latentspec.lwgan.core import _training as _training

    monkeypatch.setattr(_training, "CHECKPOINT_SECONDS", 0.0)
    params = dict(latent_dim=2, device="cuda", **{**tiny_params, "n_warmup": 30})
    reference = LWGANEstimator(**params).fit(s_curve)
    original, calls = _training.reconstruction_error, {"n": 0}

    def interrupt_at_20(*args):
        calls["n"] += 1
        if calls["n"] == 20:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(_training, "reconstruction_error", interrupt_at_20)
    est = LWGANEstimator(**params)
    with pytest.warns(latentspec.FitInterrupted), pytest.raises(KeyboardInterrupt):
        est.fit(s_curve)
    monkeypatch.setattr(_training, "reconstruction_error", original)
    est.set_params(warm_start=True).fit(s_curve)
    np.testing.assert_array_equal(est.transform(s_curve), reference.transform(s_curve))


def test_save_to_a_folder_or_into_a_missing_folder_says_so(labelled_codes, tmp_path):
    """A directory as the path, or a path whose folder does not exist: errors that name the problem."""
    basis = fitted_spectral(*labelled_codes)[0]
    with pytest.raises(IsADirectoryError, match=r"is a directory.*file path"):
        save(basis, tmp_path)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        basis.save(".")
    with pytest.raises(FileNotFoundError, match=r"folder .*nodir.* does not exist.*create it"):
        save(basis, tmp_path / "nodir" / "m.safetensors")
    assert list(tmp_path.iterdir()) == []  # no .partial file left behind


def test_pipeline_with_a_foreign_step_points_to_pickle(tmp_path):
    """The refusal of a Pipeline step names the step and, like the top-level refusal, pickle and joblib."""
    pipe = make_pipeline(StandardScaler(), QuasiEigenBasis())
    with pytest.raises(TypeError, match=r"StandardScaler.*use pickle or joblib"):
        save(pipe, tmp_path / "x.safetensors")


def test_warm_start_after_load_warns_that_training_starts_afresh(fitted_rank2, s_curve, tmp_path):
    """A model file holds no training state: warm_start=True after load says the fit starts from scratch."""
    path = tmp_path / "model.safetensors"
    fitted_rank2.save(path)
    again = load(path).set_params(warm_start=True)
    with pytest.warns(UserWarning, match=r"no training state to continue.*from scratch.*pickle"):
        again.fit(s_curve)
    assert again.n_steps_ == fitted_rank2.n_steps_  # trained the full schedule again
    pickled = pickle.loads(pickle.dumps(fitted_rank2)).set_params(warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickled.fit(s_curve)  # pickle keeps the state: a silent continuation
