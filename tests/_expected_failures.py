"""The one place listing scikit-learn estimator checks that are expected to fail.

Maps an estimator class name to ``{check name: reason}``, check names as
``parametrize_with_checks`` names them. The checks run with ``xfail_strict=True``,
so an entry whose check starts passing fails the suite and must be removed. Keep
this empty unless a check cannot pass by design: a check that fails because of a
bug in an estimator is a bug to fix, not an entry here.
"""

# The deep LSD estimators build one label direction per class from the class means,
# so by design (latentspec/quasi_eigen.py) fit raises ValueError when the latent space
# has fewer dimensions than classes, or when the class means are parallel in the same
# sense (class means that point away from each other are lifted, see _gram_schmidt.py).
# Some checks fit only on data like that; every property they test is also tested
# on valid data in tests/test_spectral.py (see test_sklearn_properties_on_valid_data).
_FEWER_DIMS_THAN_CLASSES = (
    "fits on make_blobs data with 2 features and 3 classes; one label direction per class "
    "needs at least as many latent dimensions as classes, so fit raises ValueError by design"
)
_SHARED_LSD_FAILURES = {
    "check_estimators_overwrite_params": _FEWER_DIMS_THAN_CLASSES,
    "check_estimators_fit_returns_self": _FEWER_DIMS_THAN_CLASSES,
    "check_readonly_memmap_input": _FEWER_DIMS_THAN_CLASSES,
}

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "LWGANEstimator": {},
    "QuasiEigenBasis": {
        **_SHARED_LSD_FAILURES,
        "check_classifier_data_not_an_array": (
            "fits on 2-class data whose class means both lie on the diagonal (1, 1), parallel and in the same "
            "sense; the label directions need linearly independent class means, so fit raises ValueError by design"
        ),
        "check_classifiers_classes": _FEWER_DIMS_THAN_CLASSES,
        # Its binary problem passes; the 3-class problem has 2 features.
        "check_classifiers_train": _FEWER_DIMS_THAN_CLASSES,
    },
    "LatentSpectralDenoiser": dict(_SHARED_LSD_FAILURES),
    "LatentRotator": dict(_SHARED_LSD_FAILURES),
}


def expected_failed_checks(estimator) -> dict[str, str]:
    """Return the expected failures of ``estimator``'s class, with their reasons."""
    return dict(EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}))
