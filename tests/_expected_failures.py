"""The one place listing scikit-learn estimator checks that are expected to fail, and how.

Maps an estimator class name to ``{check name: ExpectedFailure}``, check names as
scikit-learn names its check functions. Each entry names the exception the check
must raise and a regular expression its message must match (``re.search``), so a
check that fails in any other way fails the test, and a check that starts passing
fails it too ("DID NOT RAISE"): then remove its entry. After the expected failure,
tests/test_estimator_checks.py runs the same check again on data these estimators
accept, so the rest of what it tests is still checked. Keep this empty unless a
check cannot pass by design: a check that fails because of a bug in an estimator is
a bug to fix, not an entry here.
"""

from typing import NamedTuple


class ExpectedFailure(NamedTuple):
    """How a check fails by design: ``error`` raised with a message matching ``match``, for ``reason``."""

    match: str
    reason: str
    error: type[Exception] = ValueError


# The deep LSD estimators build one label direction per class from the class means,
# so by design (latentspec/lsd/_quasi_eigen.py) fit raises ValueError when the latent space
# has fewer dimensions than classes, or when the class means are parallel in the same
# sense (class means that point away from each other are lifted, see latentspec/lsd/_gram_schmidt.py).
# Some checks fit only on data like that; every property they test is also tested
# on valid data in tests/lsd/test_common.py (see test_sklearn_properties_on_valid_data).
_FEWER_DIMS_THAN_CLASSES = ExpectedFailure(
    match=(
        r"^Z has 2 feature\(s\) \(latent dimensions\) but y has 3 classes, and 3 label directions need at least "
        r"3 latent dimensions"
    ),
    reason=(
        "fits on make_blobs data with 2 features and 3 classes; one label direction per class "
        "needs at least as many latent dimensions as classes, so fit raises ValueError by design"
    ),
)
_SHARED_LSD_FAILURES = {
    "check_estimators_overwrite_params": _FEWER_DIMS_THAN_CLASSES,
    "check_estimators_fit_returns_self": _FEWER_DIMS_THAN_CLASSES,
    "check_readonly_memmap_input": _FEWER_DIMS_THAN_CLASSES,
}

EXPECTED_FAILED_CHECKS: dict[str, dict[str, ExpectedFailure]] = {
    "LWGANEstimator": {},
    "QuasiEigenBasis": {
        **_SHARED_LSD_FAILURES,
        "check_classifier_data_not_an_array": ExpectedFailure(
            match=(
                r"^the mean latent code of class .+ lies in the span of the means of the classes before it .+: "
                r"the 2 class means are linearly dependent"
            ),
            reason=(
                "fits on 2-class data whose class means both lie on the diagonal (1, 1), parallel and in the same "
                "sense; the label directions need linearly independent class means, so fit raises ValueError by "
                "design"
            ),
        ),
        "check_classifiers_classes": _FEWER_DIMS_THAN_CLASSES,
        # Its binary problem passes; the 3-class problem has 2 features.
        "check_classifiers_train": _FEWER_DIMS_THAN_CLASSES,
    },
    "LatentSpectralDenoiser": dict(_SHARED_LSD_FAILURES),
    "LatentRotator": dict(_SHARED_LSD_FAILURES),
}


def expected_failure(estimator, check_name: str) -> ExpectedFailure | None:
    """Return how the check ``check_name`` is expected to fail for ``estimator``'s class, or None if it must pass."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}).get(check_name)
