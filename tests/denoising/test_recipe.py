"""The denoising recipe (latentspec/denoising/_recipe.py): choose_denoiser, make_denoiser, DenoiserChoice."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA

from latentspec import LWGANEstimator, ResidualWiener, choose_denoiser, denoise, estimate_noise_std, make_denoiser


@pytest.fixture(scope="module")
def noisy_classes():
    """Two classes on circles in R^8, noise 0.1; a tiny labelled model fitted on the first 240 rows."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 150)
    angle = rng.uniform(0, 2 * np.pi, 300)
    clean = np.c_[np.cos(angle) + 3 * y, np.sin(angle)] @ rng.standard_normal((2, 8))
    noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    model = LWGANEstimator(latent_dim=3, rank=3, n_warmup=150, label_weight=1.0, random_state=0, batch_size=64)
    return clean, noisy, y, model.fit(noisy[:240], y[:240])


def test_recipe_chooses_among_the_candidates_and_denoises(noisy_classes):
    clean, noisy, y, model = noisy_classes
    choice = choose_denoiser(model, noisy[:240], y[:240], noisy[240:], n_components=[1, 3], cv=2)
    assert choice.n_components == min(choice.sure_errors, key=choice.sure_errors.get)
    assert set(choice.sure_errors) == set(choice.per_n_components) == {1, 3}
    assert choice.denoiser is choice.per_n_components[choice.n_components]
    thresholds = sorted(choice.denoiser.threshold_scores_)
    assert len(thresholds) == 8 and thresholds[0] == 1.0
    assert thresholds[-1] == pytest.approx(ResidualWiener.noise_edge(240, 8), abs=1e-3)
    assert choice.threshold == choice.denoiser.threshold_ in thresholds
    assert choice.noise_std == pytest.approx(estimate_noise_std(noisy[:240]))
    denoised = choice.denoiser.transform(noisy[240:])
    error = np.mean((denoised - clean[240:]) ** 2)
    noisy_error = np.mean((noisy[240:] - clean[240:]) ** 2)
    pca_error = {k: np.mean((denoise(PCA(k).fit(noisy[:240]), noisy[240:]) - clean[240:]) ** 2) for k in (2, 3)}
    # Measured on these rows (noise 0.1, error per entry 0.0095 in the input): 0.0034 denoised, where SURE
    # predicted 0.0025 for the choice; PCA(2), the best linear denoiser here (the clean rows lie on a plane),
    # 0.0027, and PCA(3), at the model's rank, 0.0040. With the model seeded 1 and 2 instead of 0: 0.0032 and
    # 0.0031 (SURE 0.0026 and 0.0018). The bounds leave room for that spread.
    assert error < 0.5 * noisy_error
    assert error < 2.0 * choice.sure_errors[choice.n_components]
    assert error < 1.5 * pca_error[2]
    assert error < pca_error[3]
    # The model given is used as it is (frozen), not refitted.
    assert choice.denoiser.estimator_[0].estimator is model


def test_recipe_without_cross_fitting_and_bad_input(noisy_classes):
    _, noisy, y, model = noisy_classes
    choice = choose_denoiser(model, noisy[:240], y[:240], noisy[240:], n_components=[2], cv=None, noise_std=0.1)
    assert choice.n_components == 2 and choice.noise_std == 0.1
    with pytest.raises(ValueError, match="features"):
        choose_denoiser(model, noisy[:240], y[:240], noisy[240:, :4])
    with pytest.raises(ValueError, match="at least one"):
        choose_denoiser(model, noisy[:240], y[:240], noisy[240:], n_components=[])
    with pytest.raises(ValueError, match="cv"):
        choose_denoiser(model, noisy[:240], y[:240], noisy[240:], cv=1)
    with pytest.raises(ValueError, match="n_components"):
        make_denoiser(model, 0).fit(noisy[:240], y[:240])


class RecordingPCA(PCA):
    """PCA with a ``verbose`` parameter, recording the value of every fit (as LWGANEstimator's clones would see)."""

    fits: list = []

    def __init__(self, n_components=None, verbose=0):
        super().__init__(n_components=n_components)
        self.verbose = verbose

    def fit(self, X, y=None):
        RecordingPCA.fits.append(self.verbose)
        return super().fit(X)


def three_classes(noise=0.3, n=180, p=10, seed=0):
    """Three classes around three directions of R^p, with white noise; cheap to denoise with PCA(3)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    clean = (3 * np.eye(3)[y] + 0.5 * rng.standard_normal((n, 3))) @ rng.standard_normal((3, p))
    return clean, clean + noise * rng.standard_normal(clean.shape), y


def test_recipe_verbose_says_every_step_and_passes_it_to_the_refits(capsys):
    """Guards verbose: silent at 0, one line per step at 1, and the cross-fitting clones get the same verbose."""
    _, noisy, y = three_classes()
    model = RecordingPCA(n_components=3, verbose=1).fit(noisy[:120])
    RecordingPCA.fits.clear()
    capsys.readouterr()
    choose_denoiser(model, noisy[:120], y[:120], noisy[120:], n_components=[1, 3], cv=2)
    assert capsys.readouterr().err == ""
    assert RecordingPCA.fits == [0, 0]  # the two refits are silent too

    RecordingPCA.fits.clear()
    model.set_params(verbose=0)
    choice = choose_denoiser(model, noisy[:120], y[:120], noisy[120:], n_components=[1, 3], cv=2, verbose=1)
    lines = capsys.readouterr().err.splitlines()
    assert RecordingPCA.fits == [1, 1]
    assert len(lines) == 6 and all("choose_denoiser:" in line for line in lines)
    assert "noise level" in lines[0] and "estimated" in lines[0]
    assert "(1/2)" in lines[1] and "(2/2)" in lines[2] and "60 rows" in lines[1]
    assert "n_components=1 (1/2): SURE error" in lines[3] and "n_components=3 (2/2)" in lines[4]
    assert f"chose n_components={choice.n_components}" in lines[5]
    with pytest.raises(ValueError, match="verbose"):
        choose_denoiser(model, noisy[:120], y[:120], noisy[120:], verbose="yes")


def test_denoiser_choice_prints_in_a_few_lines():
    """Guards the repr: the choice, the noise level and the estimated error in a few lines, fields still there."""
    _, noisy, y = three_classes()
    model = PCA(n_components=3).fit(noisy[:120])
    choice = choose_denoiser(model, noisy[:120], y[:120], noisy[120:], n_components=[1, 2, 3], cv=None)
    text = repr(choice)
    assert len(text.splitlines()) <= 4 and len(text) < 400
    assert f"n_components={choice.n_components}" in text
    assert f"threshold={choice.threshold:.4g}" in text and f"noise_std={choice.noise_std:.4g}" in text
    assert f"{choice.sure_errors[choice.n_components]:.4g}" in text and "3 candidates" in text
    assert str(choice) == text
    assert choice.per_n_components[choice.n_components] is choice.denoiser


def test_recipe_warns_when_the_noise_level_is_about_zero():
    """Guards the silent identity: noise-free low-rank rows give a noise level ~0, and the recipe says so."""
    clean, _, y = three_classes(noise=0.0)
    model = PCA(n_components=3).fit(clean[:120])
    with pytest.warns(UserWarning, match=r"noise level \(estimated from X_noisy\) is .*about 0") as caught:
        choice = choose_denoiser(model, clean[:120], y[:120], clean[120:], n_components=[1, 3], cv=2)
    assert len(caught) == 1 and "pass their noise standard deviation" in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the call
    np.testing.assert_allclose(choice.denoiser.transform(clean[120:]), clean[120:], atol=1e-8)
    with pytest.warns(UserWarning, match=r"given as noise_std\) is 1e-12"):
        choose_denoiser(model, clean[:120], y[:120], clean[120:], n_components=[3], cv=None, noise_std=1e-12)


def test_recipe_warns_when_the_risk_estimate_keeps_the_input():
    """Guards the silent identity: a noise level far below the true one makes the risk estimates keep the input."""
    _, noisy, y = three_classes(noise=0.3)
    model = PCA(n_components=3).fit(noisy[:120])
    with pytest.warns(UserWarning, match="risk estimates .* preferred keeping the input") as caught:
        choice = choose_denoiser(model, noisy[:120], y[:120], noisy[120:], n_components=[1, 3], cv=2,
                                 noise_std=0.003)
    assert len(caught) == 1 and "about 0" not in str(caught[0].message)
    assert f"n_components={choice.n_components}" in str(caught[0].message)
    change = np.sqrt(np.mean((choice.denoiser.transform(noisy[120:]) - noisy[120:]) ** 2))
    assert change < 0.1 * 0.003
    # At the true noise level the recipe denoises, and says nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        choose_denoiser(model, noisy[:120], y[:120], noisy[120:], n_components=[1, 3], cv=2)


def test_the_cross_fitting_folds_follow_random_state(noisy_classes, monkeypatch):
    """choose_denoiser's random_state reaches its folds (they were always drawn with seed 0)."""
    import latentspec.denoising._recipe as recipe

    clean, noisy, y, model = noisy_classes
    seen = []
    real = recipe.StratifiedKFold

    def recording(*args, **kwargs):
        splitter = real(*args, **kwargs)
        seen.append([test.tolist() for _, test in splitter.split(noisy[:240], y[:240])])
        return splitter

    monkeypatch.setattr(recipe, "StratifiedKFold", recording)
    for seed in (0, 1, 0):
        choose_denoiser(model, noisy[:240], y[:240], noisy[240:], n_components=[1], cv=2, random_state=seed)
    assert seen[0] == seen[2] and seen[0] != seen[1]


def test_an_unfitted_model_is_fitted_here_and_parallel_fits_give_the_same_choice(noisy_classes):
    """Guards the unfitted-model path and n_jobs: the same choice as fitting the model first, bit for bit."""
    clean, noisy, y, model = noisy_classes
    X, labels, held = noisy[:240], y[:240], noisy[240:]
    given = choose_denoiser(model, X, labels, held, n_components=[1, 3], cv=2)
    unfitted = LWGANEstimator(**model.get_params())
    for n_jobs in (None, 2):
        choice = choose_denoiser(unfitted, X, labels, held, n_components=[1, 3], cv=2, n_jobs=n_jobs)
        assert not hasattr(unfitted, "rank_")  # the estimator given stays unfitted: a clone was fitted
        assert choice.model is not unfitted and choice.model.rank_ == 3
        np.testing.assert_array_equal(choice.model.transform(held), model.transform(held))
        assert choice.sure_errors == given.sure_errors
        assert choice.threshold == given.threshold
        np.testing.assert_array_equal(choice.denoiser.transform(held), given.denoiser.transform(held))
    assert given.model is model


def test_the_cross_fitting_basis_is_fitted_once_per_fold(noisy_classes, monkeypatch):
    """Guards "nothing computed twice": a fold's spectral basis does not depend on n_components."""
    from latentspec.lsd import QuasiEigenBasis

    clean, noisy, y, model = noisy_classes
    fits = []
    original = QuasiEigenBasis.fit

    def counting_fit(self, Z, y=None):
        fits.append(len(Z))
        return original(self, Z, y)

    monkeypatch.setattr(QuasiEigenBasis, "fit", counting_fit)
    choose_denoiser(model, noisy[:240], y[:240], noisy[240:], n_components=[1, 2, 3], cv=2)
    # one basis per fold (120 rows each), then one per candidate for the denoiser on all 240 rows
    assert sorted(fits) == [120, 120, 240, 240, 240]
