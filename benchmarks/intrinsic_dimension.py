"""Intrinsic dimension of the LWGAN paper's toy manifolds: LWGAN beside MLE and TwoNN.

For every data set and seed, draws 2,000 noise-free samples, fits
``LWGANEstimator(random_state=seed)`` with every other parameter at its default,
and runs scikit-dimension's MLE and TwoNN on the same samples. The "1-SE" column
applies the alternative rank rule (``rank_rule="one_se"``) to the same fit's scores. Prints a table
with the fit times and writes it to ``benchmarks/results/intrinsic_dimension.json``.

Run (needs ``pip install scikit-dimension``; about 1-3 minutes per LWGAN fit on 2 CPU cores)::

    python benchmarks/intrinsic_dimension.py
    python benchmarks/intrinsic_dimension.py --datasets swiss_roll --seeds 0
    python benchmarks/intrinsic_dimension.py --params '{"validation_fraction": 0.2, "linear_path": true}'
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results

from latentspec import LWGANEstimator, choose_rank
from latentspec.datasets import make_dataset


def skdim_estimates(X: np.ndarray) -> dict[str, float]:
    """MLE and TwoNN estimates from scikit-dimension (NaN if it is not installed)."""
    try:
        import skdim
    except ImportError:
        return {"mle": float("nan"), "twonn": float("nan")}
    return {
        "mle": float(skdim.id.MLE().fit(X).dimension_),
        "twonn": float(skdim.id.TwoNN().fit(X).dimension_),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["swiss_roll", "s_curve", "hyperplane"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-samples", type=int, default=2000)
    add_thread_option(parser, help="the estimator's n_threads (default: its policy)")
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "bfloat16"], help="LWGANEstimator's precision"
    )
    parser.add_argument("--params", type=json.loads, default={}, metavar="JSON",
                        help="LWGANEstimator parameters other than the defaults, e.g. '{\"linear_path\": true}'")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default: benchmarks/results/intrinsic_dimension[_<params>].json)")
    args = parser.parse_args()
    args.out = args.out or results_path("intrinsic_dimension" + "".join(
        f"_{key}{value}" for key, value in sorted(args.params.items()) if key != "n_jobs"))
    apply_threads(args)

    rows = []
    header = f"{'data set':<12} {'seed':>4} {'true':>4} {'LWGAN':>5} {'1-SE':>5} {'time s':>7} {'MLE':>6} {'TwoNN':>6}"
    print(header)
    print("-" * len(header))
    for name in args.datasets:
        for seed in args.seeds:
            X, true_dim = make_dataset(name, n_samples=args.n_samples, random_state=seed)
            start = time.perf_counter()
            estimator = LWGANEstimator(
                **{"random_state": seed, "precision": args.precision, "n_threads": args.threads, **args.params}
            ).fit(X)
            seconds = time.perf_counter() - start
            other = skdim_estimates(X)
            row = {
                "dataset": name,
                "seed": seed,
                "true": true_dim,
                "lwgan": int(estimator.intrinsic_dim_),
                # Both rules applied to the same fit's scores (the default is the first).
                "lwgan_authors_rule": choose_rank(estimator.rank_scores_["per_repeat"], "authors")[0],
                "lwgan_one_se_rule": choose_rank(estimator.rank_scores_["per_repeat"], "one_se")[0],
                "seconds": round(seconds, 1),
                **{k: round(v, 2) for k, v in other.items()},
                "rank_score_mean": estimator.rank_scores_["mean"].round(4).tolist(),
                "rank_score_se": estimator.rank_scores_["std_error"].round(4).tolist(),
            }
            rows.append(row)
            print(
                f"{name:<12} {seed:>4} {true_dim:>4} {row['lwgan']:>5} {row['lwgan_one_se_rule']:>5} {seconds:>7.1f} "
                f"{row['mle']:>6.2f} {row['twonn']:>6.2f}",
                flush=True,
            )
    correct = sum(r["lwgan"] == r["true"] for r in rows)
    one_se = sum(r["lwgan_one_se_rule"] == r["true"] for r in rows)
    print(
        f"\nLWGAN (default rule) correct: {correct}/{len(rows)}; with the one-SE rule: {one_se}/{len(rows)}; "
        f"slowest fit {max(r['seconds'] for r in rows):.1f} s"
    )
    threads = estimator.n_threads_  # what the fits used
    # platform.processor() alone (empty on most Linux machines), as this file has always recorded.
    meta = {**environment("torch"), "threads": threads, "machine": platform.processor(), "params": args.params}
    write_results(args.out, {"meta": meta, "rows": rows})
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
