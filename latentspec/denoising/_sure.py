"""Stein's unbiased risk estimate: the error of a denoiser, measured on noisy data alone.

A denoiser ``f`` applied to ``y = x + noise`` (Gaussian, standard deviation
``sigma`` per entry) has mean squared error against the clean ``x`` whose
expectation Stein (1981) wrote without ``x``::

    E ||f(y) - x||^2 = E ||f(y) - y||^2 - N sigma^2 + 2 sigma^2 E div f(y)

(``N`` entries; ``div f`` the trace of the Jacobian). The divergence of a black
box is estimated by Monte Carlo (Ramani, Blu and Unser 2008):
``div f(y) ~ b . (f(y + eps b) - f(y)) / eps`` for a Gaussian probe ``b``.
:func:`make_sure_scorer` turns this into a scikit-learn scorer, so
``GridSearchCV`` can choose the settings of a denoising pipeline from noisy data
only; the scored rows must not be the rows the pipeline was fitted on (a
cross-validation split sees to that).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from .._noise_level import estimate_noise_std
from .._validation import check_int, check_numeric_array, check_positive

__all__ = ["SUREScorer", "denoise", "make_sure_scorer", "sure_error"]


def denoise(estimator: Any, X: Any) -> np.ndarray:
    """The rows ``X`` denoised by a fitted estimator, as an array.

    ``estimator.inverse_transform(estimator.transform(X))``: the denoising idiom
    of an auto-encoding pipeline, e.g. ``make_pipeline(LWGANEstimator(...),
    LatentSpectralDenoiser(...))``, or of ``PCA`` and
    ``KernelPCA(fit_inverse_transform=True)``; for a denoiser whose ``transform``
    already returns the denoised rows (:class:`latentspec.ResidualWiener`), that.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``transform`` and ``inverse_transform``.
    """
    if getattr(estimator, "_transform_denoises", False):
        return np.asarray(estimator.transform(X), dtype=float)
    missing = [name for name in ("transform", "inverse_transform") if not hasattr(estimator, name)]
    if missing:
        raise TypeError(
            f"{type(estimator).__name__} cannot denoise: it has no {' and no '.join(missing)}; a denoiser "
            "maps rows to a representation and back, e.g. make_pipeline(LWGANEstimator(), "
            "LatentSpectralDenoiser())"
        )
    return np.asarray(estimator.inverse_transform(estimator.transform(X)), dtype=float)


def sure_error(
    estimator: Any,
    X: Any,
    noise_std: float | None = None,
    *,
    n_probes: int = 8,
    epsilon: float = 0.5,
    random_state: Any = 0,
) -> float:
    """Stein's unbiased estimate of the mean squared error of a fitted denoiser on noisy ``X``.

    Parameters
    ----------
    estimator : fitted estimator with ``transform`` and ``inverse_transform``
        The denoiser: ``inverse_transform(transform(X))`` is its output.
    X : array-like of shape (n_samples, n_features)
        Noisy rows the estimator was not fitted on.
    noise_std : float or None, default=None
        Standard deviation of the (Gaussian, white) noise per entry; ``None``
        estimates it from ``X`` with :func:`latentspec.estimate_noise_std`.
    n_probes : int, default=8
        Gaussian probes averaged in the Monte-Carlo divergence.
    epsilon : float, default=0.5
        Probe step, as a fraction of ``noise_std``.
    random_state : int, RandomState instance or None, default=0
        Seeds the probes.

    Returns
    -------
    error : float
        Estimated mean over entries of ``(f(X) - X_clean) ** 2``, in the squared
        units of ``X``; its expectation is the true error.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from latentspec import sure_error
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.standard_normal((6000, 2)) @ rng.standard_normal((2, 20))
    >>> noisy = clean + 0.3 * rng.standard_normal(clean.shape)
    >>> pca = PCA(n_components=2).fit(noisy[:1000])
    >>> true = np.mean((pca.inverse_transform(pca.transform(noisy[1000:])) - clean[1000:]) ** 2)
    >>> estimate = sure_error(pca, noisy[1000:], noise_std=0.3)
    >>> bool(abs(estimate - true) < 0.02 * 0.3**2)  # the error is about 0.1 noise variances
    True
    """
    check_int("n_probes", n_probes, 1)
    check_positive("epsilon", epsilon)
    X = check_numeric_array(X, "X")
    sigma = estimate_noise_std(X) if noise_std is None else check_positive("noise_std", noise_std)
    denoised = denoise(estimator, X)
    if denoised.shape != X.shape:
        raise ValueError(
            f"the denoiser returned shape {denoised.shape} for X of shape {X.shape}; SURE needs the "
            "denoised rows in the space of X"
        )
    if not np.all(np.isfinite(denoised)):
        raise ValueError("the denoiser returned NaN or infinite values; SURE cannot score it")
    rng = check_random_state(random_state)
    step = epsilon * sigma
    divergence = 0.0
    for _ in range(n_probes):
        probe = rng.standard_normal(X.shape)
        divergence += float(np.sum(probe * (denoise(estimator, X + step * probe) - denoised))) / step
    divergence /= n_probes
    return float(np.mean((denoised - X) ** 2) - sigma**2 + 2 * sigma**2 * divergence / X.size)


class SUREScorer:
    """A scikit-learn scorer: minus the SURE estimate of a denoiser's mean squared error.

    Made by :func:`make_sure_scorer`; ``scorer(estimator, X, y=None)`` returns
    ``-sure_error(estimator, X, ...)`` (greater is better), so it can be passed
    as ``scoring=`` to ``GridSearchCV`` or ``cross_val_score``.
    """

    def __init__(self, noise_std: float | None = None, n_probes: int = 8, epsilon: float = 0.5, random_state=0):
        self.noise_std = noise_std
        self.n_probes = n_probes
        self.epsilon = epsilon
        self.random_state = random_state

    def __call__(self, estimator: Any, X: Any, y: Any = None) -> float:
        return -sure_error(
            estimator,
            X,
            self.noise_std,
            n_probes=self.n_probes,
            epsilon=self.epsilon,
            random_state=self.random_state,
        )

    def __repr__(self) -> str:
        return (
            f"make_sure_scorer(noise_std={self.noise_std!r}, n_probes={self.n_probes!r}, "
            f"epsilon={self.epsilon!r}, random_state={self.random_state!r})"
        )


def make_sure_scorer(
    noise_std: float | None = None, *, n_probes: int = 8, epsilon: float = 0.5, random_state: Any = 0
) -> SUREScorer:
    """A scorer that rates denoisers on noisy data only, by Stein's unbiased risk estimate.

    Use it to choose the settings of a denoising pipeline (training length,
    ``n_components``, ...) without a single clean image::

        sigma = estimate_noise_std(X_noisy)
        search = GridSearchCV(pipe, grid, scoring=make_sure_scorer(sigma), cv=3)
        search.fit(X_noisy, y)

    Each candidate is fitted on some folds and scored on the other, where SURE
    estimates its mean squared error against the unseen clean rows. The estimate
    is unbiased for Gaussian white noise of the given level; for other noise it
    is an approximation.

    Parameters
    ----------
    noise_std : float or None, default=None
        Noise standard deviation per entry; ``None`` estimates it on every
        scored fold with :func:`latentspec.estimate_noise_std` (better: estimate
        it once on all the noisy data and pass it).
    n_probes : int, default=8
        Gaussian probes of the Monte-Carlo divergence.
    epsilon : float, default=0.5
        Probe step, as a fraction of the noise level.
    random_state : int, RandomState instance or None, default=0
        Seeds the probes; an int scores every candidate with the same probes.

    Returns
    -------
    scorer : SUREScorer
        ``scorer(estimator, X, y=None)`` is minus the estimated mean squared error.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import GridSearchCV
    >>> from latentspec import make_sure_scorer
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.standard_normal((600, 3)) @ rng.standard_normal((3, 20))
    >>> noisy = clean + 0.3 * rng.standard_normal(clean.shape)
    >>> search = GridSearchCV(PCA(), {"n_components": [1, 2, 3, 5, 10]}, scoring=make_sure_scorer(0.3))
    >>> search.fit(noisy).best_params_
    {'n_components': 3}
    """
    if noise_std is not None:
        check_positive("noise_std", noise_std)
    check_int("n_probes", n_probes, 1)
    check_positive("epsilon", epsilon)
    if random_state is not None and not isinstance(random_state, (numbers.Integral, np.random.RandomState)):
        raise ValueError(f"random_state must be None, an int or a numpy RandomState, got {random_state!r}")
    return SUREScorer(noise_std, n_probes, epsilon, random_state)
