"""The LWGAN module: rank layouts and the masked encoder."""

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
