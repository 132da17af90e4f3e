"""Low-rank rows with white noise, shared by the tests of latentspec.denoising (tests/denoising)."""

import numpy as np


def low_rank(n=1500, p=40, rank=4, noise=0.3, seed=0):
    """Clean rows on a ``rank``-dimensional subspace of R^p, and the same with white noise."""
    rng = np.random.default_rng(seed)
    clean = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, p))
    return clean, clean + noise * rng.standard_normal(clean.shape)
