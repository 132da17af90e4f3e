"""Dense layers whose float32 matrix products run through oneDNN on a CPU.

PyTorch's CPU ``torch.addmm``/``torch.mm`` call the BLAS it was built with (MKL
in the official wheels). MKL picks its fastest code path only on Intel CPUs; on
an AMD EPYC the same float32 product runs at less than half the speed that
oneDNN (which PyTorch also ships, for convolutions) reaches on the same core,
at the same float32 precision. The LWGAN spends about three quarters of its
training time in the matrix products of its dense layers, so :func:`linear`
sends them to oneDNN when it can:

* forward: ``torch.ops.mkldnn._linear_pointwise`` (oneDNN's inner product),
* backward: the same product for the input gradient and for the weight
  gradient, written with :func:`linear` again, so that a gradient of a
  gradient (the critic's penalty through autograd) works too.

Everything else falls back to :func:`torch.nn.functional.linear`: other devices,
other dtypes, autocast (mixed precision already uses oneDNN's bfloat16
kernels), PyTorch builds without oneDNN or without the operator, and
``torch.backends.mkldnn`` switched off. Set the environment variable
``LATENTSPEC_CPU_MATMUL=default`` before importing latentspec to always use
PyTorch's own products.

Results are float32 products as before, summed in a different order: a fit
with a given ``random_state`` is reproducible on one machine, but differs in
the last bits from a fit that used the other backend.
"""

from __future__ import annotations

import os

import torch
from torch.nn import functional as F

__all__ = ["linear", "matmul_backend", "onednn_available"]

_POINTWISE = getattr(torch.ops.mkldnn, "_linear_pointwise", None) if hasattr(torch.ops, "mkldnn") else None


def _pointwise(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    return _POINTWISE(x, weight, bias, "none", [], "")


def _self_test() -> bool:
    """Whether the oneDNN product exists here and agrees with PyTorch's on a small case."""
    if _POINTWISE is None or not torch.backends.mkldnn.is_available():
        return False
    try:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(7, 5, generator=generator)
        weight = torch.randn(3, 5, generator=generator)
        bias = torch.randn(3, generator=generator)
        expected = F.linear(x, weight, bias)
        checks = (
            (_pointwise(x, weight, bias), expected),
            (_pointwise(x.t().contiguous().t(), weight.t().contiguous().t(), None), expected - bias),
            (_pointwise(x.reshape(1, 7, 5), weight, bias), expected.reshape(1, 7, 3)),
        )
        return all(got.shape == want.shape and torch.allclose(got, want, atol=1e-5) for got, want in checks)
    except Exception:  # noqa: BLE001 - any failure means: do not use it
        return False


def _cpu_autocast_check():
    """``torch.is_autocast_enabled("cpu")`` (torch >= 2.4), or its older spelling."""
    try:
        torch.is_autocast_enabled("cpu")
    except TypeError:
        return torch.is_autocast_cpu_enabled
    return lambda: torch.is_autocast_enabled("cpu")


_cpu_autocast_enabled = _cpu_autocast_check()

_ENABLED = os.environ.get("LATENTSPEC_CPU_MATMUL", "onednn").strip().lower() != "default" and _self_test()


def onednn_available() -> bool:
    """Whether float32 dense layers on this CPU go through oneDNN (see the module docstring)."""
    return _ENABLED and torch.backends.mkldnn.enabled


def matmul_backend() -> str:
    """``"onednn"`` or ``"default"``: which CPU float32 products :func:`linear` uses now."""
    return "onednn" if onednn_available() else "default"


def _use_onednn(x: torch.Tensor, weight: torch.Tensor) -> bool:
    return (
        _ENABLED
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and x.dim() >= 2
        and weight.dim() == 2
        and x.numel() > 0
        and weight.numel() > 0
        and torch.backends.mkldnn.enabled
        and not _cpu_autocast_enabled()
    )


class _OneDNNLinear(torch.autograd.Function):
    """``x @ weight.T + bias`` by oneDNN, with a backward made of the same products."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _pointwise(x, weight, bias)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = linear(grad, weight.t())  # grad @ weight
        if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
            rows = grad.reshape(-1, grad.shape[-1])
            if ctx.needs_input_grad[1]:
                inputs = x.reshape(-1, x.shape[-1])
                # grad.T @ x. oneDNN wants its left operand contiguous, so the narrower of
                # the two (the one cheaper to transpose) goes on the left.
                if rows.shape[1] <= inputs.shape[1]:
                    grad_weight = linear(rows.t().contiguous(), inputs.t())
                else:
                    grad_weight = linear(inputs.t().contiguous(), rows.t()).t()
            if ctx.has_bias and ctx.needs_input_grad[2]:
                grad_bias = rows.sum(0)
        return grad_x, grad_weight, grad_bias


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``x @ weight.T + bias``, like :func:`torch.nn.functional.linear`, by oneDNN where it helps.

    Parameters
    ----------
    x : tensor of shape (..., in_features)
    weight : tensor of shape (out_features, in_features)
        Any strides (a transposed view is fine).
    bias : tensor of shape (out_features,), optional

    Returns
    -------
    tensor of shape (..., out_features)

    Examples
    --------
    >>> import torch
    >>> from latentspec.lwgan.core._linear import linear
    >>> x, w, b = torch.ones(4, 3), torch.full((2, 3), 0.5), torch.tensor([1.0, -1.0])
    >>> linear(x, w, b).tolist()
    [[2.5, 0.5], [2.5, 0.5], [2.5, 0.5], [2.5, 0.5]]
    """
    if _use_onednn(x, weight):
        return _OneDNNLinear.apply(x, weight, bias)
    return F.linear(x, weight, bias)
