"""What the adversarial LWGAN game does to the rank choice at a CPU budget.

Fits ``LWGANEstimator(random_state=0)`` on 2,000 swiss-roll samples twice: with the
default ``n_iter=0`` (auto-encoder warm-up and critic refit only) and with
``n_iter=300`` game iterations after the warm-up. Prints the reconstruction error
and score of every rank and the estimate of each, and writes
``benchmarks/results/adversarial_phase.json``.

Run::

    python benchmarks/adversarial_phase.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import add_thread_option, apply_threads, results_path, write_results

from latentspec import LWGANEstimator
from latentspec.datasets import make_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="swiss_roll")
    parser.add_argument("--n-iter", type=int, nargs="+", default=[0, 300])
    add_thread_option(parser, help="n_threads of the estimator (default: its policy)")
    parser.add_argument("--out", type=Path, default=results_path("adversarial_phase"))
    args = parser.parse_args()
    apply_threads(args)
    X, true_dim = make_dataset(args.dataset, n_samples=2000, random_state=0)
    rows = []
    for n_iter in args.n_iter:
        start = time.perf_counter()
        est = LWGANEstimator(n_iter=n_iter, random_state=0, n_threads=args.threads).fit(X)
        seconds = time.perf_counter() - start
        scores = est.rank_scores_
        rows.append(
            {
                "n_iter": n_iter,
                "estimate": int(est.intrinsic_dim_),
                "seconds": round(seconds, 1),
                "reconstruction": scores["reconstruction"].round(4).tolist(),
                "critic_gap": scores["critic_gap"].round(4).tolist(),
                "score": scores["mean"].round(4).tolist(),
            }
        )
        print(f"n_iter={n_iter:4d}: estimate {est.intrinsic_dim_} (true {true_dim}), {seconds:.0f} s")
        for r, rec, score in zip(scores["rank"], scores["reconstruction"], scores["mean"]):
            print(f"    rank {r}: reconstruction error {rec:.4f}, score {score:.4f}")
    write_results(args.out, {"dataset": args.dataset, "true": true_dim, "rows": rows})


if __name__ == "__main__":
    main()
