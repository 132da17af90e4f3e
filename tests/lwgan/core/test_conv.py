"""Convolutional networks for images (latentspec/lwgan/core/_conv.py): shapes, rank masking, the penalty gradient."""

import numpy as np
import pytest
import torch

from latentspec.lwgan.core._conv import ConvConditioned, ConvGenerator, conv_output_size
from latentspec.lwgan.core._model import LWGANModule, RankLayout
from latentspec.lwgan.core._networks import initialise


@pytest.mark.parametrize("image_shape", [(1, 8, 8), (3, 6, 10), (1, 28, 28), (2, 7, 5)])
def test_shapes_round_trip_for_any_image_size(image_shape):
    """Guards sizes: codes of latent_dim columns, masked beyond the rank; images of exactly c*h*w values."""
    n_features = int(np.prod(image_shape))
    module = LWGANModule(n_features, 4, (16,), (16,), (16,), "leaky_relu", image_shape, (4, 8))
    initialise(module, torch.Generator().manual_seed(0))
    x = torch.randn(6, n_features, generator=torch.Generator().manual_seed(1))
    layout = RankLayout.blocks([1, 3], 3, 4, torch.device("cpu"))
    codes = module.encode(x, layout)
    assert codes.shape == (6, 4)
    assert (codes[:3, 1:] == 0).all() and (codes[3:, 3:] == 0).all()
    assert (codes[:3, 0] != 0).all() and (codes[3:, :3] != 0).all()
    assert module.generate(codes).shape == (6, n_features)
    assert module.criticise(x, layout).shape == (6,)


def test_conv_output_size():
    assert [conv_output_size(28, k) for k in range(4)] == [28, 14, 7, 3]
    assert conv_output_size(5, 2) == 1


def test_generator_mirrors_the_encoder():
    gen = ConvGenerator(3, (8,), (1, 7, 9), (4, 8), "relu")
    assert gen.start == (8, 2, 3)
    assert gen(torch.zeros(2, 3)).shape == (2, 63)


@pytest.mark.parametrize("code_shape", ["shared", "per_block"])
def test_penalty_gradient_matches_autograd(code_shape):
    """forward_with_input_gradient: outputs and input gradients as autograd gives them, differentiable."""
    torch.manual_seed(0)
    critic = ConvConditioned((1, 8, 8), (4, 8), (16,), 1, 3, "leaky_relu")
    x = torch.randn(6, 64)
    code = torch.tensor([1.0, 1.0, 0.0]) if code_shape == "shared" else torch.eye(3)[:2, None, :]
    out, grad = critic.forward_with_input_gradient(x, code, first_row=2)
    inputs = x.clone().requires_grad_(True)
    expected = critic(inputs, code).reshape(6)
    (expected_grad,) = torch.autograd.grad(expected.sum(), inputs)
    # Two float32 computations of the same quantity, summed in different orders:
    # tolerances a little above assert_close's defaults (a wrong formula is off by O(1)).
    close = {"rtol": 1e-4, "atol": 1e-5}
    torch.testing.assert_close(out, expected, **close)
    torch.testing.assert_close(grad, expected_grad[2:], **close)
    # The penalty trains the critic: its gradient reaches the weights.
    grad.square().sum().backward()
    assert critic.trunk.convs[0].weight.grad is not None and critic.trunk.convs[0].weight.grad.abs().sum() > 0
    with torch.no_grad():
        out, grad = critic.forward_with_input_gradient(x, code, first_row=2)
    assert not out.requires_grad and not grad.requires_grad
    torch.testing.assert_close(grad, expected_grad[2:], **close)
