"""The default range of ranks (a TwoNN first estimate), the warning at its top, the reported interval."""

import warnings

import numpy as np
import pytest

from latentspec import LWGANEstimator, RankRangeWarning
from latentspec.lwgan._rank_range import default_latent_dim, two_nn_dimension
from latentspec.lwgan._rank_selection import choose_rank, rank_interval

from .._tiny import TINY_PARAMS


def _subspace(n, d, D, seed=0):
    """``n`` Gaussian points on a random ``d``-dimensional linear subspace of ``R^D``."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, D))


@pytest.mark.parametrize("d", [1, 3, 8])
def test_two_nn_recovers_linear_subspaces(d):
    """Guards the first estimate: a d-dimensional subspace of R^30 gives d within 15 %."""
    assert two_nn_dimension(_subspace(2000, d, 30)) == pytest.approx(d, rel=0.15)


def test_two_nn_is_invariant_to_shift_scale_and_rotation():
    """Guards that the range cannot depend on units or orientation: distances ratios only."""
    X = _subspace(800, 4, 12)
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 12)))
    base = two_nn_dimension(X)
    assert two_nn_dimension(1e3 * X + 50.0) == pytest.approx(base, rel=1e-9)
    assert two_nn_dimension(X @ Q) == pytest.approx(base, rel=1e-6)


def test_two_nn_ignores_duplicates_and_handles_degenerate_data():
    """Guards zero nearest-neighbour distances (duplicated rows) and too few distinct rows."""
    X = _subspace(500, 2, 6)
    assert two_nn_dimension(np.vstack([X, X[:50]])) == pytest.approx(two_nn_dimension(X), rel=0.1)
    assert np.isnan(two_nn_dimension(np.ones((20, 3))))


def test_default_range_has_no_fixed_ceiling():
    """Guards the old silent cap of 16: 20-dimensional data are searched up to 20 ranks."""
    X = np.random.default_rng(0).standard_normal((1000, 20))
    assert default_latent_dim(X) == 20


def test_default_range_follows_the_first_estimate():
    """Guards the range on data of low dimension in many features: about 2 * d + 2, not n_features."""
    top = default_latent_dim(_subspace(1000, 3, 60))
    assert 3 < top <= 10


def test_default_range_on_degenerate_data():
    """Guards the fallback: all features when TwoNN is undefined (fewer than three distinct rows)."""
    assert default_latent_dim(np.ones((20, 3))) == 3


def test_estimator_uses_the_data_driven_range():
    """Guards the wiring: latent_dim=None searches default_latent_dim(X) ranks, rank fixed keeps 16."""
    X = _subspace(200, 2, 30)
    est = LWGANEstimator(**TINY_PARAMS).fit(X)
    assert est.latent_dim_ == default_latent_dim(X) < 30
    assert LWGANEstimator(rank=2, **TINY_PARAMS).fit(X).latent_dim_ == 16
    # A fixed rank above 16 widens the networks, whether given as a Python or a NumPy integer.
    assert LWGANEstimator(rank=np.int64(20), **TINY_PARAMS).fit(X).latent_dim_ == 20


def test_estimate_at_the_top_of_the_range_warns():
    """Guards no silent ceiling: 6-dimensional data searched up to rank 2 gives 2 and says so."""
    X = np.random.default_rng(0).standard_normal((300, 6))
    with pytest.warns(RankRangeWarning, match=r"largest rank searched.*latent_dim"):
        # 400 steps: with fewer, the tiny rank-2 networks are not yet one-to-one and rank 1 scores best.
        est = LWGANEstimator(latent_dim=2, **{**TINY_PARAMS, "n_warmup": 400}).fit(X)
    assert est.intrinsic_dim_ == 2


def test_no_warning_when_the_whole_space_is_searched():
    """Guards the warning's scope: an estimate equal to n_features is not a ceiling."""
    X = np.random.default_rng(0).standard_normal((300, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RankRangeWarning)
        params = {**TINY_PARAMS, "n_warmup": 400, "encoder_layers": (32, 32), "generator_layers": (32, 32)}
        est = LWGANEstimator(latent_dim=2, **params).fit(X)
    assert est.intrinsic_dim_ == 2


def test_interval_is_reported_and_contains_the_estimate(s_curve):
    """Guards intrinsic_dim_interval_: ordered ranks within the searched range, around the estimate."""
    est = LWGANEstimator(**TINY_PARAMS).fit(s_curve)
    low, high = est.intrinsic_dim_interval_
    assert 1 <= low <= est.intrinsic_dim_ <= high <= est.latent_dim_
    assert LWGANEstimator(rank=1, latent_dim=2, **TINY_PARAMS).fit(s_curve).intrinsic_dim_interval_ is None


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


def test_estimate_is_invariant_to_shift_and_scale(s_curve):
    """Guards the data scaling: the same fit, up to float rounding, in other units and origin."""
    params = {**TINY_PARAMS, "n_warmup": 30}
    base = LWGANEstimator(**params).fit(s_curve)
    moved = LWGANEstimator(**params).fit(250.0 * s_curve - 40.0)
    assert moved.latent_dim_ == base.latent_dim_ and moved.intrinsic_dim_ == base.intrinsic_dim_
    np.testing.assert_allclose(moved.rank_scores_["mean"], base.rank_scores_["mean"], rtol=1e-3, atol=1e-4)


def test_range_is_invariant_to_rotation():
    """Guards the first estimate inside fit: a rotated copy of the data searches the same ranks."""
    X = _subspace(300, 3, 40)
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((40, 40)))
    assert LWGANEstimator(**TINY_PARAMS).fit(X @ Q).latent_dim_ == LWGANEstimator(**TINY_PARAMS).fit(X).latent_dim_
