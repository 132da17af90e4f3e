"""Choosing the rank (the intrinsic dimension) from per-rank scores.

``scores`` is an array of shape ``(n_repeats, n_ranks)``: row ``k`` holds the LWGAN
score of every rank on the ``k``-th evaluation, all ranks of one row sharing the
same data batch and the same latent noise. Lower is better. NaN marks a rank that
racing (:func:`contenders`) stopped scoring: every statistic of a rank uses the
repeats that scored it, and a paired difference the repeats that scored both ranks.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["RACING_Z", "RANK_RULES", "choose_rank", "contenders", "rank_interval", "ranks_within_one_se"]

RANK_RULES = ("authors", "one_se")
# Racing drops a rank once it is worse than the rank it must beat by more than the
# one-sided 1 - Phi(-3) (99.87 %) quantile of Student's t with the repeats' degrees of
# freedom, in paired standard errors: further repeats then change neither the choice nor
# the interval, save with a probability of about 0.1 %. The t quantile accounts for the
# standard error itself being estimated from few repeats (7.2 of them after 5 repeats,
# 4.3 after 10, 3.3 after 50).
RACING_Z = 3.0


def choose_rank(scores: np.ndarray, rule: str = "authors") -> tuple[int, dict[str, np.ndarray]]:
    """Return the chosen rank (1-based) and the per-rank summary.

    Parameters
    ----------
    scores : ndarray of shape (n_repeats, n_ranks)
        Score of each rank on each repeated evaluation; lower is better.
    rule : {"authors", "one_se"}, default="authors"
        ``"one_se"``: the smallest rank whose score is within one standard error
        of the best one, the standard error taken from the *paired* differences
        to the best rank (the evaluations share data and noise, so pairing
        cancels most of their variance). This is the one-standard-error rule of
        model selection (Breiman et al. 1984; Hastie, Tibshirani and Friedman
        2009, section 7.10): prefer the most parsimonious model that the data
        cannot tell apart from the best one. ``"authors"``: the LWGAN authors'
        rule, ``argmin_s m(s) + se^0.8 * s`` with ``se`` the standard error of the
        best rank's mean.

    Returns
    -------
    rank : int
        The chosen rank, between 1 and ``n_ranks``.
    summary : dict of ndarray
        ``rank``, ``mean``, ``std_error`` (of each rank's mean) and
        ``std_error_diff`` (of its paired difference to the best rank).

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import choose_rank
    >>> rng = np.random.default_rng(0)
    >>> scores = np.array([1.0, 0.10, 0.099]) + 0.01 * rng.standard_normal((50, 3))
    >>> choose_rank(scores, "authors")[0], choose_rank(scores, "one_se")[0]
    (2, 2)
    """
    scores = np.asarray(scores, dtype=float)
    n_repeats, n_ranks = scores.shape
    ranks = np.arange(1, n_ranks + 1)
    mean, std_error = _mean_and_std_error(scores)
    best = int(np.argmin(mean))
    _, std_error_diff = _mean_and_std_error(scores - scores[:, [best]])
    if rule == "one_se":
        chosen = int(ranks[mean - mean[best] <= std_error_diff][0])
    elif rule == "authors":
        penalty = std_error[best] ** 0.8
        chosen = int(ranks[np.argmin(mean + penalty * ranks)])
    else:
        raise ValueError(f"rank_rule must be one of {RANK_RULES}, got {rule!r}")
    summary = {
        "rank": ranks,
        "mean": mean,
        "std_error": std_error,
        "std_error_diff": std_error_diff,
    }
    return chosen, summary


def _mean_and_std_error(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the mean of every column, over its non-NaN entries."""
    if not np.isnan(scores).any():
        ddof = 1 if len(scores) > 1 else 0
        return scores.mean(axis=0), scores.std(axis=0, ddof=ddof) / np.sqrt(len(scores))
    count = (~np.isnan(scores)).sum(axis=0)
    mean = np.nanmean(scores, axis=0)
    spread = np.sqrt(np.nansum((scores - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
    return mean, spread / np.sqrt(count)


def contenders(scores: np.ndarray, z: float = RACING_Z) -> np.ndarray:
    """The ranks still worth scoring: those that more repeats could still make the choice or put in the interval.

    A rank is dropped when it is worse than the best rank by more than ``t``
    paired standard errors (so it cannot come within one standard error of it: the
    interval and the ``"one_se"`` rule) *and* worse by as much than the rank the
    ``"authors"`` rule chooses, that rule's penalty counted only where it can only
    grow (ranks below the choice). ``t`` is the quantile of Student's t, with the
    repeats less one as degrees of freedom, that leaves the one-sided tail of ``z``
    normal standard errors. Ranks dropped earlier (NaN in the last row) stay dropped.

    Parameters
    ----------
    scores : ndarray of shape (n_repeats, n_ranks)
        The score table so far.
    z : float, default=RACING_Z

    Returns
    -------
    ndarray of bool, shape (n_ranks,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> scores = np.array([2.0, 1.0, 1.002, 1.5]) + 0.01 * rng.standard_normal((10, 4))
    >>> contenders(scores).tolist()
    [False, True, True, False]
    """
    scores = np.asarray(scores, dtype=float)
    ranks = np.arange(1, scores.shape[1] + 1)
    active = ~np.isnan(scores[-1])
    chosen, summary = choose_rank(scores, "authors")
    best = int(np.argmin(summary["mean"]))
    penalty = summary["std_error"][best] ** 0.8
    worse = np.ones(len(ranks), dtype=bool)
    for reference, with_penalty in ((best, False), (chosen - 1, True)):
        diff = scores - scores[:, [reference]]
        if with_penalty:  # the authors' criterion, its penalty only where it cannot shrink below the choice
            diff = diff + penalty * np.minimum(ranks - (reference + 1), 0)
        mean, std_error = _mean_and_std_error(diff)
        repeats = (~np.isnan(diff)).sum(axis=0)
        threshold = stats.t.ppf(stats.norm.cdf(z), df=np.maximum(repeats - 1, 1))
        worse &= mean > threshold * std_error
        worse[reference] = False
    keep = active & ~worse
    return keep


def rank_interval(summary: dict[str, np.ndarray], chosen: int) -> tuple[int, int]:
    """The ranks the scores cannot tell from the best, as ``(lowest, highest)``, widened to ``chosen``.

    A rank is indistinguishable from the best one when its mean score is within one
    paired standard error (``std_error_diff``) of the best mean.

    Parameters
    ----------
    summary : dict of ndarray
        The summary returned by :func:`choose_rank`.
    chosen : int
        The chosen rank, always inside the interval.

    Returns
    -------
    tuple of (int, int)

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[3.0, 1.0, 1.01, 1.3], [3.2, 1.1, 1.08, 1.4], [2.9, 0.9, 0.92, 1.2]])
    >>> rank, summary = choose_rank(scores, "one_se")
    >>> rank, rank_interval(summary, rank)
    (2, (2, 3))
    """
    within = ranks_within_one_se(summary)
    return int(min(within.min(), chosen)), int(max(within.max(), chosen))


def ranks_within_one_se(summary: dict[str, np.ndarray]) -> np.ndarray:
    """The ranks whose mean score is within one paired standard error of the best one.

    Parameters
    ----------
    summary : dict of ndarray
        ``rank``, ``mean`` and ``std_error_diff``, as returned by :func:`choose_rank`
        (or held in ``LWGANEstimator.rank_scores_``).

    Returns
    -------
    ndarray of int
        Those ranks, in increasing order; the best rank is always among them.

    Examples
    --------
    >>> import numpy as np
    >>> summary = {"rank": np.array([1, 2, 3]), "mean": np.array([2.0, 1.0, 1.05]),
    ...            "std_error_diff": np.array([0.1, 0.0, 0.1])}
    >>> ranks_within_one_se(summary).tolist()
    [2, 3]
    """
    mean, ranks = np.asarray(summary["mean"]), np.asarray(summary["rank"])
    within = mean - mean.min() <= np.asarray(summary["std_error_diff"])
    return ranks[within]
