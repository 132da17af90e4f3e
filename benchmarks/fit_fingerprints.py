"""Fingerprints of fitted models: proof that a refactoring changed no result, bit for bit.

Fits a set of configurations that between them run every path of a fit (MLP
networks at the default widths, the class-conditional label prior, convolutional
networks with augmentation and dropout, the adversarial phase, a warm start, the
three Deep LSD estimators) and hashes, for each, the fitted weights and what the
model computes: ``transform``, ``inverse_transform``, ``sample``, the rank scores
and the training history. Two runs of the same code on the same machine and torch
build give the same hashes; a change to the code that alters any number by one bit
changes a hash.

Before a change that must not alter results, record the hashes; after it, check::

    python benchmarks/fit_fingerprints.py --out /tmp/before.json     # about 3 minutes on 2 cores
    python benchmarks/fit_fingerprints.py --check /tmp/before.json   # exit status 1 on any difference

``--model-files DIR`` also saves each fitted model with :func:`latentspec.save`, with
the inputs and outputs to compare after loading (``tests/test_model_file_compat.py``
loads the files kept in ``tests/data/model_files``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import environment, write_results

from latentspec import LatentRotator, LatentSpectralDenoiser, LWGANEstimator, QuasiEigenBasis, save
from latentspec.datasets import load_digits_scaled, make_s_curve_3d, make_swiss_roll_2d

TINY = {"encoder_layers": (16, 16), "generator_layers": (16, 16), "critic_layers": (16, 16)}


def digest(*values: Any) -> str:
    """sha256 of arrays, tensors, dicts and lists of them, in a fixed order."""
    h = hashlib.sha256()

    def feed(value: Any) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                h.update(str(key).encode())
                feed(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                feed(item)
        elif isinstance(value, torch.Tensor):
            feed(value.detach().cpu().numpy())
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(repr(value).encode())

    for value in values:
        feed(value)
    return h.hexdigest()[:16]


def lwgan_fingerprint(est: LWGANEstimator, X: np.ndarray) -> dict[str, str]:
    Z = est.transform(X)
    return {
        "weights": digest(est.module_.state_dict()),
        "transform": digest(Z),
        "inverse_transform": digest(est.inverse_transform(Z)),
        "sample": digest(est.sample(64, random_state=0)),
        "rank_scores": digest(est.rank_scores_),
        "history": digest(est.history_),
        "rank": str(est.rank_),
    }


def digits(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits_scaled()
    return X[:n].astype(np.float32), y[:n]


def config_vector_default() -> tuple[Any, np.ndarray, dict[str, str]]:
    X = make_s_curve_3d(n_samples=1000, random_state=0)
    est = LWGANEstimator(random_state=0).fit(X)
    return est, X, lwgan_fingerprint(est, X)


def config_vector_adversarial() -> tuple[Any, np.ndarray, dict[str, str]]:
    X = make_swiss_roll_2d(n_samples=400, random_state=1)
    est = LWGANEstimator(n_warmup=300, n_iter=30, n_critic_refit=20, n_score_repeats=5, random_state=1,
                         rank_sampling="per_iteration", rank_rule="one_se").fit(X)
    return est, X, lwgan_fingerprint(est, X)


def config_label_prior() -> tuple[Any, np.ndarray, dict[str, str]]:
    X, y = digits()
    est = LWGANEstimator(latent_dim=12, rank=10, label_weight=5.0, n_warmup=300, n_critic_refit=20,
                         n_score_repeats=5, random_state=2).fit(X, y)
    return est, X, lwgan_fingerprint(est, X)


def config_conv() -> tuple[Any, np.ndarray, dict[str, str]]:
    X, y = digits(300)
    est = LWGANEstimator(latent_dim=6, image_shape=(8, 8), conv_layers=(8, 16), augment_shift=1, dropout=0.1,
                         n_warmup=60, n_iter=3, n_critic_refit=5, n_score_repeats=3, random_state=3,
                         **TINY).fit(X)
    return est, X, lwgan_fingerprint(est, X)


def config_warm_start() -> tuple[Any, np.ndarray, dict[str, str]]:
    X = make_s_curve_3d(n_samples=500, random_state=4)
    est = LWGANEstimator(n_warmup=150, n_iter=5, n_critic_refit=10, n_score_repeats=5, random_state=4).fit(X)
    est.set_params(warm_start=True, n_warmup=300, n_iter=10).fit(X)
    return est, X, lwgan_fingerprint(est, X)


def config_fixed_rank_float32() -> tuple[Any, np.ndarray, dict[str, str]]:
    X = make_swiss_roll_2d(n_samples=300, random_state=5).astype(np.float32)
    est = LWGANEstimator(rank=2, n_warmup=200, n_critic_refit=10, n_score_repeats=4, random_state=5,
                         activation="silu", **TINY).fit(X)
    fingerprint = lwgan_fingerprint(est, X)
    fingerprint["sample_rank_1"] = digest(est.sample(16, random_state=1, rank=1))
    fingerprint["score"] = repr(est.score(X))
    return est, X, fingerprint


def latent_codes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(6)
    y = np.repeat(np.arange(4), 60)
    Z = rng.normal(size=(240, 6)) + 3 * np.eye(4, 6)[y]
    return Z, y


def config_quasi_eigen_basis() -> tuple[Any, np.ndarray, dict[str, str]]:
    Z, y = latent_codes()
    basis = QuasiEigenBasis(n_draws=500, random_state=6).fit(Z, y)
    C = basis.transform(Z)
    return basis, Z, {"transform": digest(C), "inverse_transform": digest(basis.inverse_transform(C)),
                      "predict": digest(basis.predict(Z)), "decision_function": digest(basis.decision_function(Z)),
                      "basis": digest(basis.components_)}


def config_denoiser() -> tuple[Any, np.ndarray, dict[str, str]]:
    Z, y = latent_codes()
    denoiser = LatentSpectralDenoiser(n_components=3, random_state=6).fit(Z, y)
    return denoiser, Z, {"transform": digest(denoiser.transform(Z)),
                         "inverse_transform": digest(denoiser.inverse_transform(denoiser.transform(Z)))}


def config_rotator() -> tuple[Any, np.ndarray, dict[str, str]]:
    Z, y = latent_codes()
    rotator = LatentRotator(source=0, target=2, random_state=6).fit(Z, y)
    return rotator, Z, {"transform": digest(rotator.transform(Z)), "rotation": digest(rotator.rotation_)}


CONFIGS: dict[str, Callable[[], tuple[Any, np.ndarray, dict[str, str]]]] = {
    "vector_default": config_vector_default,
    "vector_adversarial": config_vector_adversarial,
    "label_prior": config_label_prior,
    "conv": config_conv,
    "warm_start": config_warm_start,
    "fixed_rank_float32": config_fixed_rank_float32,
    "quasi_eigen_basis": config_quasi_eigen_basis,
    "denoiser": config_denoiser,
    "rotator": config_rotator,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the fingerprints (JSON)")
    parser.add_argument("--check", type=Path, default=None, help="compare with fingerprints written by --out")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--model-files", type=Path, default=None, help="also save every fitted model here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    for name in args.configs:
        est, X, fingerprint = CONFIGS[name]()
        results[name] = fingerprint
        print(f"{name:<22} " + " ".join(f"{k}={v}" for k, v in fingerprint.items()), flush=True)
        if args.model_files:
            args.model_files.mkdir(parents=True, exist_ok=True)
            save(est, args.model_files / f"{name}.safetensors")
            outputs = {"X": X[:32], "transform": est.transform(X[:32])}
            if hasattr(est, "inverse_transform"):
                outputs["inverse_transform"] = est.inverse_transform(outputs["transform"])
            np.savez(args.model_files / f"{name}.npz", **outputs)
    if args.out:
        write_results(args.out, {**environment("torch"), "fingerprints": results})
        print(f"wrote {args.out}")
    if args.check:
        before = json.loads(args.check.read_text())["fingerprints"]
        differ = [f"{name}.{key}" for name in results for key, value in results[name].items()
                  if before.get(name, {}).get(key) != value]
        print("identical to " + str(args.check) if not differ else "DIFFERENT: " + ", ".join(differ))
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
