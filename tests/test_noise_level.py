"""The noise level read off noisy rows alone (latentspec/_noise_level.py)."""

import numpy as np
import pytest

from latentspec import estimate_noise_std

from .denoising._data import low_rank


@pytest.mark.parametrize("noise", [0.05, 0.3, 1.0])
def test_noise_level_is_recovered_from_noisy_rows_alone(noise):
    _, noisy = low_rank(noise=noise)
    assert estimate_noise_std(noisy) == pytest.approx(noise, rel=0.05)


def test_noise_level_with_more_features_than_rows():
    _, noisy = low_rank(n=150, p=400, noise=0.5)
    assert estimate_noise_std(noisy) == pytest.approx(0.5, rel=0.1)


def test_noise_level_ignores_shifts_and_scales_with_the_data():
    _, noisy = low_rank(noise=0.3)
    sigma = estimate_noise_std(noisy)
    assert estimate_noise_std(noisy + 7.0) == pytest.approx(sigma, rel=1e-9)
    assert estimate_noise_std(3.0 * noisy) == pytest.approx(3.0 * sigma, rel=1e-9)


@pytest.mark.parametrize("n, p", [(1500, 40), (150, 400)])
def test_noise_level_of_noise_free_low_rank_rows_is_zero(n, p):
    """Guards noise-free data: rows exactly on a subspace have no noise, not the median of the signal's spread."""
    clean, _ = low_rank(n=n, p=p, noise=0.0)
    assert estimate_noise_std(clean) < 1e-10 * clean.std()


def test_noise_level_leaves_constant_columns_out():
    _, noisy = low_rank(noise=0.3)
    padded = np.c_[noisy, np.zeros((len(noisy), 5)), np.full((len(noisy), 3), 7.0)]
    assert estimate_noise_std(padded) == pytest.approx(estimate_noise_std(noisy), rel=1e-9)
    with pytest.raises(ValueError, match="fewer than two directions"):
        estimate_noise_std(np.c_[noisy[:, :1], np.ones((len(noisy), 3))])


@pytest.mark.parametrize(
    "X, match",
    [
        (np.ones((1, 5)), "minimum of 2"),
        (np.full((10, 4), np.nan), "NaN"),
        (np.ones((10, 4)), "fewer than two directions"),
        (np.array([["a", "b"], ["c", "d"]]), "strings"),
    ],
)
def test_noise_level_bad_input_says_what_is_wrong(X, match):
    with pytest.raises(ValueError, match=match):
        estimate_noise_std(X)
