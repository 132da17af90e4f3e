"""A grid search over the latent rank on a Dask cluster, through joblib's Dask backend."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from latentspec import LWGANEstimator
from latentspec.datasets import make_s_curve_3d

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def dask_client():
    """Two single-threaded worker processes, closed whatever the test does."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def _search(tiny_params):
    params = {**tiny_params, "n_warmup": 40, "random_state": 0}
    return GridSearchCV(LWGANEstimator(latent_dim=2, **params), {"rank": [1, 2]}, cv=2, n_jobs=-1, error_score="raise")


@pytest.mark.timeout(120)
def test_grid_search_on_dask_matches_local(dask_client, tiny_params):
    """Guards the cluster idiom of docs/dask.md: the same search, the same results, run by Dask workers."""
    X = make_s_curve_3d(n_samples=200, random_state=0)
    with joblib.parallel_backend("sequential"):
        local = _search(tiny_params).fit(X)
    with distributed.get_task_stream(dask_client) as tasks, joblib.parallel_backend("dask"):
        remote = _search(tiny_params).fit(X)

    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key], rtol=1e-6, err_msg=key)
    assert len(tasks.data) > 0, "the fits should have run as Dask tasks"
