"""The default range of ranks an LWGAN searches: a cheap first estimate, then a margin.

An LWGAN can only find a dimension inside the ranks it trains, ``1..latent_dim``.
A fixed cap (the earlier ``min(n_features, 16)``) hides every dimension above it. The
default range here follows the data instead: a nearest-neighbour estimate of the
intrinsic dimension (TwoNN, Facco et al. 2017), which needs no training and takes
well under a second, then twice that plus two ranks, never more than the number of
features. TwoNN tends to *under*estimate high dimensions (on the 70-dimensional cube
of the standard manifold benchmark it gives about 43 from 1,000 samples), so the
margin is a factor, not an offset.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.neighbors import NearestNeighbors

__all__ = ["default_latent_dim", "two_nn_dimension"]

# Rows used for the first estimate; TwoNN is stable well below this.
_MAX_ROWS = 5000


def two_nn_dimension(X: np.ndarray, random_state: int = 0) -> float:
    """Maximum-likelihood TwoNN estimate of the intrinsic dimension of the rows of ``X``.

    With ``r1 <= r2`` the distances of a point to its two nearest neighbours, the
    ratio ``mu = r2 / r1`` follows a Pareto law with exponent ``d`` on a manifold of
    dimension ``d`` whose density is locally constant (Facco, d'Errico, Rodriguez and
    Laio, "Estimating the intrinsic dimension of datasets by a minimal neighborhood
    information", Scientific Reports 2017). The estimate is the maximum-likelihood
    ``(n - 1) / sum(log mu)`` over the points without a duplicate.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    random_state : int, default=0
        Picks the rows used when there are more than 5,000.

    Returns
    -------
    float
        The estimate; ``nan`` when fewer than three distinct points are left.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> plane = rng.standard_normal((2000, 2)) @ rng.standard_normal((2, 10))
    >>> round(two_nn_dimension(plane), 1)
    2.0
    """
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] > _MAX_ROWS:
        X = X[np.random.default_rng(random_state).choice(X.shape[0], _MAX_ROWS, replace=False)]
    if X.shape[0] < 3:
        return math.nan
    distances, _ = NearestNeighbors(n_neighbors=3).fit(X).kneighbors(X)
    r1, r2 = distances[:, 1], distances[:, 2]
    keep = r1 > 0
    if keep.sum() < 3:
        return math.nan
    total = np.log(r2[keep] / r1[keep]).sum()
    return float((keep.sum() - 1) / total) if total > 0 else math.nan


def default_latent_dim(X: np.ndarray, first_estimate: float | None = None) -> int:
    """The largest rank searched by default: ``ceil(2 * TwoNN) + 2``, at most ``n_features``.

    At least 1. When the first estimate is undefined (fewer than
    three distinct rows) the range is all features. ``first_estimate``: the
    TwoNN estimate of ``X`` if already computed.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> curve = np.sin(rng.uniform(0, 3, (1000, 1)) * np.arange(1, 41))  # a curve in R^40
    >>> default_latent_dim(curve)
    4
    """
    n_features = X.shape[1]
    guess = two_nn_dimension(X) if first_estimate is None else first_estimate
    top = n_features if not math.isfinite(guess) else min(n_features, int(math.ceil(2.0 * guess)) + 2)
    return max(1, top)
