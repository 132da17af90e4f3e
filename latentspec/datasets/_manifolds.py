"""Synthetic manifolds with a known intrinsic dimension.

The first three are the toy manifolds of the LWGAN paper, generated as the authors
generate them (Qiu, Gao and Wang, arXiv:2409.18374). The others add known dimensions
the paper does not cover. Every generator returns an array of shape
``(n_samples, n_features)`` and takes ``n_samples``, ``noise`` (standard deviation of
isotropic Gaussian noise added in the ambient space) and ``random_state``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "INTRINSIC_DIMENSIONS",
    "make_dataset",
    "make_hyperplane_5d",
    "make_linear_subspace",
    "make_s_curve_3d",
    "make_sphere",
    "make_swiss_roll_2d",
    "make_torus_3d",
]



def _check(n_samples: int, noise: float) -> None:
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")


def _add_noise(X: np.ndarray, noise: float, rng: np.random.RandomState) -> np.ndarray:
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X


def make_swiss_roll_2d(n_samples: int = 2000, noise: float = 0.0, random_state: Any = None) -> np.ndarray:
    """Swiss roll in the plane (intrinsic dimension 1), as in the LWGAN paper.

    ``t = 1.5 * pi * U(1, 3)``, ``x = 0.2 * (t cos t, t sin t)``.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to every coordinate.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> make_swiss_roll_2d(n_samples=4, random_state=0).shape
    (4, 2)
    """
    _check(n_samples, noise)
    rng = check_random_state(random_state)
    t = 1.5 * np.pi * rng.uniform(1.0, 3.0, n_samples)
    X = 0.2 * np.column_stack([t * np.cos(t), t * np.sin(t)])
    return _add_noise(X, noise, rng)


def make_s_curve_3d(n_samples: int = 2000, noise: float = 0.0, random_state: Any = None) -> np.ndarray:
    """S-curve in R^3 (intrinsic dimension 2), as in the LWGAN paper.

    ``t = 3 pi U(-0.5, 0.5)``, ``x = (sin t, U(0, 2), sign(t) (cos t - 1))``.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 3)

    Examples
    --------
    >>> make_s_curve_3d(n_samples=4, random_state=0).shape
    (4, 3)
    """
    _check(n_samples, noise)
    rng = check_random_state(random_state)
    t = 3.0 * np.pi * rng.uniform(-0.5, 0.5, n_samples)
    y = rng.uniform(0.0, 2.0, n_samples)
    X = np.column_stack([np.sin(t), y, np.sign(t) * (np.cos(t) - 1.0)])
    return _add_noise(X, noise, rng)


def make_hyperplane_5d(n_samples: int = 2000, noise: float = 0.0, random_state: Any = None) -> np.ndarray:
    """The LWGAN paper's curved "hyperplane" in R^5 (intrinsic dimension 4).

    ``x1..x4 ~ N(0, 1)``, ``x5 = x1 + x2 + x3 + x4^2``.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 5)

    Examples
    --------
    >>> X = make_hyperplane_5d(n_samples=3, random_state=0)
    >>> bool(abs(X[0, 4] - (X[0, 0] + X[0, 1] + X[0, 2] + X[0, 3] ** 2)) < 1e-12)
    True
    """
    _check(n_samples, noise)
    rng = check_random_state(random_state)
    head = rng.standard_normal((n_samples, 4))
    last = head[:, 0] + head[:, 1] + head[:, 2] + head[:, 3] ** 2
    X = np.column_stack([head, last])
    return _add_noise(X, noise, rng)


def _random_rotation(dim: int, rng: np.random.RandomState) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


def make_sphere(
    n_samples: int = 2000,
    intrinsic_dim: int = 2,
    ambient_dim: int = 5,
    noise: float = 0.0,
    random_state: Any = None,
) -> np.ndarray:
    """Uniform points on the unit ``d``-sphere, randomly rotated into ``R^D``.

    The sphere ``S^d`` lives in ``R^(d+1)``; it is padded with zeros to
    ``ambient_dim`` coordinates and rotated by a random orthogonal matrix, so no
    coordinate is trivially constant.

    Parameters
    ----------
    n_samples : int, default=2000
    intrinsic_dim : int, default=2
        ``d``, the sphere's dimension.
    ambient_dim : int, default=5
        ``D``, at least ``d + 1``.
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)

    Examples
    --------
    >>> X = make_sphere(n_samples=10, intrinsic_dim=2, ambient_dim=4, random_state=0)
    >>> bool(np.allclose(np.linalg.norm(X, axis=1), 1.0))
    True
    """
    _check(n_samples, noise)
    if intrinsic_dim < 1 or ambient_dim < intrinsic_dim + 1:
        raise ValueError(
            f"need 1 <= intrinsic_dim and ambient_dim >= intrinsic_dim + 1, "
            f"got intrinsic_dim={intrinsic_dim}, ambient_dim={ambient_dim}"
        )
    rng = check_random_state(random_state)
    points = rng.standard_normal((n_samples, intrinsic_dim + 1))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    padded = np.zeros((n_samples, ambient_dim))
    padded[:, : intrinsic_dim + 1] = points
    X = padded @ _random_rotation(ambient_dim, rng).T
    return _add_noise(X, noise, rng)


def make_linear_subspace(
    n_samples: int = 2000,
    intrinsic_dim: int = 3,
    ambient_dim: int = 8,
    noise: float = 0.0,
    random_state: Any = None,
) -> np.ndarray:
    """Standard Gaussian points in a random ``d``-dimensional linear subspace of ``R^D``.

    Parameters
    ----------
    n_samples : int, default=2000
    intrinsic_dim : int, default=3
    ambient_dim : int, default=8
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)

    Examples
    --------
    >>> X = make_linear_subspace(n_samples=50, intrinsic_dim=3, ambient_dim=8, random_state=0)
    >>> int(np.linalg.matrix_rank(X))
    3
    """
    _check(n_samples, noise)
    if not 1 <= intrinsic_dim <= ambient_dim:
        raise ValueError(
            f"need 1 <= intrinsic_dim <= ambient_dim, got {intrinsic_dim} and {ambient_dim}"
        )
    rng = check_random_state(random_state)
    basis = _random_rotation(ambient_dim, rng)[:, :intrinsic_dim]
    X = rng.standard_normal((n_samples, intrinsic_dim)) @ basis.T
    return _add_noise(X, noise, rng)


def make_torus_3d(
    n_samples: int = 2000, noise: float = 0.0, random_state: Any = None, radii: tuple[float, float] = (1.0, 0.4)
) -> np.ndarray:
    """A ring torus in R^3 (intrinsic dimension 2), angles drawn uniformly.

    Parameters
    ----------
    n_samples : int, default=2000
    noise : float, default=0.0
    random_state : int, RandomState instance or None, default=None
    radii : (float, float), default=(1.0, 0.4)
        Major and minor radius.

    Returns
    -------
    X : ndarray of shape (n_samples, 3)

    Examples
    --------
    >>> make_torus_3d(n_samples=4, random_state=0).shape
    (4, 3)
    """
    _check(n_samples, noise)
    rng = check_random_state(random_state)
    major, minor = radii
    u, v = rng.uniform(0.0, 2.0 * np.pi, (2, n_samples))
    ring = major + minor * np.cos(v)
    X = np.column_stack([ring * np.cos(u), ring * np.sin(u), minor * np.sin(v)])
    return _add_noise(X, noise, rng)


#: The true intrinsic dimension of every data set :func:`make_dataset` draws, by name
#: (for ``sphere`` and ``linear_subspace``, at their default ``intrinsic_dim``).
INTRINSIC_DIMENSIONS = {
    "swiss_roll": 1,
    "s_curve": 2,
    "hyperplane": 4,
    "sphere": 2,
    "torus": 2,
    "linear_subspace": 3,
}

_GENERATORS = {
    "swiss_roll": make_swiss_roll_2d,
    "s_curve": make_s_curve_3d,
    "hyperplane": make_hyperplane_5d,
    "sphere": make_sphere,
    "torus": make_torus_3d,
    "linear_subspace": make_linear_subspace,
}


def make_dataset(
    name: str, n_samples: int = 2000, noise: float = 0.0, random_state: Any = None
) -> tuple[np.ndarray, int]:
    """Generate a named data set with its defaults; return ``(X, intrinsic_dim)``.

    Parameters
    ----------
    name : str
        One of the keys of :data:`INTRINSIC_DIMENSIONS`.
    n_samples, noise, random_state
        As for the generators.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    intrinsic_dim : int

    Examples
    --------
    >>> X, d = make_dataset("swiss_roll", n_samples=10, random_state=0)
    >>> X.shape, d
    ((10, 2), 1)
    """
    if name not in _GENERATORS:
        raise ValueError(f"unknown data set {name!r}; expected one of {sorted(_GENERATORS)}")
    X = _GENERATORS[name](n_samples=n_samples, noise=noise, random_state=random_state)
    return X, INTRINSIC_DIMENSIONS[name]
