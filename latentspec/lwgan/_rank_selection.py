"""Choosing the rank (the intrinsic dimension) from per-rank scores.

``scores`` is an array of shape ``(n_repeats, n_ranks)``: row ``k`` holds the LWGAN
score of every rank on the ``k``-th evaluation, all ranks of one row sharing the
same data batch and the same latent noise. Lower is better.
"""

from __future__ import annotations

import numpy as np

__all__ = ["choose_rank", "rank_interval", "ranks_within_one_se", "RANK_RULES"]

RANK_RULES = ("authors", "one_se")


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
    mean = scores.mean(axis=0)
    ddof = 1 if n_repeats > 1 else 0
    std_error = scores.std(axis=0, ddof=ddof) / np.sqrt(n_repeats)
    best = int(np.argmin(mean))
    diff = scores - scores[:, [best]]
    std_error_diff = diff.std(axis=0, ddof=ddof) / np.sqrt(n_repeats)
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
