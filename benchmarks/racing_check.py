"""Does racing the ranks change the choice? The same trained networks scored with and without it.

For every data set, fits ``LWGANEstimator(random_state=0)`` with its defaults, then
scores every rank of the fitted networks twice on the same batches and noise (one
seed): all ranks on all ``n_score_repeats`` repeats, as before racing, and racing
(:func:`latentspec.lwgan._rank_selection.contenders`), as a default fit does. Prints
the choice and interval of both rules each way, the scoring times and the ranks racing
kept to the end. Writes ``benchmarks/results/racing_check.json``.

Run::

    python benchmarks/racing_check.py --datasets digits swiss_roll s_curve hyperplane --threads 1
    python benchmarks/racing_check.py --quick   # tiny fits: checks that the script works
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, environment, results_path, write_results

QUICK = {"n_warmup": 30, "n_critic_refit": 5, "encoder_layers": (16,), "generator_layers": (16,),
         "critic_layers": (16,), "batch_size": 64}


def load(name: str, quick: bool) -> np.ndarray:
    from latentspec.datasets import load_digits_scaled, make_dataset

    if name == "digits":
        return load_digits_scaled()[0][: 300 if quick else None]
    return make_dataset(name, n_samples=300 if quick else 2000, random_state=0)[0]


def check(name: str, threads: int | None, quick: bool, n_repeats: int) -> dict:
    import latentspec.lwgan._estimator as estimator_module
    from latentspec import LWGANEstimator, choose_rank
    from latentspec.lwgan._rank_selection import contenders, rank_interval
    from latentspec.lwgan.core._device import make_generator

    X = load(name, quick)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        est = LWGANEstimator(random_state=0, n_threads=threads, **(QUICK if quick else {})).fit(X)
        fit_seconds = time.perf_counter() - start
    data, ranks = est._to_tensor(X), np.arange(1, est.latent_dim_ + 1)
    row = {"dataset": name, "ranks": len(ranks), "fit_seconds": round(fit_seconds, 1)}
    for racing in (False, True):
        start = time.perf_counter()
        with estimator_module.torch_threads(est._thread_count()):
            scores, _ = estimator_module.score_ranks(
                est.module_, data, ranks, prior=est._prior(), n_repeats=n_repeats,
                batch=min(est.batch_size * 2, data.shape[0]), lambda_mmd=est.lambda_mmd,
                rng=make_generator(12345, est.device_), contenders=contenders if racing else None,
                min_repeats=estimator_module.RACING_MIN_REPEATS,
            )
        seconds = time.perf_counter() - start
        key = "racing" if racing else "full"
        for rule in ("authors", "one_se"):
            chosen, summary = choose_rank(scores, rule)
            row[f"{key}_{rule}"] = [chosen, list(rank_interval(summary, chosen))]
        row[f"{key}_seconds"] = round(seconds, 2)
        row[f"{key}_kept"] = int((~np.isnan(scores[-1])).sum())
    row["same"] = all(row[f"full_{rule}"] == row[f"racing_{rule}"] for rule in ("authors", "one_se"))
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "swiss_roll", "s_curve", "hyperplane"])
    parser.add_argument("--n-repeats", type=int, default=50)
    add_thread_option(parser, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = []
    for name in args.datasets:
        row = check(name, args.threads, args.quick, 12 if args.quick else args.n_repeats)
        rows.append(row)
        print(f"{name:<11} {row['ranks']:>2} ranks  full: authors {row['full_authors']} one-SE {row['full_one_se']} "
              f"{row['full_seconds']:.1f} s | racing: authors {row['racing_authors']} one-SE "
              f"{row['racing_one_se']} {row['racing_seconds']:.1f} s, {row['racing_kept']} ranks kept | "
              f"same: {row['same']}", flush=True)
    out = args.out or results_path("racing_check", args.quick)
    write_results(out, {"meta": environment("torch"), "rows": rows})
    print(f"wrote {out}")
    return rows


if __name__ == "__main__":
    main()
