"""The loss terms: the IMQ-MMD against a plain reference, in float32 under autocast."""

import torch

from latentspec.lwgan.core._losses import IMQ_SCALES, imq_mmd


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


def test_mmd_runs_in_float32_under_autocast():
    """The MMD's kernel sums cancel to small differences, so autocast must not run them in bfloat16."""
    from latentspec.lwgan.core._losses import imq_mmd

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 64, 3, generator=g), torch.randn(2, 64, 3, generator=g)
    expected = imq_mmd(a, b, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = imq_mmd(a.bfloat16(), b.bfloat16(), 3)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, imq_mmd(a.bfloat16().float(), b.bfloat16().float(), 3))
    torch.testing.assert_close(mixed, expected, atol=2e-3, rtol=0.05)
