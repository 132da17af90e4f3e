"""Model files written by an earlier version load and compute what they computed then.

``tests/data/model_files`` holds models saved by ``benchmarks/fit_fingerprints.py
--model-files`` before the package was reorganised into one module per idea, and
``tests/data/model_files/0.1.0`` the same configurations saved by version 0.1.0, the
last before the modules moved into subpackages, each with 32 input rows and the
outputs the models gave for them. A change to the file format,
to an attribute an estimator keeps, or to how networks are rebuilt fails here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from latentspec import LatentRotator, LatentSpectralDenoiser, LWGANEstimator, QuasiEigenBasis, load

FILES = Path(__file__).parent / "data" / "model_files"
EXPECTED_CLASS = {
    "conv": LWGANEstimator,
    "fixed_rank_float32": LWGANEstimator,
    "quasi_eigen_basis": QuasiEigenBasis,
    "denoiser": LatentSpectralDenoiser,
    "rotator": LatentRotator,
}


@pytest.mark.parametrize("folder", [FILES, FILES / "0.1.0"], ids=["one_module_per_idea", "0.1.0"])
@pytest.mark.parametrize("name", sorted(EXPECTED_CLASS))
def test_an_earlier_model_file_loads_and_gives_the_same_outputs(name, folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parameters that were objects load as None, with a warning
        est = load(folder / f"{name}.safetensors", device="cpu")
    assert type(est) is EXPECTED_CLASS[name]
    saved = np.load(folder / f"{name}.npz")
    codes = est.transform(saved["X"])
    # float32 networks may round differently on another CPU; a format change is off by far more.
    np.testing.assert_allclose(codes, saved["transform"], rtol=1e-5, atol=1e-6)
    if "inverse_transform" in saved:
        np.testing.assert_allclose(est.inverse_transform(codes), saved["inverse_transform"], rtol=1e-5, atol=1e-6)


def test_earlier_files_are_format_1_and_still_checked_against_their_digest(tmp_path):
    """Format-1 files keep their own digest (of the estimator header and arrays): a changed array is refused."""
    from safetensors import safe_open

    from latentspec import ModelFileError

    source = FILES / "quasi_eigen_basis.safetensors"
    with safe_open(source, framework="np") as f:
        assert f.metadata()["format_version"] == "1"  # these files test reading the previous format
    data = bytearray(source.read_bytes())
    data[-1] ^= 0x01  # the last byte of the last array
    path = tmp_path / "changed.safetensors"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load(path)
