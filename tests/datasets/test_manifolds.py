"""Data sets with a known intrinsic dimension (latentspec/datasets/_manifolds.py): shapes, seeds, defining
equations, errors.
"""

import numpy as np
import pytest

from latentspec.datasets import (
    INTRINSIC_DIMENSIONS,
    make_dataset,
    make_hyperplane_5d,
    make_linear_subspace,
    make_s_curve_3d,
    make_sphere,
    make_swiss_roll_2d,
    make_torus_3d,
)

# generator -> number of features with default arguments
GENERATORS = {
    make_swiss_roll_2d: 2,
    make_s_curve_3d: 3,
    make_hyperplane_5d: 5,
    make_sphere: 5,
    make_linear_subspace: 8,
    make_torus_3d: 3,
}
GENERATOR_IDS = [g.__name__ for g in GENERATORS]
ATOL = 1e-10


@pytest.mark.parametrize(("make", "n_features"), GENERATORS.items(), ids=GENERATOR_IDS)
def test_shape_and_dtype(make, n_features):
    """Guards every generator's output: (n_samples, n_features), finite float64."""
    X = make(n_samples=37, random_state=0)
    assert X.shape == (37, n_features)
    assert X.dtype == np.float64
    assert np.isfinite(X).all()
    assert make(n_samples=1, random_state=0).shape == (1, n_features)


@pytest.mark.parametrize("make", GENERATORS, ids=GENERATOR_IDS)
def test_random_state(make):
    """Guards random_state: an int reproduces the data exactly, another int changes it, RandomState works."""
    first = make(n_samples=50, noise=0.1, random_state=0)
    assert np.array_equal(first, make(n_samples=50, noise=0.1, random_state=0))
    assert not np.allclose(first, make(n_samples=50, noise=0.1, random_state=1))
    from_instance = make(n_samples=50, noise=0.1, random_state=np.random.RandomState(0))
    assert np.array_equal(first, from_instance)


@pytest.mark.parametrize("make", GENERATORS, ids=GENERATOR_IDS)
def test_noise_is_isotropic_gaussian_of_given_scale(make):
    """Guards noise: it perturbs the clean points by Gaussian noise with the requested standard deviation."""
    clean = make(n_samples=2000, random_state=0)
    noisy = make(n_samples=2000, noise=0.1, random_state=0)
    difference = noisy - clean
    assert not np.array_equal(noisy, clean)
    assert np.all(np.abs(difference.std(axis=0) - 0.1) < 0.01)
    assert np.all(np.abs(difference.mean(axis=0)) < 0.01)


def test_swiss_roll_equation():
    """Guards the swiss roll: x = 0.2 t (cos t, sin t) with t = 5 |x| in [1.5 pi, 4.5 pi]."""
    X = make_swiss_roll_2d(n_samples=500, random_state=0)
    t = 5.0 * np.linalg.norm(X, axis=1)
    assert t.min() >= 1.5 * np.pi - ATOL
    assert t.max() <= 4.5 * np.pi + ATOL
    np.testing.assert_allclose(X, 0.2 * np.column_stack([t * np.cos(t), t * np.sin(t)]), atol=1e-9)
    # The parameter covers its range (not a constant, not a sliver of it).
    assert t.min() < 1.7 * np.pi and t.max() > 4.3 * np.pi


def test_s_curve_equation():
    """Guards the S-curve: x = (sin t, y, sign(t)(cos t - 1)) with |t| <= 1.5 pi and y in [0, 2]."""
    X = make_s_curve_3d(n_samples=500, random_state=0)
    x, y, z = X.T
    assert np.all((y >= 0) & (y <= 2)) and y.max() - y.min() > 1.8
    # cos t - 1 <= 0, so sign(t) = -sign(z), cos|t| = 1 - |z| and sin|t| = sign(t) x; recover t.
    sign = -np.sign(z)
    magnitude = np.mod(np.arctan2(sign * x, 1.0 - np.abs(z)), 2 * np.pi)
    assert magnitude.max() <= 1.5 * np.pi + ATOL
    t = sign * magnitude
    assert t.min() < -1.3 * np.pi and t.max() > 1.3 * np.pi
    np.testing.assert_allclose(X, np.column_stack([np.sin(t), y, np.sign(t) * (np.cos(t) - 1.0)]), atol=1e-9)


def test_hyperplane_equation():
    """Guards the hyperplane: x5 = x1 + x2 + x3 + x4^2, x1..x4 standard normal."""
    X = make_hyperplane_5d(n_samples=2000, random_state=0)
    np.testing.assert_allclose(X[:, 4], X[:, 0] + X[:, 1] + X[:, 2] + X[:, 3] ** 2, atol=1e-12)
    np.testing.assert_allclose(X[:, :4].mean(axis=0), 0.0, atol=0.1)
    np.testing.assert_allclose(X[:, :4].std(axis=0), 1.0, atol=0.1)


@pytest.mark.parametrize(("d", "D"), [(1, 2), (2, 5), (3, 4)])
def test_sphere_unit_norm_and_rank(d, D):
    """Guards the sphere: unit norm, spans exactly d + 1 dimensions, no constant coordinate."""
    X = make_sphere(n_samples=300, intrinsic_dim=d, ambient_dim=D, random_state=0)
    assert X.shape == (300, D)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-12)
    assert np.linalg.matrix_rank(X) == d + 1
    assert np.all(X.std(axis=0) > 1e-3)


@pytest.mark.parametrize(("d", "D"), [(1, 3), (3, 8), (5, 5)])
def test_linear_subspace_rank(d, D):
    """Guards the linear subspace: the data matrix has rank exactly d and no constant coordinate."""
    X = make_linear_subspace(n_samples=100, intrinsic_dim=d, ambient_dim=D, random_state=0)
    assert X.shape == (100, D)
    assert np.linalg.matrix_rank(X) == d
    assert np.all(X.std(axis=0) > 1e-3)


def test_torus_equation():
    """Guards the torus: (sqrt(x^2 + y^2) - R)^2 + z^2 = r^2 for the given radii."""
    major, minor = 2.0, 0.5
    X = make_torus_3d(n_samples=500, radii=(major, minor), random_state=0)
    ring = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose((ring - major) ** 2 + X[:, 2] ** 2, minor**2, atol=1e-12)


@pytest.mark.parametrize("make", GENERATORS, ids=GENERATOR_IDS)
@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True, "10"])
def test_bad_n_samples(make, n_samples):
    """Guards n_samples validation: not a positive integer is a ValueError naming n_samples."""
    with pytest.raises(ValueError, match="n_samples"):
        make(n_samples=n_samples)


@pytest.mark.parametrize("make", GENERATORS, ids=GENERATOR_IDS)
@pytest.mark.parametrize("noise", [-0.1, np.nan, np.inf])
def test_bad_noise(make, noise):
    """Guards noise validation: negative or non-finite noise is a ValueError naming noise."""
    with pytest.raises(ValueError, match="noise"):
        make(n_samples=10, noise=noise)


@pytest.mark.parametrize(
    ("make", "d", "D"),
    [(make_sphere, 0, 3), (make_sphere, 2, 2), (make_linear_subspace, 0, 3), (make_linear_subspace, 4, 3)],
)
def test_bad_dimensions(make, d, D):
    """Guards the dimension checks of the sphere and the linear subspace."""
    with pytest.raises(ValueError, match="intrinsic_dim"):
        make(n_samples=10, intrinsic_dim=d, ambient_dim=D)


def test_intrinsic_dimensions_table():
    """Guards INTRINSIC_DIMENSIONS: the paper's three manifolds and the others, with their dimensions."""
    assert INTRINSIC_DIMENSIONS == {
        "swiss_roll": 1,
        "s_curve": 2,
        "hyperplane": 4,
        "sphere": 2,
        "torus": 2,
        "linear_subspace": 3,
    }


@pytest.mark.parametrize("name", sorted(INTRINSIC_DIMENSIONS))
def test_make_dataset(name):
    """Guards make_dataset: every name gives (X, its intrinsic dimension), seeded and with noise."""
    X, d = make_dataset(name, n_samples=40, random_state=0)
    assert d == INTRINSIC_DIMENSIONS[name]
    assert X.ndim == 2 and X.shape[0] == 40
    assert X.shape[1] > d
    again, _ = make_dataset(name, n_samples=40, random_state=0)
    assert np.array_equal(X, again)
    noisy, _ = make_dataset(name, n_samples=40, noise=0.1, random_state=0)
    assert not np.array_equal(X, noisy)


def test_make_dataset_dimension_matches_data():
    """Guards that the table's dimension is the data's: rank of the subspace, d + 1 for the sphere."""
    X, d = make_dataset("linear_subspace", n_samples=100, random_state=0)
    assert np.linalg.matrix_rank(X) == d
    X, d = make_dataset("sphere", n_samples=100, random_state=0)
    assert np.linalg.matrix_rank(X) == d + 1


def test_make_dataset_unknown_name():
    """Guards make_dataset's error for an unknown name: a ValueError listing the known ones."""
    with pytest.raises(ValueError, match="unknown data set.*swiss_roll"):
        make_dataset("mnist_but_misspelt")
