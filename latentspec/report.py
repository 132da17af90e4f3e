"""The demo: the whole latentspec job on scikit-learn's digits, written up as one HTML page.

:func:`run_demo` does, on the 8 x 8 digits that ship with scikit-learn (pixels / 16):

1. the intrinsic dimension of the digits, ``LWGANEstimator(rank="auto")`` on all
   1,797 of them, with the uncertainty of the estimate (:func:`rank_uncertainty`);
2. the quasi-eigenbasis: ``LWGANEstimator(latent_dim=16, rank=16, label_weight=20)
   -> QuasiEigenBasis`` fitted on a stratified 75 % split, with the LSD label
   accuracy on the other 25 %;
3. denoising on the protocol of scikit-learn's kernel-PCA denoising example: Gaussian
   noise of standard deviation 0.25 on the training and the held-out digits, a model
   ``LWGANEstimator -> LatentSpectralDenoiser`` and PCA fitted on the noisy training
   digits, the error measured against the clean held-out digits; the number of kept
   components of both is the one that best restores the training digits, never
   chosen on the held-out ones;
4. rotations by pi/2 between label directions (``LatentRotator``), judged by an SVC
   trained on the clean training digits;

and writes ``index.html`` with its PNG figures next to it, and ``results.json``.
``latentspec demo`` on the command line runs it.
"""

from __future__ import annotations

import html
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from ._rank_selection import ranks_within_one_se
from ._version import __version__
from .datasets import load_digits_scaled
from .lwgan import LWGANEstimator
from .spectral import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis

__all__ = ["format_ranks", "rank_uncertainty", "run_demo"]

IMAGE_SHAPE = (8, 8)
NOISE = 0.25
LATENT_DIM = 16
LABEL_WEIGHT = 20.0
# Dropout of the denoising model: without it the auto-encoder fits the noise of the
# training digits as it trains (benchmarks/deep_lsd_digits.py; docs/benchmarks.md).
DENOISE_DROPOUT = 0.2
# The (source, target) pairs of benchmarks/deep_lsd_digits.py; the first four are drawn as morphs.
PAIRS = [(0, 1), (1, 7), (2, 3), (3, 8), (4, 9), (5, 6), (6, 0), (7, 1), (8, 3), (9, 4)]
MORPH_PAIRS = [(3, 8), (1, 7), (4, 9), (6, 0)]

# ``--quick``: tiny networks and few steps, for tests and a first look (the numbers mean little).
QUICK_LWGAN = {
    "n_warmup": 40,
    "n_critic_refit": 5,
    "n_score_repeats": 5,
    "batch_size": 128,
    "encoder_layers": (32,),
    "generator_layers": (32,),
    "critic_layers": (32,),
}
QUICK_BASIS = {"n_rounds": 2, "n_draws": 500}


def rank_uncertainty(lwgan: LWGANEstimator) -> dict[str, Any]:
    """How sure the rank estimate of a fitted ``LWGANEstimator(rank="auto")`` is.

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
        Its ``rank_scores_`` (every rank scored on the same repeated batches).

    Returns
    -------
    dict
        ``estimate`` (``intrinsic_dim_``, or ``rank_`` for a fixed rank),
        ``score`` and ``std_error`` (mean score of that rank and its standard
        error), ``best_rank`` (the rank with the lowest mean score), and
        ``within_one_se``: the ranks whose mean score is within one paired
        standard error of the best one (``mean - mean[best] <= std_error_diff``),
        the ranks the scores cannot tell apart from the best.

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import make_s_curve_3d
    >>> from latentspec.report import rank_uncertainty
    >>> X = make_s_curve_3d(n_samples=200, random_state=0)
    >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=3, random_state=0).fit(X)
    >>> sorted(rank_uncertainty(est))
    ['best_rank', 'estimate', 'score', 'std_error', 'within_one_se']
    """
    scores = lwgan.rank_scores_
    ranks, mean = np.asarray(scores["rank"]), np.asarray(scores["mean"])
    estimate = lwgan.intrinsic_dim_ if lwgan.intrinsic_dim_ is not None else lwgan.rank_
    at = int(np.flatnonzero(ranks == estimate)[0])
    best = int(np.argmin(mean))
    return {
        "estimate": int(estimate),
        "score": float(mean[at]),
        "std_error": float(scores["std_error"][at]),
        "best_rank": int(ranks[best]),
        "within_one_se": [int(r) for r in ranks_within_one_se(scores)],
    }


class _Steps:
    """Step names with the elapsed time, on stderr."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def begin(self, name: str) -> None:
        self.end()
        self._current = (name, time.perf_counter())
        self.say(name)

    def end(self) -> None:
        if self._current is not None:
            name, began = self._current
            self.seconds[name] = round(time.perf_counter() - began, 1)
            self._current = None

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.1f} s] {text}", file=sys.stderr, flush=True)


def _lwgan(params: dict[str, Any], **fixed: Any) -> LWGANEstimator:
    """An LWGANEstimator for the digits; ``params`` (seed, verbosity, quick settings) come last and win.

    MLP networks, as in ``benchmarks/deep_lsd_digits.py``: on these 8 x 8 images the
    convolutional ones took three times as long for no better numbers (one demo run
    each, seed 0: 321 s and dimension 6, accuracy 0.969, denoising 0.0300, rotations
    0.908, against 106 s and 8, 0.971, 0.0293, 0.917; both with MKL products).
    """
    return LWGANEstimator(**{"image_shape": IMAGE_SHAPE, "architecture": "mlp", **fixed, **params})


def _labelled_lwgan(params: dict[str, Any], **fixed: Any) -> LWGANEstimator:
    """The model of the deep LSD parts: a latent axis per class (``label_weight``)."""
    return _lwgan(params, latent_dim=LATENT_DIM, rank=LATENT_DIM, label_weight=LABEL_WEIGHT, **fixed)


def _estimate_dimension(X: np.ndarray, params: dict[str, Any]) -> tuple[LWGANEstimator, dict[str, Any]]:
    lwgan = _lwgan(params, rank="auto").fit(X)
    scores = lwgan.rank_scores_
    return lwgan, {
        "n_samples": len(X),
        "latent_dim": int(lwgan.latent_dim_),
        "intrinsic_dim": int(lwgan.intrinsic_dim_),
        "rank_rule": lwgan.rank_rule,
        "uncertainty": rank_uncertainty(lwgan),
        "rank_scores": {key: np.asarray(scores[key]).tolist() for key in ("rank", "mean", "std_error")},
    }


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def _denoise(split: tuple, params: dict, basis_params: dict, seed: int) -> tuple[dict, dict]:
    """LSD denoising against PCA, both fitted on noisy training digits; k chosen on the training digits."""
    X_train, X_test, y_train, y_test = split
    rng = np.random.default_rng(seed)
    train_noisy = X_train + rng.normal(scale=NOISE, size=X_train.shape)
    test_noisy = X_test + rng.normal(scale=NOISE, size=X_test.shape)
    model = _labelled_lwgan(params, dropout=DENOISE_DROPOUT).fit(train_noisy, y_train)
    Z_train = model.transform(train_noisy)

    def lsd(k: int) -> Pipeline:
        denoiser = LatentSpectralDenoiser(n_components=k, basis=QuasiEigenBasis(**basis_params), random_state=seed)
        return Pipeline([("lwgan", model), ("lsd", denoiser.fit(Z_train, y_train))])

    def pca(k: int) -> PCA:
        return PCA(n_components=k, random_state=seed).fit(train_noisy)

    def denoised(method: Any, X: np.ndarray) -> np.ndarray:
        return method.inverse_transform(method.transform(X))

    lsd_grid = {k: lsd(k) for k in range(1, model.rank_ + 1)}
    pca_grid = {k: pca(k) for k in range(1, X_train.shape[1] + 1)}
    k_lsd = min(lsd_grid, key=lambda k: _mse(denoised(lsd_grid[k], train_noisy), X_train))
    k_pca = min(pca_grid, key=lambda k: _mse(denoised(pca_grid[k], train_noisy), X_train))
    shown = {
        f"LSD k={k_lsd}": denoised(lsd_grid[k_lsd], test_noisy),
        f"PCA {k_pca}": denoised(pca_grid[k_pca], test_noisy),
    }
    part = {
        "noise_std": NOISE,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_warmup": int(model.n_warmup),
        "dropout": float(model.dropout),
        "lsd_n_components": k_lsd,
        "pca_n_components": k_pca,
        "mse_lsd": _mse(shown[f"LSD k={k_lsd}"], X_test),
        "mse_pca": _mse(shown[f"PCA {k_pca}"], X_test),
        "mse_noisy_input": _mse(test_noisy, X_test),
        "mse_lsd_all_components": _mse(denoised(lsd_grid[model.rank_], test_noisy), X_test),
    }
    order = [int(np.flatnonzero(y_test == label)[0]) for label in np.unique(y_test)]  # one digit of each class
    return part, {"clean": X_test[order], "noisy": test_noisy[order], "shown": {k: v[order] for k, v in shown.items()}}


def _rotate(split: tuple, model: LWGANEstimator, basis_params: dict, seed: int) -> tuple[dict, Any]:
    """Rotations by pi/2 between label directions, judged by an SVC trained on clean digits."""
    X_train, X_test, y_train, y_test = split
    judge = SVC().fit(X_train, y_train)
    Z_train, Z_test = model.transform(X_train), model.transform(X_test)
    pairs = []
    for source, target in PAIRS:
        rotator = LatentRotator(source=source, target=target, angle=math.pi / 2,
                                basis=QuasiEigenBasis(**basis_params), random_state=seed).fit(Z_train, y_train)
        rotated = model.inverse_transform(rotator.transform(Z_test[y_test == source]))
        success = float(np.mean(judge.predict(rotated) == target))
        pairs.append({"source": source, "target": target, "n": int(np.sum(y_test == source)), "success": success})
    part = {
        "judge_accuracy_clean_test": float(judge.score(X_test, y_test)),
        "pairs": pairs,
        "mean_success": float(np.mean([p["success"] for p in pairs])),
    }
    return part, (Z_train, Z_test)


def _morphs(model: LWGANEstimator, codes: tuple, split: tuple, basis_params: dict, seed: int) -> tuple:
    Z_train, Z_test = codes
    y_train, y_test = split[2], split[3]
    angles = np.linspace(0.0, math.pi / 2, 7)  # from the source digit to the target
    rows, titles = [], []
    for source, target in MORPH_PAIRS:
        rotator = LatentRotator(source=source, target=target, basis=QuasiEigenBasis(**basis_params),
                                random_state=seed).fit(Z_train, y_train)
        path = rotator.path(Z_test[y_test == source][:1], angles=angles)  # (n_angles, 1, d)
        rows.append(np.stack([model.inverse_transform(step) for step in path])[:, 0])
        titles.append(f"{source} → {target}")
    return np.stack(rows, axis=1), angles, titles


def _save(fig: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _figures(out: Path, dimension_model: LWGANEstimator, lsd: Pipeline, denoise_images: dict, morphs: tuple,
             test: tuple) -> dict[str, str]:
    from .plotting import (
        plot_denoising_grid,
        plot_lsd_spectrum,
        plot_rank_scores,
        plot_rotation_morph,
        plot_samples_per_rank,
        plot_training_history,
    )

    model, basis = lsd[0], lsd[1]
    X_test, y_test = test
    digit = int(np.flatnonzero(y_test == 3)[0]) if np.any(y_test == 3) else 0
    spectrum_title = f"LSD spectrum of a held-out digit (label {y_test[digit]})"
    images, angles, titles = morphs
    return {
        "rank_scores": _save(plot_rank_scores(dimension_model), out / "rank_scores.png"),
        "samples_per_rank": _save(plot_samples_per_rank(dimension_model, n_per_rank=10), out / "samples_per_rank.png"),
        "training_history": _save(plot_training_history(dimension_model), out / "training_history.png"),
        "lsd_spectrum": _save(plot_lsd_spectrum(basis, model.transform(X_test[digit : digit + 1])[0],
                                                title=spectrum_title), out / "lsd_spectrum.png"),
        "denoising_grid": _save(plot_denoising_grid(denoise_images["clean"], denoise_images["noisy"],
                                                    denoise_images["shown"], IMAGE_SHAPE, n_examples=10),
                                out / "denoising_grid.png"),
        "rotation_morph": _save(plot_rotation_morph(images, angles, IMAGE_SHAPE, titles), out / "rotation_morph.png"),
        "training_history_labelled": _save(plot_training_history(model), out / "training_history_labelled.png"),
    }


def _versions() -> dict[str, str]:
    import matplotlib

    return {
        "latentspec": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
    }


def run_demo(
    out: str | Path = "latentspec-report",
    *,
    random_state: int = 0,
    quick: bool = False,
    verbose: int = 1,
    n_threads: int | None = None,
) -> dict[str, Any]:
    """Run the whole job on scikit-learn's digits and write the report to ``out``.

    Parameters
    ----------
    out : str or Path, default="latentspec-report"
        Folder for ``index.html``, its PNG figures and ``results.json``
        (created if needed; files of the same names are overwritten).
    random_state : int, default=0
        Seed of the split, the noise and every estimator.
    quick : bool, default=False
        Tiny networks and few steps (seconds instead of minutes); the numbers
        then say little about the method.
    verbose : int, default=1
        ``0`` silent; ``1`` step names with the elapsed time and the estimators'
        progress bars, on stderr.
    n_threads : int or None, default=None
        torch CPU threads of every ``LWGANEstimator`` (its ``n_threads``);
        ``None`` is the library's policy.

    Returns
    -------
    dict
        The content of ``results.json``.

    Examples
    --------
    Skipped in the doctest run, where it would take 10 s; ``tests/test_report.py``
    runs the same through the command line.

    >>> import tempfile
    >>> from latentspec.report import run_demo
    >>> folder = tempfile.mkdtemp()
    >>> results = run_demo(folder, quick=True, verbose=0)  # doctest: +SKIP
    >>> sorted(results["figures"].values())  # doctest: +SKIP
    ['denoising_grid.png', 'lsd_spectrum.png', 'rank_scores.png', 'rotation_morph.png',
     'samples_per_rank.png', 'training_history.png', 'training_history_labelled.png']
    >>> results["intrinsic_dimension"]["rank_scores"]["rank"][-1]  # doctest: +SKIP
    16
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("the demo draws figures and needs matplotlib: pip install 'latentspec[plots]'") from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    steps = _Steps(quiet=verbose < 1)
    params = {"random_state": random_state, "verbose": int(verbose), "n_threads": n_threads,
              **(QUICK_LWGAN if quick else {})}
    basis_params = {"random_state": random_state, **(QUICK_BASIS if quick else {})}

    steps.begin("1/5 intrinsic dimension: LWGANEstimator(rank='auto') on all digits")
    X, y = load_digits_scaled()
    dimension_model, dimension = _estimate_dimension(X, params)
    u = dimension["uncertainty"]
    steps.say(f"    intrinsic dimension {u['estimate']} (best-scoring rank {u['best_rank']}; ranks within one "
              f"paired std. error of it: {format_ranks(u['within_one_se'])})")

    steps.begin("2/5 quasi-eigenbasis: LWGANEstimator(label_weight=20) -> QuasiEigenBasis on 75 % of the digits")
    split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=random_state)
    X_train, X_test, y_train, y_test = split
    lsd = make_pipeline(_labelled_lwgan(params), QuasiEigenBasis(**basis_params))
    lsd.fit(X_train, y_train)
    basis = {"n_train": len(X_train), "n_test": len(X_test), "latent_dim": LATENT_DIM,
             "label_weight": LABEL_WEIGHT, "accuracy": float(lsd.score(X_test, y_test))}
    steps.say(f"    LSD label accuracy on {len(X_test)} held-out digits: {basis['accuracy']:.3f}")

    steps.begin("3/5 denoising: noise 0.25; LWGANEstimator -> LatentSpectralDenoiser and PCA on noisy digits")
    denoising, denoise_images = _denoise(split, params, basis_params, random_state)
    steps.say(f"    MSE: LSD {denoising['mse_lsd']:.4f}, PCA {denoising['mse_pca']:.4f}, "
              f"noisy input {denoising['mse_noisy_input']:.4f}")

    steps.begin("4/5 rotations by pi/2 between label directions")
    rotations, codes = _rotate(split, lsd[0], basis_params, random_state)
    steps.say(f"    share of rotated digits the SVC labels as the target: {rotations['mean_success']:.3f}")

    steps.begin("5/5 figures and report")
    morphs = _morphs(lsd[0], codes, split, basis_params, random_state)
    figures = _figures(out, dimension_model, lsd, denoise_images, morphs, (X_test, y_test))
    steps.end()
    results = {
        "data": "scikit-learn digits (8 x 8, pixels / 16), 1797 images",
        "random_state": random_state,
        "quick": quick,
        "intrinsic_dimension": dimension,
        "quasi_eigenbasis": basis,
        "denoising": denoising,
        "rotations": rotations,
        "seconds": {**steps.seconds, "total": round(time.perf_counter() - steps.start, 1)},
        "torch_threads": dimension_model._thread_count() or torch.get_num_threads(),
        "device": str(dimension_model.device_),
        "versions": _versions(),
        "figures": figures,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "index.html").write_text(_html(results))
    steps.say(f"report written: {(out / 'index.html').resolve()}")
    return results


def format_ranks(ranks: list[int]) -> str:
    """Write a list of ranks compactly: a consecutive run as ``"first-last"``, others listed.

    Parameters
    ----------
    ranks : list of int
        Ranks in increasing order, e.g. ``rank_uncertainty(model)["within_one_se"]``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_ranks([3, 4, 5])
    '3-5'
    >>> format_ranks([2, 4])
    '2, 4'
    """
    if len(ranks) > 1 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]}-{ranks[-1]}"
    return ", ".join(str(r) for r in ranks)


# ------------------------------------------------------------------------ HTML
_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 0.25em 0.8em; border: 1px solid #ccc; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; max-width: 900px; } .note { color: #666; font-size: 0.9em; }
"""


def _table(rows: list[tuple[str, str]], header: tuple[str, str] | None = None, numbers: bool = True) -> str:
    """A two-column table; ``numbers`` right-aligns the values."""
    head = f"<tr><th>{html.escape(header[0])}</th><th>{html.escape(header[1])}</th></tr>" if header else ""
    cell = "<td class='num'>" if numbers else "<td>"
    body = "".join(f"<tr><th>{html.escape(k)}</th>{cell}{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{head}{body}</table>"


def _figure(name: str, alt: str, caption: str) -> str:
    return (f"<figure><img src='{html.escape(name)}' alt='{html.escape(alt)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _html(r: dict[str, Any]) -> str:
    dim, basis, den, rot = r["intrinsic_dimension"], r["quasi_eigenbasis"], r["denoising"], r["rotations"]
    u, fig, secs = dim["uncertainty"], r["figures"], r["seconds"]
    key_numbers = [
        ("intrinsic dimension (LWGAN, rank='auto')",
         f"{u['estimate']} (its score {u['score']:.3f} ± {u['std_error']:.3f}; best-scoring rank "
         f"{u['best_rank']}; ranks within one paired std. error of it: {format_ranks(u['within_one_se'])})"),
        ("LSD label accuracy, held-out digits", f"{basis['accuracy']:.3f} ({basis['n_test']} digits)"),
        ("denoising MSE, LSD", f"{den['mse_lsd']:.4f} (k = {den['lsd_n_components']} coefficients)"),
        ("denoising MSE, PCA", f"{den['mse_pca']:.4f} ({den['pca_n_components']} components)"),
        ("denoising MSE, noisy input", f"{den['mse_noisy_input']:.4f}"),
        ("rotation success (SVC labels the target)", f"{rot['mean_success']:.3f} (mean of {len(rot['pairs'])} pairs)"),
        ("SVC judge accuracy, clean held-out digits", f"{rot['judge_accuracy_clean_test']:.3f}"),
        ("wall time", f"{secs['total']:.0f} s (torch threads: {r['torch_threads']}, device: {r['device']})"),
        ("random_state", str(r["random_state"])),
    ]
    timings = [(name, f"{seconds:.1f} s") for name, seconds in secs.items()]
    versions = list(r["versions"].items())
    pair_rows = "".join(
        f"<tr><td>{p['source']} → {p['target']}</td><td class='num'>{p['n']}</td>"
        f"<td class='num'>{p['success']:.2f}</td></tr>" for p in rot["pairs"]
    )
    quick = ("<p class='note'><b>Quick mode</b>: tiny networks and few steps; "
             "the numbers below say little about the method.</p>") if r["quick"] else ""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>latentspec report: scikit-learn digits</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>latentspec report: scikit-learn's digits</h1>",
        f"<p class='note'>{html.escape(r['data'])}; latentspec {html.escape(r['versions']['latentspec'])}.</p>",
        quick,
        "<h2>Key numbers</h2>", _table(key_numbers, numbers=False),
        "<h2>1. Intrinsic dimension</h2>",
        f"<p>LWGANEstimator trains one encoder and generator for every rank 1..{dim['latent_dim']} on all "
        f"{dim['n_samples']} digits, scores every rank on fresh batches (lower is better) and picks the estimate "
        f"with its rank rule '{html.escape(dim['rank_rule'])}' (for 'authors', the smallest mean score after a "
        "penalty that grows with the rank). The best-scoring rank and the ranks within one paired standard error "
        "of it show how sure the estimate is.</p>",
        _figure(fig["rank_scores"], "rank scores",
                "Left: the mean score of every rank (lower is better) with its standard error; the estimate in "
                "red. Right: the ranks near the estimate, their score minus the best one, with the paired standard "
                "error of that difference."),
        _figure(fig["samples_per_rank"], "samples per rank",
                "Generator samples at every rank, one row per rank, the same latent draws in every row; "
                "the estimate is marked with *."),
        _figure(fig["training_history"], "training history",
                "Training losses of the intrinsic-dimension model, by phase."),
        "<h2>2. Quasi-eigenbasis and LSD label accuracy</h2>",
        f"<p>Pipeline LWGANEstimator(latent_dim={basis['latent_dim']}, rank={basis['latent_dim']}, "
        f"label_weight={basis['label_weight']:g}) → QuasiEigenBasis, fitted on a stratified split of "
        f"{basis['n_train']} digits; the predicted label of a held-out digit is its largest label coefficient. "
        f"Accuracy on {basis['n_test']} held-out digits: <b>{basis['accuracy']:.3f}</b>.</p>",
        _figure(fig["lsd_spectrum"], "LSD spectrum",
                "Spectral coefficients of one held-out digit: the label directions first (largest in red), "
                "then the rest of the basis."),
        _figure(fig["training_history_labelled"], "training history of the labelled model",
                "Training losses of the labelled model."),
        "<h2>3. Denoising</h2>",
        f"<p>The protocol of scikit-learn's kernel-PCA denoising example: Gaussian noise of standard deviation "
        f"{den['noise_std']} on the {den['n_train']} training and the {den['n_test']} held-out digits. A model "
        f"LWGANEstimator (as above, with dropout={den['dropout']} so that it does not learn the noise) → "
        "LatentSpectralDenoiser, which keeps the k largest spectral coefficients of every code, and PCA are "
        "fitted on the noisy training digits; k and the number of PCA components are those that best restore "
        "the training digits. Mean squared error against the clean held-out digits: "
        f"LSD <b>{den['mse_lsd']:.4f}</b>, PCA <b>{den['mse_pca']:.4f}</b>, noisy input "
        f"{den['mse_noisy_input']:.4f} (LSD keeping all coefficients: {den['mse_lsd_all_components']:.4f}).</p>",
        _figure(fig["denoising_grid"], "denoising grid",
                "One held-out digit of each class: clean, noisy, denoised by LSD, denoised by PCA."),
        "<h2>4. Rotations</h2>",
        "<p>The codes of the held-out digits of the source class are rotated by π/2 in the plane of the two label "
        "directions and decoded; an SVC trained on the clean training digits (accuracy "
        f"{rot['judge_accuracy_clean_test']:.3f} on the clean held-out digits) labels them. Success is the share "
        f"labelled as the target; mean <b>{rot['mean_success']:.3f}</b>.</p>",
        f"<table><tr><th>pair</th><th>digits</th><th>success</th></tr>{pair_rows}</table>",
        _figure(fig["rotation_morph"], "rotation morphs",
                "One held-out digit per row, decoded along its rotation from 0 to 90 degrees, "
                "where it should be the target digit."),
        "<h2>Timings and versions</h2>",
        _table(timings, ("step", "seconds")),
        _table(versions, ("package", "version")),
        "<p class='note'>Numbers as written to results.json in this folder.</p>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
