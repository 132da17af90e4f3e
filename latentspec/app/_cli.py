"""Command line: ``latentspec demo`` and ``latentspec estimate-dim SOURCE``.

``demo`` runs the whole job on scikit-learn's digits and writes an HTML report
(see :func:`latentspec.run_demo`).

``estimate-dim SOURCE``: ``SOURCE`` is a built-in data set name (``swiss_roll``,
``s_curve``, ``hyperplane``, ``sphere``, ``torus``, ``linear_subspace``) or a
``.npy``, ``.npz`` or ``.csv`` file of shape ``(n_samples, n_features)`` (a CSV's
first row is skipped when it is not numbers: a header of column names). Prints the
estimated intrinsic dimension with its uncertainty and the score of every rank
(``--json``: the same as JSON), and saves the rank-score plot. ``--quick`` fits
small networks for a few hundred steps, to try it in seconds; ``--threads`` sets
the torch CPU threads, as for ``demo``.

Bad input gives exit code 2 and a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..datasets import INTRINSIC_DIMENSIONS, make_dataset
from ..lwgan import LWGANEstimator
from ._demo import run_demo
from ._plotting import plot_rank_scores, save_figure
from ._rank_report import format_ranks, rank_uncertainty

__all__ = ["QUICK_ESTIMATE", "main"]

# ``estimate-dim --quick``: small networks and few steps, a result in seconds that says less
# than a fit with the defaults.
QUICK_ESTIMATE = {
    "n_warmup": 300,
    "n_critic_refit": 20,
    "n_score_repeats": 10,
    "batch_size": 128,
    "encoder_layers": (32, 32),
    "generator_layers": (32, 32),
    "critic_layers": (32, 32),
}


def load_array(source: str, n_samples: int, random_state: int) -> tuple[np.ndarray, int | None]:
    """Load ``source``: a built-in data set name or a .npy/.npz/.csv file of 2-D data."""
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
            header = 1 if _has_header(path) else 0
            with warnings.catch_warnings():  # an empty file warns; it is reported below, in one line
                warnings.simplefilter("ignore", UserWarning)
                X = np.loadtxt(path, delimiter=",", ndmin=2, skiprows=header)
    except (OSError, EOFError, ValueError) as exc:
        raise ValueError(f"cannot read {source}: {exc}") from None
    X = np.asarray(X)
    if X.size == 0:
        raise ValueError(f"{source}: the file holds no data (shape {X.shape})")
    if X.ndim != 2:
        raise ValueError(f"{source}: expected a 2-D array (n_samples, n_features), got shape {X.shape}")
    return X, None


def _has_header(path: Path) -> bool:
    """Whether the first line of a CSV file is not numbers (column names such as ``x,y,z``)."""
    with open(path, encoding="utf-8") as file:
        first = file.readline().strip()
    if not first:
        return False
    try:
        [float(field) for field in first.split(",")]
    except ValueError:
        return True
    return False


def _thread_option(threads: int | None) -> int | None:
    """``--threads``: None (the library's policy), 0 (torch's own choice) or a count, as ``n_threads``."""
    if threads is None:
        return None
    if threads < 0:
        raise ValueError(f"--threads must be >= 0, got {threads}")
    return threads if threads else torch.get_num_threads()


def _save_rank_plot(estimator: LWGANEstimator, path: Path) -> str | None:
    """Save the rank-score plot; without matplotlib say so on stderr and return None."""
    try:
        fig = plot_rank_scores(estimator)
    except ImportError:  # plotting imports matplotlib when it draws
        print("latentspec: note: matplotlib is not installed, so no plot was saved "
              "(pip install 'latentspec[plots]')", file=sys.stderr)
        return None
    return save_figure(fig, path)


def _estimate(args: argparse.Namespace) -> int:
    plot = None if args.no_plot else Path(args.plot)
    if plot is not None and not plot.parent.is_dir():
        raise ValueError(f"--plot {args.plot}: folder {str(plot.parent)!r} does not exist")
    n_threads = _thread_option(args.threads)
    X, known = load_array(args.source, args.n_samples, args.random_state)
    estimator = LWGANEstimator(
        latent_dim=args.latent_dim, random_state=args.random_state, verbose=0 if args.json else 1,
        n_threads=n_threads, **(QUICK_ESTIMATE if args.quick else {}),
    )
    start = time.perf_counter()
    estimator.fit(X)
    threads = estimator.n_threads_
    seconds = time.perf_counter() - start
    scores = estimator.rank_scores_
    uncertainty = rank_uncertainty(estimator)
    saved = _save_rank_plot(estimator, plot) if plot is not None else None
    result = {
        "source": args.source,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "intrinsic_dim": int(estimator.intrinsic_dim_),
        "known_dim": known,
        "uncertainty": uncertainty,
        "seconds": round(seconds, 1),
        "threads": threads,
        "quick": bool(args.quick),
        "rank_scores": {
            "rank": scores["rank"].tolist(),
            "mean": scores["mean"].tolist(),
            "std_error": scores["std_error"].tolist(),
            "std_error_diff": scores["std_error_diff"].tolist(),
        },
        "plot": saved,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    quick = " (--quick: small networks, few steps)" if args.quick else ""
    print(f"{args.source}: {X.shape[0]} samples in R^{X.shape[1]}, fitted in {seconds:.0f} s "
          f"with {threads} torch thread(s){quick}")
    print(" rank   score (lower is better)   std. error   paired s.e. vs best")
    for r, m, se, sed in zip(scores["rank"], scores["mean"], scores["std_error"], scores["std_error_diff"]):
        mark = "  <- estimate" if r == estimator.intrinsic_dim_ else ""
        print(f" {r:4d}   {m:23.4f}   {se:10.4f}   {sed:19.4f}{mark}")
    print(f"intrinsic dimension: {estimator.intrinsic_dim_}" + (f" (true: {known})" if known is not None else ""))
    print(f"uncertainty: score {uncertainty['score']:.4f} ± {uncertainty['std_error']:.4f} (std. error); "
          f"ranks within one paired std. error of the best (rank {uncertainty['best_rank']}): "
          f"{format_ranks(uncertainty['within_one_se'])}")
    if saved:
        print(f"rank-score plot: {saved}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    n_threads = _thread_option(args.threads)
    run_demo(args.out, random_state=args.random_state, quick=args.quick, verbose=0 if args.quiet else 1,
             n_threads=n_threads)
    print(Path(args.out, "index.html").resolve())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentspec", description="Latent spaces of generative models.")
    parser.add_argument("--version", action="version", version=f"latentspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the whole job on scikit-learn's digits and write an HTML report",
        description=(
            "On scikit-learn's 8 x 8 digits: estimate the intrinsic dimension (LWGAN), fit the quasi-eigenbasis "
            "and report its held-out label accuracy, denoise, rotate one digit into another; write index.html, "
            "its PNG figures and results.json to --out. A few minutes on a 2-core CPU; needs matplotlib."
        ),
    )
    demo.add_argument("--out", default="latentspec-report", metavar="DIR",
                      help="report folder (default: latentspec-report)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    demo.add_argument("--threads", type=int, default=1, metavar="N",
                      help="torch CPU threads (default 1: the networks are small, and on a busy CPU more threads "
                           "mostly add contention; 0 leaves torch's choice)")
    demo.add_argument("--quick", action="store_true",
                      help="tiny networks and few steps: a smoke test in seconds, numbers say little")
    demo.add_argument("--quiet", action="store_true", help="no progress on stderr")
    demo.set_defaults(run=_demo)

    est = commands.add_parser(
        "estimate-dim",
        help="estimate the intrinsic dimension of a data set with LWGAN",
        description=(
            "Fit LWGANEstimator with its defaults, print the estimated intrinsic dimension, its uncertainty and "
            "the score of every rank, and save the rank-score plot."
        ),
    )
    est.add_argument("source", help="data set name (e.g. s_curve) or a .npy/.npz/.csv file (a CSV may start "
                                    "with a header row of column names)")
    est.add_argument("--n-samples", type=int, default=2000, help="samples to draw for a built-in data set")
    est.add_argument("--latent-dim", type=int, default=None, help="largest rank considered")
    est.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    est.add_argument("--threads", type=int, default=None, metavar="N",
                     help="torch CPU threads (default: the library's choice, 1 for these small networks; "
                          "0 leaves torch's choice)")
    est.add_argument("--quick", action="store_true",
                     help="small networks and few steps: a result in seconds that says less than the default fit")
    est.add_argument("--json", action="store_true", help="print machine-readable JSON")
    est.add_argument("--plot", default="rank_scores.png", metavar="PATH",
                     help="where to save the rank-score plot (default: rank_scores.png)")
    est.add_argument("--no-plot", action="store_true", help="do not save the plot")
    est.set_defaults(run=_estimate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, ImportError, FloatingPointError) as exc:
        text = str(exc).strip()
        reason = text.splitlines()[0].rstrip(":") if text else type(exc).__name__
        print(f"latentspec: error: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
