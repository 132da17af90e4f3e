"""Refits on resampled rows: an interval for the intrinsic dimension that sees training noise.

The scores behind ``rank_scores_`` come from one trained model, so their standard
errors measure how the score varies between evaluation batches, not how the estimate
would vary had the networks been trained again on other rows from the same law. A
refit does exactly that: the same estimator, with another seed, trained on a random
80 % of the rows (drawn without replacement, so no row is both trained on and held
out), over the same range of ranks. The LWGAN authors bootstrap their toy fits the
same way. The refits run through joblib, so ``n_jobs`` runs them side by side in
worker processes and a Dask cluster runs them through joblib's Dask backend.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

__all__ = ["REFIT_SHARE", "refit_estimates", "refit_interval"]

# The share of the rows each refit trains on.
REFIT_SHARE = 0.8


def _one_refit(estimator: Any, random_state: int, X: np.ndarray) -> int:
    """The estimate of one refit of a clone of ``estimator`` (warnings silenced: the main fit reports)."""
    refit = clone(estimator).set_params(random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return int(refit.fit(X).intrinsic_dim_)


def refit_estimates(estimator: Any, X: np.ndarray, n_refits: int, seed: int, n_jobs: int | None) -> np.ndarray:
    """The estimates of ``n_refits`` refits of clones of ``estimator`` on random shares of the rows of ``X``.

    Refit ``b`` trains on ``REFIT_SHARE`` of the rows, drawn from the seed sequence
    ``(seed, b)``, which also gives its ``random_state``; ``estimator`` (an unfitted
    ``LWGANEstimator``, or one whose fit is not needed) should fix ``latent_dim``
    so that every refit searches the same ranks, and have ``n_refits=0`` (no
    refits of refits).

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import LWGANEstimator
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 2)) @ rng.standard_normal((2, 5))
    >>> est = LWGANEstimator(latent_dim=4, n_warmup=500, batch_size=128, n_critic_refit=10, n_score_repeats=10,
    ...                      n_threads=1)
    >>> refit_estimates(est, X, n_refits=2, seed=0, n_jobs=None).tolist()
    [2, 2]
    """
    n = X.shape[0]
    m = max(2, int(round(REFIT_SHARE * n)))
    jobs = []
    for b in range(n_refits):
        sequence = np.random.SeedSequence([seed, b])
        rows = np.sort(np.random.default_rng(sequence).choice(n, m, replace=False))
        refit_seed = int(sequence.generate_state(1)[0])
        jobs.append(delayed(_one_refit)(estimator, refit_seed, X[rows]))
    return np.asarray(Parallel(n_jobs=n_jobs)(jobs), dtype=int)


def refit_interval(estimate: int, score_interval: tuple[int, int], refits: np.ndarray) -> tuple[int, int]:
    """The interval that holds the estimate, the ranks its scores cannot tell apart, and every refit's estimate.

    Examples
    --------
    >>> refit_interval(3, (3, 3), np.array([3, 4, 3, 2]))
    (2, 4)
    """
    values = [estimate, *score_interval, *np.asarray(refits).tolist()]
    return int(min(values)), int(max(values))
