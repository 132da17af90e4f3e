"""Give back, by Wiener shrinkage, the part of the signal a denoiser's projection dropped.

A denoiser that projects onto a learned manifold (the auto-encoder behind
``LWGANEstimator -> LatentSpectralDenoiser``, PCA, KernelPCA) removes the noise
that leaves the manifold, and with it whatever of the signal its model misses:
on rows it was not fitted on, the residual ``X - f(X)`` holds more than noise.
:class:`ResidualWiener` fits the denoiser, then a linear Wiener filter on its
residuals: in the principal directions of the residuals, each component is kept in the
share its variance exceeds a threshold set by the noise level,
``max(l - t sigma^2, 0) / l``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._noise_level import estimate_noise_std
from .._validation import (
    ParameterRulesMixin,
    Rule,
    anything,
    check_numeric_array,
    either,
    non_negative,
    optional,
    positive,
    validate_numeric,
)
from ._sure import denoise

__all__ = ["ResidualWiener"]


N_THRESHOLDS = 8  # candidates of threshold="auto", evenly spaced from 1 to the noise edge


def wiener_filter(residuals: np.ndarray, noise_variance: float, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and filter ``W`` of ``residuals``: gains ``max(l - t s^2, 0) / l`` on their principal directions."""
    variances, directions = np.linalg.eigh(np.atleast_2d(np.cov(residuals, rowvar=False)))
    variances = np.maximum(variances, np.finfo(float).tiny)
    gains = np.clip(variances - threshold * noise_variance, 0.0, None) / variances
    return residuals.mean(axis=0), (directions * gains) @ directions.T


def split_sure(residuals: np.ndarray, noise_variance: float, threshold: float) -> float:
    """SURE of the residual filter on residual rows it was not fitted on (two halves, each way).

    A filter ``W`` fitted on one half estimates the signal in the other half's
    residuals ``r`` as ``r W``; for white noise of variance ``s^2`` its expected
    squared error per entry is estimated by ``||r W - r||^2 - s^2 + 2 s^2 tr(W) / p``
    (Stein), averaged over rows and both halves.
    """
    order = np.random.default_rng(0).permutation(len(residuals))
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    total = 0.0
    for fit_rows, score_rows in (halves, halves[::-1]):
        mean, W = wiener_filter(residuals[fit_rows], noise_variance, threshold)
        centred = residuals[score_rows] - mean
        total += np.sum((centred @ W - centred) ** 2) + centred.size * noise_variance * (
            2 * np.trace(W) / centred.shape[1] - 1
        )
    return float(total / residuals.size)


class ResidualWiener(ParameterRulesMixin, TransformerMixin, BaseEstimator):
    """A denoiser followed by Wiener shrinkage of what it left out.

    ``transform(X)`` returns ``f(X) + m + (X - f(X) - m) W``: the output ``f(X)``
    of the fitted ``estimator`` (``inverse_transform(transform(X))``, the
    denoising idiom), plus the residual ``X - f(X)`` filtered by ``W``, the
    Wiener filter of the residuals of the training rows (mean ``m``) for white
    noise of standard deviation ``noise_std``: in the principal directions of
    the residuals, of variances ``l``, the gains are ``max(l - t sigma^2, 0) / l``
    with ``t = threshold``. ``t = 1`` is the Wiener filter of the residual
    covariance as measured. A sample covariance of noise alone spreads its
    eigenvalues up to ``(1 + sqrt(p / n))^2 sigma^2`` (Marchenko-Pastur; ``p``
    features, ``n`` rows), so with that threshold (:meth:`noise_edge`) no
    direction of pure noise passes and only residual directions clearly above
    the noise are given back; in between, more of the diffuse signal a model
    misses comes back at the price of some noise. ``threshold="auto"`` tries
    eight values from 1 to the edge and keeps the one with the lowest Stein
    unbiased risk estimate of a filter fitted on half the residual rows and
    applied to the other half (:func:`split_sure`): no clean row is needed.

    Parameters
    ----------
    estimator : estimator with ``transform`` and ``inverse_transform``
        The denoiser, cloned and fitted on ``(X, y)`` in ``fit``; wrap a
        fitted one in :class:`sklearn.frozen.FrozenEstimator` to keep it as it is.
    noise_std : float or None, default=None
        Noise standard deviation per entry; ``None`` estimates it from the
        training rows with :func:`latentspec.estimate_noise_std`.
    threshold : float or "auto", default="auto"
        ``t`` above, in units of the noise variance (``>= 0``), or ``"auto"``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted denoiser.
    noise_std_ : float
        The noise level used.
    residual_mean_ : ndarray of shape (n_features,)
        Mean residual of the training rows.
    residual_filter_ : ndarray of shape (n_features, n_features)
        The Wiener filter ``W`` applied to centred residuals (symmetric).
    threshold_ : float
        The threshold used (chosen, for ``"auto"``).
    threshold_scores_ : dict
        For ``"auto"``: the split SURE (mean squared error per entry of the
        residual signal) of every candidate threshold; otherwise empty.
    n_features_in_ : int
        Features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from latentspec import ResidualWiener
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.standard_normal((500, 4)) @ rng.standard_normal((4, 20))
    >>> noisy = clean + 0.3 * rng.standard_normal(clean.shape)
    >>> pca = PCA(n_components=2).fit(noisy)  # misses two directions of the signal
    >>> wiener = ResidualWiener(PCA(n_components=2), noise_std=0.3).fit(noisy)
    >>> err_pca = np.mean((pca.inverse_transform(pca.transform(noisy)) - clean) ** 2)
    >>> err_wiener = np.mean((wiener.transform(noisy) - clean) ** 2)
    >>> bool(err_wiener < 0.5 * err_pca)
    True
    """

    _transform_denoises = True  # latentspec.denoise and the SURE scorer call transform alone
    _parameter_rules: ClassVar[dict[str, Rule]] = {
        "estimator": anything,  # cloned in fit, which says if it is no estimator
        "noise_std": optional(positive),
        "threshold": either("auto", non_negative),
    }

    def __init__(self, estimator: Any, noise_std: float | None = None, threshold: float | str = "auto"):
        self.estimator = estimator
        self.noise_std = noise_std
        self.threshold = threshold

    @staticmethod
    def noise_edge(n_samples: int, n_features: int) -> float:
        """``(1 + sqrt(n_features / n_samples))^2``: the top of the eigenvalues of sampled noise, in noise variances."""
        return float((1 + np.sqrt(n_features / n_samples)) ** 2)

    def fit(self, X, y=None, residuals=None):
        """Fit the denoiser on ``(X, y)`` and the Wiener filter on its residuals.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Noisy training rows.
        y : array-like of shape (n_samples,) or None
            Passed to the denoiser's ``fit`` (labels for a labelled model).
        residuals : array-like of shape (n_samples, n_features) or None
            Residuals ``X - f(X)`` of the same rows from denoisers that were not
            fitted on them (cross-fitting, as :func:`latentspec.choose_denoiser`
            does). ``None`` uses the fitted denoiser's own residuals, which
            understate what it misses on new rows when it has fitted the
            training rows closely.

        Returns
        -------
        self : ResidualWiener
        """
        self._check_parameters()
        X = validate_numeric(self, X, ensure_min_samples=2, ensure_min_features=2, dtype=np.float64)
        self.estimator_ = clone(self.estimator)
        self.estimator_.fit(X) if y is None else self.estimator_.fit(X, y)
        self.noise_std_ = estimate_noise_std(X) if self.noise_std is None else float(self.noise_std)
        if residuals is None:
            residuals = X - denoise(self.estimator_, X)
        else:
            residuals = check_numeric_array(residuals, "residuals", dtype=np.float64)
            if residuals.shape != X.shape:
                raise ValueError(f"residuals has shape {residuals.shape}; it must match X's {X.shape}")
        noise_variance = self.noise_std_**2
        self.threshold_scores_ = {}
        if self.threshold == "auto":
            candidates = np.linspace(1.0, self.noise_edge(*X.shape), N_THRESHOLDS).round(4)
            if len(residuals) >= 4:
                self.threshold_scores_ = {float(t): split_sure(residuals, noise_variance, t) for t in candidates}
                self.threshold_ = min(self.threshold_scores_, key=self.threshold_scores_.get)
            else:
                self.threshold_ = float(candidates[-1])
        else:
            self.threshold_ = float(self.threshold)
        self.residual_mean_, self.residual_filter_ = wiener_filter(residuals, noise_variance, self.threshold_)
        return self

    def transform(self, X) -> np.ndarray:
        """The denoised rows: the denoiser's output plus the filtered residual.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_denoised : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_numeric(self, X, reset=False, dtype=np.float64)
        projected = denoise(self.estimator_, X)
        return projected + self.residual_mean_ + (X - projected - self.residual_mean_) @ self.residual_filter_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
