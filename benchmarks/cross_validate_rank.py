"""Cross-validating the latent dimension with GridSearchCV and the estimator's own score.

Fits ``GridSearchCV(LWGANEstimator(latent_dim=4), {"rank": [1, 2, 3, 4]}, cv=3)``
on 2,000 S-curve samples (intrinsic dimension 2) and prints the mean held-out
score of every rank, the rank selected, and how sure the selection is: the
margin between the best and the second-best rank against the spread of the
scores over folds (the folds are shared, so the spread of the per-fold
difference is the one that says whether the margin is more than fold noise).
``--grid latent_dim`` searches ``[{"latent_dim": [d], "rank": [d]}]`` instead, so
every candidate's networks have exactly ``d`` latent dimensions; ``--n-warmup``
shortens or lengthens the training. Writes
``benchmarks/results/cross_validate_rank.json``.

Run::

    python benchmarks/cross_validate_rank.py          # about 8 minutes on 2 cores
    python benchmarks/cross_validate_rank.py --quick  # tiny fits, checks that it works

``--quick`` writes to a temporary file unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _common import add_thread_option, results_path, write_results
from sklearn.model_selection import GridSearchCV

from latentspec import LWGANEstimator
from latentspec.datasets import make_dataset

RANKS = [1, 2, 3, 4]
QUICK = {"n_warmup": 20, "n_critic_refit": 2, "n_score_repeats": 2, "batch_size": 32,
         "encoder_layers": (16,), "generator_layers": (16,), "critic_layers": (16,)}


def rank_margin(cv_results: dict, n_splits: int) -> dict:
    """The margin between the best and the second-best candidate against the spread over folds.

    Parameters
    ----------
    cv_results : dict
        ``GridSearchCV.cv_results_`` of a search with one rank per candidate
        (``param_rank``), scored higher-is-better.
    n_splits : int
        Number of folds (``split0_test_score`` ...).

    Returns
    -------
    dict
        ``best`` and ``second`` (ranks), ``margin`` (mean score of the best
        minus that of the second, >= 0), ``fold_std`` (the standard deviation
        over folds of each of the two, as ``std_test_score``), ``paired_fold_std``
        (that of the per-fold difference, best minus second) and
        ``margin_over_paired_std``; the margin is more than fold noise when that
        ratio is well above 1.
    """
    means = np.asarray(cv_results["mean_test_score"], dtype=float)
    order = np.argsort(-means, kind="stable")
    best, second = int(order[0]), int(order[1])
    folds = np.array([cv_results[f"split{i}_test_score"] for i in range(n_splits)], dtype=float)
    difference = folds[:, best] - folds[:, second]
    paired = float(np.std(difference))
    margin = float(means[best] - means[second])
    ranks = [int(r) for r in cv_results["param_rank"]]
    return {
        "best": ranks[best],
        "second": ranks[second],
        "margin": margin,
        "fold_std": [float(cv_results["std_test_score"][best]), float(cv_results["std_test_score"][second])],
        "paired_fold_std": paired,
        "margin_over_paired_std": margin / paired if paired > 0 else float("inf"),
        "second_better_in_folds": int((difference < 0).sum()),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="s_curve")
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--random-state", type=int, default=0)
    add_thread_option(parser, help="the estimator's n_threads (default: its policy)")
    parser.add_argument("--grid", choices=["rank", "latent_dim"], default="rank",
                        help="rank: latent_dim=4 and rank 1..4; latent_dim: latent_dim = rank = 1..4")
    parser.add_argument("--n-warmup", type=int, default=None, help="warm-up steps (default: the estimator's)")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny fits: checks that the script works")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or results_path("cross_validate_rank", quick=args.quick)

    X, true_dim = make_dataset(args.dataset, n_samples=300 if args.quick else args.n_samples,
                               random_state=args.random_state)
    params = {"random_state": args.random_state, "n_threads": args.threads, **(QUICK if args.quick else {})}
    if args.n_warmup is not None:
        params["n_warmup"] = args.n_warmup
    if args.grid == "rank":
        grid: dict | list = {"rank": RANKS}
        params["latent_dim"] = max(RANKS)
    else:
        grid = [{"latent_dim": [r], "rank": [r]} for r in RANKS]
    search = GridSearchCV(LWGANEstimator(**params), grid, cv=args.cv)
    start = time.perf_counter()
    search.fit(X)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    margin = rank_margin(results, args.cv)
    print(f"{args.dataset}: {X.shape[0]} samples, true intrinsic dimension {true_dim}, grid over {args.grid}, "
          f"torch {torch.__version__}")
    print(" rank   mean held-out score   std over folds")
    for rank, mean, std in zip(results["param_rank"], results["mean_test_score"], results["std_test_score"]):
        print(f" {rank:4d}   {mean:19.4f}   {std:.4f}")
    print(f"selected rank: {search.best_params_['rank']} ({seconds:.0f} s)")
    print(f"margin over the second best (rank {margin['second']}): {margin['margin']:.4f}; std over folds "
          f"{margin['fold_std'][0]:.4f} and {margin['fold_std'][1]:.4f}, of the per-fold difference "
          f"{margin['paired_fold_std']:.4f} (margin / that: {margin['margin_over_paired_std']:.1f}; "
          f"the second best scored higher in {margin['second_better_in_folds']} of {args.cv} folds)")
    record = {
        "dataset": args.dataset,
        "true": true_dim,
        "grid": args.grid,
        "n_warmup": search.estimator.n_warmup,
        "quick": args.quick,
        "selected": int(search.best_params_["rank"]),
        "ranks": [int(r) for r in results["param_rank"]],
        "mean_test_score": [float(v) for v in results["mean_test_score"]],
        "std_test_score": [float(v) for v in results["std_test_score"]],
        "split_test_scores": [[float(v) for v in results[f"split{i}_test_score"]] for i in range(args.cv)],
        "margin": margin,
        "seconds": round(seconds, 1),
    }
    write_results(out, record)
    return record


if __name__ == "__main__":
    main()
