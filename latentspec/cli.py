"""Command line: ``latentspec estimate-dim SOURCE``.

``SOURCE`` is a built-in data set name (``swiss_roll``, ``s_curve``, ``hyperplane``,
``sphere``, ``torus``, ``linear_subspace``) or a ``.npy``, ``.npz`` or ``.csv`` file
of shape ``(n_samples, n_features)``. Prints the estimated intrinsic dimension and
the score of every rank; ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .datasets import INTRINSIC_DIMENSIONS, make_dataset
from .lwgan import LWGANEstimator

__all__ = ["main"]


def load_array(source: str, n_samples: int, random_state: int) -> tuple[np.ndarray, int | None]:
    """Load ``source``: a built-in data set name or a .npy/.npz/.csv file."""
    if source in INTRINSIC_DIMENSIONS:
        return make_dataset(source, n_samples=n_samples, random_state=random_state)
    path = Path(source)
    if not path.exists():
        raise ValueError(f"{source!r} is neither a file nor a data set name ({', '.join(INTRINSIC_DIMENSIONS)})")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz", ".csv"):
        raise ValueError(f"{source}: unsupported file type {suffix!r}; use .npy, .npz or .csv")
    try:
        if suffix == ".npy":
            X = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if len(archive.files) != 1:
                    raise OSError(f"it holds {len(archive.files)} arrays; expected exactly one")
                X = archive[archive.files[0]]
        else:
            X = np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"cannot read {source}: {exc}") from None
    return np.asarray(X), None


def _estimate(args: argparse.Namespace) -> int:
    X, known = load_array(args.source, args.n_samples, args.random_state)
    estimator = LWGANEstimator(
        latent_dim=args.latent_dim, random_state=args.random_state, verbose=0 if args.json else 1
    )
    start = time.perf_counter()
    estimator.fit(X)
    seconds = time.perf_counter() - start
    scores = estimator.rank_scores_
    result = {
        "source": args.source,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "intrinsic_dim": int(estimator.intrinsic_dim_),
        "known_dim": known,
        "seconds": round(seconds, 1),
        "rank_scores": {
            "rank": scores["rank"].tolist(),
            "mean": scores["mean"].tolist(),
            "std_error": scores["std_error"].tolist(),
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.source}: {X.shape[0]} samples in R^{X.shape[1]}, fitted in {seconds:.0f} s")
    print(" rank   score (lower is better)   std. error")
    for r, m, se in zip(scores["rank"], scores["mean"], scores["std_error"]):
        mark = "  <- estimate" if r == estimator.intrinsic_dim_ else ""
        print(f" {r:4d}   {m:23.4f}   {se:10.4f}{mark}")
    print(f"intrinsic dimension: {estimator.intrinsic_dim_}" + (f" (true: {known})" if known is not None else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentspec", description="Latent spaces of generative models.")
    commands = parser.add_subparsers(dest="command", required=True)
    est = commands.add_parser(
        "estimate-dim",
        help="estimate the intrinsic dimension of a data set with LWGAN",
        description="Fit LWGANEstimator with its defaults and print the estimated intrinsic dimension.",
    )
    est.add_argument("source", help="data set name (e.g. s_curve) or a .npy/.npz/.csv file")
    est.add_argument("--n-samples", type=int, default=2000, help="samples to draw for a built-in data set")
    est.add_argument("--latent-dim", type=int, default=None, help="largest rank considered")
    est.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    est.add_argument("--json", action="store_true", help="print machine-readable JSON")
    est.set_defaults(run=_estimate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"latentspec: error: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
