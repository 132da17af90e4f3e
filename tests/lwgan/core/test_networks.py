"""The rank-conditioned networks (latentspec/lwgan/core/_networks.py): codes and masks, the conditioned layer,
the written-out penalty gradient, dropout of hidden units.
"""

import pytest
import torch

from latentspec.lwgan.core._losses import gradient_norm_penalty
from latentspec.lwgan.core._networks import (
    ConditionedMLP,
    HiddenDropout,
    initialise,
    one_hot_codes,
    rank_masks,
    thermometer_codes,
)


def test_codes_and_masks():
    """One-hot, thermometer and mask codes of ranks 1 and 3 out of 3."""
    ranks = torch.tensor([1, 3])
    assert one_hot_codes(ranks, 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert thermometer_codes(ranks, 3).tolist() == [[0, 0, 0], [1, 1, 0]]
    assert rank_masks(ranks, 3).tolist() == [[1, 0, 0], [1, 1, 1]]


def test_conditioned_layer_equals_concatenation():
    """Adding W_c code equals a linear layer on [x, code], the authors' conditioning."""
    net = ConditionedMLP(3, (8,), 2, code_dim=4, activation="relu")
    initialise(net, torch.Generator().manual_seed(0))
    x = torch.randn(5, 3)
    code = one_hot_codes(torch.tensor([1, 2, 3, 4, 2]), 4)
    hidden = torch.relu(
        torch.cat([x, code], 1) @ torch.cat([net.layers[0].weight, net.code_weights[0]], 1).T + net.layers[0].bias
    )
    expected = torch.cat([hidden, code], 1) @ torch.cat([net.layers[1].weight, net.code_weights[1]], 1).T
    torch.testing.assert_close(net(x, code), expected + net.layers[1].bias)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "silu", "tanh", "elu"])
@pytest.mark.parametrize("code_form", ["shared", "per_row", "per_block"])
def test_penalty_matches_autograd_double_backward(activation, code_form):
    """The written-out input gradient gives the autograd penalty and the same parameter gradients."""
    net = ConditionedMLP(3, (16, 8), 1, code_dim=4, activation=activation).double()
    initialise(net, torch.Generator().manual_seed(0))
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ranks = torch.tensor([2, 2, 2, 4, 4, 4]) if code_form != "shared" else torch.tensor([3] * 6)
    code = thermometer_codes(ranks, 4).double()
    code = {"shared": code[0], "per_row": code, "per_block": code[::3, None, :]}[code_form]

    points = x.clone().requires_grad_(True)
    reference_out = net(points, code).squeeze(1)
    (reference_grad,) = torch.autograd.grad(reference_out.sum(), points, create_graph=True)
    reference = gradient_norm_penalty(reference_grad).sum()
    out, grad = net.forward_with_input_gradient(x, code)
    penalty = gradient_norm_penalty(grad).sum()

    torch.testing.assert_close(out, reference_out.detach())
    torch.testing.assert_close(penalty, reference.detach())
    params = list(net.parameters())
    got_grads = torch.autograd.grad(penalty, params, materialize_grads=True)
    for got, expected in zip(got_grads, torch.autograd.grad(reference, params, materialize_grads=True)):
        torch.testing.assert_close(got, expected)
    with torch.no_grad():  # in-place activations must not corrupt the pre-activations it needs
        torch.testing.assert_close(net.forward_with_input_gradient(x, code)[1], grad.detach())
        out_tail, grad_tail = net.forward_with_input_gradient(x, code, first_row=4)
        torch.testing.assert_close(out_tail, out.detach())
        torch.testing.assert_close(grad_tail, grad[4:].detach())


def test_conditioned_mlp_code_forms_agree():
    """A code shared by all rows, one per row, and one per block give the same outputs."""
    net = ConditionedMLP(3, (8, 8), 2, code_dim=4, activation="leaky_relu")
    initialise(net, torch.Generator().manual_seed(0))
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    per_row = one_hot_codes(torch.tensor([2, 2, 2, 4, 4, 4]), 4)
    per_block = one_hot_codes(torch.tensor([2, 4]), 4)[:, None, :]
    torch.testing.assert_close(net(x, per_block), net(x, per_row))
    torch.testing.assert_close(net(x[:3], per_row[0]), net(x[:3], per_row[:3]))


def test_hidden_dropout_drops_at_the_rate_and_rescales():
    """Guards the masks: about `rate` of the units are zeroed, the rest scaled so the mean is kept."""
    drop = HiddenDropout()
    drop.activate(0.25, torch.Generator().manual_seed(0))
    x = torch.ones(200, 500)
    y = drop(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.25) < 0.01
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))
    assert abs(y.mean().item() - 1.0) < 0.02
    # Same generator state, same masks; the global generator is not used.
    state = torch.random.get_rng_state()
    again = HiddenDropout()
    again.activate(0.25, torch.Generator().manual_seed(0))
    torch.testing.assert_close(again(x), y)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_hidden_dropout_is_the_identity_outside_training():
    drop = HiddenDropout()
    drop.activate(0.5, torch.Generator().manual_seed(0))
    x = torch.randn(4, 50)
    with torch.no_grad():
        assert torch.equal(drop(x), x)
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    drop.activate(0.0, None)
    assert torch.equal(drop(x), x) and drop.generator is None
