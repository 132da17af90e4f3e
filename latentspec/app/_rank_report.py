"""How sure a rank estimate is, and the ranks written compactly: what the CLI and the demo print.

:func:`rank_uncertainty` reads the ``rank_scores_`` of a fitted
:class:`latentspec.LWGANEstimator`: the estimate, its score with its standard error,
the best-scoring rank and the ranks whose scores cannot be told apart from the best
one. :func:`format_ranks` writes such a list of ranks as ``"3-5"`` or ``"2, 4"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lwgan import LWGANEstimator
from ..lwgan._rank_selection import ranks_within_one_se

__all__ = ["format_ranks", "rank_uncertainty"]


def rank_uncertainty(lwgan: LWGANEstimator) -> dict[str, Any]:
    """How sure the rank estimate of a fitted ``LWGANEstimator(rank="auto")`` is.

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
        Its ``rank_scores_`` (every rank scored on the same repeated batches).

    Returns
    -------
    dict
        ``estimate`` (``intrinsic_dim_``, or ``rank_`` for a fixed rank),
        ``score`` and ``std_error`` (mean score of that rank and its standard
        error), ``best_rank`` (the rank with the lowest mean score), and
        ``within_one_se``: the ranks whose mean score is within one paired
        standard error of the best one (``mean - mean[best] <= std_error_diff``),
        the ranks the scores cannot tell apart from the best; ``interval``
        (``intrinsic_dim_interval_``, None for a fixed rank), ``first_estimate``
        (the nearest-neighbour TwoNN estimate, None for a fixed rank) and
        ``problems``, what the fit's evidence says against the estimate (empty
        when nothing does; see ``diagnostics_``).

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import make_s_curve_3d
    >>> from latentspec.app import rank_uncertainty
    >>> X = make_s_curve_3d(n_samples=200, random_state=0)
    >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=3, random_state=0).fit(X)
    >>> sorted(rank_uncertainty(est))
    ['best_rank', 'estimate', 'first_estimate', 'interval', 'problems', 'score', 'std_error', 'within_one_se']
    """
    scores = lwgan.rank_scores_
    ranks, mean = np.asarray(scores["rank"]), np.asarray(scores["mean"])
    estimate = lwgan.intrinsic_dim_ if lwgan.intrinsic_dim_ is not None else lwgan.rank_
    at = int(np.flatnonzero(ranks == estimate)[0])
    best = int(np.argmin(mean))
    interval = getattr(lwgan, "intrinsic_dim_interval_", None)
    diagnostics = getattr(lwgan, "diagnostics_", {})  # absent from models fitted before 0.2
    return {
        "estimate": int(estimate),
        "score": float(mean[at]),
        "std_error": float(scores["std_error"][at]),
        "best_rank": int(ranks[best]),
        "within_one_se": [int(r) for r in ranks_within_one_se(scores)],
        "interval": None if interval is None else [int(interval[0]), int(interval[1])],
        "first_estimate": diagnostics.get("first_estimate"),
        "problems": list(diagnostics.get("problems", [])),
    }


def format_ranks(ranks: list[int]) -> str:
    """Write a list of ranks compactly: a consecutive run as ``"first-last"``, others listed.

    Parameters
    ----------
    ranks : list of int
        Ranks in increasing order, e.g. ``rank_uncertainty(model)["within_one_se"]``.

    Returns
    -------
    str

    Examples
    --------
    >>> from latentspec.app import format_ranks
    >>> format_ranks([3, 4, 5])
    '3-5'
    >>> format_ranks([2, 4])
    '2, 4'
    """
    if len(ranks) > 1 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]}-{ranks[-1]}"
    return ", ".join(str(r) for r in ranks)
