"""Gram-Schmidt of the class means (latentspec/lsd/_gram_schmidt.py): the lift of centred means."""

import numpy as np
import pytest

from latentspec.lsd._gram_schmidt import _lift_class_means


def test_lift_makes_a_simplex_orthogonal_and_leaves_orthogonal_means_alone():
    """Guards the basis step for centred codes: negatively correlated means get a common offset, others none."""
    rng = np.random.default_rng(0)
    simplex = np.eye(4)[:, :4] - 0.25  # four centred means in R^4 (span 3 dimensions)
    means = np.hstack([simplex, np.zeros((4, 2))]) @ np.linalg.qr(rng.standard_normal((6, 6)))[0]
    lifted, offset = _lift_class_means(means)
    gram = lifted @ lifted.T
    np.testing.assert_allclose(gram - np.diag(np.diag(gram)), 0.0, atol=1e-12)
    assert offset == pytest.approx(np.sqrt(0.25))
    orthogonal = 3.0 * np.eye(3, 5)
    same, none = _lift_class_means(orthogonal)
    assert none == 0.0 and same is orthogonal
    spanning = -np.eye(3) + 0.1  # negatively correlated, but they span R^3: no direction is free
    assert _lift_class_means(spanning)[1] == 0.0
