"""Shared settings and fixtures: one CPU thread, tiny network settings, small data sets."""

import numpy as np
import pytest
import torch

from latentspec import LWGANEstimator
from latentspec.datasets import make_s_curve_3d

from ._tiny import TINY_PARAMS

# The test fits are tiny, so per-op overhead dominates and extra threads only add
# contention: on a loaded 2-core machine two intra-op threads made one fit 10x slower.
torch.set_num_threads(1)


@pytest.fixture
def tiny_params():
    """A fresh copy of the tiny settings, safe to modify in a test."""
    return dict(TINY_PARAMS)


@pytest.fixture(scope="session")
def s_curve():
    """200 rows of the noiseless S-curve in R^3 (intrinsic dimension 2), read-only."""
    X = make_s_curve_3d(n_samples=200, random_state=0)
    X.setflags(write=False)
    return X


@pytest.fixture(scope="session")
def s_curve_test():
    """100 further S-curve rows, drawn with another seed, for held-out scoring."""
    X = make_s_curve_3d(n_samples=100, random_state=1)
    X.setflags(write=False)
    return X


@pytest.fixture(scope="session")
def fitted_auto(s_curve):
    """A tiny model with ``rank="auto"`` and ``latent_dim=3``, fitted once; do not mutate."""
    return LWGANEstimator(latent_dim=3, **TINY_PARAMS).fit(s_curve)


@pytest.fixture(scope="session")
def fitted_rank2(s_curve):
    """A tiny model with the rank fixed at 2 (``latent_dim=3``), fitted once; do not mutate."""
    return LWGANEstimator(latent_dim=3, rank=2, **TINY_PARAMS).fit(s_curve)


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data."""
    return np.random.default_rng(0)
