"""The acceptance cases at default settings: slow (about 1-2 minutes per fit), run with -m slow."""

import pytest
from sklearn.model_selection import GridSearchCV

from latentspec import LWGANEstimator
from latentspec.datasets import make_dataset

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ["swiss_roll", "s_curve", "hyperplane"])
def test_default_estimator_finds_the_intrinsic_dimension(name, seed):
    """LWGANEstimator(random_state=seed) on 2,000 noise-free samples finds 1, 2 and 4."""
    X, true_dim = make_dataset(name, n_samples=2000, random_state=seed)
    assert LWGANEstimator(random_state=seed).fit(X).intrinsic_dim_ == true_dim


def test_grid_search_over_rank_selects_the_s_curve_dimension():
    """GridSearchCV with the estimator's own score picks rank 2 on the S-curve."""
    X, _ = make_dataset("s_curve", n_samples=2000, random_state=0)
    search = GridSearchCV(LWGANEstimator(latent_dim=4, random_state=0), {"rank": [1, 2, 3, 4]}, cv=3).fit(X)
    assert search.best_params_ == {"rank": 2}
