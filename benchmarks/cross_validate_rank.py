"""Cross-validating the latent dimension with GridSearchCV and the estimator's own score.

Fits ``GridSearchCV(LWGANEstimator(latent_dim=4), {"rank": [1, 2, 3, 4]}, cv=3)``
on 2,000 S-curve samples (intrinsic dimension 2) and prints the mean held-out
score of every rank and the rank selected. Writes
``benchmarks/results/cross_validate_rank.json``.

Run::

    python benchmarks/cross_validate_rank.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from sklearn.model_selection import GridSearchCV

from latentspec import LWGANEstimator
from latentspec.datasets import make_dataset

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="s_curve")
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "cross_validate_rank.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    X, true_dim = make_dataset(args.dataset, n_samples=args.n_samples, random_state=args.random_state)
    search = GridSearchCV(LWGANEstimator(latent_dim=4, random_state=args.random_state), {"rank": [1, 2, 3, 4]}, cv=3)
    start = time.perf_counter()
    search.fit(X)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    print(f"{args.dataset}: {args.n_samples} samples, true intrinsic dimension {true_dim}")
    print(" rank   mean held-out score   std")
    for rank, mean, std in zip(results["param_rank"], results["mean_test_score"], results["std_test_score"]):
        print(f" {rank:4d}   {mean:19.4f}   {std:.4f}")
    print(f"selected rank: {search.best_params_['rank']} ({seconds:.0f} s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "dataset": args.dataset,
                "true": true_dim,
                "selected": int(search.best_params_["rank"]),
                "ranks": [int(r) for r in results["param_rank"]],
                "mean_test_score": [float(v) for v in results["mean_test_score"]],
                "std_test_score": [float(v) for v in results["std_test_score"]],
                "seconds": round(seconds, 1),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
