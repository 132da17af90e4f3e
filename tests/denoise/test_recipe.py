"""Denoising from noisy data alone: the noise level, SURE, the residual filter and the recipe."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

from latentspec import (
    LWGANEstimator,
    ResidualWiener,
    choose_denoiser,
    denoise,
    estimate_noise_std,
    make_denoiser,
    make_sure_scorer,
    sure_error,
)


def low_rank(n=1500, p=40, rank=4, noise=0.3, seed=0):
    """Clean rows on a ``rank``-dimensional subspace of R^p, and the same with white noise."""
    rng = np.random.default_rng(seed)
    clean = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, p))
    return clean, clean + noise * rng.standard_normal(clean.shape)


# --------------------------------------------------------------------------- noise level
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


# --------------------------------------------------------------------------- SURE
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


# --------------------------------------------------------------------------- residual filter
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


# --------------------------------------------------------------------------- the recipe
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
    assert np.mean((denoised - clean[240:]) ** 2) < np.mean((noisy[240:] - clean[240:]) ** 2)
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
