"""Training against held-out reconstruction error per rank, on the standard manifold benchmark.

The rank scores of ``LWGANEstimator`` are computed on the training rows. This script
asks whether that is safe: for each manifold it holds out a fifth of the 1,000 rows
(``random_state=0``), fits ``LWGANEstimator(latent_dim=k, random_state=0,
batch_size=max(512, 32 * k))`` on the rest, with ``k = min(n_features, ceil(2 *
TwoNN) + 2)`` (scikit-dimension's TwoNN on the training rows), and prints, for every
rank, the median per-row reconstruction error ``||x - G(Q(x, r))||`` (in the
estimator's standardised units: the data divided by their root-mean-square spread)
on training rows and on the held-out rows, and the rank the fit chose. It also prints
the rank the one-standard-error rule (``latentspec.choose_rank(..., "one_se")``) would
choose from the held-out rows' errors, each row an evaluation shared by all ranks (so
the differences are paired), once from the errors and once from their logarithms (a
scale-free comparison: every rank's error relative to the best one's).

``--params`` adds or overrides estimator parameters (JSON), to ask whether another
training generalises better; with a fixed ``rank`` only that rank is trained (the
others' errors are then those of untrained codes and mean nothing).

Run (needs ``pip install scikit-dimension``; about a minute per manifold on 2 CPU cores)::

    python benchmarks/heldout_reconstruction.py --manifolds M1_Sphere M2_Affine_3to5 M3_Nonlinear_4to6 M4_Nonlinear
    python benchmarks/heldout_reconstruction.py --manifolds M4_Nonlinear --threads 1 \
        --params '{"rank": 4}' '{"rank": 5}' \
        '{"rank": 4, "activation": "silu"}' '{"rank": 4, "activation": "tanh"}' '{"rank": 4, "lambda_mmd": 0}' \
        '{"rank": 4, "n_warmup": 1000}' '{"rank": 4, "encoder_layers": [64, 64], "generator_layers": [64, 64]}' \
        --out benchmarks/results/heldout_reconstruction_m4_fixed_rank.json
    python benchmarks/heldout_reconstruction.py --manifolds M1_Sphere M2_Affine_3to5 M3_Nonlinear_4to6 \
        M4_Nonlinear M5a_Helix1d M5b_Helix2d M6_Nonlinear M7_Roll M8_Nonlinear M10a_Cubic M11_Moebius \
        M13a_Scurve M13b_Spiral Mbeta Mp1_Paraboloid Mp2_Paraboloid Mp3_Paraboloid \
        --params '{}' '{"dropout": 0.2}' --out benchmarks/results/heldout_reconstruction_d16.json

Writes ``benchmarks/results/heldout_reconstruction.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from _common import add_thread_option, apply_threads, results_path, write_results

from latentspec import LWGANEstimator, choose_rank
from latentspec.lwgan.core._model import RankLayout


def per_rank_errors(model: LWGANEstimator, X: np.ndarray) -> np.ndarray:
    """Per-row reconstruction errors of every rank, shape ``(latent_dim_, n_rows)``, standardised units."""
    module, k = model.module_, model.latent_dim_
    module.eval()
    x = model._to_tensor(X)
    with torch.no_grad():
        layouts = [RankLayout.blocks([r], 1, k, x.device) for r in range(1, k + 1)]
        rows = [torch.linalg.vector_norm(x - module.generate(module.encode(x, lay)), dim=1) for lay in layouts]
    return torch.stack(rows).cpu().numpy()


def main() -> None:
    import skdim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifolds", nargs="+", default=None, help="names to run (default: all 24)")
    parser.add_argument("--n-samples", type=int, default=1000)
    add_thread_option(parser, default=2)
    parser.add_argument("--params", type=json.loads, nargs="+", default=[{}],
                        help="extra estimator parameters, as JSON; several settings run one after another")
    parser.add_argument("--out", type=Path, default=results_path("heldout_reconstruction"))
    args = parser.parse_args()
    apply_threads(args)

    bench = skdim.datasets.BenchmarkManifolds(random_state=0)
    data = bench.generate(n=args.n_samples)
    truth = bench.truth["Intrinsic Dimension"]
    results = {}
    runs = [(name, params) for name in args.manifolds or list(data) for params in args.params]
    for name, extra in runs:
        X = data[name]
        perm = np.random.default_rng(0).permutation(len(X))
        n_val = len(X) // 5
        X_val, X_train = X[perm[:n_val]], X[perm[n_val:]]
        k = int(min(X.shape[1], np.ceil(2 * skdim.id.TwoNN().fit(X_train).dimension_) + 2))
        start = time.perf_counter()
        params = {"latent_dim": k, "random_state": 0, "batch_size": max(512, 32 * k), "n_threads": args.threads}
        model = LWGANEstimator(**{**params, **extra}).fit(X_train)
        seconds = time.perf_counter() - start
        train = np.median(per_rank_errors(model, X_train[:n_val]), axis=1)
        held_out_rows = per_rank_errors(model, X_val)
        held_out = np.median(held_out_rows, axis=1)
        one_se = choose_rank(held_out_rows.T, "one_se")[0]
        one_se_log = choose_rank(np.log(held_out_rows.T + 1e-12), "one_se")[0]
        results[name if not extra else f"{name} {json.dumps(extra)}"] = {
            "true": int(truth[name]),
            "n_features": int(X.shape[1]),
            "params": extra,
            "ranks_searched": model.latent_dim_ if model.intrinsic_dim_ is not None else [model.rank_],
            "estimate": model.intrinsic_dim_,
            "seconds": round(seconds, 1),
            "train_median_error": train.round(3).tolist(),
            "heldout_median_error": held_out.round(3).tolist(),
            "heldout_mean_error": held_out_rows.mean(axis=1).round(3).tolist(),
            "heldout_one_se_rank": int(one_se),
            "heldout_one_se_log_rank": int(one_se_log),
        }
        print(f"{name} (d = {truth[name]}, R^{X.shape[1]}) {extra}: estimate {model.intrinsic_dim_}, rank "
              f"{model.rank_}, {seconds:.0f} s; one-SE rule on held-out rows: {one_se} "
              f"(errors), {one_se_log} (log errors)")
        print("  rank      " + " ".join(f"{r:>6}" for r in range(1, k + 1)))
        print("  train     " + " ".join(f"{v:>6.3f}" for v in train))
        print("  held out  " + " ".join(f"{v:>6.3f}" for v in held_out), flush=True)
    write_results(args.out, results)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
