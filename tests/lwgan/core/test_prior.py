"""The one latent prior (latentspec/lwgan/core/_prior.py): N(0, I) and the class mixture, torch and numpy draws."""

from __future__ import annotations

import numpy as np
import torch

from latentspec.lwgan.core._prior import CLASS_SEPARATION, LatentPrior


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
