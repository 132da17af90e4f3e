"""SURE, the error against clean rows estimated from noisy ones (latentspec/denoising/_sure.py)."""

import pickle

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

from latentspec import denoise, make_sure_scorer, sure_error

from ._data import low_rank


def test_sure_matches_the_error_against_clean_rows():
    """Guards the estimate itself: on unseen rows it is the clean-data error, within a few per cent."""
    clean, noisy = low_rank(n=3000, noise=0.3)
    for k in (2, 4, 8):
        pca = PCA(n_components=k).fit(noisy[:1500])
        true = np.mean((denoise(pca, noisy[1500:]) - clean[1500:]) ** 2)
        assert sure_error(pca, noisy[1500:], 0.3) == pytest.approx(true, abs=0.02 * 0.3**2)


def test_sure_with_a_truncating_denoiser_still_ranks_by_the_true_error():
    """The probe step of half the noise level smooths over jumps: a hard truncation is scored right."""
    clean, noisy = low_rank(n=3000, noise=0.3)

    class TopK(PCA):
        """PCA keeping, per row, only its largest coefficient: discontinuous in the input."""

        def transform(self, X):
            C = super().transform(X)
            keep = np.abs(C) >= np.abs(C).max(axis=1, keepdims=True)
            return C * keep

    estimates, truths = [], []
    for k in (1, 2, 4):
        model = TopK(n_components=4).fit(noisy[:1500]) if k == 1 else PCA(n_components=k).fit(noisy[:1500])
        truths.append(np.mean((denoise(model, noisy[1500:]) - clean[1500:]) ** 2))
        estimates.append(sure_error(model, noisy[1500:], 0.3))
    assert np.argsort(estimates).tolist() == np.argsort(truths).tolist()
    assert estimates[0] == pytest.approx(truths[0], rel=0.1)


def test_sure_scorer_chooses_the_true_rank_in_a_grid_search():
    _, noisy = low_rank(noise=0.3)
    search = GridSearchCV(PCA(), {"n_components": [1, 2, 4, 8, 16]}, scoring=make_sure_scorer(0.3), cv=3)
    assert search.fit(noisy).best_params_ == {"n_components": 4}
    # Without the level: estimated on every scored fold, same choice.
    search = GridSearchCV(PCA(), {"n_components": [1, 2, 4, 8, 16]}, scoring=make_sure_scorer(), cv=3)
    assert search.fit(noisy).best_params_ == {"n_components": 4}


def test_sure_scorer_is_reproducible_and_says_what_it_is():
    _, noisy = low_rank(noise=0.3)
    pca = PCA(3).fit(noisy[:1000])
    scorer = make_sure_scorer(0.3, random_state=1)
    assert scorer(pca, noisy[1000:]) == scorer(pca, noisy[1000:])
    assert "noise_std=0.3" in repr(scorer)
    assert pickle.loads(pickle.dumps(scorer))(pca, noisy[1000:]) == scorer(pca, noisy[1000:])


@pytest.mark.parametrize(
    "kwargs, match",
    [({"noise_std": 0.0}, "noise_std"), ({"n_probes": 0}, "n_probes"), ({"epsilon": -1.0}, "epsilon"),
     ({"random_state": "seed"}, "random_state")],
)
def test_sure_scorer_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sure_scorer(**kwargs)


def test_sure_of_something_that_cannot_denoise_says_so():
    _, noisy = low_rank()
    with pytest.raises(TypeError, match="inverse_transform"):
        sure_error(KMeans(n_clusters=2, n_init=1, random_state=0).fit(noisy), noisy, 0.3)

    class Broken(PCA):
        def inverse_transform(self, X):
            return np.full((X.shape[0], self.n_features_in_), np.nan)

    with pytest.raises(ValueError, match="NaN"):
        sure_error(Broken(2).fit(noisy), noisy, 0.3)
