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


def imq_mmd(codes: torch.Tensor, prior: torch.Tensor, groups: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """Unbiased MMD between encoded codes and prior draws, per rank group.

    The kernel is the sum of inverse multiquadrics ``C / (C + ||a - b||^2)`` over
    ``C = 2 * latent_dim * s`` for ``s`` in :data:`IMQ_SCALES`, as in the LWGAN paper.

    Parameters
    ----------
    codes, prior : tensor of shape (n, latent_dim)
        Encoder outputs ``Q(x, r_i)`` and prior draws of the same ranks.
    groups : tensor of shape (n, n_groups)
        One-hot group membership (the rank of each row).
    latent_dim : int
        Full latent dimension (sets the kernel scales).

    Returns
    -------
    tensor of shape (n_groups,)
        The MMD estimate of every group; groups with fewer than two rows get 0.
    """
    n = codes.shape[0]
    both = torch.cat([codes, prior])
    sq = torch.cdist(both, both).square()
    kernel = torch.zeros_like(sq)
    for scale in IMQ_SCALES:
        c = 2.0 * latent_dim * scale
        kernel = kernel + c / (c + sq)
    k_qq, k_qp, k_pp = kernel[:n, :n], kernel[:n, n:], kernel[n:, n:]
    off_diagonal = 1.0 - torch.eye(n, device=codes.device, dtype=codes.dtype)
    g = groups
    within = g.T @ ((k_qq + k_pp) * off_diagonal) @ g
    cross = g.T @ k_qp @ g
    counts = g.sum(0)
    pairs = (counts * (counts - 1)).clamp_min(1.0)
    mmd = within.diagonal() / pairs - 2.0 * cross.diagonal() / counts.square().clamp_min(1.0)
    return torch.where(counts >= 2, mmd, torch.zeros_like(mmd))
