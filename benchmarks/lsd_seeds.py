"""How much the deep LSD label accuracy and rotation success move with the random seed.

``benchmarks/deep_lsd_digits.py`` and ``benchmarks/reproduce_papers.py`` report parts
1 (LSD label accuracy) and 3 (rotations by pi/2 for ten pairs, judged by an SVC) at
``random_state=0``. This script repeats those two parts, with the same settings and
code, at several seeds (``--seeds``); a seed sets both the stratified split and the
LWGAN's training (initial weights, batches, translations), so the spread covers the
data the model sees and how it trains. It prints every seed and the mean with its
standard error over the seeds.

``--dataset digits`` uses the digits script's settings, ``--dataset mnist`` the MNIST
script's (its label-weight, warm-up and network options apply; about 6 minutes per
seed on a 2-core CPU). Run from the repository root::

    python benchmarks/lsd_seeds.py --dataset mnist --seeds 0 1 2

Writes ``benchmarks/results/lsd_seeds_<dataset>.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import deep_lsd_digits
import numpy as np
import reproduce_papers
from _common import environment, results_path, write_results


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[int], str]:
    """This script's ``--dataset``/``--seeds``; every other option goes to the dataset's own script."""
    own = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    own.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    own.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    known, rest = own.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        own.print_help()
        print("\nThe dataset's own script's options also apply (see its --help).")
        sys.exit(0)
    script = reproduce_papers if known.dataset == "mnist" else deep_lsd_digits
    parser = script.build_parser()
    parser.set_defaults(out=results_path(f"lsd_seeds_{known.dataset}"))
    args = script.parse_args(rest, parser)
    if known.dataset == "mnist":  # the deep LSD parts of the MNIST script translate the training digits
        args.lwgan_params = {**args.lwgan_params, "augment_shift": args.augment_shift}
    return args, known.seeds, known.dataset


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, seeds, dataset = parse(argv)
    if dataset == "mnist":
        from latentspec.datasets import load_mnist_sample

        X, y = load_mnist_sample()
    else:
        from latentspec.datasets import load_digits_scaled

        X, y = load_digits_scaled()
    start = time.perf_counter()
    rows = []
    for seed in seeds:
        args.random_state = seed
        acc = deep_lsd_digits.basis_and_accuracy(X, y, args)
        rot = deep_lsd_digits.rotations(acc["_pieces"], args)
        row = {
            "seed": seed,
            "accuracy": acc["accuracy"]["latent/signed"],
            "rotations": rot["mean_success"],
            "rotations_per_pair": {f"{p['source']}->{p['target']}": p["success"] for p in rot["pairs"]},
            "rotations_still_source": rot["mean_still_source"],
            "target_reconstructed": rot["mean_target_reconstructed_success"],
            "judge_accuracy_clean_test": acc["judge_accuracy_clean_test"],
            "class_mean_offset": acc["class_mean_offset"],
            "fit_seconds": round(acc["fit_seconds"], 1),
        }
        rows.append(row)
        print(f"seed {seed}: accuracy {row['accuracy']:.3f}, rotations {row['rotations']:.3f} (still the source "
              f"{row['rotations_still_source']:.3f}, the target's own digits reconstructed "
              f"{row['target_reconstructed']:.3f}; SVC judge "
              f"{row['judge_accuracy_clean_test']:.3f} on clean test digits; fit {row['fit_seconds']:.0f} s)",
              flush=True)
    summary = {}
    for key in ("accuracy", "rotations"):
        values = np.array([row[key] for row in rows])
        se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
        summary[key] = {"mean": float(values.mean()), "std_error": se,
                        "min": float(values.min()), "max": float(values.max())}
        print(f"{key}: mean {values.mean():.3f} +- {se:.3f} (standard error over {len(values)} seeds), "
              f"range {values.min():.3f} to {values.max():.3f}")
    results = {
        "benchmark": "lsd_seeds",
        "dataset": dataset,
        "parameters": {k: v for k, v in vars(args).items() if k not in ("out", "random_state")},
        "seeds": rows,
        "summary": summary,
        "wall_seconds": round(time.perf_counter() - start, 1),
        **environment("latentspec", "torch", "python"),
    }
    write_results(args.out, results, default=str)
    print(f"written to {args.out} ({results['wall_seconds']:.0f} s)")
    return results


if __name__ == "__main__":
    main()
