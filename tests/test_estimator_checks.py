"""scikit-learn's own API checks over every public estimator."""

import inspect

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import (
    check_estimators_data_not_an_array,
    estimator_checks_generator,
    parametrize_with_checks,
)

import latentspec
from latentspec import LatentRotator, LatentSpectralDenoiser, LWGANEstimator, QuasiEigenBasis, ResidualWiener

from ._expected_failures import EXPECTED_FAILED_CHECKS, expected_failure
from ._tiny import TINY_PARAMS

# Every public estimator, with tiny settings. LWGANEstimator twice: the default
# (the rank estimated, every rank trained and scored) and a fixed rank. The deep LSD
# estimators with few prior draws and a fixed seed (their defaults otherwise), and the
# denoiser keeping 2 coefficients, as many as the checks' 2-feature data have. The
# residual filter around a one-component PCA (its noise level estimated, its threshold chosen).
_TINY_BASIS = QuasiEigenBasis(n_rounds=3, n_draws=200, random_state=0)
ESTIMATORS = [
    LWGANEstimator(**TINY_PARAMS),
    LWGANEstimator(rank=1, **TINY_PARAMS),
    QuasiEigenBasis(n_rounds=3, n_draws=200, random_state=0),
    LatentSpectralDenoiser(n_components=2, basis=_TINY_BASIS, random_state=0),
    LatentRotator(basis=_TINY_BASIS, random_state=0),
    ResidualWiener(PCA(n_components=1)),
]


def check_name(check) -> str:
    """The name of the check function that ``check`` (a partial of it) calls."""
    return getattr(check, "func", check).__name__


def _blobs_with_three_features(*args, **kwargs):
    """make_blobs as the checks call it, with 3 features: 3 classes then fit a 3-dimensional latent space."""
    return make_blobs(*args, **{**kwargs, "n_features": 3})


def run_on_accepted_data(estimator, check, monkeypatch) -> None:
    """Run an expected-to-fail check again on data like its own that the estimator accepts.

    The checks listed in _expected_failures.py fit on data these estimators reject by
    design; everything else they test must still pass.
    """
    if check_name(check) == "check_classifier_data_not_an_array":
        # The check's 12 points and labels, with class means in two directions instead of one.
        X = np.array([[3, 0], [2, 1], [4, 0], [0, 3], [1, 2], [0, 4],
                      [3, 1], [2, 0], [4, 1], [1, 3], [0, 2], [1, 4]], dtype=float)
        y = np.array([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        for obj_type in ["NotAnArray", "PandasDataframe"]:
            check_estimators_data_not_an_array(type(estimator).__name__, estimator, X, y, obj_type)
    else:  # the others fit on make_blobs data with 2 features and 3 classes
        monkeypatch.setattr(estimator_checks, "make_blobs", _blobs_with_three_features)
        check(estimator)


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    """Guards the scikit-learn contract: every check passes, or fails exactly as _expected_failures.py says.

    An expected failure must raise its error with its message; the same check then
    passes on data the estimator accepts.
    """
    expected = expected_failure(estimator, check_name(check))
    if expected is None:
        check(estimator)
        return
    with pytest.raises(expected.error, match=expected.match):
        check(estimator)
    run_on_accepted_data(estimator, check, monkeypatch)


def test_every_expected_failure_names_a_check_that_runs():
    """Guards _expected_failures.py: each entry names an estimator checked here and one of its checks."""
    for estimator in ESTIMATORS:
        names = {check_name(check) for _, check in estimator_checks_generator(estimator)}
        listed = set(EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}))
        assert listed <= names, f"{type(estimator).__name__}: no such checks {sorted(listed - names)}"
    checked = {type(estimator).__name__ for estimator in ESTIMATORS}
    assert set(EXPECTED_FAILED_CHECKS) <= checked, sorted(set(EXPECTED_FAILED_CHECKS) - checked)


def test_every_public_estimator_is_checked():
    """Guards coverage: each estimator class that latentspec exports is in ESTIMATORS above."""
    public = {
        name
        for name in latentspec.__all__
        if inspect.isclass(obj := getattr(latentspec, name)) and issubclass(obj, BaseEstimator)
    }
    checked = {type(est).__name__ for est in ESTIMATORS}
    assert public, "latentspec exports no estimator"
    assert public <= checked, f"add {sorted(public - checked)} to ESTIMATORS"
