"""The demo: the whole latentspec job on scikit-learn's digits, written up as one HTML page.

:func:`run_demo` does, on the 8 x 8 digits that ship with scikit-learn (pixels / 16):

1. the intrinsic dimension of the digits, ``LWGANEstimator(rank="auto")`` on all
   1,797 of them, with the uncertainty of the estimate
   (:func:`latentspec.rank_uncertainty`);
2. the quasi-eigenbasis: ``LWGANEstimator(latent_dim=16, rank=16, label_weight=20)
   -> QuasiEigenBasis`` fitted on a stratified 75 % split, with the LSD label
   accuracy on the other 25 %;
3. denoising on the protocol of scikit-learn's kernel-PCA denoising example: Gaussian
   noise of standard deviation 0.25 on the training and the held-out digits, the
   denoising recipe (:func:`latentspec.choose_denoiser`: a labelled model with
   dropout, ``LatentSpectralDenoiser`` and a residual filter) and PCA fitted on the
   noisy training digits, the error measured against the clean held-out digits; the
   number of kept components of both is chosen by SURE on the noisy held-out digits
   (:func:`latentspec.make_sure_scorer`), so no clean digit chooses anything;
4. rotations by pi/2 between label directions (``LatentRotator``), judged by an SVC
   trained on the clean training digits;

and writes ``index.html`` (rendered by :mod:`latentspec.app._report_html`) with its PNG
figures next to it, and ``results.json``. ``latentspec demo`` on the command line runs it.
"""

from __future__ import annotations

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
from joblib import Parallel, delayed
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC

from .._validation import check_int
from .._version import __version__
from ..datasets import load_digits_scaled
from ..denoising import choose_denoiser, denoise, make_sure_scorer
from ..lsd import LatentRotator, QuasiEigenBasis
from ..lwgan import LWGANEstimator
from ..lwgan.core._threads import idle_cpus
from ._plotting import (
    plot_denoising_grid,
    plot_lsd_spectrum,
    plot_rank_scores,
    plot_rotation_morph,
    plot_samples_beside_data,
    plot_samples_per_rank,
    plot_training_history,
    save_figure,
)
from ._rank_report import format_ranks, rank_uncertainty
from ._report_html import render_html

__all__ = ["run_demo"]

IMAGE_SHAPE = (8, 8)
NOISE = 0.25
LATENT_DIM = 16
LABEL_WEIGHT = 20.0
# Warm-up steps of the denoising model (and so of its cross-fitting clones). A fixed rank gives every row of a
# batch to its one rank, where rank="auto" shares each batch between 16-21 ranks, so it needs fewer steps than
# the default 4,000.
DENOISING_WARMUP = 2000
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


def _dimension_summary(lwgan: LWGANEstimator, X: np.ndarray) -> dict[str, Any]:
    """What step 1 reports of the fitted ``LWGANEstimator(rank="auto")``."""
    scores = lwgan.rank_scores_
    return {
        "n_samples": len(X),
        "latent_dim": int(lwgan.latent_dim_),
        "intrinsic_dim": int(lwgan.intrinsic_dim_),
        "rank_rule": lwgan.rank_rule,
        "uncertainty": rank_uncertainty(lwgan),
        "rank_scores": {key: np.asarray(scores[key]).tolist() for key in ("rank", "mean", "std_error")},
    }


def _fitted(estimator: Any, *args: Any) -> Any:
    """``estimator.fit(*args)``, returned (for joblib, which sends back what the job returns)."""
    return estimator.fit(*args)


def _say_dimension(steps: _Steps, model: LWGANEstimator, X: np.ndarray) -> None:
    u = rank_uncertainty(model)
    steps.say(f"    intrinsic dimension {u['estimate']} (best-scoring rank {u['best_rank']}; ranks within one "
              f"paired std. error of it: {format_ranks(u['within_one_se'])}; nearest-neighbour estimate "
              f"{u['first_estimate']:.1f})")
    for problem in u["problems"]:
        steps.say(f"    WARNING: the estimate cannot be trusted: {problem}")


def parallel_fits() -> bool:
    """Whether ``n_jobs=None`` runs a step's independent fits side by side: on a CPU with two or more idle CPUs."""
    if torch.cuda.is_available():
        return False
    idle = idle_cpus()
    return idle is not None and idle >= 1.5


def _workers(n_jobs: int | None) -> dict[str, int]:
    """Worker processes of each step (2 fits, then 3): all at once for ``None`` when parallel at all (the load is
    read once, so both steps follow the same reading), else at most ``n_jobs``."""
    fits = {"dimension_and_basis": 2, "denoising": 3}
    if n_jobs is None:
        side_by_side = parallel_fits()
        return {step: count if side_by_side else 1 for step, count in fits.items()}
    return {step: min(n_jobs, count) for step, count in fits.items()}


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def _denoise(split: tuple, params: dict, basis_params: dict, seed: int, n_jobs: int) -> tuple[dict, dict]:
    """The denoising recipe against PCA, both fitted on noisy training digits; no clean digit chooses anything.

    ``choose_denoiser`` fits the model and its two cross-fitting clones on the noisy
    training digits (``n_jobs`` at a time) and picks ``n_components`` by SURE on
    the noisy test digits (its residual filter learns from cross-fitted
    residuals); PCA's ``n_components`` is chosen by the same SURE scorer.
    """
    X_train, X_test, y_train, y_test = split
    rng = np.random.default_rng(seed)
    train_noisy = X_train + rng.normal(scale=NOISE, size=X_train.shape)
    test_noisy = X_test + rng.normal(scale=NOISE, size=X_test.shape)
    unfitted = _labelled_lwgan(params, n_warmup=DENOISING_WARMUP, dropout=DENOISE_DROPOUT)
    choice = choose_denoiser(
        unfitted, train_noisy, y_train, test_noisy, basis=QuasiEigenBasis(**basis_params), random_state=seed,
        n_jobs=n_jobs, verbose=params["verbose"],
    )
    model = choice.model
    scorer = make_sure_scorer(choice.noise_std, random_state=seed)
    pca_grid = {k: PCA(n_components=k, random_state=seed).fit(train_noisy) for k in range(1, X_train.shape[1] + 1)}
    k_pca = max(pca_grid, key=lambda k: scorer(pca_grid[k], test_noisy))
    k_lsd = choice.n_components
    shown = {
        f"LSD k={k_lsd} + filter": choice.denoiser.transform(test_noisy),
        f"PCA {k_pca}": denoise(pca_grid[k_pca], test_noisy),
    }
    part = {
        "noise_std": NOISE,
        "noise_std_estimate": choice.noise_std,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_warmup": int(model.n_warmup),
        "dropout": float(model.dropout),
        "lsd_n_components": k_lsd,
        "residual_threshold": choice.threshold,
        "pca_n_components": k_pca,
        "mse_lsd": _mse(shown[f"LSD k={k_lsd} + filter"], X_test),
        "mse_pca": _mse(shown[f"PCA {k_pca}"], X_test),
        "mse_noisy_input": _mse(test_noisy, X_test),
        "mse_lsd_all_components": _mse(choice.per_n_components[model.rank_].transform(test_noisy), X_test),
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


def _figures(out: Path, dimension_model: LWGANEstimator, lsd: Pipeline, denoise_images: dict, morphs: tuple,
             test: tuple) -> dict[str, str]:
    """Draw the report's figures one by one, save each as ``out/<name>.png``; return name -> file name."""
    model, basis = lsd[0], lsd[1]
    X_test, y_test = test
    digit = int(np.flatnonzero(y_test == 3)[0]) if np.any(y_test == 3) else 0
    spectrum_title = f"LSD spectrum of a held-out digit (label {y_test[digit]})"
    images, angles, titles = morphs
    drawings = {
        "rank_scores": lambda: plot_rank_scores(dimension_model),
        "samples_per_rank": lambda: plot_samples_per_rank(dimension_model, n_per_rank=10),
        "samples_beside_data": lambda: plot_samples_beside_data(dimension_model, X_test),
        "training_history": lambda: plot_training_history(dimension_model),
        "lsd_spectrum": lambda: plot_lsd_spectrum(basis, model.transform(X_test[digit : digit + 1])[0],
                                                  title=spectrum_title),
        "denoising_grid": lambda: plot_denoising_grid(denoise_images["clean"], denoise_images["noisy"],
                                                      denoise_images["shown"], IMAGE_SHAPE, n_examples=10),
        "rotation_morph": lambda: plot_rotation_morph(images, angles, IMAGE_SHAPE, titles),
        "training_history_labelled": lambda: plot_training_history(model),
    }
    return {name: Path(save_figure(draw(), out / f"{name}.png")).name for name, draw in drawings.items()}


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
    n_jobs: int | None = None,
    progress: bool = True,
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
        ``None`` is the library's policy (in a worker process: the worker's
        share of the CPUs).
    n_jobs : int or None, default=None
        Most worker processes (joblib) that run independent fits side by side:
        the dimension fit beside the quasi-eigenbasis fit, then the denoising
        model beside its two cross-fitting clones; each worker trains with its
        share of the CPUs (at least one thread). ``None``: every fit of a step
        at once when two or more CPUs are idle (three equal fits on two CPUs
        finish sooner at once than two then one), else, and on a GPU, ``1``;
        ``1`` runs every fit in this process, one after the other, with
        progress bars. Fits in workers show no progress bar. The results do not
        depend on it when ``n_threads`` is fixed.
    progress : bool, default=True
        Whether ``verbose`` includes the progress bars (``False``: the step names
        only, as for a log file).

    Returns
    -------
    dict
        The content of ``results.json``.

    Examples
    --------
    Skipped in the doctest run, where it would take 10 s; ``tests/app/test_demo.py``
    runs the same through the command line.

    >>> import tempfile
    >>> from latentspec.app import run_demo
    >>> folder = tempfile.mkdtemp()
    >>> results = run_demo(folder, quick=True, verbose=0)  # doctest: +SKIP
    >>> sorted(results["figures"].values())  # doctest: +SKIP
    ['denoising_grid.png', 'lsd_spectrum.png', 'rank_scores.png', 'rotation_morph.png',
     'samples_beside_data.png', 'samples_per_rank.png', 'training_history.png', 'training_history_labelled.png']
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
    n_jobs = None if n_jobs is None else check_int("n_jobs", n_jobs, 1)
    workers = _workers(n_jobs)
    in_process = workers["denoising"] == 1
    params = {"random_state": random_state, "verbose": int(verbose) if progress and in_process else 0,
              "n_threads": n_threads, **(QUICK_LWGAN if quick else {})}
    basis_params = {"random_state": random_state, **(QUICK_BASIS if quick else {})}

    X, y = load_digits_scaled()
    split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=random_state)
    X_train, X_test, y_train, y_test = split
    dimension_model = _lwgan(params, rank="auto")
    lsd = make_pipeline(_labelled_lwgan(params), QuasiEigenBasis(**basis_params))
    if workers["dimension_and_basis"] == 1:
        steps.begin("1/5 intrinsic dimension: LWGANEstimator(rank='auto') on all digits")
        dimension_model.fit(X)
        _say_dimension(steps, dimension_model, X)
        steps.begin("2/5 quasi-eigenbasis: LWGANEstimator(label_weight=20) -> QuasiEigenBasis on 75 % of the digits")
        lsd.fit(X_train, y_train)
    else:
        steps.begin("1/5 intrinsic dimension: LWGANEstimator(rank='auto') on all digits; beside it the model of "
                    "step 2 (2 worker processes)")
        dimension_model, lsd = Parallel(n_jobs=2)(
            [delayed(_fitted)(dimension_model, X), delayed(_fitted)(lsd, X_train, y_train)]
        )
        _say_dimension(steps, dimension_model, X)
        steps.begin("2/5 quasi-eigenbasis: LWGANEstimator(label_weight=20) -> QuasiEigenBasis on 75 % of the digits "
                    "(fitted in step 1)")
    dimension = _dimension_summary(dimension_model, X)
    basis = {"n_train": len(X_train), "n_test": len(X_test), "latent_dim": LATENT_DIM,
             "label_weight": LABEL_WEIGHT, "accuracy": float(lsd.score(X_test, y_test))}
    steps.say(f"    LSD label accuracy on {len(X_test)} held-out digits: {basis['accuracy']:.3f}")

    steps.begin("3/5 denoising: noise 0.25; LWGANEstimator -> LatentSpectralDenoiser and PCA on noisy digits"
                + ("" if in_process else f" (the model and its 2 cross-fitting clones, {workers['denoising']} at "
                                          "a time)"))
    denoising, denoise_images = _denoise(split, params, basis_params, random_state, workers["denoising"])
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
        "torch_threads": dimension_model.n_threads_,
        "worker_processes": workers,
        "device": str(dimension_model.device_),
        "versions": _versions(),
        "figures": figures,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "index.html").write_text(render_html(results))
    steps.say(f"report written: {(out / 'index.html').resolve()}")
    return results
