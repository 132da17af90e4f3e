"""choose_rank on synthetic score matrices (rows: repeated evaluations, columns: ranks 1..k)."""

import numpy as np
import pytest

from latentspec.lwgan._rank_selection import RANK_RULES, choose_rank, rank_interval


def _scores(means, n_repeats=50, shared_sd=0.0, own_sd=0.0, seed=0):
    """Scores whose column means are exactly ``means``.

    Each row gets noise shared by all its ranks (``shared_sd``, as when every rank is
    scored on the same batch) and each cell its own noise (``own_sd``); both are
    centred per column, so the outcome depends on the designed means and the noise
    level, not on the luck of the draw.
    """
    rng = np.random.default_rng(seed)
    means = np.asarray(means, dtype=float)
    shared = rng.normal(0.0, shared_sd, (n_repeats, 1))
    own = rng.normal(0.0, own_sd, (n_repeats, means.size))
    noise = shared + own
    return means + noise - noise.mean(axis=0)


def test_rules_listed():
    """Guards the public list of rules the estimator validates rank_rule against."""
    assert set(RANK_RULES) == {"one_se", "authors"}


@pytest.mark.parametrize("rule", RANK_RULES)
def test_clear_elbow_picks_the_elbow(rule):
    """Guards the basic job: a sharp drop to rank 3 and a flat tail picks rank 3."""
    scores = _scores([10.0, 5.0, 1.0, 1.0, 1.0], own_sd=0.05)
    rank, _ = choose_rank(scores, rule)
    assert rank == 3


def test_one_se_prefers_smaller_rank_within_noise():
    """Guards the one-SE rule: ranks whose differences are below the noise give the smallest of them."""
    scores = _scores([4.0, 1.0, 0.995, 0.99, 0.985], own_sd=0.2)
    rank, summary = choose_rank(scores, "one_se")
    assert rank == 2
    assert int(np.argmin(summary["mean"])) + 1 > 2  # the best mean is a larger rank, yet rank 2 is chosen


def test_one_se_keeps_a_real_improvement():
    """Guards the one-SE rule against over-smoothing: a difference far beyond the noise is kept."""
    scores = _scores([4.0, 2.0, 1.0, 1.0], own_sd=0.05)
    rank, _ = choose_rank(scores, "one_se")
    assert rank == 3


def test_one_se_uses_paired_differences():
    """Guards pairing: large noise shared by a row cancels, so small consistent gains still count."""
    scores = _scores([3.0, 2.0, 1.0], shared_sd=10.0, own_sd=0.01)
    rank, summary = choose_rank(scores, "one_se")
    assert rank == 3
    # Unpaired standard errors (about 10 / sqrt(50)) would have hidden both differences.
    assert np.all(summary["std_error"] > 1.0)
    assert np.all(summary["std_error_diff"][:2] < 0.01)


def test_summary_values():
    """Guards the summary: rank 1..k, mean, SE of the mean, paired SE against the best (0 for the best)."""
    scores = _scores([3.0, 1.0, 2.0], n_repeats=20, own_sd=0.3, seed=1)
    rank, summary = choose_rank(scores, "one_se")
    assert set(summary) == {"rank", "mean", "std_error", "std_error_diff"}
    np.testing.assert_array_equal(summary["rank"], [1, 2, 3])
    np.testing.assert_allclose(summary["mean"], scores.mean(axis=0))
    np.testing.assert_allclose(summary["std_error"], scores.std(axis=0, ddof=1) / np.sqrt(20))
    best = int(np.argmin(scores.mean(axis=0)))
    diff = scores - scores[:, [best]]
    np.testing.assert_allclose(summary["std_error_diff"], diff.std(axis=0, ddof=1) / np.sqrt(20))
    assert summary["std_error_diff"][best] == 0.0
    assert rank == 2


def test_authors_rule_formula():
    """Guards the authors' rule: argmin over s of m(s) + se_best^0.8 * s."""
    scores = _scores([2.0, 1.2, 1.0, 0.95], own_sd=0.5, seed=3)
    rank, summary = choose_rank(scores, "authors")
    mean = scores.mean(axis=0)
    se_best = summary["std_error"][np.argmin(mean)]
    expected = int(np.argmin(mean + se_best**0.8 * np.arange(1, 5))) + 1
    assert rank == expected


def test_authors_rule_penalises_rank_by_noise():
    """Guards the authors' penalty: a tiny gain with a noisy best rank loses to the smaller rank."""
    noisy = _scores([1.0, 0.99], own_sd=3.0)
    assert choose_rank(noisy, "authors")[0] == 1
    exact = np.tile([3.0, 2.0, 1.0], (10, 1))  # no noise: no penalty, the plain argmin
    assert choose_rank(exact, "authors")[0] == 3


@pytest.mark.parametrize("rule", RANK_RULES)
def test_ties_and_single_repeat(rule):
    """Guards edge cases: equal scores give rank 1; a single repeat (no SE) gives the argmin."""
    assert choose_rank(np.ones((5, 4)), rule)[0] == 1
    rank, summary = choose_rank(np.array([[3.0, 1.0, 2.0]]), rule)
    assert rank == 2
    np.testing.assert_array_equal(summary["std_error"], 0.0)


@pytest.mark.parametrize("rule", RANK_RULES)
def test_returns_python_int_in_range(rule):
    """Guards the return type: a plain int between 1 and n_ranks, usable as an attribute value."""
    rank, _ = choose_rank(_scores([1.0, 2.0, 3.0], own_sd=0.1), rule)
    assert type(rank) is int
    assert rank == 1


def test_unknown_rule_raises():
    """Guards rule validation: an unknown rule is a ValueError naming the known ones."""
    with pytest.raises(ValueError, match="rank_rule must be one of.*one_se"):
        choose_rank(np.ones((3, 2)), "elbow")


def test_rank_interval_on_synthetic_scores():
    """Guards the interval rule: a flat tail after rank 3 is one interval; a clear minimum is a point."""
    rng = np.random.default_rng(0)

    def centred(shape):  # noise whose column means are exactly 0, so the designed means hold
        noise = 0.05 * rng.standard_normal(shape)
        return noise - noise.mean(axis=0)

    flat = np.array([5.0, 2.0, 1.0, 1.0, 1.0]) + centred((50, 5))
    rank, summary = choose_rank(flat, "one_se")
    low, high = rank_interval(summary, rank)
    assert low == 3 and high >= 4
    sharp = np.array([5.0, 2.0, 1.0, 2.0, 3.0]) + centred((50, 5))
    rank, summary = choose_rank(sharp, "one_se")
    assert rank_interval(summary, rank) == (3, 3)
    # The chosen rank is always inside, even when another rule picked it outside the one-SE set.
    assert rank_interval(summary, 5) == (3, 5)


def test_racing_drops_only_ranks_no_rule_can_choose():
    import numpy as np

    from latentspec import choose_rank
    from latentspec.lwgan._rank_selection import contenders, rank_interval

    rng = np.random.default_rng(0)
    # Rank 2 best, rank 3 within noise of it, ranks 1 and 4-6 clearly worse.
    means = np.array([3.0, 1.0, 1.003, 1.4, 1.8, 2.5])
    scores = means + 0.01 * rng.standard_normal((10, 6))
    keep = contenders(scores)
    assert keep.tolist() == [False, True, True, False, False, False]
    # Dropped ranks stay dropped, whatever their scores would say.
    later = np.vstack([scores, np.where(keep, means, np.nan) + 0.01 * rng.standard_normal((1, 6))])
    assert contenders(later).tolist() == keep.tolist()
    # With the full table the choice and the interval of both rules are the ones racing keeps.
    for rule in ("authors", "one_se"):
        chosen, summary = choose_rank(scores, rule)
        assert keep[chosen - 1] and all(keep[r - 1] for r in range(rank_interval(summary, chosen)[0],
                                                                   rank_interval(summary, chosen)[1] + 1))
    # Noise as large as the gaps: nothing is dropped.
    noisy = means + 1.0 * rng.standard_normal((10, 6))
    assert contenders(noisy).sum() >= 4


def test_statistics_over_the_repeats_that_scored_each_rank():
    import numpy as np

    from latentspec import choose_rank

    rng = np.random.default_rng(1)
    scores = np.array([2.0, 1.0, 1.1]) + 0.05 * rng.standard_normal((20, 3))
    raced = scores.copy()
    raced[12:, 0] = np.nan
    _, summary = choose_rank(raced, "one_se")
    assert summary["mean"][0] == pytest.approx(scores[:12, 0].mean())
    assert summary["std_error"][0] == pytest.approx(scores[:12, 0].std(ddof=1) / np.sqrt(12))
    diff = scores[:12, 0] - scores[:12, 1]
    assert summary["std_error_diff"][0] == pytest.approx(diff.std(ddof=1) / np.sqrt(12))
    np.testing.assert_array_equal(summary["mean"][1:], scores[:, 1:].mean(axis=0))
