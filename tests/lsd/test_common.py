"""What the three deep LSD estimators share (latentspec/lsd/_common.py and _basis_user.py).

Labels are required, an int random_state reproduces a fit, pickles round-trip, and the scikit-learn
properties hold on codes these estimators accept.
"""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._testing import create_memmap_backed_data

from latentspec import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis

from ._codes import FAST, clusters


def make_estimator(kind, **params):
    basis = QuasiEigenBasis(**FAST)
    if kind == "basis":
        return QuasiEigenBasis(**FAST, **params)
    if kind == "denoiser":
        return LatentSpectralDenoiser(basis=basis, **params)
    return LatentRotator(basis=basis, **params)


KINDS = ["basis", "denoiser", "rotator"]


@pytest.mark.parametrize("kind", KINDS)
def test_labels_are_required(kind):
    """Guards y: missing labels and a single class are clear errors for every estimator."""
    Z, y = clusters()
    with pytest.raises(ValueError, match="requires y.*labels are needed"):
        make_estimator(kind).fit(Z)
    with pytest.raises(ValueError, match="1 class"):
        make_estimator(kind).fit(Z, np.zeros(len(Z), dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        make_estimator(kind).fit(Z, np.linspace(0, 1, len(Z)))


def fitted_output(est, Z):
    return est.rotation_ if isinstance(est, LatentRotator) else est.transform(Z)


@pytest.mark.parametrize("kind", KINDS)
def test_same_random_state_same_result(kind):
    """Guards reproducibility: an int random_state gives identical fits; another seed other prior rounds."""
    Z, y = clusters(dim=6)
    a = make_estimator(kind, random_state=0).fit(Z, y)
    b = make_estimator(kind, random_state=0).fit(Z, y)
    np.testing.assert_array_equal(fitted_output(a, Z), fitted_output(b, Z))
    basis = a if kind == "basis" else a.basis_
    other = QuasiEigenBasis(**FAST, random_state=1).fit(Z, y)
    np.testing.assert_array_equal(other.components_[:3], basis.components_[:3])  # round 0 only
    assert not np.allclose(other.components_[3:], basis.components_[3:])


@pytest.mark.parametrize("kind", KINDS)
def test_pickle_round_trip(kind):
    """Guards pickling: an unpickled estimator transforms identically."""
    Z, y = clusters()
    est = make_estimator(kind, random_state=0).fit(Z, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(Z), est.transform(Z))
    np.testing.assert_array_equal(clone(est).fit(Z, y).transform(Z), est.transform(Z))


@pytest.mark.parametrize("kind", KINDS)
def test_sklearn_properties_on_valid_data(kind):
    """Guards what the estimator checks listed in _expected_failures.py test, on data these estimators accept.

    Those checks fit on 2-feature, 3-class data or on classes with parallel means,
    which these estimators reject by design; here: fit returns self, parameters
    unchanged, lists and read-only memmaps accepted, float32 kept, fit_transform
    consistent, wrong feature count rejected.
    """
    Z, y = clusters(dim=5)
    est = make_estimator(kind, random_state=0)
    params = est.get_params(deep=False)
    assert est.fit(Z, y) is est
    assert est.get_params(deep=False) == params
    expected = est.transform(Z)
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit(Z.tolist(), y.tolist()).transform(Z), expected)
    Z_mm, y_mm = create_memmap_backed_data([Z, y])
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit(Z_mm, y_mm).transform(Z_mm), expected)
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit_transform(Z, y), expected)
    Z32 = Z.astype(np.float32)
    out32 = make_estimator(kind, random_state=0).fit(Z32, y).transform(Z32)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="features"):
        est.transform(Z[:, :-1])
