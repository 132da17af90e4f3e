"""Speed of one matrix product in float32 and bfloat16 on this machine's CPU.

The product of the LWGAN networks' largest layer at the authors' recipe: a batch of
2,048 rows of width 512 times a 512 x 256 weight, plus a bias (``torch.addmm``), timed
on one thread. On CPUs with bfloat16 instructions (AVX512-BF16, AMX) the bfloat16
product is several times faster; elsewhere it is emulated and slower. This is the
lever behind ``LWGANEstimator(precision="bfloat16")``.

Run from the repository root (a few seconds)::

    python benchmarks/matmul_precision.py
"""

from __future__ import annotations

import time

import torch

ROWS, WIDTH_IN, WIDTH_OUT, REPEATS = 2048, 512, 256, 50


def gflops(dtype: torch.dtype) -> float:
    """Best-of-three GFLOP/s of ``addmm`` at ``dtype``."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(ROWS, WIDTH_IN, generator=generator).to(dtype)
    w = torch.randn(WIDTH_OUT, WIDTH_IN, generator=generator).to(dtype)
    b = torch.randn(WIDTH_OUT, generator=generator).to(dtype)
    for _ in range(5):
        torch.addmm(b, a, w.t())
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(REPEATS):
            torch.addmm(b, a, w.t())
        best = min(best, (time.perf_counter() - start) / REPEATS)
    return 2 * ROWS * WIDTH_IN * WIDTH_OUT / best / 1e9


def main() -> None:
    torch.set_num_threads(1)
    print(f"addmm {ROWS} x {WIDTH_IN} by {WIDTH_IN} x {WIDTH_OUT}, one thread, torch {torch.__version__}")
    results = {str(dtype).removeprefix("torch."): gflops(dtype) for dtype in (torch.float32, torch.bfloat16)}
    for name, value in results.items():
        print(f"  {name:<9} {value:7.1f} GFLOP/s")
    print(f"  bfloat16 / float32: {results['bfloat16'] / results['float32']:.1f}x")


if __name__ == "__main__":
    main()
