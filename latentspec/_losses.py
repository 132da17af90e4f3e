"""Loss terms of the LWGAN objective (METHODS.md section 1).

Every function takes per-sample ranks, so a batch may mix ranks; the terms are then
computed within each rank, as if each rank had its own batch.
"""

from __future__ import annotations

import torch

__all__ = ["gradient_penalty", "imq_mmd", "reconstruction_error"]

IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def reconstruction_error(x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """Per-sample Euclidean reconstruction error ``||x - G(Q(x))||_2`` (not squared)."""
    return torch.linalg.vector_norm(x - x_rec, dim=1)


def gradient_penalty(critic_out: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Per-sample ``(||grad_u D(u)|| - 1)^2`` at ``points`` (which must require grad)."""
    (grad,) = torch.autograd.grad(critic_out.sum(), points, create_graph=True)
    return (torch.linalg.vector_norm(grad, dim=1) - 1.0).square()


class _IMQSum(torch.autograd.Function):
    """``sum_ij sum_s C_s / (C_s + d_ij)`` per group, value and derivative in one pass.

    Written by hand because autograd would store and replay every elementwise step
    of every scale; this keeps one derivative array instead.
    """

    @staticmethod
    def forward(ctx, sq: torch.Tensor, base: float) -> torch.Tensor:
        total = torch.zeros_like(sq)
        slope = torch.zeros_like(sq)
        for scale in IMQ_SCALES:
            c = base * scale
            inv = (sq + c).reciprocal_()
            total.add_(inv, alpha=c)
            slope.addcmul_(inv, inv, value=-c)
        ctx.save_for_backward(slope)
        return total.sum(dim=(1, 2))

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (slope,) = ctx.saved_tensors
        return slope * grad_out[:, None, None], None


def imq_mmd(codes: torch.Tensor, prior: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """Unbiased MMD between encoded codes and prior draws, one estimate per group.

    The kernel is the sum of inverse multiquadrics ``C / (C + ||a - b||^2)`` over
    ``C = 2 * latent_dim * s`` for ``s`` in :data:`IMQ_SCALES`, as in the LWGAN paper.
    Rows are compared only within their group (their rank), so the cost is that
    of ``n_groups`` small kernels rather than one large one.

    Parameters
    ----------
    codes, prior : tensor of shape (n_groups, group_size, latent_dim)
        Encoder outputs ``Q(x, r)`` and prior draws of the same ranks, grouped.
    latent_dim : int
        Full latent dimension (sets the kernel scales).

    Returns
    -------
    tensor of shape (n_groups,)
        The MMD estimate of every group (0 for groups of fewer than two rows).
    """
    m = codes.shape[1]
    if m < 2:
        return torch.zeros(codes.shape[0], device=codes.device, dtype=codes.dtype)

    def kernel_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        sq = (a.square().sum(-1)[:, :, None] + b.square().sum(-1)[:, None, :] - 2.0 * a @ b.transpose(1, 2))
        return _IMQSum.apply(sq.clamp_min(0.0), 2.0 * latent_dim)

    # k(a, a) = 1 for every scale, so the diagonal of each within-sample sum is len(IMQ_SCALES) * m.
    diagonal = len(IMQ_SCALES) * m
    within = (kernel_sum(codes, codes) + kernel_sum(prior, prior) - 2 * diagonal) / (m * (m - 1))
    return within - 2.0 * kernel_sum(codes, prior) / (m * m)
