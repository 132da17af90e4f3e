"""The terms of the rank score, per rank, and the rank each combination of terms would choose.

For every manifold named (the standard benchmark's, as
``skdim.datasets.BenchmarkManifolds(random_state=0).generate(n=...)`` makes them, or the
LWGAN paper's toys ``swiss_roll``, ``s_curve``, ``hyperplane`` with 2,000 rows), fits
``LWGANEstimator(random_state=0)`` at its defaults, records every score term of every
rank on every evaluation, and prints the mean of each term per rank with the rank that
the authors' rule chooses from

- the authors' score (critic gap + reconstruction + gradient penalty + lambda_mmd MMD),
- the default score, which adds the latent reconstruction ``||z - Q(G(z), r)||``,
- reconstruction and latent reconstruction alone.

Run (needs ``pip install scikit-dimension``; up to a minute per fit on 2 CPU cores)::

    python benchmarks/rank_score_terms.py M4_Nonlinear M7_Roll
    python benchmarks/rank_score_terms.py s_curve --n 2000

Writes ``benchmarks/results/rank_score_terms.json`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, environment, results_path, write_results

import latentspec.lwgan._estimator as estimator_module
import latentspec.lwgan.core._model as model_module
from latentspec import LWGANEstimator, choose_rank
from latentspec.datasets import make_dataset

TOYS = {"swiss_roll": 1, "s_curve": 2, "hyperplane": 4}


def load(name: str, n: int) -> tuple[np.ndarray, int]:
    """The named data set and its true dimension."""
    if name in TOYS:
        return make_dataset(name, n_samples=n, random_state=0)[0], TOYS[name]
    import skdim

    bench = skdim.datasets.BenchmarkManifolds(random_state=0)
    # All 24 drawn in turn, as benchmark_manifolds.py does: the same rows for the same name.
    return bench.generate(n=n)[name], int(bench.truth["Intrinsic Dimension"][name])


def fit_recording_terms(X: np.ndarray, n_threads: int | None) -> tuple[LWGANEstimator, dict[str, np.ndarray], float]:
    """A default fit, with every score term of every evaluation (shape ``(n_repeats, n_ranks)`` each)."""
    recorded = []
    original = model_module.LWGANModule.rank_terms

    def recording(self, *args, **kwargs):
        terms = original(self, *args, **kwargs)
        recorded.append({name: value.cpu().numpy() for name, value in terms.items()})
        return terms

    model_module.LWGANModule.rank_terms = recording
    # Every rank on every evaluation: no racing, so that every term has a value for every rank and repeat.
    racing = estimator_module.contenders
    estimator_module.contenders = lambda scores: np.ones(scores.shape[1], dtype=bool)
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = LWGANEstimator(random_state=0, n_threads=n_threads).fit(X)
        seconds = time.perf_counter() - start
    finally:
        model_module.LWGANModule.rank_terms = original
        estimator_module.contenders = racing
    return est, {name: np.array([r[name] for r in recorded]) for name in recorded[0]}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifolds", nargs="+")
    parser.add_argument("--n", type=int, default=1000, help="rows per benchmark manifold (toys: 2,000 unless given)")
    add_thread_option(parser, help="n_threads of the estimator")
    parser.add_argument("--out", type=Path, default=results_path("rank_score_terms"))
    args = parser.parse_args()
    results = {}
    for name in args.manifolds:
        X, d = load(name, args.n if name not in TOYS or args.n != 1000 else 2000)
        est, terms, seconds = fit_recording_terms(X, args.threads)
        authors = (terms["critic_gap"] + terms["gradient_penalty"] + terms["reconstruction"]
                   + est.lambda_mmd * terms["mmd"])
        choices = {
            "authors_score": choose_rank(authors, "authors")[0],
            "default_score": choose_rank(authors + terms["latent_reconstruction"], "authors")[0],
            "reconstruction_and_latent": choose_rank(terms["reconstruction"] + terms["latent_reconstruction"],
                                                     "authors")[0],
        }
        means = {term: values.mean(axis=0).round(4).tolist() for term, values in terms.items()}
        results[name] = {"true": d, "n": len(X), "seconds": round(seconds, 1), "estimate": est.intrinsic_dim_,
                         "choices": choices, "term_means": means}
        print(f"{name}: true {d}, estimate {est.intrinsic_dim_} ({seconds:.0f} s); " +
              ", ".join(f"{k} {v}" for k, v in choices.items()), flush=True)
        print("   rank                  " + " ".join(f"{r:6d}" for r in range(1, len(means["mmd"]) + 1)))
        for term, values in means.items():
            print(f"   {term:22s}", " ".join(f"{v:6.3f}" for v in values), flush=True)
    write_results(args.out, {**environment("torch"), "results": results})


if __name__ == "__main__":
    main()
