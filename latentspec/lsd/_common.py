"""What the deep LSD estimators share: input checks, tags and coefficient names.

:class:`latentspec.QuasiEigenBasis`, :class:`latentspec.LatentSpectralDenoiser`
and :class:`latentspec.LatentRotator` all take latent codes ``Z`` of shape
``(n_samples, latent_dim)`` with class labels ``y`` in ``fit``, keep float64 and
float32 codes as they are, and check codes and coefficients the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from .._validation import check_numeric_array, validate_numeric

_FLOAT_DTYPES = [np.float64, np.float32]


def _require_y(estimator: BaseEstimator, y: Any) -> None:
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None: "
            "class labels are needed to build the label directions; call fit(Z, y)"
        )


def _label_indices(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Index of every label in ``classes``; -1 for labels that are not classes."""
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    return np.fromiter((lookup.get(label, -1) for label in labels.tolist()), dtype=np.intp, count=len(labels))


class _LatentCodeMixin:
    """Checks of latent codes, labels and coefficients, and the tags they imply.

    Comes before the scikit-learn mixins and ``BaseEstimator`` in the bases, so
    its ``__sklearn_tags__`` adjusts the tags they build.
    """

    def _validate_fit_input(self, Z, y) -> tuple[np.ndarray, np.ndarray]:
        """``(Z, y)`` for ``fit``: y required, numeric float codes, classification targets."""
        _require_y(self, y)
        Z, y = validate_numeric(self, Z, y, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        return Z, y

    def _validate(self, Z) -> np.ndarray:
        """Latent codes for a fitted estimator: as many features as seen in ``fit``."""
        check_is_fitted(self)
        return validate_numeric(self, Z, dtype=_FLOAT_DTYPES, reset=False)

    def _validate_inverse_input(self, X, name: str, expected: str) -> np.ndarray:
        """The input of ``inverse_transform``, named ``name``, with ``n_features_in_`` columns.

        ``expected`` ends the error message on a wrong number of columns; its
        ``{n_features}`` is replaced by ``n_features_in_``.
        """
        check_is_fitted(self)
        X = check_numeric_array(X, name, dtype=_FLOAT_DTYPES)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {X.shape[1]} columns but {expected.format(n_features=self.n_features_in_)}")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _CoefficientNamesMixin:
    """``get_feature_names_out`` for estimators whose output is spectral coefficients."""

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the coefficients: ``lsd0``, ``lsd1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the features seen in ``fit``; not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"lsd{i}" for i in range(self.n_features_in_)], dtype=object)
