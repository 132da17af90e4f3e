"""Intrinsic dimension on the standard manifold benchmark: LWGAN beside scikit-dimension's estimators.

The 24 manifolds of Hein and Audibert (2005) and Campadelli et al. (2015), as
``skdim.datasets.BenchmarkManifolds(random_state=0).generate(n=...)`` makes them,
at each sample size asked for (1,000 and 2,500 by default). On every sample it fits
``LWGANEstimator(random_state=0)`` with every other parameter at its default and runs
scikit-dimension's nearest-neighbour and local-PCA estimators on the same rows.

It prints, per manifold, the true dimension, every estimate, LWGAN's interval and its
fit time; and per estimator the number of exact estimates (rounded to the nearest
integer) among the 17 manifolds of dimension 16 or less, and the mean relative error
``|d_hat - d| / d`` over all 24. For LWGAN also the coverage of its interval (the share
of the manifolds of dimension 16 or less whose true dimension lies in it) and its mean
width. ``--noise 0.01`` adds Gaussian noise of 1 % of each feature's standard
deviation (seeded) before anything is fitted.

Run (needs ``pip install scikit-dimension``; up to a minute per LWGAN fit on 2 CPU
cores, so about an hour for both sizes)::

    python benchmarks/benchmark_manifolds.py
    python benchmarks/benchmark_manifolds.py --sizes 1000 --manifolds M7_Roll M13a_Scurve
    python benchmarks/benchmark_manifolds.py --sizes 2500 --noise 0.01
    python benchmarks/benchmark_manifolds.py --sizes 1000 --params '{"validation_fraction": 0.2}'

Writes ``benchmarks/results/benchmark_manifolds.json`` (``..._noise0.01.json`` with
noise, ``..._validation_fraction0.2.json`` with ``--params``) unless ``--out`` says
otherwise. The summary also lists the silent collapses (an estimate below half the
truth without an ``UnreliableEstimateWarning``) and the manifolds warned about.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results

from latentspec import LWGANEstimator, UnreliableEstimateWarning

# scikit-dimension estimators that finish within seconds to a few minutes on these samples.
BASELINES = ("TwoNN", "MLE", "DANCo", "MADA", "TLE", "CorrInt", "lPCA")
SMALL = 16  # the exact count is over the manifolds of at most this dimension


def load_manifolds(n: int, noise: float) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The benchmark's samples of ``n`` rows (``random_state=0``), with optional Gaussian noise."""
    import skdim

    bench = skdim.datasets.BenchmarkManifolds(random_state=0)
    data = bench.generate(n=n)
    truth = {name: int(d) for name, d in bench.truth["Intrinsic Dimension"].items()}
    if noise > 0:
        rng = np.random.default_rng(0)
        data = {name: X + noise * X.std(axis=0) * rng.standard_normal(X.shape) for name, X in data.items()}
    return data, truth


def baseline_estimate(name: str, X: np.ndarray) -> tuple[float, float]:
    """One scikit-dimension estimate (global) and its time in seconds (NaN if it fails)."""
    import skdim

    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(getattr(skdim.id, name)().fit(X).dimension_)
    except Exception:  # an estimator that fails on a data set counts as missing there
        value = float("nan")
    return value, time.perf_counter() - start


def reconstruction_at_estimate(model: LWGANEstimator) -> dict[str, float] | None:
    """Training and held-out reconstruction error at the estimate, and the spread (None without held-out rows)."""
    heldout = model.diagnostics_["heldout_reconstruction"]
    if heldout is None:
        return None
    at = int(np.flatnonzero(model.rank_scores_["rank"] == model.intrinsic_dim_)[0])
    return {"train": float(model.diagnostics_["train_reconstruction"][at]), "heldout": float(heldout[at]),
            "spread": float(np.sqrt(model.n_features_in_))}


def summarise(rows: list[dict], estimators: list[str]) -> dict[str, dict[str, float]]:
    """Exact count (d <= 16) and mean relative error (all) of every estimator, LWGAN's interval coverage."""
    summary = {}
    small = [r for r in rows if r["true"] <= SMALL]
    for est in estimators:
        values = [(r["true"], r["estimates"][est]) for r in rows]
        summary[est] = {
            "exact_small": int(sum(round(v) == d for d, v in values if d <= SMALL and np.isfinite(v))),
            "n_small": len(small),
            "mean_relative_error": float(np.mean([abs(v - d) / d if np.isfinite(v) else 1.0 for d, v in values])),
        }
    if small:
        covered = [r["interval"][0] <= r["true"] <= r["interval"][1] for r in small]
        summary["LWGAN"]["interval_coverage_small"] = float(np.mean(covered))
        widths = [r["interval"][1] - r["interval"][0] + 1 for r in rows]
        summary["LWGAN"]["interval_mean_width"] = float(np.mean(widths))
        summary["LWGAN"]["slowest_fit_s"] = float(max(r["seconds"] for r in rows))
        # A silent collapse: an estimate below half the truth that fit did not warn about.
        summary["LWGAN"]["silent_collapses"] = [
            r["manifold"] for r in rows
            if r["estimates"]["LWGAN"] < r["true"] / 2 and not r.get("unreliable_warning", False)
        ]
        summary["LWGAN"]["warned"] = [r["manifold"] for r in rows if r.get("unreliable_warning", False)]
    return summary


def markdown_tables(path: Path) -> str:
    """The per-manifold and summary tables of a results file, as Markdown (for docs/benchmarks.md)."""
    stored = json.loads(path.read_text())
    lines = []
    for n, result in stored["results"].items():
        rows, summary = result["rows"], result["summary"]
        names = list(rows[0]["estimates"])
        lines += [f"n = {n}:", "", "| manifold | d | D | " + " | ".join(names) + " | LWGAN interval | fit (s) |"]
        lines.append("|" + "---|" * (len(names) + 5))
        for r in rows:
            values = " | ".join(
                f"**{v:g}**" if name == "LWGAN" and v == r["true"] else (f"{v:.0f}" if name == "LWGAN" else f"{v:.2f}")
                for name, v in r["estimates"].items()
            )
            interval = f"{r['interval'][0]}-{r['interval'][1]}"
            head = f"| {r['manifold']} | {r['true']} | {r['n_features']}"
            lines.append(f"{head} | {values} | {interval} | {r['seconds']} |")
        lines += ["", "| estimator | exact (d <= 16) | mean relative error (all) |", "|---|---|---|"]
        for name in names:
            s = summary[name]
            lines.append(f"| {name} | {s['exact_small']}/{s['n_small']} | {s['mean_relative_error']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=None, help="print a results file as Markdown tables, then stop")
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 2500])
    parser.add_argument("--manifolds", nargs="+", default=None, help="names to run (default: all 24)")
    parser.add_argument("--baselines", nargs="*", default=list(BASELINES), help="scikit-dimension estimators")
    parser.add_argument("--noise", type=float, default=0.0, help="Gaussian noise, as a share of each feature's std")
    parser.add_argument("--params", type=json.loads, default={}, metavar="JSON",
                        help="LWGANEstimator parameters other than the defaults, e.g. '{\"n_refits\": 4}'")
    add_thread_option(parser, help="torch threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.table:
        print(markdown_tables(args.table))
        return
    apply_threads(args)
    name = "benchmark_manifolds" + (f"_noise{args.noise:g}" if args.noise else "") + "".join(
        f"_{key}{value}" for key, value in sorted(args.params.items()) if key != "n_jobs")
    out = args.out or results_path(name)
    estimators = ["LWGAN", *args.baselines]

    results = {}
    for n in args.sizes:
        data, truth = load_manifolds(n, args.noise)
        names = args.manifolds or list(data)
        print(f"\n== n = {n}, noise {args.noise:g} x std")
        header = f"{'manifold':<18} {'d':>3} {'D':>3} {'LWGAN':>5} {'interval':>9} {'fit s':>6} " + " ".join(
            f"{b[:7]:>7}" for b in args.baselines
        )
        print(header)
        print("-" * len(header))
        rows = []
        for name in names:
            X = data[name]
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = LWGANEstimator(**{"random_state": 0, "n_threads": args.threads, **args.params}).fit(X)
            seconds = time.perf_counter() - start
            interval = [int(v) for v in model.intrinsic_dim_interval_]
            row = {
                "manifold": name,
                "true": truth[name],
                "n_features": int(X.shape[1]),
                "estimates": {"LWGAN": float(model.intrinsic_dim_)},
                "interval": interval,
                "seconds": round(seconds, 1),
                "ranks_searched": int(model.latent_dim_),
                "warnings": sorted({str(w.message)[:120] for w in caught}),
                "unreliable_warning": any(issubclass(w.category, UnreliableEstimateWarning) for w in caught),
                "refit_estimates": None if model.refit_estimates_ is None else model.refit_estimates_.tolist(),
                # With held-out rows: the reconstruction error at the estimate on training and held-out rows,
                # and the data's spread in the same units (sqrt(n_features)), as the memorisation check sees them.
                "reconstruction_at_estimate": reconstruction_at_estimate(model),
                "baseline_seconds": {},
            }
            for b in args.baselines:
                value, secs = baseline_estimate(b, X)
                row["estimates"][b] = value
                row["baseline_seconds"][b] = round(secs, 2)
            rows.append(row)
            print(
                f"{name:<18} {truth[name]:>3} {X.shape[1]:>3} {model.intrinsic_dim_:>5} "
                f"{f'{interval[0]}-{interval[1]}':>9} {seconds:>6.1f} "
                + " ".join(f"{row['estimates'][b]:>7.2f}" for b in args.baselines),
                flush=True,
            )
        summary = summarise(rows, estimators)
        print(f"\n{'estimator':<10} {'exact (d<=16)':>14} {'mean rel. error':>16}")
        for est in estimators:
            s = summary[est]
            print(f"{est:<10} {s['exact_small']:>8}/{s['n_small']:<5} {s['mean_relative_error']:>16.3f}")
        lw = summary["LWGAN"]
        if "interval_coverage_small" in lw:
            print(
                f"LWGAN interval: coverage {lw['interval_coverage_small']:.2f} (d <= {SMALL}), "
                f"mean width {lw['interval_mean_width']:.2f} ranks; slowest fit {lw['slowest_fit_s']:.1f} s"
            )
            print(f"silent collapses: {lw['silent_collapses'] or 'none'}; warned on: {lw['warned'] or 'none'}")
        results[str(n)] = {"rows": rows, "summary": summary}

    meta = {**environment("torch", "threads", "cpu_count", "machine"), "noise": args.noise, "params": args.params}
    write_results(out, {"meta": meta, "results": results})
    print(f"written to {out}")


if __name__ == "__main__":
    main()
