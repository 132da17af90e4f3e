"""Torch threads in Dask workers, and whether more of them speed up a grid search.

Starts a ``LocalCluster`` of single-threaded worker processes (one per core by
default), records ``torch.get_num_threads()`` in this process and in every worker
as Dask starts them, then times the same small ``GridSearchCV`` over ``rank``
through joblib's Dask backend with 1 and with 2 torch threads per worker
(the estimator's ``n_threads=k``), alternating, after one warm-up search.
Writes ``benchmarks/results/dask_threads.json``.

Run (needs ``pip install "dask[distributed]"``)::

    python benchmarks/dask_threads.py
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import joblib
import torch
from _common import environment, results_path, write_results
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from latentspec import LWGANEstimator
from latentspec.datasets import make_dataset


def _threads() -> tuple[int, str | None]:
    return torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-workers", type=int, default=os.cpu_count())
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-warmup", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=results_path("dask_threads"))
    args = parser.parse_args()

    X, _ = make_dataset("s_curve", n_samples=args.n_samples, random_state=0)
    width = (64, 64)
    estimator = LWGANEstimator(
        latent_dim=2, n_warmup=args.n_warmup, n_critic_refit=50, n_score_repeats=10,
        encoder_layers=width, generator_layers=width, critic_layers=width, random_state=0,
    )
    search = GridSearchCV(estimator, {"rank": [1, 2]}, cv=2, n_jobs=-1)
    seconds: dict[int, list[float]] = {1: [], 2: []}
    with (
        LocalCluster(n_workers=args.n_workers, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        workers = client.run(_threads)
        print(f"torch threads: this process {torch.get_num_threads()}; workers (threads, OMP_NUM_THREADS) {workers}")
        plan = [1] + [k for _ in range(args.repeats) for k in (1, 2)]
        for step, k in enumerate(plan):
            search.set_params(estimator__n_threads=k)
            start = time.perf_counter()
            with joblib.parallel_backend("dask"):
                search.fit(X)
            elapsed = time.perf_counter() - start
            if step > 0:  # the first search warms the workers up
                seconds[k].append(round(elapsed, 2))
            print(f"{k} torch thread(s) per worker: {elapsed:.1f} s" + (" (warm-up)" if step == 0 else ""))
    for k, times in seconds.items():
        print(f"{k} thread(s): best {min(times):.1f} s, all {times}")
    write_results(
        args.out,
        {
            "meta": {**environment("torch", "cpu_count"), "n_workers": args.n_workers},
            "client_torch_threads": torch.get_num_threads(),
            "worker_torch_threads_at_start": sorted(t for t, _ in workers.values()),
            "worker_omp_num_threads_at_start": sorted(str(o) for _, o in workers.values()),
            "search": {"n_samples": args.n_samples, "n_warmup": args.n_warmup, "ranks": [1, 2], "cv": 2},
            "seconds_by_threads_per_worker": {str(k): v for k, v in seconds.items()},
        },
    )


if __name__ == "__main__":
    main()
