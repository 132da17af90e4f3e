"""The default range of ranks (latentspec/lwgan/_rank_range.py): the TwoNN first estimate and default_latent_dim.

How fit uses the range (the warning at its top, the reported interval) is tested in test_estimator.py.
"""

import numpy as np
import pytest

from latentspec.lwgan._rank_range import default_latent_dim, two_nn_dimension

from ._data import _subspace


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
