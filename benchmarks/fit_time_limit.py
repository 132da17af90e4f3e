"""The longest default fit at up to 2,500 rows and 100 features: where its time goes, against a 60 s target.

The time of a default ``LWGANEstimator(random_state=0)`` fit grows with the number of
ranks it searches (``latent_dim_``: the TwoNN first estimate doubled, plus two, at most
``n_features``): every rank is trained in every batch and scored. The widest range at
``n_features <= 100`` is all 100 ranks, which rows that fill every direction get. This
script fits, at ``--n`` rows (2,500 by default) and on ``--threads`` torch threads,

* ``gaussian100``: standard normal rows in ``R^100`` (intrinsic dimension 100; TwoNN
  reads about 45, so all 100 ranks are searched), the worst case of the range;
* ``cube70``: the 70-dimensional cube of the standard benchmark (M10d, 71 features),
  the sample ``benchmark_manifolds.py`` fits when scikit-dimension is installed, else
  uniform rows of a 70-dimensional cube in ``R^71``;
* ``sphere10``: the 10-dimensional sphere in ``R^11`` (M1), a narrow range for contrast,

and prints per fit the ranks searched, the seconds spent training and scoring (the
functions that run them, wrapped for the fit; the library is unchanged), the total, and
whether it is within the target (60 s). Writes ``benchmarks/results/fit_time_limit.json``.
Run on an otherwise idle machine (a few minutes)::

    python benchmarks/fit_time_limit.py --threads 2
    python benchmarks/fit_time_limit.py --quick        # tiny fits: checks that it works
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results

import latentspec.lwgan._estimator as estimator_module
from latentspec import LWGANEstimator

TARGET_SECONDS = 60.0
QUICK = {"encoder_layers": (16,), "generator_layers": (16,), "critic_layers": (16,), "n_warmup": 20,
         "n_critic_refit": 2, "n_score_repeats": 2, "batch_size": 64}


def cube70(n: int) -> np.ndarray:
    """M10d: the benchmark's sample of the 70-dimensional cube (``benchmark_manifolds.py``'s rows) when
    scikit-dimension is installed, else uniform rows of a 70-dimensional cube in ``R^71``."""
    try:
        from benchmark_manifolds import load_manifolds

        return load_manifolds(n, 0.0)[0]["M10d_Cubic"]
    except ImportError:
        rng = np.random.default_rng(0)
        return np.hstack([rng.uniform(size=(n, 70)), np.zeros((n, 1))])


def datasets(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    sphere = rng.standard_normal((n, 11))
    return {
        "gaussian100": rng.standard_normal((n, 100)),
        "cube70": cube70(n),
        "sphere10": sphere / np.linalg.norm(sphere, axis=1, keepdims=True),
    }


def timed_fit(X: np.ndarray, params: dict) -> dict:
    """One default fit; seconds in training, in scoring and in all, and the ranks searched."""
    spent = {"training": 0.0, "scoring": 0.0}
    originals = {"training": estimator_module.LWGANEstimator._train,
                 "scoring": estimator_module.LWGANEstimator._score_ranks}

    def timing(phase):
        def run(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return originals[phase](self, *args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - start
        return run

    estimator_module.LWGANEstimator._train = timing("training")
    estimator_module.LWGANEstimator._score_ranks = timing("scoring")
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LWGANEstimator(random_state=0, **params).fit(X)
        total = time.perf_counter() - start
    finally:
        estimator_module.LWGANEstimator._train = originals["training"]
        estimator_module.LWGANEstimator._score_ranks = originals["scoring"]
    return {"n_samples": X.shape[0], "n_features": X.shape[1], "ranks_searched": int(model.latent_dim_),
            "estimate": int(model.intrinsic_dim_), "threads": int(model.n_threads_),
            "training_s": round(spent["training"], 2), "scoring_s": round(spent["scoring"], 2),
            "total_s": round(total, 2), "within_target": total <= TARGET_SECONDS}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2500)
    parser.add_argument("--quick", action="store_true", help="tiny fits: checks that the script works")
    add_thread_option(parser, help="torch threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    apply_threads(args)
    n = min(args.n, 300) if args.quick else args.n
    params = QUICK if args.quick else {}
    out = args.out or results_path("fit_time_limit", quick=args.quick)
    results = {}
    print(f"{'data':<12} {'rows':>5} {'D':>4} {'ranks':>5} {'train s':>8} {'score s':>8} {'total s':>8}  "
          f"within {TARGET_SECONDS:.0f} s")
    for name, X in datasets(n).items():
        row = timed_fit(X, params)
        results[name] = row
        print(f"{name:<12} {row['n_samples']:>5} {row['n_features']:>4} {row['ranks_searched']:>5} "
              f"{row['training_s']:>8.1f} {row['scoring_s']:>8.1f} {row['total_s']:>8.1f}  "
              f"{'yes' if row['within_target'] else 'NO'}", flush=True)
    record = {**environment("torch", "threads"), "quick": args.quick, "target_s": TARGET_SECONDS, "results": results}
    write_results(out, record)
    print(f"wrote {out}")
    return record


if __name__ == "__main__":
    main()
