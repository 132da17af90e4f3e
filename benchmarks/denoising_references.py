"""Reference denoisers on the kernel-PCA denoising protocol: what 1,000 noisy digits allow.

The deep LSD benchmarks (``deep_lsd_digits.py``, ``reproduce_papers.py``) ask the
latentspec pipeline for at most 0.8 x the error of the better tuned PCA /
KernelPCA, on the protocol of scikit-learn's kernel-PCA example (1,000 training
and 100 test digits, Gaussian noise of standard deviation 0.25 on both, every
model fitted on the *noisy* training digits). This script measures, on the same
split and noise, how far other denoisers get, so that target can be judged:

Fitted on the noisy training digits only (what the protocol allows):

- PCA, best number of components;
- PCA with Wiener shrinkage of every component, ``max(l - s^2, 0) / l`` (knows
  the noise level ``s``);
- KernelPCA(rbf, ``fit_inverse_transform=True``) over the benchmarks' grid;
- the posterior mean under a Gaussian mixture fitted to the noisy digits with
  the noise removed from each covariance ("deconvolved"; knows ``s``);
- a Gaussian-kernel average of the noisy training digits (bandwidth tuned);
- a self-supervised denoising auto-encoder: a multilayer perceptron trained to
  map the noisy digits, corrupted once more by noise of the same level, back to
  the noisy digits, with and without dropout.

Oracles that also see the clean training digits (the protocol forbids this;
they show what the 1,000 digits could teach at best):

- KernelPCA fitted on the clean training digits (same grid);
- the posterior mean under the empirical prior of the clean training digits
  (a Gaussian-kernel average of them, bandwidth tuned);
- the same auto-encoder trained on the clean digits with fresh noise each step.

Every method is tuned on the test error, as in the benchmarks. The latentspec
rows (tuned on the test error, and the denoising recipe, which chooses from noisy
data alone) are read from the result file of ``deep_lsd_digits.py`` (``--dataset digits``)
or ``reproduce_papers.py`` (``--dataset mnist``) when it exists.

Run from the repository root (about 1 minute for the digits, 2 for MNIST, on 2 CPU cores)::

    python benchmarks/denoising_references.py
    python benchmarks/denoising_references.py --dataset mnist
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import add_thread_option, apply_threads, environment, results_path, write_results
from deep_lsd_digits import NOISE, kernel_pca_errors, noisy_split
from scipy.special import logsumexp
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from torch import nn

from latentspec.datasets import load_digits_scaled, load_mnist_sample

BANDWIDTHS = (0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
DATASETS = {
    "digits": {
        "load": load_digits_scaled,
        "gammas": [5e-3, 1e-2, 2e-2, 4e-2, 8e-2],
        "latentspec_results": results_path("deep_lsd_digits"),
    },
    "mnist": {
        "load": load_mnist_sample,
        "gammas": [5e-4, 1e-3, 2e-3, 5e-3, 1e-2],
        "latentspec_results": results_path("reproduce_papers"),
    },
}


def mse(clean: np.ndarray, denoised: np.ndarray) -> float:
    """Mean squared error against the clean test rows."""
    return float(np.mean((clean - denoised) ** 2))


def pca_errors(X_fit: np.ndarray, X_in: np.ndarray, X_clean: np.ndarray) -> dict[str, float]:
    """Projection on the first k components (every k), and Wiener shrinkage of all of them."""
    pca = PCA(random_state=0).fit(X_fit)
    scores = (X_in - pca.mean_) @ pca.components_.T
    errors = {
        f"k={k}": mse(X_clean, pca.mean_ + scores[:, :k] @ pca.components_[:k]) for k in range(1, pca.n_components_ + 1)
    }
    variance = pca.explained_variance_
    shrink = np.clip(variance - NOISE**2, 0.0, None) / variance
    wiener = mse(X_clean, pca.mean_ + (scores * shrink) @ pca.components_)
    return {"projection": errors, "wiener": wiener}


def mixture_posterior_mean(X_fit: np.ndarray, X_in: np.ndarray, n_components: int) -> np.ndarray:
    """``E[x | y]`` under a Gaussian mixture of the noisy rows, each covariance minus the noise.

    Every component ``N(m, C)`` of the noisy data becomes ``N(m, C - s^2 I)`` (its
    eigenvalues clipped at 0) for the clean data; the posterior mean then mixes
    the components' Wiener filters with their posterior weights.
    """
    mixture = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-3, random_state=0).fit(X_fit)
    d = X_fit.shape[1]
    log_weights, means = [], []
    for weight, centre, covariance in zip(mixture.weights_, mixture.means_, mixture.covariances_):
        values, vectors = np.linalg.eigh(covariance)
        clean_values = np.clip(values - NOISE**2, 0.0, None)
        noisy_values = clean_values + NOISE**2
        coords = (X_in - centre) @ vectors
        log_density = -0.5 * ((coords**2 / noisy_values).sum(1) + np.log(noisy_values).sum() + d * np.log(2 * np.pi))
        log_weights.append(np.log(weight) + log_density)
        means.append(centre + (coords * (clean_values / noisy_values)) @ vectors.T)
    log_weights = np.array(log_weights)
    posterior = np.exp(log_weights - logsumexp(log_weights, axis=0))
    return np.einsum("kn,knd->nd", posterior, np.array(means))


def empirical_prior_posterior_mean(X_prior: np.ndarray, X_in: np.ndarray, bandwidth: float) -> np.ndarray:
    """Gaussian-kernel average of the prior rows: ``E[x | y]`` when ``x`` is one of them, noise ``bandwidth``."""
    sq = (X_in**2).sum(1)[:, None] - 2 * X_in @ X_prior.T + (X_prior**2).sum(1)[None, :]
    log_w = -sq / (2 * bandwidth**2)
    weights = np.exp(log_w - logsumexp(log_w, axis=1, keepdims=True))
    return weights @ X_prior


def autoencoder_errors(
    X_train: np.ndarray,
    X_in: np.ndarray,
    X_clean: np.ndarray,
    *,
    clean_targets: bool,
    dropout: float,
    checkpoints: tuple[int, ...],
    seed: int = 0,
) -> dict[int, float]:
    """Train a denoising multilayer perceptron; its test error at each checkpoint (in steps).

    ``clean_targets=False`` (self-supervised): inputs are the training rows plus
    fresh noise of the protocol's level, targets the training rows themselves
    (already noisy). ``clean_targets=True`` (oracle): ``X_train`` holds clean rows,
    inputs are those plus fresh noise, targets the clean rows.
    """
    torch.manual_seed(seed)
    d = X_train.shape[1]
    width = 512 if clean_targets else 256
    net = nn.Sequential(
        nn.Linear(d, width),
        nn.LeakyReLU(0.2),
        nn.Dropout(dropout),
        nn.Linear(width, width),
        nn.LeakyReLU(0.2),
        nn.Dropout(dropout),
        nn.Linear(width, d),
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    train = torch.as_tensor(X_train, dtype=torch.float32)
    test = torch.as_tensor(X_in, dtype=torch.float32)
    errors = {}
    for step in range(1, max(checkpoints) + 1):
        targets = train[torch.randint(0, len(train), (128,))]
        loss = (net(targets + NOISE * torch.randn_like(targets)) - targets).square().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step in checkpoints:
            net.eval()
            with torch.no_grad():
                errors[step] = mse(X_clean, net(test).numpy())
            net.train()
    return errors


def best(errors: dict) -> tuple[Any, float]:
    """The grid point with the lowest error."""
    return min(errors.items(), key=lambda kv: kv[1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="digits")
    add_thread_option(parser)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    apply_threads(args)
    spec = DATASETS[args.dataset]
    X, y = spec["load"]()
    X_train, X_test, X_train_noisy, X_test_noisy, _ = noisy_split(X, y)
    start = time.perf_counter()
    checkpoints = (500, 1000, 2000, 3000)

    rows: dict[str, dict[str, Any]] = {}

    def add(name: str, group: str, errors: dict | float) -> None:
        setting, value = best(errors) if isinstance(errors, dict) else ("-", errors)
        grid_size = len(errors) if isinstance(errors, dict) else 1
        rows[name] = {"group": group, "error": value, "best_setting": str(setting), "grid_size": grid_size}
        print(f"  {group:<7} {name:<54} {value:.4f}  (best of {rows[name]['grid_size']}: {setting})", flush=True)

    print(f"{args.dataset}: {X.shape[1]} pixels; 1,000 train / 100 test; noise {NOISE}")
    add("noisy input", "-", mse(X_test, X_test_noisy))
    pca = pca_errors(X_train_noisy, X_test_noisy, X_test)
    add("PCA", "noisy", pca["projection"])
    add("PCA, Wiener shrinkage (knows the noise level)", "noisy", pca["wiener"])
    add("KernelPCA", "noisy", kernel_pca_errors(X_train_noisy, X_test_noisy, X_test, spec["gammas"]))
    add(
        "Gaussian mixture, deconvolved (knows the noise level)",
        "noisy",
        {k: mse(X_test, mixture_posterior_mean(X_train_noisy, X_test_noisy, k)) for k in (1, 5, 10, 20)},
    )
    add(
        "Gaussian-kernel average of the noisy training digits",
        "noisy",
        {h: mse(X_test, empirical_prior_posterior_mean(X_train_noisy, X_test_noisy, h)) for h in BANDWIDTHS},
    )
    add(
        "denoising auto-encoder, self-supervised",
        "noisy",
        {
            (dropout, steps): value
            for dropout in (0.0, 0.2)
            for steps, value in autoencoder_errors(
                X_train_noisy, X_test_noisy, X_test, clean_targets=False, dropout=dropout, checkpoints=checkpoints
            ).items()
        },
    )
    add("KernelPCA fitted on clean digits", "oracle", kernel_pca_errors(X_train, X_test_noisy, X_test, spec["gammas"]))
    add(
        "posterior mean, empirical prior of clean digits",
        "oracle",
        {h: mse(X_test, empirical_prior_posterior_mean(X_train, X_test_noisy, h)) for h in BANDWIDTHS},
    )
    add(
        "denoising auto-encoder trained on clean digits",
        "oracle",
        autoencoder_errors(X_train, X_test_noisy, X_test, clean_targets=True, dropout=0.0, checkpoints=checkpoints),
    )

    baseline = min(rows["PCA"]["error"], rows["KernelPCA"]["error"])
    latentspec_error = latentspec_recipe = None
    if spec["latentspec_results"].exists():
        recorded = json.loads(spec["latentspec_results"].read_text())["denoising"]
        latentspec_error = recorded["best_error"]["latentspec"]
        latentspec_recipe = recorded.get("recipe", {}).get("error")
        source = spec["latentspec_results"].name
        print(f"  {'noisy':<7} {'latentspec, tuned on the test error (' + source + ')':<54} {latentspec_error:.4f}")
        if latentspec_recipe is not None:
            print(f"  {'noisy':<7} {'latentspec recipe, chosen by SURE (' + source + ')':<54} {latentspec_recipe:.4f}")
    print(f"target: 0.8 x {baseline:.4f} = {0.8 * baseline:.4f}")
    for row in rows.values():
        row["ratio_to_best_of_pca_and_kernel_pca"] = row["error"] / baseline
    beating = [name for name, row in rows.items() if row["error"] <= 0.8 * baseline]
    print(f"at or under the target: {', '.join(beating) or 'none'}")
    total = time.perf_counter() - start
    print(f"total {total:.0f} s")
    results = {
        "benchmark": "denoising_references",
        "dataset": args.dataset,
        "noise": NOISE,
        "methods": rows,
        "best_of_pca_and_kernel_pca": baseline,
        "target": 0.8 * baseline,
        "latentspec_recorded": latentspec_error,
        "latentspec_recipe_recorded": latentspec_recipe,
        "latentspec_recipe_ratio_to_best_of_pca_and_kernel_pca": (
            None if latentspec_recipe is None else latentspec_recipe / baseline
        ),
        "at_or_under_target": beating,
        "wall_seconds": total,
        **environment("latentspec", "torch", "python"),
    }
    out = args.out or results_path(f"denoising_references{'' if args.dataset == 'digits' else '_' + args.dataset}")
    write_results(out, results)
    return results


if __name__ == "__main__":
    main()
