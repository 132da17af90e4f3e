"""Latent spectral denoising: keep the largest spectral coefficients of every code.

:class:`LatentSpectralDenoiser` fits a :class:`latentspec.QuasiEigenBasis` and
zeroes all but the ``n_components`` largest coefficients of every latent code,
e.g. as a Pipeline step after :class:`latentspec.LWGANEstimator`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import Rule, integer
from ._basis_user import _BasisUser
from ._common import _CoefficientNamesMixin
from ._quasi_eigen import QuasiEigenBasis

__all__ = ["LatentSpectralDenoiser"]


def _basis_coefficients(basis: BaseEstimator, Z: np.ndarray) -> np.ndarray:
    """``basis.transform(Z)`` as an array, whatever output container the basis is set to."""
    if isinstance(basis, QuasiEigenBasis):
        return basis._coefficients(Z)
    return np.asarray(basis.transform(Z))


class LatentSpectralDenoiser(_CoefficientNamesMixin, _BasisUser):
    """Keep the ``n_components`` largest spectral coefficients of every latent code.

    Fits a :class:`QuasiEigenBasis` on ``(Z, y)``; ``transform`` gives the
    spectral coefficients with all but the ``n_components`` largest ``|c_i|`` of
    each row set to zero, and ``inverse_transform`` rebuilds latent codes from
    them. After a generative model, denoising is the scikit-learn idiom::

        pipe = make_pipeline(LWGANEstimator(...), LatentSpectralDenoiser(n_components=3))
        pipe.fit(X_train, y_train)
        X_denoised = pipe.inverse_transform(pipe.transform(X_noisy))

    Parameters
    ----------
    n_components : int, default=3
        Coefficients kept per code, from 1 to the latent dimension (which keeps
        everything, so ``inverse_transform(transform(Z))`` gives ``Z`` back).
    basis : QuasiEigenBasis or None, default=None
        The basis to fit (cloned); ``None`` uses ``QuasiEigenBasis()``.
    random_state : int, RandomState instance or None, default=None
        When not None, sets the ``random_state`` of the basis (overriding the
        one of ``basis``), so an int gives identical results on every fit.

    Attributes
    ----------
    basis_ : QuasiEigenBasis
        The fitted basis.
    n_features_in_ : int
        Latent dimension seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen in ``fit``, when they are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import LatentSpectralDenoiser, QuasiEigenBasis
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> Z = 3 * np.eye(5)[y] + 0.3 * rng.standard_normal((60, 5))
    >>> basis = QuasiEigenBasis(n_draws=500)
    >>> den = LatentSpectralDenoiser(n_components=2, basis=basis, random_state=0).fit(Z, y)
    >>> C = den.transform(Z)
    >>> int((C != 0).sum(axis=1).max())
    2
    >>> den.inverse_transform(C).shape
    (60, 5)
    """

    def __init__(self, n_components: int = 3, basis: Any = None, random_state: Any = None):
        self.n_components = n_components
        self.basis = basis
        self.random_state = random_state

    _parameter_rules: ClassVar[dict[str, Rule]] = {"n_components": integer(), **_BasisUser._basis_rules}

    def _check_for_data(self, n_features: int, y: np.ndarray | None = None) -> None:
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} is larger than the latent dimension {n_features}; "
                f"choose n_components between 1 and {n_features}"
            )

    def fit(self, Z, y=None):
        """Fit the basis on latent codes and their labels.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LatentSpectralDenoiser
        """
        self._fit_basis(Z, y)
        return self

    def transform(self, Z):
        """Spectral coefficients with only the ``n_components`` largest ``|c|`` of each row kept.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray of shape (n_samples, n_features)
            At most ``n_components`` non-zeros per row.
        """
        check_is_fitted(self)
        # n_components may have changed since fit (set_params)
        self._check_parameters(("n_components",))
        self._check_for_data(self.n_features_in_)
        Z = self._validate(Z)
        C = _basis_coefficients(self.basis_, Z)
        k = int(self.n_components)
        if k < C.shape[1]:
            keep = np.argpartition(-np.abs(C), k - 1, axis=1)[:, :k]
            kept = np.zeros_like(C)
            np.put_along_axis(kept, keep, np.take_along_axis(C, keep, axis=1), axis=1)
            C = kept
        return C

    def inverse_transform(self, C):
        """Latent codes from (kept) spectral coefficients.

        Parameters
        ----------
        C : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return self.basis_.inverse_transform(C)
