"""Speed of one matrix product on this machine's CPU: float32 two ways, and bfloat16.

The product of the LWGAN networks' largest layer at the authors' recipe: a batch of
2,048 rows of width 512 times a 512 x 256 weight, plus a bias, timed on one thread:

* ``float32 addmm``: ``torch.addmm``, which calls PyTorch's BLAS (MKL in the official
  wheels; it takes its fast code paths only on Intel CPUs);
* ``float32 latentspec``: :func:`latentspec.lwgan.core._linear.linear`, the product latentspec's
  dense layers use, through oneDNN where available (see ``docs/lwgan.md``);
* ``bfloat16 addmm``: ``torch.addmm`` in bfloat16. On CPUs with bfloat16
  instructions (AVX512-BF16, AMX) it is several times faster; elsewhere it is
  emulated and slower. This is the lever behind ``LWGANEstimator(precision="bfloat16")``.

Run from the repository root (a few seconds)::

    python benchmarks/matmul_precision.py
"""

from __future__ import annotations

import time

import torch

from latentspec.lwgan.core._linear import linear, matmul_backend

ROWS, WIDTH_IN, WIDTH_OUT, REPEATS = 2048, 512, 256, 50


def gflops(dtype: torch.dtype, product=None) -> float:
    """Best-of-three GFLOP/s of ``product(b, a, w.t())`` (default ``torch.addmm``) at ``dtype``."""
    product = product or torch.addmm
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(ROWS, WIDTH_IN, generator=generator).to(dtype)
    w = torch.randn(WIDTH_OUT, WIDTH_IN, generator=generator).to(dtype)
    b = torch.randn(WIDTH_OUT, generator=generator).to(dtype)
    for _ in range(5):
        product(b, a, w.t())
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(REPEATS):
            product(b, a, w.t())
        best = min(best, (time.perf_counter() - start) / REPEATS)
    return 2 * ROWS * WIDTH_IN * WIDTH_OUT / best / 1e9


def main() -> None:
    torch.set_num_threads(1)
    print(f"{ROWS} x {WIDTH_IN} by {WIDTH_IN} x {WIDTH_OUT} plus a bias, one thread, torch {torch.__version__}")
    results = {
        "float32 addmm": gflops(torch.float32),
        f"float32 latentspec ({matmul_backend()})": gflops(torch.float32, lambda b, a, wt: linear(a, wt.t(), b)),
        "bfloat16 addmm": gflops(torch.bfloat16),
    }
    for name, value in results.items():
        print(f"  {name:<28} {value:7.1f} GFLOP/s")
    first, second, third = results.values()
    print(f"  latentspec / addmm, float32: {second / first:.1f}x; bfloat16 / float32 addmm: {third / first:.1f}x")


if __name__ == "__main__":
    main()
