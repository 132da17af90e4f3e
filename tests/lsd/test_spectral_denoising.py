"""LatentSpectralDenoiser (latentspec/lsd/_spectral_denoising.py): the kept coefficients, n_components."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from latentspec import LatentSpectralDenoiser, QuasiEigenBasis

from ._codes import FAST, clusters


def test_denoiser_keeps_the_largest_coefficients():
    """Guards denoising: exactly n_components non-zeros per row, the largest |c| with their values."""
    Z, y = clusters(dim=6)
    den = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    C_full = den.basis_.transform(Z)
    C = den.transform(Z)
    assert C.shape == Z.shape
    assert ((C != 0).sum(axis=1) == 2).all()
    kept = C != 0
    np.testing.assert_array_equal(C[kept], C_full[kept])
    smallest_kept = np.where(kept, np.abs(C_full), np.inf).min(axis=1)
    largest_dropped = np.where(kept, -np.inf, np.abs(C_full)).max(axis=1)
    assert (smallest_kept >= largest_dropped).all()
    assert den.inverse_transform(C).shape == Z.shape
    assert den.get_feature_names_out().tolist() == [f"lsd{i}" for i in range(6)]


def test_denoiser_with_every_component_is_exact():
    """Guards the limit n_components = d: nothing is dropped, so the codes come back exactly."""
    Z, y = clusters(dim=5)
    den = LatentSpectralDenoiser(n_components=5, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    np.testing.assert_allclose(den.inverse_transform(den.transform(Z)), Z, rtol=1e-10, atol=1e-12)


def test_denoiser_moves_noisy_codes_towards_their_class():
    """Guards the purpose: dropping small coefficients removes off-label noise."""
    Z, y = clusters(n_classes=3, dim=8, spread=0.05)
    den = LatentSpectralDenoiser(n_components=1, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    noisy = Z + 0.5 * np.random.default_rng(3).standard_normal(Z.shape)
    clean = den.inverse_transform(den.transform(noisy))
    assert np.linalg.norm(clean - Z) < 0.6 * np.linalg.norm(noisy - Z)


@pytest.mark.parametrize("n_components", [0, 6, 1.5, "3"])
def test_denoiser_bad_n_components(n_components):
    """Guards n_components: an int in 1..d, checked at fit."""
    Z, y = clusters(dim=5)
    with pytest.raises(ValueError, match="n_components"):
        LatentSpectralDenoiser(n_components=n_components).fit(Z, y)


def test_grid_search_over_n_components():
    """Guards GridSearchCV: clone and set_params through a pipeline with a denoiser, then a classifier."""
    Z, y = clusters(n_classes=3, dim=6, spread=0.8)
    pipe = make_pipeline(LatentSpectralDenoiser(basis=QuasiEigenBasis(**FAST), random_state=0), LogisticRegression())
    search = GridSearchCV(pipe, {"latentspectraldenoiser__n_components": [1, 3, 6]}, cv=3).fit(Z, y)
    assert search.best_params_["latentspectraldenoiser__n_components"] in (1, 3, 6)
    assert search.best_score_ >= 0.9
    basis_search = GridSearchCV(QuasiEigenBasis(n_draws=200, random_state=0), {"n_rounds": [1, 3]}, cv=3).fit(Z, y)
    assert basis_search.best_score_ >= 0.9


@pytest.mark.parametrize("how", ["set_config", "set_output"])
def test_denoiser_under_pandas_output(how):
    """Pandas output, set globally or on the denoiser: the same coefficients, as a DataFrame, and back."""
    import pandas as pd
    import sklearn

    Z, y = clusters()
    denoiser = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    C = denoiser.transform(Z)
    Z_back = denoiser.inverse_transform(C)
    if how == "set_output":
        denoiser.set_output(transform="pandas")
    with sklearn.config_context(transform_output="pandas" if how == "set_config" else "default"):
        C_frame = denoiser.transform(Z)
        assert isinstance(C_frame, pd.DataFrame)
        assert list(C_frame.columns) == [f"lsd{i}" for i in range(Z.shape[1])]
        np.testing.assert_array_equal(C_frame.to_numpy(), C)
        np.testing.assert_allclose(np.asarray(denoiser.inverse_transform(C_frame)), Z_back)
        np.testing.assert_allclose(np.asarray(denoiser.inverse_transform(C)), Z_back)


@pytest.mark.parametrize("value", [-1, 0, 2.5, 6, "all", None])
def test_denoiser_checks_n_components_when_it_transforms(value):
    """n_components changed after fit is checked by transform (no silent 4 of 5, zeros or numpy's error)."""
    Z, y = clusters(dim=5)
    denoiser = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    denoiser.set_params(n_components=value)
    with pytest.raises(ValueError, match="n_components"):
        denoiser.transform(Z)
    denoiser.set_params(n_components=5)  # the latent dimension: everything kept, Z comes back
    np.testing.assert_allclose(denoiser.inverse_transform(denoiser.transform(Z)), Z)
