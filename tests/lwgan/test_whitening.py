"""Whitening: every principal direction counts alike, noise and rounding error stay small, the map is undone."""

from __future__ import annotations

import numpy as np
import pytest

from latentspec import LWGANEstimator
from latentspec.lwgan._whitening import FLOOR_RATIO, Whitening

from .test_estimator import SMALL_FIT, _plane


def _centred(X: np.ndarray) -> np.ndarray:
    return X - X.mean(axis=0)


def test_every_direction_above_the_floor_gets_the_same_spread_and_the_map_is_undone():
    rng = np.random.default_rng(0)
    rotation = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    # three directions in R^6, their spreads 30, 5 and 1: no noise, so the floor is a thousandth of 900
    X = _centred(np.c_[rng.standard_normal((2000, 3)) * [30.0, 5.0, 1.0], np.zeros((2000, 3))] @ rotation)
    white = Whitening.fit(X)
    W = white.apply(X)
    assert white.axes.shape == (6, 3)
    spreads = np.linalg.svd(W, compute_uv=False)[:3] / np.sqrt(len(W) - 1)
    np.testing.assert_allclose(spreads, spreads[0], rtol=1e-9)  # one spread for every direction
    assert np.mean(W**2) == pytest.approx(1.0)  # and a mean square of one per entry, as without whitening
    np.testing.assert_allclose(white.invert(W), X, atol=1e-10)


def test_directions_below_the_floor_are_not_blown_up():
    """A direction of rounding error (1e-9 of the widest) stays negligible; nothing is amplified past the cap."""
    rng = np.random.default_rng(1)
    rotation = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    Y = np.c_[rng.standard_normal((1000, 3)) * [1.0, 0.5, 1e-9], np.zeros((1000, 5))]
    X = _centred(Y @ rotation)
    white = Whitening.fit(X)
    assert white.axes.shape[1] == 2
    assert white.floor == pytest.approx(FLOOR_RATIO * white.spreads[0] ** 2)
    W = white.apply(X) @ rotation.T  # back on the axes of Y
    assert np.abs(W[:, 2]).max() < 1e-6 * np.abs(W[:, 0]).max()


def test_the_floor_rises_above_the_noise_so_noise_stays_far_below_the_signal():
    """A plane in R^20 with noise: a noise direction ends up a thousandth of a plane direction, not blown up."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((2000, 2)) @ rng.standard_normal((2, 20)) + 0.05 * rng.standard_normal((2000, 20))
    X = _centred(X)
    white = Whitening.fit(X)
    assert np.sqrt(white.noise_variance) == pytest.approx(0.05, rel=0.1)
    assert white.floor == pytest.approx(white.noise_variance / FLOOR_RATIO)
    W = white.apply(X)
    plane = white.axes
    assert plane.shape[1] == 2
    signal = np.var(W @ plane, axis=0, ddof=1)
    noise = np.linalg.svd(W - (W @ plane) @ plane.T, compute_uv=False) ** 2 / (len(W) - 1)
    assert noise.max() < 1.5 * FLOOR_RATIO * signal.min()


def test_with_too_few_features_to_read_the_noise_nothing_is_whitened():
    rng = np.random.default_rng(5)
    X = _centred(rng.standard_normal((500, 2)) * [10.0, 1.0])
    white = Whitening.fit(X)
    assert white.axes.shape == (2, 0)
    np.testing.assert_allclose(white.apply(X), X * white.gain / np.sqrt(white.floor))


def test_a_row_is_whitened_the_same_whichever_rows_come_with_it():
    rng = np.random.default_rng(3)
    X = _centred(rng.standard_normal((600, 7)) @ rng.standard_normal((7, 7)))
    white = Whitening.fit(X)
    W = white.apply(X)
    np.testing.assert_array_equal(np.vstack([white.apply(X[i : i + 1]) for i in range(10)]), W[:10])
    np.testing.assert_array_equal(white.invert(W[::-1])[::-1], white.invert(W))


def _dominated_plane(seed: int, n: int = 400) -> np.ndarray:
    """A square in R^4 whose first side is 100 times the second: 99.99 % of the variance in one direction."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((4, 2)))[0]
    return rng.uniform(-1, 1, (n, 2)) * [100.0, 1.0] @ basis.T


def test_whitening_finds_a_dimension_that_one_dominant_direction_hides():
    """The paraboloids' failure in small: unwhitened, rank 1 already reconstructs 99.99 % of the variance."""
    X = _dominated_plane(0)
    white = LWGANEstimator(latent_dim=3, random_state=0, **SMALL_FIT).fit(X)
    plain = LWGANEstimator(latent_dim=3, random_state=0, whiten=False, **SMALL_FIT).fit(X)
    assert white.whitening_ is not None and plain.whitening_ is None
    assert white.intrinsic_dim_ == 2
    assert plain.intrinsic_dim_ == 1
    # transform and inverse_transform still work in the data's units
    back = white.inverse_transform(white.transform(X))
    assert np.sqrt(np.mean((back - X) ** 2)) < 0.1 * np.sqrt(np.mean((X - X.mean(0)) ** 2))


def test_whiten_auto_whitens_only_dimension_estimates_of_rows_that_are_not_images():
    X = _plane(0, n=200)
    small = {**SMALL_FIT, "n_warmup": 5, "n_critic_refit": 0, "n_score_repeats": 2}
    assert LWGANEstimator(latent_dim=3, **small).fit(X).whitening_ is not None
    assert LWGANEstimator(rank=2, latent_dim=3, **small).fit(X).whitening_ is None
    assert LWGANEstimator(rank=2, latent_dim=3, whiten=True, **small).fit(X).whitening_ is not None
    images = np.random.default_rng(0).random((60, 16))
    assert LWGANEstimator(latent_dim=3, image_shape=(4, 4), architecture="mlp", **small).fit(images).whitening_ is None


def test_whiten_with_convolutional_networks_or_bad_values_is_refused_by_name():
    images = np.random.default_rng(0).random((60, 64))
    with pytest.raises(ValueError, match="whiten=True mixes the pixels"):
        LWGANEstimator(latent_dim=2, image_shape=(8, 8), whiten=True, conv_layers=(4,), n_warmup=1).fit(images)
    with pytest.raises(ValueError, match="whiten must be 'auto' or True or False"):
        LWGANEstimator(whiten="yes").fit(images)
    with pytest.raises(ValueError, match="whiten must be True or False, got 1"):
        LWGANEstimator(whiten=1).fit(images)


def test_the_linear_path_of_whitened_rows_is_still_principal_component_analysis():
    """Whitened rows have many directions of one spread; the linear path orders them as the unwhitened axes."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 3)) * [5.0, 2.0, 1.0] @ np.linalg.qr(rng.standard_normal((6, 3)))[0].T
    est = LWGANEstimator(rank=2, latent_dim=3, whiten=True, linear_path=True, n_warmup=0, n_critic_refit=0,
                         n_score_repeats=2, random_state=0, n_threads=1).fit(X)
    assert est.whitening_ is not None
    pca = PCA(2).fit(X)
    np.testing.assert_allclose(est.inverse_transform(est.transform(X)), pca.inverse_transform(pca.transform(X)),
                               atol=1e-4)


def test_an_estimator_pickled_before_whitening_existed_loads_as_unwhitened():
    small = {**SMALL_FIT, "n_warmup": 5, "n_critic_refit": 0, "n_score_repeats": 2}
    est = LWGANEstimator(rank=2, latent_dim=3, **small).fit(_plane(0, n=100))
    state = est.__getstate__()
    del state["whiten"], state["whitening_"]
    old = LWGANEstimator.__new__(LWGANEstimator)
    old.__setstate__(state)
    assert old.get_params()["whiten"] is False
    np.testing.assert_array_equal(old.transform(_plane(0, n=100)), est.transform(_plane(0, n=100)))


@pytest.mark.parametrize("name", ["swiss_roll", "s_curve", "hyperplane"])
def test_the_papers_toys_are_too_narrow_to_whiten_so_their_fits_are_unchanged_bit_for_bit(name):
    """Two to five features and no bulk of noise: the networks get the very float32 rows they got unwhitened."""
    import torch

    from latentspec.datasets import make_dataset

    X = make_dataset(name, n_samples=2000, random_state=0)[0]
    center, scale = LWGANEstimator()._centre_and_scale(X)
    scaled = (X - center) / scale
    white = Whitening.fit(scaled)
    assert white.axes.shape[1] == 0
    np.testing.assert_array_equal(torch.as_tensor(white.apply(scaled), dtype=torch.float32).numpy(),
                                  torch.as_tensor(scaled, dtype=torch.float32).numpy())
