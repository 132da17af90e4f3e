"""Data shared by the tests of latentspec.lwgan (tests/lwgan)."""

import numpy as np


def _subspace(n, d, D, seed=0):
    """``n`` Gaussian points on a random ``d``-dimensional linear subspace of ``R^D``."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, D))
