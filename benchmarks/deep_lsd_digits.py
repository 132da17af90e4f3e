"""Deep LSD on scikit-learn's digits: label accuracy, denoising, rotations.

Everything on the 8 x 8 digits that ship with scikit-learn (pixels / 16), in
one run, with the generative model ``LWGANEstimator`` at a fixed latent
dimension and its class-conditional prior (``label_weight``):

1. Basis and accuracy. A Pipeline ``LWGANEstimator -> QuasiEigenBasis`` is fitted
   on a stratified 75 % split and scored on the other 25 %, with the prior draws
   labelled from latent codes and labels alone (``labelling="latent"``) and, as
   in the paper, by an image classifier applied to decoded draws
   (``labelling="generator"``); both predict rules (signed and the paper's
   ``|c|``) are reported. Also checked: orthogonal rows, the exact round trip.
2. Denoising, on the protocol of scikit-learn's kernel-PCA denoising example:
   1,000 training and 100 test digits (stratified, ``random_state=0``),
   Gaussian noise of standard deviation 0.25 added to both, every model fitted
   on the noisy training set, error = mean squared error against the clean test
   digits. latentspec (``LWGANEstimator -> LatentSpectralDenoiser``, tuned over
   ``n_warmup``, ``dropout`` and every ``n_components`` 1..rank) against PCA
   (``n_components`` 1..64) and ``KernelPCA(kernel="rbf",
   fit_inverse_transform=True)`` (a grid over ``n_components``, ``gamma`` and
   ``alpha`` larger than latentspec's). Every grid is scored on the same test
   error, so each method gets its best setting.
3. Rotations. For each of ten (source, target) pairs, the test digits of the
   source class are encoded, rotated by pi/2 in the plane of the two label
   quasi-eigenvectors (``LatentRotator``) and decoded; an SVC trained on the
   clean training digits (not part of latentspec) labels them. Reported: the
   share labelled as the target, the share still labelled as the source, the
   share of the target class's own test digits, encoded and decoded, that the SVC
   labels as the target (what a rotated code can hope for), the largest change of any coefficient outside
   the rotation plane, and ``det R``. For comparison, an InterFaceGAN-style edit
   on the same generator: ``z + a n`` with ``n`` the unit normal of a linear SVM
   between the two classes' training codes, moving the same latent distance.

4. How the labels reach the latent space. Parts 1 to 3 again (accuracy in both
   labelling modes and both rules, rotations, and denoising at the best training of
   part 2 with every ``n_components``) for three models: the class-mixture prior of
   parts 1 to 3 (``label_mode="prior"``), the deep LSD paper's setting (prior
   ``N(0, I)``, a latent classifier trained with the encoder:
   ``label_mode="classifier"``, weight ``--paper-label-weight``) and no label
   information at all (``label_weight=0``; the labels reach only the basis). Also
   reported: the norm of the mean training code (near 0 under ``N(0, I)``), the
   offset ``QuasiEigenBasis`` gave the class means, and the accuracy that plain
   Gram-Schmidt of the class means would have given.

Writes ``benchmarks/results/deep_lsd_digits.json`` and three figures under
``docs/figures/`` (LSD spectra, denoising grid, rotation morphs).

Run from the repository root (about 14 minutes on 2 CPU cores, most of it the denoising grid)::

    python benchmarks/deep_lsd_digits.py
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results
from sklearn.decomposition import PCA, KernelPCA
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import SVC, LinearSVC

from latentspec import (
    LatentRotator,
    LatentSpectralDenoiser,
    LWGANEstimator,
    QuasiEigenBasis,
    choose_denoiser,
    estimate_noise_std,
    make_denoiser,
)
from latentspec.datasets import load_digits_scaled

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
PAIRS = [(0, 1), (1, 7), (2, 3), (3, 8), (4, 9), (5, 6), (6, 0), (7, 1), (8, 3), (9, 4)]
NOISE = 0.25


# How the labels reach the latent space, as LWGANEstimator parameters (see label_settings).
LABEL_SETTINGS = ("label_prior", "paper", "no_labels")


def label_settings(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The three ways the model may see the labels, compared in every part.

    ``label_prior``: the class-mixture prior (``label_mode="prior"``, the headline
    numbers and figures); ``paper``: the deep LSD paper's setting, prior ``N(0, I)``
    and a latent classifier trained with the encoder (``label_mode="classifier"``);
    ``no_labels``: the unsupervised LWGAN (the labels reach only the basis).
    """
    return {
        "label_prior": {"label_weight": args.label_weight, "label_mode": "prior"},
        "paper": {"label_weight": args.paper_label_weight, "label_mode": "classifier"},
        "no_labels": {"label_weight": 0.0},
    }


def lwgan(args: argparse.Namespace, setting: str = "label_prior") -> LWGANEstimator:
    """The generative model of ``setting`` (``args.lwgan_params`` adds settings, e.g. for images)."""
    return LWGANEstimator(
        latent_dim=args.rank,
        rank=args.rank,
        n_warmup=args.n_warmup,
        n_iter=args.n_iter,
        random_state=args.random_state,
        **label_settings(args)[setting],
        **args.lwgan_params,
    )


def relative_orthogonality_error(rows: np.ndarray) -> float:
    """Largest off-diagonal of the Gram matrix of ``rows``, relative to the squared row norm."""
    gram = rows @ rows.T
    return float(np.abs(gram - np.diag(np.diag(gram))).max() / np.diag(gram).max())


def basis_and_accuracy(
    X: np.ndarray, y: np.ndarray, args: argparse.Namespace, setting: str = "label_prior"
) -> dict[str, Any]:
    """Part 1 for one label setting, and the fitted pieces part 3 reuses."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
    )
    start = time.perf_counter()
    pipe = make_pipeline(lwgan(args, setting), QuasiEigenBasis(random_state=args.random_state))
    pipe.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    model, basis = pipe[0], pipe[1]
    Z_train, Z_test = model.transform(X_train), model.transform(X_test)
    round_trip = np.abs(basis.inverse_transform(basis.transform(Z_test)) - Z_test).max() / np.abs(Z_test).max()

    # An image classifier that is not part of latentspec: labels decoded draws
    # (the paper's labelling) and, in part 3, rotated digits.
    judge = SVC().fit(X_train, y_train)
    by_images = QuasiEigenBasis(
        labelling="generator",
        generator=FrozenEstimator(model),
        classifier=FrozenEstimator(judge),
        random_state=args.random_state,
    ).fit(Z_train, y_train)
    accuracy = {}
    for name, fitted in (("latent", basis), ("generator", by_images)):
        for rule in ("signed", "absolute"):
            accuracy[f"{name}/{rule}"] = float(fitted.set_params(rule=rule).score(Z_test, y_test))
    basis.set_params(rule="signed")
    part = {
        "latent_dim": int(model.rank_),
        "n_train": len(X_train),
        "n_test": len(X_test),
        "fit_seconds": fit_seconds,
        "orthogonality_error": relative_orthogonality_error(basis.components_),
        "round_trip_error": float(round_trip),
        "label_rows_are_class_directions": bool(
            np.allclose(
                basis.components_[0] / np.linalg.norm(basis.components_[0]),
                basis.class_means_[0] / np.linalg.norm(basis.class_means_[0]),
            )
        ),
        "accuracy": accuracy,
        "judge_accuracy_clean_test": float(judge.score(X_test, y_test)),
        "judge_accuracy_reconstructed_test": float(judge.score(model.inverse_transform(Z_test), y_test)),
        "mean_code_norm": float(np.linalg.norm(Z_train.mean(axis=0))),
        "accuracy_without_offset": plain_gram_schmidt_accuracy(basis, Z_test, y_test),
        "class_mean_offset": float(basis.class_mean_offset_),
    }
    return part | {"_pieces": (model, basis, judge, Z_train, Z_test, y_train, y_test)}


def plain_gram_schmidt_accuracy(basis: QuasiEigenBasis, Z: np.ndarray, y: np.ndarray) -> float:
    """Accuracy (signed rule) of label directions made by Gram-Schmidt of the class means as they are.

    What ``QuasiEigenBasis`` gave before it lifted class means that point away from
    each other (``class_mean_offset_``); the label directions depend on the class
    means only, so the other rounds do not matter here.
    """
    from latentspec.lsd._gram_schmidt import _gram_schmidt

    n_classes = len(basis.classes_)
    units, _ = _gram_schmidt(basis.class_means_, n_classes, basis.classes_)
    predicted = basis.classes_[np.argmax(Z @ units[:n_classes].T, axis=1)]
    return float(np.mean(predicted == y))


def noisy_split(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """The kernel-PCA example's data: 1,000 training and 100 test rows, noise 0.25 on both.

    Returns ``X_train, X_test, X_train_noisy, X_test_noisy, y_train``.
    """
    X_train, X_test, y_train, _ = train_test_split(
        X, y, stratify=y, random_state=0, train_size=1_000, test_size=100
    )
    rng = np.random.RandomState(0)
    X_test_noisy = X_test + rng.normal(scale=NOISE, size=X_test.shape)
    X_train_noisy = X_train + rng.normal(scale=NOISE, size=X_train.shape)
    return X_train, X_test, X_train_noisy, X_test_noisy, y_train


def kernel_pca_errors(
    X_fit: np.ndarray, X_in: np.ndarray, X_clean: np.ndarray, gammas: list[float]
) -> dict[tuple[int, float, float], float]:
    """Test error of ``KernelPCA(rbf, fit_inverse_transform=True)`` fitted on ``X_fit``, per grid point.

    The grid: 6 ``n_components`` x ``gammas`` x 6 ``alpha`` (ridge of the inverse map).
    """
    errors = {}
    for k in (8, 16, 24, 32, 48, 64):
        for gamma in gammas:
            for alpha in (1e-3, 1e-2, 5e-2, 1e-1, 2e-1, 5e-1):
                kpca = KernelPCA(
                    n_components=k, kernel="rbf", gamma=gamma, alpha=alpha, fit_inverse_transform=True, random_state=0
                ).fit(X_fit)
                denoised = kpca.inverse_transform(kpca.transform(X_in))
                errors[(k, gamma, alpha)] = float(np.mean((X_clean - denoised) ** 2))
    return errors


def recipe_key(args: argparse.Namespace) -> tuple[float, int]:
    """The training of the denoising recipe: ``dropout=args.recipe_dropout`` and the model's ``n_warmup``."""
    return (args.recipe_dropout, args.n_warmup)


def latent_snr(model: LWGANEstimator, denoiser: Any, X_noisy: np.ndarray, sigma: float, seed: int) -> list[float]:
    """Per spectral coefficient: its variance over the rows, over the variance the noise adds to it.

    The noise's share is measured by encoding the noisy rows once more with fresh
    noise of the same level (sorted, largest first).
    """
    basis = denoiser.estimator_[-1].basis_
    rng = np.random.default_rng(seed)
    coefficients = basis.transform(model.transform(X_noisy))
    again = basis.transform(model.transform(X_noisy + rng.normal(scale=sigma, size=X_noisy.shape)))
    noise_variance = np.var(again - coefficients, axis=0) / 2  # two draws of the noise apart
    return sorted((np.var(coefficients, axis=0) / noise_variance).round(2).tolist(), reverse=True)


def denoising(X: np.ndarray, y: np.ndarray, args: argparse.Namespace) -> dict[str, Any]:
    """Part 2: the kernel-PCA example's protocol: the noisy-only recipe, and every method tuned on the test error."""
    X_train, X_test, X_train_noisy, X_test_noisy, y_train = noisy_split(X, y)

    def error(denoised: np.ndarray) -> float:
        return float(np.mean((X_test - denoised) ** 2))

    start = time.perf_counter()
    sigma = estimate_noise_std(X_train_noisy)
    models, latentspec_errors, wiener_errors = {}, {}, {}
    trainings = [(d, w) for d in args.denoise_dropouts for w in args.denoise_warmups]
    if recipe_key(args) not in trainings:
        trainings.append(recipe_key(args))
    for dropout, n_warmup in trainings:
        model = lwgan(args).set_params(n_warmup=n_warmup, dropout=dropout, n_iter=0).fit(X_train_noisy, y_train)
        Z_train = model.transform(X_train_noisy)
        models[(dropout, n_warmup)] = (model, Z_train)
        for k in range(1, model.rank_ + 1):
            denoiser = LatentSpectralDenoiser(n_components=k, random_state=args.random_state).fit(Z_train, y_train)
            pipe = Pipeline([("lwgan", model), ("lsd", denoiser)])  # both fitted: the documented idiom
            latentspec_errors[(dropout, n_warmup, k)] = error(pipe.inverse_transform(pipe.transform(X_test_noisy)))
            wiener = make_denoiser(model, k, sigma, args.random_state).fit(X_train_noisy, y_train)
            wiener_errors[(dropout, n_warmup, k)] = error(wiener.transform(X_test_noisy))
    latentspec_seconds = time.perf_counter() - start

    # The recipe: no clean digit anywhere; n_components by SURE on the noisy test digits.
    recipe_model, _ = models[recipe_key(args)]
    choice = choose_denoiser(recipe_model, X_train_noisy, y_train, X_test_noisy, random_state=args.random_state)
    rank = recipe_model.rank_
    recipe = {
        "dropout_n_warmup": list(recipe_key(args)),
        "noise_std_estimate": choice.noise_std,
        "chosen_n_components": choice.n_components,
        "chosen_threshold": choice.threshold,
        "error": error(choice.denoiser.transform(X_test_noisy)),
        "sure_errors": choice.sure_errors,
        "threshold_scores": choice.denoiser.threshold_scores_,
        "errors_per_n_components": {
            k: error(denoiser.transform(X_test_noisy)) for k, denoiser in choice.per_n_components.items()
        },
        "keep_all_error_without_wiener": latentspec_errors[(*recipe_key(args), rank)],
        "best_n_components_without_wiener": min(
            range(1, rank + 1), key=lambda k: latentspec_errors[(*recipe_key(args), k)]
        ),
        "latent_snr": latent_snr(recipe_model, choice.denoiser, X_train_noisy, choice.noise_std, args.random_state),
    }

    # PCA with k components projects onto the first k of the full fit's components.
    full = PCA(random_state=0).fit(X_train_noisy)
    centred = X_test_noisy - full.mean_
    pca_errors = {}
    for k in range(1, full.n_components_ + 1):
        components = full.components_[:k]
        pca_errors[k] = error(full.mean_ + centred @ components.T @ components)

    kpca_errors = kernel_pca_errors(X_train_noisy, X_test_noisy, X_test, args.kpca_gammas)

    best = {
        "latentspec": min(latentspec_errors.items(), key=lambda kv: kv[1]),
        "latentspec_wiener": min(wiener_errors.items(), key=lambda kv: kv[1]),
        "pca": min(pca_errors.items(), key=lambda kv: kv[1]),
        "kernel_pca": min(kpca_errors.items(), key=lambda kv: kv[1]),
    }
    baseline = min(best["pca"][1], best["kernel_pca"][1])
    oracle = min(best["latentspec"][1], best["latentspec_wiener"][1])
    recipe["keep_all_error"] = recipe["errors_per_n_components"][rank]
    recipe["best_n_components_on_test_error"] = min(
        recipe["errors_per_n_components"], key=recipe["errors_per_n_components"].get
    )
    recipe |= {"ratio_over_best_baseline": recipe["error"] / baseline, "ratio_over_oracle": recipe["error"] / oracle,
               "ratio_over_kernel_pca": recipe["error"] / best["kernel_pca"][1]}
    dropout_best, warmup_best, k_best = best["latentspec"][0]
    model, Z_train = models[(dropout_best, warmup_best)]
    pca = PCA(n_components=best["pca"][0], random_state=0).fit(X_train_noisy)
    k, gamma, alpha = best["kernel_pca"][0]
    kpca = KernelPCA(
        n_components=k, kernel="rbf", gamma=gamma, alpha=alpha, fit_inverse_transform=True, random_state=0
    ).fit(X_train_noisy)
    shown = {f"recipe (k={choice.n_components})": choice.denoiser.transform(X_test_noisy)}
    for n_keep in sorted({1, 3, model.rank_}):
        denoiser = LatentSpectralDenoiser(n_components=n_keep, random_state=args.random_state).fit(Z_train, y_train)
        pipe = Pipeline([("lwgan", model), ("lsd", denoiser)])
        shown[f"LSD k={n_keep}"] = pipe.inverse_transform(pipe.transform(X_test_noisy))
    shown[f"PCA {best['pca'][0]}"] = pca.inverse_transform(pca.transform(X_test_noisy))
    shown["KernelPCA"] = kpca.inverse_transform(kpca.transform(X_test_noisy))
    part = {
        "grid_sizes": {"latentspec": len(latentspec_errors), "latentspec_wiener": len(wiener_errors),
                       "pca": len(pca_errors), "kernel_pca": len(kpca_errors)},
        "best_error": {name: value for name, (_, value) in best.items()},
        "best_setting": {
            "latentspec_dropout_n_warmup_n_components": [dropout_best, warmup_best, k_best],
            "latentspec_wiener_dropout_n_warmup_n_components": list(best["latentspec_wiener"][0]),
            "pca_n_components": best["pca"][0],
            "kernel_pca_n_components_gamma_alpha": list(best["kernel_pca"][0]),
        },
        "recipe": recipe,
        "latentspec_errors": {
            f"dropout={d}, n_warmup={w}, n_components={k}": v for (d, w, k), v in latentspec_errors.items()
        },
        "latentspec_wiener_errors": {
            f"dropout={d}, n_warmup={w}, n_components={k}": v for (d, w, k), v in wiener_errors.items()
        },
        "ratio_latentspec_over_best_baseline": best["latentspec"][1] / baseline,
        "ratio_oracle_over_best_baseline": oracle / baseline,
        "noisy_input_error": error(X_test_noisy),
        "latentspec_fit_seconds": latentspec_seconds,
    }
    return part | {"_figure": (X_test, X_test_noisy, shown)}


def denoising_at(
    X: np.ndarray, y: np.ndarray, args: argparse.Namespace, setting: str, dropout: float, n_warmup: int
) -> dict[str, Any]:
    """Part 2 for another label setting at the recipe's training: every ``n_components``, no residual filter."""
    X_train, X_test, X_train_noisy, X_test_noisy, y_train = noisy_split(X, y)
    model = lwgan(args, setting).set_params(n_warmup=n_warmup, dropout=dropout, n_iter=0).fit(X_train_noisy, y_train)
    Z_train = model.transform(X_train_noisy)
    errors = {}
    for k in range(1, model.rank_ + 1):
        denoiser = LatentSpectralDenoiser(n_components=k, random_state=args.random_state).fit(Z_train, y_train)
        pipe = Pipeline([("lwgan", model), ("lsd", denoiser)])
        errors[k] = float(np.mean((X_test - pipe.inverse_transform(pipe.transform(X_test_noisy))) ** 2))
    k_best = min(errors, key=errors.get)
    return {"dropout": dropout, "n_warmup": n_warmup, "best_n_components": k_best, "best_error": errors[k_best],
            "errors": errors}


def rotations(pieces: tuple, args: argparse.Namespace) -> dict[str, Any]:
    """Part 3: Givens rotations between label directions, against a linear-SVM direction edit."""
    model, basis, judge, Z_train, Z_test, y_train, y_test = pieces
    per_pair = []
    for source, target in PAIRS:
        rotator = LatentRotator(source=source, target=target, angle=math.pi / 2, random_state=args.random_state)
        rotator.fit(Z_train, y_train)
        codes = Z_test[y_test == source]
        rotated = rotator.transform(codes)
        judged = judge.predict(model.inverse_transform(rotated))
        success = float(np.mean(judged == target))
        # What a rotated code can hope for: the judge's verdict on the decoded codes of the
        # target class's own test digits.
        target_codes = Z_test[y_test == target]
        target_reconstructed = float(np.mean(judge.predict(model.inverse_transform(target_codes)) == target))

        lsd = rotator.basis_
        before, after = lsd.transform(codes), lsd.transform(rotated)
        plane = [int(np.flatnonzero(lsd.classes_ == label)[0]) for label in (source, target)]
        outside = np.delete(np.arange(before.shape[1]), plane)
        outside_change = float(np.abs(after[:, outside] - before[:, outside]).max() / np.abs(before).max())

        # InterFaceGAN-style: the unit normal of a linear SVM between the two classes' codes.
        pair_rows = np.isin(y_train, (source, target))
        svm = LinearSVC(C=1.0, random_state=0).fit(Z_train[pair_rows], y_train[pair_rows] == target)
        normal = svm.coef_[0] / np.linalg.norm(svm.coef_[0])
        distance = np.linalg.norm(rotated - codes, axis=1, keepdims=True)
        edited = codes + distance * normal
        svm_success = float(np.mean(judge.predict(model.inverse_transform(edited)) == target))
        per_pair.append(
            {
                "source": source,
                "target": target,
                "n": len(codes),
                "success": success,
                "still_source": float(np.mean(judged == source)),
                "target_reconstructed_success": target_reconstructed,
                "svm_direction_success": svm_success,
                "max_change_outside_plane": outside_change,
                "det": float(np.linalg.det(rotator.rotation_)),
            }
        )
    return {
        "pairs": per_pair,
        "mean_success": float(np.mean([p["success"] for p in per_pair])),
        "mean_still_source": float(np.mean([p["still_source"] for p in per_pair])),
        "mean_target_reconstructed_success": float(np.mean([p["target_reconstructed_success"] for p in per_pair])),
        "mean_svm_direction_success": float(np.mean([p["svm_direction_success"] for p in per_pair])),
        "max_change_outside_plane": max(p["max_change_outside_plane"] for p in per_pair),
        "det_range": [min(p["det"] for p in per_pair), max(p["det"] for p in per_pair)],
    }


def figures(accuracy_part: dict, denoise_part: dict, args: argparse.Namespace) -> list[str]:
    """The three figures of the docs."""
    from latentspec.app import plot_denoising_grid, plot_lsd_spectrum, plot_rotation_morph

    FIGURES.mkdir(parents=True, exist_ok=True)
    model, basis, _, Z_train, Z_test, y_train, y_test = accuracy_part["_pieces"]
    written = []
    first = int(np.flatnonzero(y_test == 3)[0])
    fig = plot_lsd_spectrum(basis, Z_test[first], title=f"LSD spectrum of a test digit (label {y_test[first]})")
    fig.savefig(FIGURES / f"{args.figure_prefix}lsd_spectrum.png", dpi=120)
    written.append(f"{args.figure_prefix}lsd_spectrum.png")

    clean, noisy, shown = denoise_part["_figure"]
    fig = plot_denoising_grid(clean, noisy, shown, args.image_shape, n_examples=10)
    fig.savefig(FIGURES / f"{args.figure_prefix}denoising_grid.png", dpi=120)
    written.append(f"{args.figure_prefix}denoising_grid.png")

    rows, titles = [], []
    angles = np.linspace(0.0, 2.0 * math.pi, 9)
    for source, target in [(3, 8), (1, 7), (4, 9), (6, 0)]:
        rotator = LatentRotator(source=source, target=target, random_state=args.random_state).fit(Z_train, y_train)
        code = Z_test[y_test == source][:1]
        path = rotator.path(code, angles=angles)  # (n_angles, 1, d)
        rows.append(np.stack([model.inverse_transform(step) for step in path])[:, 0])
        titles.append(f"{source} -> {target}")
    fig = plot_rotation_morph(np.stack(rows, axis=1), angles, args.image_shape, titles)
    fig.savefig(FIGURES / f"{args.figure_prefix}rotation_morph.png", dpi=120)
    written.append(f"{args.figure_prefix}rotation_morph.png")
    return written


def setting_summary(
    setting: str, args: argparse.Namespace, acc: dict[str, Any], rot: dict[str, Any], den: dict[str, Any],
    baseline: float,
) -> dict[str, Any]:
    """One row of the label-settings table."""
    return {
        "parameters": label_settings(args)[setting],
        "accuracy": acc["accuracy"],
        "mean_code_norm": acc["mean_code_norm"],
        "class_mean_offset": acc["class_mean_offset"],
        "accuracy_without_offset": acc["accuracy_without_offset"],
        "fit_seconds": acc["fit_seconds"],
        "rotations_mean_success": rot["mean_success"],
        "rotations_success_per_pair": {f"{p['source']}->{p['target']}": p["success"] for p in rot["pairs"]},
        "denoising_error": den["best_error"],
        "denoising_ratio_over_best_baseline": den["best_error"] / baseline,
        "denoising_setting": {k: den[k] for k in ("dropout", "n_warmup", "best_n_components")},
    }


def compare_label_settings(
    X: np.ndarray, y: np.ndarray, args: argparse.Namespace, acc: dict, den: dict, rot: dict
) -> dict[str, Any]:
    """Parts 1 to 3 for the paper's setting and without labels, beside the label prior's results.

    The denoising of every setting trains as the recipe does (its dropout and
    ``n_warmup``) and tries every ``n_components`` without the residual filter (the
    recipe itself runs in part 2, for the label prior).
    """
    baseline = min(den["best_error"]["pca"], den["best_error"]["kernel_pca"])
    dropout, n_warmup = recipe_key(args)
    recipe = den["recipe"]
    k_plain = recipe["best_n_components_without_wiener"]
    prior_den = {
        "dropout": dropout, "n_warmup": n_warmup, "best_n_components": k_plain,
        "best_error": den["latentspec_errors"][f"dropout={dropout}, n_warmup={n_warmup}, n_components={k_plain}"],
    }
    compared = {"label_prior": setting_summary("label_prior", args, acc, rot, prior_den, baseline)}
    for setting in LABEL_SETTINGS[1:]:
        part = basis_and_accuracy(X, y, args, setting)
        compared[setting] = setting_summary(
            setting, args, part, rotations(part["_pieces"], args),
            denoising_at(X, y, args, setting, dropout, n_warmup), baseline,
        )
    print("4. How the labels reach the latent space (accuracy: prior draws labelled by latent/generator, "
          "signed/absolute rule)")
    print(f"   {'setting':<12} {'parameters':<44} {'accuracy':<27} {'rotations':>9} {'denoising / best baseline':>26}"
          f"  mean code norm")
    for setting, row in compared.items():
        accuracy = " ".join(f"{v:.3f}" for v in row["accuracy"].values())
        print(f"   {setting:<12} {str(row['parameters']):<44} {accuracy:<27} {row['rotations_mean_success']:>9.3f} "
              f"{row['denoising_ratio_over_best_baseline']:>26.3f}  {row['mean_code_norm']:.2f}")
    return compared


def build_parser() -> argparse.ArgumentParser:
    """The options; ``benchmarks/reproduce_papers.py`` reuses them for MNIST."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rank", type=int, default=16, help="latent dimension of the LWGAN (>= 10 classes)")
    parser.add_argument("--label-weight", type=float, default=20.0, help="label_weight of the class-mixture prior")
    parser.add_argument(
        "--paper-label-weight", type=float, default=100.0,
        help="label_weight of the paper's setting (label_mode='classifier')",
    )
    parser.add_argument("--n-warmup", type=int, default=4000)
    parser.add_argument(
        "--n-iter", type=int, default=0,
        help="n_iter of the models whose codes are classified and rotated (parts 1, 3 and 4): iterations of "
        "the LWGAN game after the warm-up, which trains the generator on prior draws (0 skips it). The "
        "denoising models never play it: they decode the codes of images, not prior draws",
    )
    parser.add_argument(
        "--denoise-warmups", type=int, nargs="+", default=[250, 500, 1000, 4000, 8000],
        help="n_warmup values in latentspec's denoising grid (fewer steps overfit the noise less)",
    )
    parser.add_argument(
        "--denoise-dropouts", type=float, nargs="+", default=[0.0, 0.2],
        help="dropout values in latentspec's denoising grid (with every n_warmup)",
    )
    parser.add_argument(
        "--recipe-dropout", type=float, default=0.2,
        help="dropout of the denoising recipe's model (trained for n_warmup steps)",
    )
    parser.add_argument("--random-state", type=int, default=0)
    add_thread_option(parser)
    parser.add_argument("--out", type=Path, default=results_path("deep_lsd_digits"))
    parser.add_argument("--no-figures", action="store_true")
    parser.add_argument("--test-size", type=float, default=0.25, help="held-out share for the LSD accuracy")
    parser.add_argument(
        "--kpca-gammas", type=float, nargs="+", default=[5e-3, 1e-2, 2e-2, 4e-2, 8e-2],
        help="rbf gammas in KernelPCA's grid (with 6 n_components and 6 alphas)",
    )
    parser.set_defaults(lwgan_params={}, image_shape=(8, 8), figure_prefix="")
    return parser


def parse_args(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """The options (of ``parser``, default :func:`build_parser`), with ``--threads`` applied."""
    args = (parser or build_parser()).parse_args(argv)
    if apply_threads(args):
        args.lwgan_params = {**args.lwgan_params, "n_threads": args.threads}  # else the estimator's policy
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the three parts, print the tables, write the JSON and the figures."""
    args = parse_args(argv)
    X, y = load_digits_scaled()
    return run(X, y, args, "deep_lsd_digits")


def run(
    X: np.ndarray, y: np.ndarray, args: argparse.Namespace, name: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The three parts on ``(X, y)``: print the tables, write ``args.out`` (with ``extra``) and the figures."""
    start = time.perf_counter()

    acc = basis_and_accuracy(X, y, args)
    print(f"1. Basis and LSD label accuracy (latent dimension {acc['latent_dim']}, "
          f"{acc['n_train']} train / {acc['n_test']} test, fit {acc['fit_seconds']:.0f} s)")
    print(f"   orthogonality error {acc['orthogonality_error']:.1e}, round-trip error {acc['round_trip_error']:.1e}, "
          f"first row along class mean 0: {acc['label_rows_are_class_directions']}")
    for key, value in acc["accuracy"].items():
        print(f"   accuracy, prior draws labelled by {key.split('/')[0]:<9} rule {key.split('/')[1]:<8} {value:.3f}")
    print(f"   (SVC judge: {acc['judge_accuracy_clean_test']:.3f} on clean test digits, "
          f"{acc['judge_accuracy_reconstructed_test']:.3f} on their LWGAN reconstructions)")

    den = denoising(X, y, args)
    print("2. Denoising (noise 0.25; MSE against the clean test digits; best of each grid)")
    for method, value in den["best_error"].items():
        print(f"   {method:<11} {value:.4f}   grid of {den['grid_sizes'][method]}")
    print(f"   settings {den['best_setting']}; noisy input {den['noisy_input_error']:.4f}")
    print(f"   latentspec / best of PCA and KernelPCA: {den['ratio_latentspec_over_best_baseline']:.3f} without the "
          f"residual filter, {den['ratio_oracle_over_best_baseline']:.3f} with it (both tuned on the test error)")
    recipe = den["recipe"]
    print(f"   recipe, no clean digit (dropout, n_warmup {recipe['dropout_n_warmup']}; noise level estimated "
          f"{recipe['noise_std_estimate']:.4f}): n_components {recipe['chosen_n_components']} and residual "
          f"threshold {recipe['chosen_threshold']} by SURE, error "
          f"{recipe['error']:.4f} = {recipe['ratio_over_kernel_pca']:.3f} x KernelPCA, "
          f"{recipe['ratio_over_oracle']:.3f} x the oracle")
    print(f"   recipe, all coefficients kept: {recipe['keep_all_error']:.4f} with the filter, "
          f"{recipe['keep_all_error_without_wiener']:.4f} without; best n_components on the test error "
          f"{recipe['best_n_components_on_test_error']} (without the filter "
          f"{recipe['best_n_components_without_wiener']})")
    print(f"   latent signal-to-noise per coefficient: {recipe['latent_snr']}")

    rot = rotations(acc["_pieces"], args)
    print("3. Rotations by pi/2 between label directions (share labelled as the target by the SVC)")
    for p in rot["pairs"]:
        print(f"   {p['source']} -> {p['target']}: {p['success']:.2f}  (linear-SVM direction "
              f"{p['svm_direction_success']:.2f}; n={p['n']})")
    print(f"   mean {rot['mean_success']:.3f} (still the source {rot['mean_still_source']:.3f}; the target's own "
          f"test digits, reconstructed: {rot['mean_target_reconstructed_success']:.3f}); linear-SVM direction mean "
          f"{rot['mean_svm_direction_success']:.3f}")
    print(f"   largest relative change outside the plane {rot['max_change_outside_plane']:.1e}; "
          f"det R in [{rot['det_range'][0]:.6f}, {rot['det_range'][1]:.6f}]")

    compared = compare_label_settings(X, y, args, acc, den, rot)

    written = [] if args.no_figures else figures(acc, den, args)
    total = time.perf_counter() - start
    print(f"total {total:.0f} s; figures: {', '.join(written) or 'none'}")
    results = {
        "benchmark": name,
        **(extra or {}),
        "parameters": {k: v for k, v in vars(args).items() if k not in ("out",)} | {"noise": NOISE},
        "basis_and_accuracy": {k: v for k, v in acc.items() if not k.startswith("_")},
        "denoising": {k: v for k, v in den.items() if not k.startswith("_")},
        "rotations": rot,
        "label_settings": compared,
        "figures": written,
        "wall_seconds": total,
        **environment("latentspec", "torch", "python"),
    }
    write_results(args.out, results, default=str)
    return results


if __name__ == "__main__":
    main()
