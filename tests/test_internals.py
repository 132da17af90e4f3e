"""The pieces under LWGANEstimator: the MMD kernel, rank-conditioned layers, the training phases."""

import numpy as np
import pytest
import torch

from latentspec import LWGANEstimator, TrainingDiverged
from latentspec._losses import IMQ_SCALES, gradient_norm_penalty, imq_mmd
from latentspec._model import RankLayout
from latentspec._networks import ConditionedMLP, initialise, one_hot_codes, rank_masks, thermometer_codes


def _reference_mmd(codes, prior, latent_dim):
    """The unbiased IMQ MMD written plainly, one group at a time, with cdist and a mask."""
    out = []
    for a, b in zip(codes, prior):
        def kernel(x, y):
            sq = torch.cdist(x, y).square()
            return sum((2 * latent_dim * s) / (2 * latent_dim * s + sq) for s in IMQ_SCALES)

        m = a.shape[0]
        off = 1 - torch.eye(m, dtype=a.dtype)
        within = ((kernel(a, a) + kernel(b, b)) * off).sum() / (m * (m - 1))
        out.append(within - 2 * kernel(a, b).sum() / m**2)
    return torch.stack(out)


def test_imq_mmd_matches_reference_and_its_gradient_is_exact():
    """The fused kernel gives the same value as the plain formula, and gradcheck passes."""
    gen = torch.Generator().manual_seed(0)
    codes = torch.randn(3, 40, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    prior = torch.randn(3, 40, 4, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(imq_mmd(codes, prior, 4), _reference_mmd(codes, prior, 4))
    assert torch.autograd.gradcheck(lambda c: imq_mmd(c, prior, 4), (codes,))


def test_imq_mmd_separates_distributions():
    """Same law: MMD near 0; a shifted law: clearly positive."""
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 1, 400, 2, generator=gen)
    same = imq_mmd(a, b, 2).item()
    shifted = imq_mmd(a + 2.0, b, 2).item()
    assert abs(same) < 0.02
    assert shifted > 0.2


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


def test_encoder_output_is_masked_beyond_the_rank(fitted_auto, s_curve):
    """Q(x, r) has exactly zero coordinates r+1..latent_dim, for every r."""
    module = fitted_auto.module_
    x = torch.tensor(np.array(s_curve[:10]), dtype=torch.float32)
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


@pytest.mark.parametrize("rank_sampling", ["per_sample", "per_iteration"])
def test_adversarial_phase_runs_and_is_logged(tiny_params, s_curve, rank_sampling):
    """n_iter > 0 plays the LWGAN game; its losses appear in history_ and are finite."""
    est = LWGANEstimator(latent_dim=3, rank_sampling=rank_sampling, **{**tiny_params, "n_iter": 6}).fit(s_curve)
    phases = np.array(est.history_["phase"])
    adversarial = phases == "adversarial"
    assert adversarial.sum() >= 1
    for term in ("critic_gap", "gradient_penalty", "reconstruction", "mmd"):
        assert np.isfinite(np.array(est.history_[term])[adversarial]).all()
    assert set(phases) == {"warmup", "adversarial", "critic_refit"}


def test_divergence_is_reported(tiny_params, s_curve):
    """A learning rate that blows the losses up stops the fit with a clear error."""
    est = LWGANEstimator(latent_dim=2, **{**tiny_params, "n_warmup": 30, "learning_rate": 1e30})
    with pytest.raises(TrainingDiverged, match="diverged"):
        est.fit(s_curve * 1e20)


def test_bfloat16_training_is_mixed_precision_and_reproducible(tiny_params, s_curve):
    """precision='bfloat16' changes the arithmetic of training (not its API) and stays reproducible."""
    params = dict(latent_dim=2, **{**tiny_params, "n_warmup": 20})
    full = LWGANEstimator(**params).fit(s_curve)
    mixed = LWGANEstimator(precision="bfloat16", **params).fit(s_curve)
    again = LWGANEstimator(precision="bfloat16", **params).fit(s_curve)
    Z = mixed.transform(s_curve)
    assert Z.dtype == np.float64 and np.isfinite(Z).all()
    assert all(p.dtype == torch.float32 for p in mixed.module_.parameters())
    np.testing.assert_array_equal(again.transform(s_curve), Z)
    assert not np.array_equal(full.transform(s_curve), Z), "bfloat16 made no difference: autocast is not on"


def test_mmd_runs_in_float32_under_autocast():
    """The MMD's kernel sums cancel to small differences, so autocast must not run them in bfloat16."""
    from latentspec._losses import imq_mmd

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 64, 3, generator=g), torch.randn(2, 64, 3, generator=g)
    expected = imq_mmd(a, b, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = imq_mmd(a.bfloat16(), b.bfloat16(), 3)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, imq_mmd(a.bfloat16().float(), b.bfloat16().float(), 3))
    torch.testing.assert_close(mixed, expected, atol=2e-3, rtol=0.05)


def test_import_without_torch_says_what_to_install():
    """Guards the first thing a user without torch sees: a message naming torch and how to install it."""
    import subprocess
    import sys

    code = "import sys; sys.modules['torch'] = None; import latentspec"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "latentspec needs PyTorch" in result.stderr and "pip install torch" in result.stderr
