"""The figures: latentspec.app._plotting."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from latentspec import QuasiEigenBasis  # noqa: E402
from latentspec.app import plot_denoising_grid, plot_lsd_spectrum, plot_rotation_morph  # noqa: E402


@pytest.fixture
def images():
    return np.random.default_rng(0).random((5, 16))


def test_spectrum_has_one_bar_per_coefficient():
    y = np.repeat([0, 1, 2], 10)
    Z = 3 * np.eye(5)[y] + 0.1 * np.random.default_rng(0).standard_normal((30, 5))
    fig = plot_lsd_spectrum(QuasiEigenBasis(n_rounds=1).fit(Z, y), Z[0], title="t")
    assert len(fig.axes[0].patches) == 5
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][:3] == ["0", "1", "2"]


def test_denoising_grid_layout(images):
    fig = plot_denoising_grid(images, images, {"a": images, "b": images}, (4, 4), n_examples=3)
    assert len(fig.axes) == 4 * 3


def test_rotation_morph_layout_and_shape_check(images):
    path = np.stack([images[:2]] * 4)
    fig = plot_rotation_morph(path, np.linspace(0, np.pi, 4), (4, 4), ["x", "y"])
    assert len(fig.axes) == 2 * 4
    with pytest.raises(ValueError, match="image_shape"):
        plot_rotation_morph(path, np.linspace(0, np.pi, 4), (3, 3))
    with pytest.raises(ValueError, match="len\\(angles\\)"):
        plot_rotation_morph(path, np.linspace(0, np.pi, 3), (4, 4))


def test_rank_scores_one_point_per_rank_and_the_estimate_marked(fitted_auto):
    from latentspec.app import plot_rank_scores

    scores = fitted_auto.rank_scores_
    ax = plot_rank_scores(fitted_auto).axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), scores["rank"])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), scores["mean"])
    assert list(ax.lines[-1].get_xdata()) == [fitted_auto.intrinsic_dim_]  # the red point
    assert f"estimate: {fitted_auto.intrinsic_dim_}" in [t.get_text() for t in ax.get_legend().get_texts()]
    bars = ax.collections[0].get_segments()  # the error bars of the first series: mean -/+ std_error
    np.testing.assert_allclose([b[1, 1] - b[0, 1] for b in bars], 2 * scores["std_error"], rtol=1e-6)
    zoom = plot_rank_scores(fitted_auto).axes[1]  # score minus the best, with paired standard errors
    best = int(np.argmin(scores["mean"]))
    shown = zoom.lines[0].get_xdata().astype(int)
    assert best + 1 in shown and fitted_auto.intrinsic_dim_ in shown
    np.testing.assert_allclose(zoom.lines[0].get_ydata(), (scores["mean"] - scores["mean"][best])[shown - 1])
    bars = zoom.collections[0].get_segments()
    np.testing.assert_allclose([b[1, 1] - b[0, 1] for b in bars], 2 * scores["std_error_diff"][shown - 1], rtol=1e-6)


def test_samples_per_rank_has_a_row_per_rank_drawn_at_that_rank(fitted_auto):
    from latentspec.app import plot_samples_per_rank

    n = 4
    fig = plot_samples_per_rank(fitted_auto, image_shape=(1, 3), n_per_rank=n, random_state=0)
    assert len(fig.axes) == fitted_auto.latent_dim_ * n
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (fitted_auto.latent_dim_, n)
    for rank in range(1, fitted_auto.latent_dim_ + 1):
        expected = fitted_auto.sample(n, random_state=0, rank=rank)
        shown = [fig.axes[(rank - 1) * n + c].images[0].get_array().ravel() for c in range(n)]
        np.testing.assert_allclose(shown, expected)
        assert fig.axes[(rank - 1) * n].get_ylabel().startswith(f"rank {rank}")
    with pytest.raises(ValueError, match="image_shape"):
        plot_samples_per_rank(fitted_auto)


def test_samples_beside_data_shows_rows_of_x_and_samples_at_the_chosen_rank(fitted_auto, s_curve):
    from latentspec.app import plot_samples_beside_data

    rows, columns = 2, 3
    fig = plot_samples_beside_data(fitted_auto, s_curve, image_shape=(1, 3), n_rows=rows, n_columns=columns,
                                   random_state=0)
    grid = np.array(fig.axes).reshape(rows, 2 * columns + 1)
    rng = np.random.RandomState(0)
    expected_real = s_curve[rng.choice(len(s_curve), rows * columns, replace=False)]
    expected_samples = fitted_auto.sample(rows * columns, random_state=rng, rank=fitted_auto.rank_)
    real = [ax.images[0].get_array().ravel() for ax in grid[:, :columns].ravel()]
    samples = [ax.images[0].get_array().ravel() for ax in grid[:, columns + 1 :].ravel()]
    np.testing.assert_allclose(real, expected_real)
    np.testing.assert_allclose(samples, expected_samples)
    assert not grid[0, columns].images  # the gap between the grids
    assert f"rank {fitted_auto.rank_}" in grid[0, columns + 1 + columns // 2].get_title()
    with pytest.raises(ValueError, match="at least n_rows \\* n_columns = 36 rows"):
        plot_samples_beside_data(fitted_auto, s_curve[:10], image_shape=(1, 3))
    with pytest.raises(ValueError, match="image_shape"):
        plot_samples_beside_data(fitted_auto, s_curve)


def test_rank_scores_of_a_fixed_rank_is_one_panel(fitted_rank2):
    from latentspec.app import plot_rank_scores

    fig = plot_rank_scores(fitted_rank2)
    assert len(fig.axes) == 1 and list(fig.axes[0].lines[-1].get_xdata()) == [2]


def test_training_history_one_panel_per_term_every_logged_value(fitted_auto):
    from latentspec.app import plot_training_history

    fig = plot_training_history(fitted_auto)
    terms = ["critic_gap", "gradient_penalty", "reconstruction", "mmd"]
    assert [ax.get_title() for ax in fig.axes] == terms
    for ax, term in zip(fig.axes, terms):
        values = np.asarray(fitted_auto.history_[term], dtype=float)
        plotted = np.concatenate([line.get_ydata() for line in ax.lines])
        np.testing.assert_allclose(np.sort(plotted), np.sort(values[np.isfinite(values)]))


@pytest.mark.parametrize("name", ["plot_rank_scores", "plot_training_history", "plot_samples_per_rank",
                                  "plot_samples_beside_data"])
def test_unfitted_estimator_raises_not_fitted_error(name):
    """scikit-learn's NotFittedError, not an AttributeError, for a model that was never fitted."""
    from sklearn.exceptions import NotFittedError

    from latentspec import LWGANEstimator
    from latentspec.app import _plotting as plotting

    with pytest.raises(NotFittedError, match="not fitted"):
        arguments = (np.zeros((40, 3)),) if name == "plot_samples_beside_data" else ()
        getattr(plotting, name)(LWGANEstimator(), *arguments)


def test_unfitted_basis_raises_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        plot_lsd_spectrum(QuasiEigenBasis(), np.zeros(3))
