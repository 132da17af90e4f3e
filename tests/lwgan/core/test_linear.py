"""The oneDNN dense layer agrees with torch's, in values and in (second) gradients."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from latentspec.lwgan.core import _linear as _linear
from latentspec.lwgan.core._linear import linear, matmul_backend, onednn_available

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="oneDNN products are not available here")


def _tensors(shape_x, out_features, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape_x, generator=generator, requires_grad=True)
    weight = torch.randn(out_features, shape_x[-1], generator=generator, requires_grad=True)
    bias = torch.randn(out_features, generator=generator, requires_grad=True)
    return x, weight, bias


def _grads(fn, *tensors):
    out = fn(*tensors)
    upstream = torch.linspace(-1.0, 1.0, out.numel()).reshape(out.shape)
    return out, torch.autograd.grad(out, tensors, upstream)


@needs_onednn
@pytest.mark.parametrize(
    ("shape_x", "out_features"),
    [((64, 2), 256), ((300, 256), 128), ((512, 128), 1), ((3, 40, 16), 8), ((17, 512), 600)],
)
def test_values_and_gradients_match_torch(shape_x, out_features):
    x, weight, bias = _tensors(shape_x, out_features)
    out, grads = _grads(linear, x, weight, bias)
    ref_out, ref_grads = _grads(F.linear, x, weight, bias)
    assert out.shape == ref_out.shape
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-4)
    for got, want in zip(grads, ref_grads):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-3)


@needs_onednn
def test_transposed_weight_and_no_bias():
    x, weight, _ = _tensors((50, 24), 12)
    transposed = weight.detach().t().contiguous().requires_grad_(True)  # (24, 12): use its transpose
    out, grads = _grads(lambda a, w: linear(a, w.t()), x, transposed)
    ref_out, ref_grads = _grads(lambda a, w: a @ w, x, transposed)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-4)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-3)


@needs_onednn
def test_second_derivatives_match_torch():
    """A gradient penalty differentiates the input gradient again (double backward)."""

    def penalty(fn, x, w1, b1, w2, b2):
        out = fn(torch.relu(fn(x, w1, b1)), w2, b2).sum()
        (grad,) = torch.autograd.grad(out, x, create_graph=True)
        return (grad.norm(dim=1) - 1.0).square().mean()

    x, w1, b1 = _tensors((40, 6), 32)
    _, w2, b2 = _tensors((40, 32), 1, seed=1)
    params = (w1, b1, w2)  # b2 does not change the input gradient
    got = torch.autograd.grad(penalty(linear, x, *params, b2), params)
    want = torch.autograd.grad(penalty(F.linear, x, *params, b2), params)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


@needs_onednn
@pytest.mark.filterwarnings("ignore:TF32 acceleration:UserWarning")
def test_used_only_where_it_applies(monkeypatch):
    calls = []
    real = _linear._OneDNNLinear.apply
    monkeypatch.setattr(_linear._OneDNNLinear, "apply", lambda *a: calls.append(1) or real(*a))
    x, weight, bias = (t.detach() for t in _tensors((8, 4), 3))
    linear(x, weight, bias)
    assert len(calls) == 1
    linear(x.double(), weight.double(), bias.double())  # other dtypes: torch's product
    with torch.autocast("cpu", dtype=torch.bfloat16):  # mixed precision: torch's bf16 path
        assert linear(x, weight, bias).dtype == torch.bfloat16
    with torch.backends.mkldnn.flags(enabled=False):  # oneDNN switched off by the user
        linear(x, weight, bias)
        assert matmul_backend() == "default"
    linear(x[:0], weight, bias)  # no rows
    assert len(calls) == 1
    assert matmul_backend() == "onednn"


def test_switched_off_by_environment(monkeypatch):
    """``LATENTSPEC_CPU_MATMUL=default`` keeps torch's own products (checked in a fresh import)."""
    import subprocess
    import sys

    code = "from latentspec.lwgan.core._linear import matmul_backend; print(matmul_backend())"
    env = {**__import__("os").environ, "LATENTSPEC_CPU_MATMUL": "default"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "default"
