"""Synthetic latent codes shared by the tests of the deep LSD estimators (tests/lsd)."""

import numpy as np

# Few draws keep every fit in milliseconds; the method is the same at any count.
FAST = {"n_rounds": 4, "n_draws": 400}


def clusters(n_classes=3, dim=5, n_per_class=40, spread=0.3, seed=0, labels=None):
    """Gaussian clusters of latent codes around 3 e_k (class k), well separated and not centred."""
    rng = np.random.default_rng(seed)
    index = np.repeat(np.arange(n_classes), n_per_class)
    Z = 3.0 * np.eye(dim)[index] + spread * rng.standard_normal((len(index), dim))
    y = index if labels is None else np.asarray(labels)[index]
    return Z, y
