"""Loss terms of the LWGAN objective (Qiu, Gao and Wang, arXiv:2409.18374; see docs/lwgan.md).

Every function takes per-sample ranks, so a batch may mix ranks; the terms are then
computed within each rank, as if each rank had its own batch.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ._prior import CLASS_SEPARATION

__all__ = ["gradient_norm_penalty", "imq_mmd", "class_posterior_loss", "reconstruction_error"]

IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def reconstruction_error(x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """Per-sample Euclidean reconstruction error ``||x - G(Q(x))||_2`` (not squared)."""
    return torch.linalg.vector_norm(x - x_rec, dim=1)


def gradient_norm_penalty(grad: torch.Tensor) -> torch.Tensor:
    """Per-sample ``(||g|| - 1)^2`` of the critic's input gradients ``g`` (one row per sample)."""
    return (torch.linalg.vector_norm(grad, dim=1) - 1.0).square()



def class_posterior_loss(codes: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Cross-entropy of the class posterior of the class-conditional prior.

    Under the prior ``z | y = k ~ N(s e_k, I)`` with ``s =`` :data:`CLASS_SEPARATION`
    and equal class weights, ``log p(y = k | z) = s z_k + const``: the logits of a
    code are ``s * z[:n_classes]``. The term asks each code to be explained by the
    component of its own class.

    Parameters
    ----------
    codes : tensor of shape (n, latent_dim)
        Encoder outputs of rank at least ``n_classes``.
    labels : tensor of shape (n,)
        Class indices in ``0..n_classes-1``.
    n_classes : int

    Returns
    -------
    tensor
        The mean cross-entropy (a scalar).
    """
    return F.cross_entropy(CLASS_SEPARATION * codes[:, :n_classes], labels)


class _IMQKernelSum(torch.autograd.Function):
    """``sum_ij sum_s C_s / (C_s + ||a_i - b_j||^2)`` per group, with a hand-written gradient.

    Autograd would store and replay every elementwise step of every scale and of
    the squared distances; this keeps one derivative array ``S_ij = dk/dd_ij`` and
    returns the gradients ``2 (a_i sum_j S_ij - sum_j S_ij b_j)`` (and likewise for
    ``b``) with two matrix products. Calling it as ``(a, a)`` gives the gradient of
    a within-sample sum, as autograd adds the two.
    """

    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor, base: float) -> torch.Tensor:
        sq = torch.baddbmm(b.square().sum(-1)[:, None, :], a, b.transpose(1, 2), alpha=-2.0)
        sq.add_(a.square().sum(-1)[:, :, None]).clamp_min_(0.0)
        needs_slope = ctx.needs_input_grad[0] or ctx.needs_input_grad[1]
        total = torch.zeros_like(sq)
        slope = torch.zeros_like(sq) if needs_slope else None
        inv = torch.empty_like(sq)
        for scale in IMQ_SCALES:
            c = base * scale
            torch.add(sq, c, out=inv).reciprocal_()
            total.add_(inv, alpha=c)
            if slope is not None:
                slope.addcmul_(inv, inv, value=-c)
        ctx.save_for_backward(a, b, slope)
        return total.sum(dim=(1, 2))

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        a, b, slope = ctx.saved_tensors
        weights = slope * grad_out[:, None, None]
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = 2.0 * (a * weights.sum(2, keepdim=True) - weights @ b)
        if ctx.needs_input_grad[1]:
            grad_b = 2.0 * (b * weights.sum(1)[:, :, None] - weights.transpose(1, 2) @ a)
        return grad_a, grad_b, None


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
    dtype = torch.promote_types(torch.promote_types(codes.dtype, prior.dtype), torch.float32)
    if m < 2:
        return torch.zeros(codes.shape[0], device=codes.device, dtype=dtype)
    # At least float32 even under mixed precision: the kernel sums cancel to small differences.
    with torch.autocast(codes.device.type, enabled=False):
        return _imq_mmd(codes.to(dtype), prior.to(dtype), m, 2.0 * latent_dim)


def _imq_mmd(codes: torch.Tensor, prior: torch.Tensor, m: int, base: float) -> torch.Tensor:
    # k(a, a) = 1 for every scale, so the diagonal of each within-sample sum is len(IMQ_SCALES) * m.
    diagonal = len(IMQ_SCALES) * m
    within_codes = _IMQKernelSum.apply(codes, codes, base)
    within_prior = _IMQKernelSum.apply(prior, prior, base)
    within = (within_codes + within_prior - 2 * diagonal) / (m * (m - 1))
    return within - 2.0 * _IMQKernelSum.apply(codes, prior, base) / (m * m)
