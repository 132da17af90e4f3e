"""Data sets with a known intrinsic dimension, and real digit images.

The first three are the toy manifolds of the LWGAN paper, generated as the authors
generate them (Qiu, Gao and Wang, arXiv:2409.18374). The others add known dimensions the paper
does not cover. Every generator returns an array of shape ``(n_samples, n_features)``
and takes ``n_samples``, ``noise`` (standard deviation of isotropic Gaussian noise
added in the ambient space) and ``random_state``.

Real images, as pixels scaled to [0, 1] with their labels: :func:`load_digits_scaled`
(scikit-learn's 8 x 8 digits, always there), :func:`load_mnist_sample` (5,000 MNIST
digits, with the optional extra ``pip install "latentspec[mnist]"``) and
:func:`fetch_mnist` (all 70,000 MNIST digits, downloaded once and cached).

>>> from latentspec.datasets import make_s_curve_3d, INTRINSIC_DIMENSIONS
>>> make_s_curve_3d(n_samples=5, random_state=0).shape
(5, 3)
>>> INTRINSIC_DIMENSIONS["s_curve"]
2
"""

from __future__ import annotations

from ._images import MNIST_MIRRORS, fetch_mnist, load_digits_scaled, load_mnist_sample
from ._manifolds import (
    INTRINSIC_DIMENSIONS,
    make_dataset,
    make_hyperplane_5d,
    make_linear_subspace,
    make_s_curve_3d,
    make_sphere,
    make_swiss_roll_2d,
    make_torus_3d,
)

__all__ = [
    "INTRINSIC_DIMENSIONS",
    "MNIST_MIRRORS",
    "fetch_mnist",
    "load_digits_scaled",
    "load_mnist_sample",
    "make_dataset",
    "make_hyperplane_5d",
    "make_linear_subspace",
    "make_s_curve_3d",
    "make_sphere",
    "make_swiss_roll_2d",
    "make_torus_3d",
]
