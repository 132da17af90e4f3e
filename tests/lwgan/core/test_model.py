"""The LWGAN module (latentspec/lwgan/core/_model.py): rank layouts, the masked encoder, the rank terms."""

import numpy as np
import torch

from latentspec.lwgan.core._model import RankLayout


def test_encoder_output_is_masked_beyond_the_rank(fitted_auto, s_curve):
    """Q(x, r) has exactly zero coordinates r+1..latent_dim, for every r."""
    module = fitted_auto.module_
    x = torch.tensor(np.array(s_curve[:10]), dtype=torch.float32, device=fitted_auto.device_)
    for r in range(1, 4):
        codes = module.encode(x, RankLayout.blocks([r], 10, 3, x.device))
        assert torch.all(codes[:, r:] == 0)
        assert torch.all(codes[:, :r].abs().sum(0) > 0)


def test_rank_blocks_group_rows():
    """Blocks of equal size, one rank each, viewed per group."""
    layout = RankLayout.blocks([1, 2, 3], 4, 3, torch.device("cpu"))
    assert layout.n_rows == 12
    assert layout.mask.tolist() == [[1, 0, 0]] * 4 + [[1, 1, 0]] * 4 + [[1, 1, 1]] * 4
    assert layout.grouped(torch.zeros(12, 5)).shape == (3, 4, 5)
    assert layout.repeated(2).n_groups == 6
    assert layout.repeated(2).ranks == (1, 2, 3, 1, 2, 3)
    shared = RankLayout.blocks([2, 2], 4, 3, torch.device("cpu"))
    assert shared.mask.tolist() == [1, 1, 0] and shared.n_rows == 8


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
