"""The one latent prior (torch and numpy draws) and the rank scores weighted by term name."""

from __future__ import annotations

import numpy as np
import torch

from latentspec.lwgan.core._prior import CLASS_SEPARATION, LatentPrior
from latentspec.lwgan.core._scoring import SCORE_TERMS, score_weights


def test_the_normal_prior_is_standard_in_torch_and_numpy():
    prior = LatentPrior(3)
    z = prior.draw(20_000, torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=0.03)
    assert prior.offsets(5, torch.Generator()) == 0.0
    assert prior.sample_numpy(4, rank=2, rng=np.random.default_rng(0)).shape == (4, 2)


def test_the_class_mixture_puts_every_class_on_its_own_axis():
    prior = LatentPrior(4, class_weights=np.array([0.25, 0.75]))
    classes = torch.tensor([0, 1, 1])
    z = prior.draw(3, torch.Generator().manual_seed(0), classes)
    plain = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose((z - plain).numpy(), CLASS_SEPARATION * np.eye(2, 4)[[0, 1, 1]])
    drawn = prior.draw_classes(20_000, torch.Generator().manual_seed(1)).numpy()
    assert abs(drawn.mean() - 0.75) < 0.02
    z = prior.sample_numpy(20_000, rank=4, rng=np.random.default_rng(0))
    np.testing.assert_allclose(z.mean(axis=0) / CLASS_SEPARATION, [0.25, 0.75, 0, 0], atol=0.02)


def test_a_component_beyond_the_rank_is_projected_to_zero():
    z = LatentPrior(4, class_weights=np.array([0.0, 1.0])).sample_numpy(2000, rank=1, rng=np.random.default_rng(0))
    assert abs(z.mean()) < 0.1  # class 1's axis is coordinate 2, outside rank 1


def test_score_weights_are_named_for_every_term():
    weights = score_weights(0.3)
    assert set(weights) == set(SCORE_TERMS)
    assert weights["mmd"] == 0.3 and weights["reconstruction"] == 1.0


class PlaneModel:
    """Stand-in networks for data on the plane x3 = 0 of R^3: the generator keeps the
    first two latent coordinates and drops the third, the encoder copies x back."""

    latent_dim = 3

    @staticmethod
    def generate(z):
        return torch.cat([z[:, :2], torch.zeros_like(z[:, 2:])], dim=1)

    @staticmethod
    def encoder(x, code):
        return x


def test_latent_reconstruction_is_zero_up_to_the_dimension_and_grows_after_it():
    """A generator that folds a latent coordinate away cannot be inverted: the term sees the extra rank."""
    from latentspec.lwgan.core._model import LWGANModule

    model = LWGANModule(3, 3, (8,), (8,), (8,), "relu")
    model.generate = PlaneModel.generate
    model.encoder.forward = PlaneModel.encoder
    g = torch.Generator().manual_seed(0)
    n = 4000
    x = torch.cat([torch.randn(n, 2, generator=g), torch.zeros(n, 1)], dim=1)
    z, prior, alpha = torch.randn(n, 3, generator=g), torch.randn(n, 3, generator=g), torch.rand(n, 1, generator=g)
    terms = model.rank_terms(x, z, prior, alpha, [1, 2, 3])
    latent = terms["latent_reconstruction"].numpy()
    np.testing.assert_allclose(latent[:2], 0.0, atol=1e-6)  # ranks 1 and 2: G is one-to-one, Q inverts it
    assert abs(latent[2] - np.sqrt(2 / np.pi)) < 0.05  # rank 3: E|z3| is lost
