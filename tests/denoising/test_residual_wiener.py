"""The Wiener filter of what a model leaves in its residuals (latentspec/denoising/_residual_wiener.py)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA

from latentspec import ResidualWiener, denoise

from ._data import low_rank


def test_residual_filter_gives_back_what_the_projection_missed():
    """Guards the purpose: PCA with too few components misses signal; the filter returns most of it."""
    clean, noisy = low_rank(noise=0.3)
    pca = PCA(n_components=2).fit(noisy[:1000])
    wiener = ResidualWiener(PCA(n_components=2), noise_std=0.3, threshold=1.0).fit(noisy[:1000])
    err_pca = np.mean((denoise(pca, noisy[1000:]) - clean[1000:]) ** 2)
    err_wiener = np.mean((wiener.transform(noisy[1000:]) - clean[1000:]) ** 2)
    full = PCA(n_components=4).fit(noisy[:1000])
    err_full = np.mean((denoise(full, noisy[1000:]) - clean[1000:]) ** 2)
    assert err_wiener < 0.2 * err_pca
    assert err_wiener < 1.3 * err_full


def test_residual_filter_leaves_a_complete_model_alone():
    """Where the residuals are noise only, the filter at the noise edge is zero: the output is the model's."""
    clean, noisy = low_rank(noise=0.3)
    edge = ResidualWiener.noise_edge(1000, 40)
    assert edge == pytest.approx((1 + np.sqrt(0.04)) ** 2)
    wiener = ResidualWiener(PCA(n_components=4), noise_std=0.3, threshold=edge).fit(noisy[:1000])
    np.testing.assert_array_equal(wiener.residual_filter_, 0.0)
    projected = denoise(wiener.estimator_, noisy[1000:])
    np.testing.assert_allclose(wiener.transform(noisy[1000:]), projected + wiener.residual_mean_)
    # At threshold 1 sampling noise passes a little, never much.
    plain = ResidualWiener(PCA(n_components=4), noise_std=0.3, threshold=1.0).fit(noisy[:1000])
    assert 0 < np.linalg.norm(plain.residual_filter_, 2) < 0.35
    with pytest.raises(ValueError, match="threshold"):
        ResidualWiener(PCA(4), noise_std=0.3, threshold=-1.0).fit(noisy)


def test_residual_filter_uses_given_residuals_and_estimates_the_level():
    clean, noisy = low_rank(noise=0.3)
    wiener = ResidualWiener(PCA(n_components=2)).fit(noisy[:1000])
    assert wiener.noise_std_ == pytest.approx(0.3, rel=0.05)
    zero = ResidualWiener(PCA(n_components=2), noise_std=0.3, threshold=1.0)
    zero.fit(noisy[:1000], residuals=np.zeros((1000, 40)))
    np.testing.assert_allclose(zero.residual_filter_, 0.0)
    with pytest.raises(ValueError, match="residuals has shape"):
        ResidualWiener(PCA(2), noise_std=0.3).fit(noisy[:1000], residuals=np.zeros((5, 40)))
    with pytest.raises(ValueError, match="noise_std"):
        ResidualWiener(PCA(2), noise_std=-1.0).fit(noisy)


def test_automatic_threshold_follows_the_residuals():
    """Guards the choice: residuals of pure noise get the noise edge; missed signal gets a low threshold."""
    clean, noisy = low_rank(noise=0.3)
    complete = ResidualWiener(PCA(n_components=4), noise_std=0.3).fit(noisy[:1000])
    assert complete.threshold_ > 1.0 and np.linalg.norm(complete.residual_filter_, 2) < 0.2
    missing = ResidualWiener(PCA(n_components=2), noise_std=0.3).fit(noisy[:1000])
    assert missing.threshold_ == min(missing.threshold_scores_, key=missing.threshold_scores_.get)
    err_auto = np.mean((missing.transform(noisy[1000:]) - clean[1000:]) ** 2)
    err_one = np.mean((ResidualWiener(PCA(2), 0.3, 1.0).fit(noisy[:1000]).transform(noisy[1000:]) - clean[1000:]) ** 2)
    assert err_auto < 1.1 * err_one


def test_residual_filter_pickles_clones_and_checks_features():
    _, noisy = low_rank()
    wiener = ResidualWiener(PCA(n_components=2), noise_std=0.3).fit(noisy)
    again = pickle.loads(pickle.dumps(wiener))
    np.testing.assert_array_equal(again.transform(noisy), wiener.transform(noisy))
    np.testing.assert_array_equal(denoise(wiener, noisy), wiener.transform(noisy))
    assert clone(wiener).get_params()["noise_std"] == 0.3
    with pytest.raises(ValueError, match="features"):
        wiener.transform(noisy[:, :5])
