"""Command line: ``latentspec demo`` and ``latentspec estimate-dim SOURCE``.

``demo`` runs the whole job on scikit-learn's digits and writes an HTML report
(see :func:`latentspec.run_demo`).

``estimate-dim SOURCE``: ``SOURCE`` is a built-in data set name (``swiss_roll``,
``s_curve``, ``hyperplane``, ``sphere``, ``torus``, ``linear_subspace``) or a
``.npy``, ``.npz`` or ``.csv`` file of shape ``(n_samples, n_features)``, read by
:mod:`latentspec.app._data_files` (a CSV's header row, ``--header``, and an index column,
``--drop-first-column``). Prints the estimated intrinsic dimension with its
uncertainty and the score of every rank (``--json``: the same as JSON), and saves
the rank-score plot. ``--quick`` fits small networks for a few hundred steps, to try
it in seconds; ``--threads`` sets the torch CPU threads, as for ``demo``. The
progress bars go to stderr only when it is a terminal.

Bad input gives exit code 2 and a one-line reason on stderr; a file's errors name
the file, and the line (CSV: as a text editor numbers it, the header line included)
or row (``.npy``/``.npz``) and the column, all counted from 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..datasets import INTRINSIC_DIMENSIONS, make_dataset
from ..lwgan import LWGANEstimator
from ._data_files import HEADER_CHOICES, read_data_file
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


DEFAULT_N_SAMPLES = 2000

THREADS_HELP = (
    "torch CPU threads (default: the library's choice, LWGANEstimator(n_threads=None): torch's own count, "
    "capped at the CPUs that other processes leave idle when the fit starts, so two on an idle 2-core machine "
    "and one beside a busy process; 0 leaves torch's choice). A count gives results identical bit for bit "
    "whatever the load"
)


def load_array(
    source: str,
    n_samples: int | None = None,
    random_state: int = 0,
    *,
    header: str | None = None,
    drop_first_column: bool = False,
) -> tuple[np.ndarray, int | None]:
    """Load ``source``: a built-in data set name or a .npy/.npz/.csv file of 2-D data.

    Parameters
    ----------
    source : str
        A name in :data:`~latentspec.datasets.INTRINSIC_DIMENSIONS` or a file path.
    n_samples : int or None, default=None
        Points to draw for a built-in data set (None: 2,000); a file is used whole, and
        giving ``n_samples`` with a file is an error.
    random_state : int, default=0
        Seed of a built-in data set.
    header : {"auto", "yes", "no"} or None, default=None
        Whether a CSV's first line holds column names (None: ``"auto"``); CSV only.
    drop_first_column : bool, default=False
        Leave out a file's first column (an index column); files only.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    known_dim : int or None
        The true dimension of a built-in data set; None for a file.
    """
    if source in INTRINSIC_DIMENSIONS:
        for option, given in (("--header", header is not None), ("--drop-first-column", drop_first_column)):
            if given:
                raise ValueError(f"{option} applies to files only; {source!r} is a built-in data set")
        n = DEFAULT_N_SAMPLES if n_samples is None else n_samples
        return make_dataset(source, n_samples=n, random_state=random_state)
    path = Path(source)
    if not path.exists():
        raise ValueError(f"{source!r} is neither a file nor a data set name ({', '.join(INTRINSIC_DIMENSIONS)})")
    if path.is_dir():
        raise ValueError(f"{source} is a folder; give a .npy, .npz or .csv file")
    if n_samples is not None:
        raise ValueError(f"--n-samples applies to the built-in data sets only; the file {source} is used whole "
                         "(take a subset of its rows yourself to use fewer)")
    if header is not None and path.suffix.lower() != ".csv":
        raise ValueError(f"--header applies to .csv files only, not {source}")
    X = read_data_file(path, header=header or "auto", drop_first_column=drop_first_column, note=_note)
    return X, None


def _note(text: str) -> None:
    """One note on stderr, where it neither mixes with the results nor with --json."""
    print(f"latentspec: note: {text}", file=sys.stderr)


def _stderr_is_terminal() -> bool:
    """Whether stderr is a terminal: progress bars only there, redirected they are thousands of redrawn lines."""
    isatty = getattr(sys.stderr, "isatty", None)
    return callable(isatty) and bool(isatty())


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
    X, known = load_array(args.source, args.n_samples, args.random_state, header=args.header,
                          drop_first_column=args.drop_first_column)
    progress = not args.json and _stderr_is_terminal()
    estimator = LWGANEstimator(
        latent_dim=args.latent_dim, random_state=args.random_state, verbose=int(progress),
        standardize=args.standardize, whiten=False if args.no_whiten else "auto",
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
    if uncertainty["first_estimate"] is not None:
        print(f"nearest-neighbour (TwoNN) estimate of the same data: {uncertainty['first_estimate']:.1f}")
    for problem in uncertainty["problems"]:
        print(f"WARNING: the estimate cannot be trusted: {problem} (see LWGANEstimator.diagnostics_)")
    if saved:
        print(f"rank-score plot: {saved}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    n_threads = _thread_option(args.threads)
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    run_demo(args.out, random_state=args.random_state, quick=args.quick, verbose=0 if args.quiet else 1,
             n_threads=n_threads, n_jobs=args.jobs, progress=_stderr_is_terminal())
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
    demo.add_argument("--threads", type=int, default=None, metavar="N",
                      help=THREADS_HELP)
    demo.add_argument("--jobs", type=int, default=None, metavar="N",
                      help="worker processes for the independent fits, which then run side by side (default: one "
                           "per idle CPU; 1: one fit after the other in this process, with progress bars)")
    demo.add_argument("--quick", action="store_true",
                      help="tiny networks and few steps: a smoke test in seconds, numbers say little")
    demo.add_argument("--quiet", action="store_true",
                      help="no progress on stderr (without it: the steps, and progress bars when stderr is a "
                           "terminal)")
    demo.set_defaults(run=_demo)

    est = commands.add_parser(
        "estimate-dim",
        help="estimate the intrinsic dimension of a data set with LWGAN",
        description=(
            "Fit LWGANEstimator with its defaults, print the estimated intrinsic dimension, its uncertainty and "
            "the score of every rank, and save the rank-score plot. Progress bars go to stderr when it is a "
            "terminal. Errors in a file name the file, the line (CSV: as a text editor numbers it, the header "
            "line included) or the row (.npy/.npz) and the column, all counted from 1."
        ),
    )
    est.add_argument("source", help="data set name (e.g. s_curve) or a .npy/.npz/.csv file with one row per sample "
                                    "(a CSV may start with a header row of column names, see --header)")
    est.add_argument("--n-samples", type=int, default=None,
                     help="samples to draw for a built-in data set (default 2000); an error with a file, "
                          "which is used whole")
    est.add_argument("--header", choices=HEADER_CHOICES, default=None,
                     help="CSV only: whether the first line holds column names. auto (default): yes when a field "
                          "is not a number, or when the fields are 0,1,...,k-1 (the names pandas writes; a note "
                          "says so)")
    est.add_argument("--drop-first-column", action="store_true",
                     help="leave out the file's first column, e.g. the row index of pandas' to_csv() without "
                          "index=False (a note points out a first column that counts 0, 1, 2, ...)")
    est.add_argument("--latent-dim", type=int, default=None, help="largest rank considered")
    est.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    est.add_argument("--threads", type=int, default=None, metavar="N", help=THREADS_HELP)
    est.add_argument("--standardize", action="store_true",
                     help="divide every feature by its own standard deviation (LWGANEstimator(standardize=True)); "
                          "without it all features are divided by one overall spread, which keeps their relative "
                          "scales (a warning says when those differ by more than a factor of 100)")
    est.add_argument("--no-whiten", action="store_true",
                     help="score and train in the scaled features' own units (LWGANEstimator(whiten=False)); by "
                          "default every principal direction above the noise floor is given the same spread, so "
                          "that one dominant direction cannot hide the others")
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
