"""The one place listing scikit-learn estimator checks that are expected to fail.

Maps an estimator class name to ``{check name: reason}``, check names as
``parametrize_with_checks`` names them. The checks run with ``xfail_strict=True``,
so an entry whose check starts passing fails the suite and must be removed. Keep
this empty unless a check cannot pass by design: a check that fails because of a
bug in an estimator is a bug to fix, not an entry here.
"""

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "LWGANEstimator": {},
}


def expected_failed_checks(estimator) -> dict[str, str]:
    """Return the expected failures of ``estimator``'s class, with their reasons."""
    return dict(EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}))
