"""The figures of latentspec.plotting."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from latentspec import QuasiEigenBasis  # noqa: E402
from latentspec.plotting import plot_denoising_grid, plot_lsd_spectrum, plot_rotation_morph  # noqa: E402


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
