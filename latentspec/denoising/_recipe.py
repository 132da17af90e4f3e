"""Denoising with a fitted model, every setting chosen from noisy data alone.

:func:`choose_denoiser` is the recipe the README, the demo and the benchmarks use:
it builds ``LatentSpectralDenoiser`` pipelines on a fitted ``LWGANEstimator``,
each followed by :class:`latentspec.ResidualWiener`, and keeps the
``n_components`` whose Stein unbiased risk estimate (:func:`latentspec.sure_error`)
is lowest on noisy rows the model was not fitted on. The residual filter learns
from residuals the model leaves on rows it did not see (cross-fitting: clones of
the model fitted on parts of the training rows). No clean row is needed anywhere:
the noise level is read off the noisy training rows
(:func:`latentspec.estimate_noise_std`) unless given.
"""

from __future__ import annotations

import numbers
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._noise_level import estimate_noise_std
from .._validation import check_int, check_numeric_array, check_positive
from ..lsd import LatentSpectralDenoiser
from ._residual_wiener import ResidualWiener
from ._sure import denoise, make_sure_scorer

__all__ = ["DenoiserChoice", "choose_denoiser", "make_denoiser"]

# A noise level below this share of the data's spread (root mean column variance) is no noise at all:
# the residual filter then keeps every residual, and the recipe gives its input back.
NEGLIGIBLE_NOISE = 1e-6
# A chosen denoiser that moves the held-out rows by less than this share of the noise level (root mean
# square) removes under 1 % of the noise variance: it gives its input back.
NEGLIGIBLE_CHANGE = 0.1


def make_denoiser(
    model: Any,
    n_components: int,
    noise_std: float | None = None,
    random_state: Any = None,
    threshold: float | str = "auto",
    basis: Any = None,
) -> ResidualWiener:
    """The recipe's denoiser: a fitted model, the LSD truncation, then Wiener shrinkage of the residual.

    ``ResidualWiener(Pipeline([("lwgan", FrozenEstimator(model)),
    ("lsd", LatentSpectralDenoiser(n_components))]), noise_std)``: fitting it fits
    the spectral basis on the model's codes of the rows given (the model stays as
    it is) and the residual filter; ``transform`` returns denoised rows.

    Parameters
    ----------
    model : fitted LWGANEstimator
        Any fitted estimator with ``transform`` and ``inverse_transform`` will do.
    n_components : int
        Spectral coefficients kept per code.
    noise_std : float or None, default=None
        Noise standard deviation per entry (``None``: estimated in ``fit``).
    random_state : int, RandomState instance or None, default=None
        Seeds the spectral basis.
    threshold : float or "auto", default="auto"
        The residual filter's threshold, in noise variances (see :class:`ResidualWiener`).
    basis : QuasiEigenBasis or None, default=None
        The spectral basis to fit (``None``: ``QuasiEigenBasis()``).

    Returns
    -------
    denoiser : ResidualWiener
        Unfitted; fit it on the noisy rows and labels the model was fitted on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from latentspec import make_denoiser
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 100)
    >>> clean = 3 * np.eye(3)[y] @ rng.standard_normal((3, 12))
    >>> noisy = clean + 0.2 * rng.standard_normal(clean.shape)
    >>> model = PCA(n_components=3).fit(noisy)  # any fitted auto-encoding estimator
    >>> denoiser = make_denoiser(model, n_components=3, noise_std=0.2, random_state=0).fit(noisy, y)
    >>> bool(np.mean((denoiser.transform(noisy) - clean) ** 2) < np.mean((noisy - clean) ** 2) / 2)
    True
    """
    check_is_fitted(model)
    pipe = _frozen_lsd_pipeline(model, n_components, basis, random_state)
    return ResidualWiener(pipe, noise_std=noise_std, threshold=threshold)


def _frozen_lsd_pipeline(model: Any, n_components: int, basis: Any, random_state: Any) -> Pipeline:
    """``FrozenEstimator(model) -> LatentSpectralDenoiser(n_components)``: fitting it fits the basis only."""
    lsd = LatentSpectralDenoiser(n_components=n_components, basis=basis, random_state=random_state)
    return Pipeline([("lwgan", FrozenEstimator(model)), ("lsd", lsd)])


@dataclass(repr=False)
class DenoiserChoice:
    """What :func:`choose_denoiser` found.

    Attributes
    ----------
    denoiser : ResidualWiener
        The chosen denoiser, fitted; ``denoiser.transform(X_noisy)`` denoises.
    n_components : int
        The ``n_components`` chosen.
    threshold : float
        The residual filter's threshold (chosen by the filter), in noise variances.
    noise_std : float
        The noise level used (given or estimated from the noisy training rows).
    sure_errors : dict
        Estimated mean squared error per entry on the held-out rows, per ``n_components``.
    per_n_components : dict
        The fitted denoiser of every candidate ``n_components`` (to compare
        truncations with keeping every coefficient).
    model : estimator or None
        The fitted model inside the denoisers: the model given, or, when it was
        given unfitted, the clone fitted on ``(X_noisy, y)``.
    """

    denoiser: ResidualWiener
    noise_std: float
    sure_errors: dict[int, float] = field(default_factory=dict)
    per_n_components: dict[int, ResidualWiener] = field(default_factory=dict)
    model: Any = None

    @property
    def n_components(self) -> int:
        return int(self.denoiser.estimator_[-1].n_components)

    @property
    def threshold(self) -> float:
        return self.denoiser.threshold_

    def __repr__(self) -> str:
        """A few lines: the choice, its noise level and estimated error, and what else is inside."""
        k = self.n_components
        error = self.sure_errors.get(k)
        shown = "not scored" if error is None else f"{error:.4g}"
        others = ""
        if len(self.sure_errors) > 1:
            values = self.sure_errors.values()
            others = f"; {len(self.sure_errors)} candidates, from {min(values):.4g} to {max(values):.4g}"
        return (
            f"DenoiserChoice(n_components={k}, threshold={self.threshold:.4g}, noise_std={self.noise_std:.4g},\n"
            f"               SURE error per entry {shown}{others};\n"
            "               fields: denoiser, sure_errors, per_n_components, model)"
        )


def choose_denoiser(
    model: Any,
    X_noisy: Any,
    y: Any,
    X_heldout: Any,
    *,
    noise_std: float | None = None,
    n_components: Any = None,
    cv: int | None = 2,
    basis: Any = None,
    random_state: Any = 0,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> DenoiserChoice:
    """Choose the denoising settings of a fitted model by SURE on held-out noisy rows.

    For every candidate ``n_components``, :func:`make_denoiser` is fitted on
    ``(X_noisy, y)`` (the rows and labels the model was fitted on; its residual
    filter chooses its own threshold) and scored with
    :func:`latentspec.make_sure_scorer` on ``X_heldout``, noisy rows the model has
    not seen (a held-out part of the data, or the rows to be denoised); the
    lowest estimated error wins. This is ``GridSearchCV`` with one predefined
    split, written out so that the held-out rows need no labels.

    Parameters
    ----------
    model : LWGANEstimator
        Fitted on ``(X_noisy, y)``; or unfitted, and then a clone of it is
        fitted on ``(X_noisy, y)`` here, alongside the cross-fitting clones (in
        parallel with them when ``n_jobs`` allows): ``choice.model`` is that
        clone.
    X_noisy : array-like of shape (n_samples, n_features)
        The noisy rows the model was fitted on.
    y : array-like of shape (n_samples,)
        Their labels (for the spectral basis).
    X_heldout : array-like of shape (n_heldout, n_features)
        Noisy rows the model was not fitted on; SURE is computed on them.
    noise_std : float or None, default=None
        Noise standard deviation per entry; ``None`` estimates it from ``X_noisy``
        with :func:`latentspec.estimate_noise_std`.
    n_components : iterable of int or None, default=None
        Candidates; ``None`` tries every value from 1 to the model's rank.
    cv : int or None, default=2
        Folds of the cross-fitting that gives the residual filter honest
        residuals: a clone of ``model`` is fitted on all folds but one and
        leaves residuals on that one, for every fold (``cv`` more fits of the
        model, on ``(cv - 1) / cv`` of the rows). ``None`` uses the model's own
        residuals on the rows it was fitted on: no refit, but a model that
        fits its training rows closely leaves less there than on new rows, and
        the filter gives back less (docs/deep_lsd.md has the figures).
    basis : QuasiEigenBasis or None, default=None
        The spectral basis to fit (``None``: ``QuasiEigenBasis()``).
    random_state : int, RandomState instance or None, default=0
        Seeds the spectral basis, the cross-fitting folds and the SURE probes.
    n_jobs : int or None, default=None
        Model fits run in parallel (the ``cv`` cross-fitting clones, and the
        model itself when it comes unfitted), through joblib: ``None`` means 1
        unless inside a ``joblib.parallel_config`` context (which is also how a
        Dask cluster runs them, with joblib's Dask backend), ``-1`` all CPUs.
        Separate worker processes each train with a share of the CPUs (joblib
        caps their threads at ``n_cpus // n_jobs``), so on a multi-core machine
        two fits in parallel finish sooner than the same fits one after the
        other with two threads each. The fitted models are identical either way
        when the model's ``n_threads`` is fixed; with ``n_threads=None`` the
        thread count, and so the last digits, may differ.
    verbose : int, default=0
        ``0`` silent; ``1`` a line on stderr per step (the noise level, each
        cross-fitting refit, each candidate with its estimated error, the
        choice), with the seconds elapsed. A model with a ``verbose`` parameter
        (``LWGANEstimator``) is fitted here (its cross-fitting clones, and
        the model itself when it comes unfitted) with this ``verbose``: with
        ``1`` the training shows its progress bar, with ``0`` it is silent
        whatever the model's own setting. Fits in parallel worker processes
        (``n_jobs``) are always silent: their bars would overwrite each other.

    Returns
    -------
    choice : DenoiserChoice
        The fitted denoiser, the chosen ``n_components``, the noise level and
        the estimated error of every candidate.

    Warns
    -----
    UserWarning
        When the chosen denoiser gives its input back (almost) unchanged, with
        the reason: the noise level is about 0 next to the spread of the data
        (rows that lie exactly on a subspace look noise-free), or the risk
        estimates preferred keeping the input (the held-out rows move by less
        than a tenth of the noise level, root mean square), which happens when
        the noise is not white Gaussian noise of the level used.

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import LWGANEstimator, choose_denoiser
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 150)
    >>> clean = np.c_[np.cos(y * 2.0 + rng.uniform(0, 1, 300)), np.sin(y * 2.0 + rng.uniform(0, 1, 300))] @ (
    ...     rng.standard_normal((2, 8)))
    >>> noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    >>> model = LWGANEstimator(latent_dim=3, rank=3, n_warmup=200, label_weight=1.0, random_state=0)
    >>> model = model.fit(noisy[:250], y[:250])
    >>> choice = choose_denoiser(model, noisy[:250], y[:250], noisy[250:])
    >>> choice.n_components, choice.denoiser.transform(noisy[250:]).shape
    (3, (50, 8))
    """
    if not isinstance(verbose, numbers.Integral):
        raise ValueError(f"verbose must be an integer (0 silent, 1 a line per step), got {verbose!r}")
    verbose = int(verbose)
    say = _Reporter(verbose)
    X_noisy = check_numeric_array(X_noisy, "X_noisy", ensure_min_samples=2)
    X_heldout = check_numeric_array(X_heldout, "X_heldout", ensure_min_samples=2)
    if X_heldout.shape[1] != X_noisy.shape[1]:
        raise ValueError(
            f"X_heldout has {X_heldout.shape[1]} features and X_noisy {X_noisy.shape[1]}; they must match"
        )
    sigma = estimate_noise_std(X_noisy) if noise_std is None else check_positive("noise_std", noise_std)
    sigma = max(sigma, np.finfo(float).tiny)  # an estimate of exactly 0 still makes a (do-nothing) denoiser
    say(f"noise level {sigma:.4g} ({'estimated from X_noisy' if noise_std is None else 'given'})")
    if cv is not None:
        check_int("cv", cv, 2)
    y = np.asarray(y)
    model, folds = _fit_models(model, X_noisy, y, cv, random_state, n_jobs, verbose, say)
    if n_components is None:
        rank = model.rank_ if hasattr(model, "rank_") else model.transform(X_noisy[:1]).shape[1]
        n_components = range(1, int(rank) + 1)
    candidates = [check_int("n_components", k, 1) for k in n_components]
    if not candidates:
        raise ValueError("n_components must hold at least one candidate")
    scorer = make_sure_scorer(sigma, random_state=random_state)
    # A spectral denoiser's fit is its basis, which does not depend on n_components (read in transform): one
    # pipeline per fold serves every candidate.
    fold_pipes = [
        (test, _frozen_lsd_pipeline(fold_model, candidates[0], basis, random_state).fit(X_noisy[train], y[train]))
        for train, test, fold_model in folds
    ]
    fitted, errors = {}, {}
    for index, k in enumerate(candidates):
        residuals = None
        if fold_pipes:
            residuals = np.empty_like(X_noisy)
            for test, fold_pipe in fold_pipes:
                fold_pipe.set_params(lsd__n_components=k)
                residuals[test] = X_noisy[test] - denoise(fold_pipe, X_noisy[test])
        denoiser = make_denoiser(model, k, sigma, random_state, basis=basis)
        fitted[k] = denoiser.fit(X_noisy, y, residuals=residuals)
        errors[k] = float(-scorer(fitted[k], X_heldout))
        say(
            f"n_components={k} ({index + 1}/{len(candidates)}): SURE error {errors[k]:.4g} per entry, "
            f"threshold {fitted[k].threshold_:.4g}"
        )
    best = min(errors, key=errors.get)
    say(f"chose n_components={best} (SURE error {errors[best]:.4g}), threshold {fitted[best].threshold_:.4g}")
    _warn_if_nothing_done(fitted[best], X_noisy, X_heldout, sigma, estimated=noise_std is None)
    return DenoiserChoice(fitted[best], float(sigma), errors, fitted, model)


def _is_fitted(model: Any) -> bool:
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    return True


def _fit_clone(model: Any, X: np.ndarray, y: np.ndarray, verbose: int | None) -> Any:
    """A clone of ``model`` fitted on ``(X, y)``; with ``verbose`` set as given (None: the model's own)."""
    fitted = clone(model)
    if verbose is not None and "verbose" in fitted.get_params(deep=False):
        fitted.set_params(verbose=verbose)
    return fitted.fit(X, y)


def _fit_models(
    model: Any, X: np.ndarray, y: np.ndarray, cv: int | None, random_state: Any, n_jobs: int | None,
    verbose: int, say: _Reporter,
) -> tuple[Any, list[tuple[np.ndarray, np.ndarray, Any]]]:
    """The fitted model and the cross-fitting folds ``(train, test, model fitted on train)``.

    Every fit the recipe needs (the model when it comes unfitted, a clone per
    fold) goes to one ``joblib.Parallel`` call. Fits in worker processes show no
    progress bar (bars of parallel fits would overwrite each other).
    """
    jobs, names = [], []
    model_fitted = _is_fitted(model)
    if not model_fitted:
        jobs.append((X, y))
        names.append(f"fitting the model on {len(X)} rows")
    splits = []
    if cv is not None:
        splitter = StratifiedKFold(cv, shuffle=True, random_state=random_state)
        splits = list(splitter.split(X, y))
        for fold, (train, _) in enumerate(splits):
            jobs.append((X[train], y[train]))
            names.append(f"cross-fitting: fitting a clone of the model on {len(train)} rows ({fold + 1}/{cv})")
    if not jobs:
        return model, []
    parallel = effective_n_jobs(n_jobs) != 1
    shown = 0 if parallel else verbose
    if parallel:
        say(f"{len(jobs)} fits in parallel (n_jobs={n_jobs}): " + "; ".join(names))
        models = Parallel(n_jobs=n_jobs)(delayed(_fit_clone)(model, Xj, yj, shown) for Xj, yj in jobs)
        say("fits done")
    else:
        models = []
        for name, (Xj, yj) in zip(names, jobs):
            say(name)
            models.append(_fit_clone(model, Xj, yj, shown))
    if not model_fitted:
        model, models = models[0], models[1:]
    return model, [(train, test, fitted) for (train, test), fitted in zip(splits, models)]


def _warn_if_nothing_done(
    denoiser: ResidualWiener, X_noisy: np.ndarray, X_heldout: np.ndarray, sigma: float, estimated: bool
) -> None:
    """Warn (UserWarning, at the caller of ``choose_denoiser``) when the chosen denoiser gives its input back."""
    spread = float(np.sqrt(np.mean(np.var(X_noisy, axis=0))))
    change = float(np.sqrt(np.mean((denoise(denoiser, X_heldout) - X_heldout) ** 2)))
    k, threshold = denoiser.estimator_[-1].n_components, denoiser.threshold_
    if sigma <= NEGLIGIBLE_NOISE * spread:
        source = "estimated from X_noisy" if estimated else "given as noise_std"
        advice = (
            "estimate_noise_std finds no noise in rows that lie (almost) exactly on a subspace. If the rows are "
            "noisy, pass their noise standard deviation per entry as noise_std; if they are clean, there is "
            "nothing to denoise"
            if estimated
            else "Pass the noise standard deviation per entry of the rows, or noise_std=None to estimate it"
        )
        message = (
            f"choose_denoiser: the noise level ({source}) is {sigma:.3g}, about 0 next to the spread of the data "
            f"({spread:.3g}), so the chosen denoiser (n_components={k}) returns its input unchanged (the rows "
            f"move by {change:.3g}, root mean square). {advice}"
        )
    elif change <= NEGLIGIBLE_CHANGE * sigma:
        message = (
            f"choose_denoiser: the chosen denoiser (n_components={k}, threshold {threshold:.3g}) returns its input "
            f"almost unchanged: it moves the held-out rows by {change:.3g} (root mean square), "
            f"{100 * change / sigma:.2g} % of the noise level {sigma:.3g}, because the risk estimates (SURE for "
            "n_components, the residual filter's for its threshold) preferred keeping the input to removing noise. "
            "They assume white Gaussian noise of that level; on other noise (impulse, multiplicative, correlated "
            "between entries) or with a noise level below the true one they can choose the identity. Check the "
            "noise level (pass noise_std if it is known), compare the candidates in choice.sure_errors, or fix "
            "the settings with make_denoiser(model, n_components, noise_std, threshold=...) (a higher threshold "
            "gives back less of the residual)"
        )
    else:
        return
    warnings.warn(message, UserWarning, stacklevel=3)


class _Reporter:
    """``choose_denoiser``'s step lines on stderr, with the seconds elapsed (silent at ``verbose=0``)."""

    def __init__(self, verbose: int) -> None:
        self.verbose = verbose
        self.start = time.perf_counter()

    def __call__(self, text: str) -> None:
        if self.verbose >= 1:
            print(f"[{time.perf_counter() - self.start:6.1f} s] choose_denoiser: {text}", file=sys.stderr, flush=True)
