"""What whitening costs a fit: the same default fit with ``whiten="auto"`` and ``whiten=False``, in one process.

For every benchmark manifold named (``skdim.datasets.BenchmarkManifolds(random_state=0)``,
as ``benchmark_manifolds.py`` draws them), fits ``LWGANEstimator(random_state=0)`` twice
per round, once whitened (the default) and once not, the order alternating between
rounds so that neither always runs first, and prints every fit time, the estimate,
how many ranks were still scored at the last evaluation (racing), and the median
ratio of the whitened to the plain fit time.

Run (needs ``pip install scikit-dimension``; nothing else on the cores)::

    python benchmarks/whitening_cost.py M1_Sphere M10d_Cubic --n 2500 --threads 2

Writes ``benchmarks/results/whitening_cost.json`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results

from latentspec import LWGANEstimator


def fit_once(X: np.ndarray, whiten: str | bool, n_threads: int | None) -> dict:
    """One default fit: its time, estimate and the ranks scored to the end."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LWGANEstimator(random_state=0, whiten=whiten, n_threads=n_threads).fit(X)
    seconds = time.perf_counter() - start
    last = est.rank_scores_["per_repeat"][-1]
    return {"whiten": whiten, "seconds": round(seconds, 2), "estimate": int(est.intrinsic_dim_),
            "ranks": int(est.latent_dim_), "ranks_scored_to_the_end": int(np.isfinite(last).sum()),
            "whitened_axes": None if est.whitening_ is None else int(len(est.whitening_["spreads"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifolds", nargs="+")
    parser.add_argument("--n", type=int, default=2500)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    add_thread_option(parser)
    args = parser.parse_args()
    n_threads = apply_threads(args)
    import skdim

    data = skdim.datasets.BenchmarkManifolds(random_state=0).generate(n=args.n)
    results = {}
    for name in args.manifolds:
        fits = []
        for round_ in range(args.rounds):
            for whiten in (("auto", False) if round_ % 2 == 0 else (False, "auto")):
                fits.append(fit_once(data[name], whiten, n_threads))
                print(name, fits[-1], flush=True)
        white = [f["seconds"] for f in fits if f["whiten"] == "auto"]
        plain = [f["seconds"] for f in fits if f["whiten"] is False]
        ratio = float(np.median(white) / np.median(plain))
        print(f"{name}: whitened {np.median(white):.1f} s, plain {np.median(plain):.1f} s, ratio {ratio:.2f}")
        results[name] = {"fits": fits, "median_ratio_whitened_to_plain": round(ratio, 3)}
    payload = {"meta": {**environment("torch", "threads", "cpu_count", "machine"), "n": args.n}, "results": results}
    print(f"written to {write_results(args.out or results_path('whitening_cost'), payload)}")


if __name__ == "__main__":
    main()
