"""Figures: LWGAN rank scores, samples and training history; LSD spectra, denoising grids, rotation morphs.

Needs matplotlib (``pip install latentspec[plots]``). Every function draws on a
new figure and returns it, so it can be shown or saved (:func:`save_figure`, or
``fig.savefig(path)``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "plot_denoising_grid",
    "plot_lsd_spectrum",
    "plot_rank_scores",
    "plot_rotation_morph",
    "plot_samples_beside_data",
    "plot_samples_per_rank",
    "plot_training_history",
    "save_figure",
]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("latentspec's figures need matplotlib: pip install 'latentspec[plots]'") from error
    return plt


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: float = 110) -> str:
    """Save a matplotlib figure to ``path`` and close it.

    The format follows the file's ending (``.png``, ``.pdf``, ``.svg``, ...), as
    for ``fig.savefig``; closing frees the figure's memory, which matters when
    many figures are drawn in one process.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        E.g. the figure of one of the ``plot_*`` functions of this module.
    path : str or path-like
        The file to write; its folder must exist. An existing file is overwritten.
    dpi : float, default=110
        Resolution in dots per inch (the figures of ``latentspec demo``).

    Returns
    -------
    str
        ``path``, as a string.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> from latentspec.app import plot_denoising_grid, save_figure
    >>> clean = np.random.default_rng(0).random((4, 64))
    >>> fig = plot_denoising_grid(clean, clean + 0.1, {"method": clean}, (8, 8), n_examples=4)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     saved = save_figure(fig, os.path.join(folder, "grid.png"))
    ...     os.path.basename(saved), os.path.getsize(saved) > 1000
    ('grid.png', True)
    """
    fig.savefig(path, dpi=dpi)
    _pyplot().close(fig)
    return os.fspath(path)


def _image(row: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
    shape = tuple(image_shape)
    if int(np.prod(shape)) != np.asarray(row).size:
        raise ValueError(f"image_shape {shape} does not match rows of {np.asarray(row).size} values")
    image = np.asarray(row, dtype=float).reshape(shape)
    return image[0] if image.ndim == 3 and image.shape[0] == 1 else image


def _show_image(ax: Any, row: np.ndarray, image_shape: Sequence[int]) -> None:
    """One image on ``ax``: grey levels 0 (white) to 1 (black), no ticks."""
    ax.imshow(_image(row, image_shape), cmap="gray_r", vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks([])


def _row_title(ax: Any, title: str, **style: Any) -> None:
    """The title of a row of images, left of its first image."""
    ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8, **style)


def _sample_image_shape(lwgan: Any, image_shape: Sequence[int] | None, caller: str) -> Sequence[int]:
    """``image_shape``, else the estimator's; an error naming ``caller`` when neither is set."""
    shape = image_shape if image_shape is not None else lwgan.image_shape
    if shape is None:
        raise ValueError(f"{caller} needs image_shape (the estimator has none)")
    return shape


def plot_lsd_spectrum(basis: Any, z: np.ndarray, title: str | None = None) -> Any:
    """Bar chart of the spectral coefficients ``c_i = <xi_i, z>`` of one latent code.

    The label directions come first, named by their class; the bar of the
    largest label coefficient is highlighted.

    Parameters
    ----------
    basis : fitted QuasiEigenBasis
    z : array-like of shape (latent_dim,)
        One latent code.
    title : str or None
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import QuasiEigenBasis
    >>> from latentspec.app import plot_lsd_spectrum
    >>> y = np.repeat([0, 1, 2], 10)
    >>> Z = 3 * np.eye(4)[y] + 0.1 * np.random.default_rng(0).standard_normal((30, 4))
    >>> fig = plot_lsd_spectrum(QuasiEigenBasis(n_rounds=1).fit(Z, y), Z[0])
    >>> len(fig.axes)
    1
    """
    check_is_fitted(basis)
    plt = _pyplot()
    coefficients = np.asarray(basis.transform(np.asarray(z, dtype=float).reshape(1, -1)))[0]
    n_labels = len(basis.classes_)
    names = [str(c) for c in basis.classes_] + [f"b{i}" for i in range(n_labels, len(coefficients))]
    colours = ["tab:blue"] * n_labels + ["tab:gray"] * (len(coefficients) - n_labels)
    colours[int(np.argmax(coefficients[:n_labels]))] = "tab:red"
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(coefficients)), 2.8))
    ax.bar(range(len(coefficients)), coefficients, color=colours)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(coefficients)), names, fontsize=7)
    ax.set_xlabel("quasi-eigenvector (labels, then the rest of the basis)")
    ax.set_ylabel("coefficient c_i")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_denoising_grid(
    clean: np.ndarray,
    noisy: np.ndarray,
    reconstructions: Mapping[str, np.ndarray],
    image_shape: Sequence[int],
    n_examples: int = 8,
) -> Any:
    """Grid of images: clean, noisy, then one row per denoising method.

    Parameters
    ----------
    clean, noisy : ndarray of shape (n_samples, n_features)
    reconstructions : mapping of str to ndarray of shape (n_samples, n_features)
        Row title -> denoised images, in display order.
    image_shape : tuple of int
        Shape of one image, e.g. ``(8, 8)``.
    n_examples : int, default=8
        Columns (the first ``n_examples`` samples).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec.app import plot_denoising_grid
    >>> clean = np.random.default_rng(0).random((4, 64))
    >>> fig = plot_denoising_grid(clean, clean + 0.1, {"method": clean}, (8, 8), n_examples=4)
    >>> len(fig.axes)
    12
    """
    plt = _pyplot()
    rows = {"clean": clean, "noisy": noisy, **reconstructions}
    n = min(n_examples, len(clean))
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.15 * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        for c in range(n):
            _show_image(axes[r, c], images[c], image_shape)
        _row_title(axes[r, 0], name)
    fig.tight_layout()
    return fig


def plot_rotation_morph(
    images: np.ndarray, angles: Sequence[float], image_shape: Sequence[int], row_titles: Sequence[str] | None = None
) -> Any:
    """Grid of decoded images along rotation paths: one row per code, one column per angle.

    Parameters
    ----------
    images : ndarray of shape (n_angles, n_codes, n_features)
        Decoded images, e.g. the generator applied to ``LatentRotator.path(Z)``.
    angles : sequence of float
        The rotation angle of every column (radians).
    image_shape : tuple of int
        Shape of one image.
    row_titles : sequence of str or None
        A title per row (e.g. "3 -> 8").

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec.app import plot_rotation_morph
    >>> angles = np.linspace(0.0, 2 * np.pi, 5)
    >>> images = np.random.default_rng(0).random((5, 2, 64))  # 5 angles, 2 codes
    >>> fig = plot_rotation_morph(images, angles, (8, 8), ["3 -> 8", "1 -> 7"])
    >>> len(fig.axes)
    10
    """
    plt = _pyplot()
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] != len(angles):
        raise ValueError("images must have shape (len(angles), n_codes, n_features)")
    n_angles, n_codes = images.shape[:2]
    fig, axes = plt.subplots(n_codes, n_angles, figsize=(0.9 * n_angles + 0.6, 0.95 * n_codes + 0.3), squeeze=False)
    for r in range(n_codes):
        for c in range(n_angles):
            _show_image(axes[r, c], images[c, r], image_shape)
            if r == 0:
                axes[r, c].set_title(f"{np.degrees(angles[c]):.0f}°", fontsize=7)
        if row_titles is not None:
            _row_title(axes[r, 0], row_titles[r])
    fig.tight_layout()
    return fig


def plot_rank_scores(lwgan: Any) -> Any:
    """Mean score of every rank with its standard error; the chosen rank highlighted.

    With more than two ranks, a second panel zooms in on the ranks around the
    estimate and the best-scoring rank: each rank's score minus the best one,
    with the paired standard error of that difference (the error bars of the
    first panel are often too small to see at its scale).

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
        Its ``rank_scores_`` are drawn (lower is better); the estimate
        ``intrinsic_dim_`` (or ``rank_`` for a fixed rank) is marked in red.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import make_s_curve_3d
    >>> from latentspec.app import plot_rank_scores
    >>> X = make_s_curve_3d(n_samples=200, random_state=0)
    >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=3, random_state=0).fit(X)
    >>> fig = plot_rank_scores(est)
    >>> len(fig.axes[0].lines[0].get_xdata())  # one point per rank
    3
    """
    check_is_fitted(lwgan)
    plt = _pyplot()
    scores = lwgan.rank_scores_
    ranks, mean = np.asarray(scores["rank"]), np.asarray(scores["mean"])
    chosen = lwgan.intrinsic_dim_ if lwgan.intrinsic_dim_ is not None else lwgan.rank_
    panels = 2 if len(ranks) > 2 else 1  # with two ranks the zoom would show the same
    fig, axes = plt.subplots(1, panels, figsize=(max(4.0, 0.4 * len(ranks) + 2.0) + 3.2 * (panels - 1), 3.0),
                             squeeze=False, width_ratios=[max(4.0, 0.4 * len(ranks) + 2.0), 3.2][:panels])
    _score_panel(axes[0, 0], ranks, mean, np.asarray(scores["std_error"]), chosen, "mean ± std. error")
    axes[0, 0].set_ylabel("score (lower is better)")
    if panels == 2:
        best = int(np.argmin(mean))
        low, high = min(chosen, ranks[best]) - 2, max(chosen, ranks[best]) + 2
        near = (ranks >= low) & (ranks <= high)
        _score_panel(axes[0, 1], ranks[near], (mean - mean[best])[near],
                     np.asarray(scores["std_error_diff"])[near], chosen, "minus the best ± paired s.e.")
        axes[0, 1].axhline(0.0, color="black", linewidth=0.6)
        axes[0, 1].set_title(f"near the estimate (best rank: {ranks[best]})", fontsize=9)
    fig.tight_layout()
    return fig


def _score_panel(ax: Any, ranks: np.ndarray, values: np.ndarray, errors: np.ndarray, chosen: int, label: str) -> None:
    """Scores with error bars against the rank, the chosen rank in red."""
    ax.errorbar(ranks, values, yerr=errors, fmt="o-", color="tab:blue", capsize=3, markersize=4, label=label)
    at = np.flatnonzero(ranks == chosen)
    ax.errorbar(ranks[at], values[at], yerr=errors[at], fmt="o", color="tab:red", capsize=3, markersize=7,
                label=f"estimate: {chosen}")
    ax.set_xticks(ranks)
    ax.set_xlabel("rank (latent dimension)")
    ax.legend(fontsize=8)


def plot_samples_per_rank(
    lwgan: Any, image_shape: Sequence[int] | None = None, n_per_rank: int = 8, random_state: Any = 0
) -> Any:
    """Generator samples at every rank ``1..latent_dim_``: one row of images per rank.

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
        Samples come from ``lwgan.sample(n_per_rank, rank=r)``.
    image_shape : tuple of int or None, default=None
        Shape of one image; ``None`` uses ``lwgan.image_shape``.
    n_per_rank : int, default=8
        Images (columns) per rank.
    random_state : int, RandomState instance or None, default=0
        Seed of the latent draws, the same for every rank.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import load_digits_scaled
    >>> from latentspec.app import plot_samples_per_rank
    >>> X, _ = load_digits_scaled()
    >>> est = LWGANEstimator(latent_dim=3, image_shape=(8, 8), n_warmup=20, n_critic_refit=2,
    ...                      n_score_repeats=2, random_state=0).fit(X[:300])
    >>> fig = plot_samples_per_rank(est, n_per_rank=5)
    >>> len(fig.axes)  # 3 ranks x 5 samples
    15
    """
    check_is_fitted(lwgan)
    plt = _pyplot()
    shape = _sample_image_shape(lwgan, image_shape, "plot_samples_per_rank")
    ranks = range(1, lwgan.latent_dim_ + 1)
    fig, axes = plt.subplots(len(ranks), n_per_rank, figsize=(0.55 * n_per_rank + 0.8, 0.55 * len(ranks) + 0.2),
                             squeeze=False)
    marked = lwgan.intrinsic_dim_ if lwgan.intrinsic_dim_ is not None else lwgan.rank_
    for row, rank in enumerate(ranks):
        samples = lwgan.sample(n_per_rank, random_state=random_state, rank=rank)
        for c in range(n_per_rank):
            _show_image(axes[row, c], samples[c], shape)
        label = f"rank {rank}" + (" *" if rank == marked else "")
        _row_title(axes[row, 0], label, color="tab:red" if rank == marked else "black")
    fig.tight_layout(pad=0.3)
    return fig


def plot_samples_beside_data(
    lwgan: Any,
    X: np.ndarray,
    image_shape: Sequence[int] | None = None,
    n_rows: int = 6,
    n_columns: int = 6,
    random_state: Any = 0,
) -> Any:
    """Real images beside generator samples at the chosen rank, in two grids of the same size.

    The left grid shows ``n_rows * n_columns`` rows of ``X`` drawn at random, the right
    one as many ``lwgan.sample(..., rank=lwgan.rank_)``, each image large enough to
    judge a sample against the data it imitates.

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
    X : array-like of shape (n_samples, n_features)
        Real images, in the units the estimator was fitted on.
    image_shape : tuple of int or None, default=None
        Shape of one image; ``None`` uses ``lwgan.image_shape``.
    n_rows, n_columns : int, default=6
        Size of each grid.
    random_state : int, RandomState instance or None, default=0
        Seed of the rows of ``X`` shown and of the latent draws.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import load_digits_scaled
    >>> from latentspec.app import plot_samples_beside_data
    >>> X, _ = load_digits_scaled()
    >>> est = LWGANEstimator(latent_dim=3, image_shape=(8, 8), n_warmup=20, n_critic_refit=2,
    ...                      n_score_repeats=2, random_state=0).fit(X[:300])
    >>> fig = plot_samples_beside_data(est, X, n_rows=2, n_columns=3)
    >>> len(fig.axes)  # two grids of 2 x 3 images, and a column of blank axes between them
    14
    """
    check_is_fitted(lwgan)
    plt = _pyplot()
    shape = _sample_image_shape(lwgan, image_shape, "plot_samples_beside_data")
    X = np.asarray(X)
    count = n_rows * n_columns
    if X.ndim != 2 or len(X) < count:
        raise ValueError(f"X must be a 2-D array with at least n_rows * n_columns = {count} rows, got shape {X.shape}")
    rng = check_random_state(random_state)
    real = X[rng.choice(len(X), count, replace=False)]
    samples = lwgan.sample(count, random_state=rng, rank=lwgan.rank_)
    fig, axes = plt.subplots(n_rows, 2 * n_columns + 1, figsize=(0.9 * (2 * n_columns + 1), 0.9 * n_rows + 0.5),
                             squeeze=False, gridspec_kw={"width_ratios": [1] * n_columns + [0.3] + [1] * n_columns})
    for r in range(n_rows):
        axes[r, n_columns].axis("off")
        for c in range(n_columns):
            _show_image(axes[r, c], real[r * n_columns + c], shape)
            _show_image(axes[r, n_columns + 1 + c], samples[r * n_columns + c], shape)
    axes[0, n_columns // 2].set_title("data", fontsize=10)
    axes[0, n_columns + 1 + n_columns // 2].set_title(f"samples at rank {lwgan.rank_}", fontsize=10)
    fig.tight_layout(pad=0.3)
    return fig


def plot_training_history(lwgan: Any) -> Any:
    """Training losses of an LWGANEstimator: one panel per term, coloured by phase.

    Parameters
    ----------
    lwgan : fitted LWGANEstimator
        Its ``history_`` is drawn against the step count over all phases
        (warm-up, adversarial game, critic refit); terms a phase does not
        compute are left out.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import make_s_curve_3d
    >>> from latentspec.app import plot_training_history
    >>> X = make_s_curve_3d(n_samples=200, random_state=0)
    >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=2, random_state=0).fit(X)
    >>> fig = plot_training_history(est)
    >>> [ax.get_title() for ax in fig.axes]
    ['critic_gap', 'gradient_penalty', 'reconstruction', 'mmd']
    """
    check_is_fitted(lwgan, "history_")  # a fit interrupted while scoring has a history but no rank
    plt = _pyplot()
    history = lwgan.history_
    phases = np.asarray(history["phase"])
    steps = np.asarray(history["step"], dtype=float)
    # A step axis over all phases: each phase starts where the one before ended.
    offset, x = 0.0, np.empty_like(steps)
    for phase in dict.fromkeys(phases):
        rows = phases == phase
        x[rows] = steps[rows] + offset
        offset = x[rows].max() + 1.0
    terms = [name for name in history if name not in ("phase", "step")]
    colours = {"warmup": "tab:blue", "adversarial": "tab:orange", "critic_refit": "tab:green"}
    fig, axes = plt.subplots(1, len(terms), figsize=(3.0 * len(terms), 2.6), squeeze=False)
    for ax, term in zip(axes[0], terms):
        values = np.asarray(history[term], dtype=float)
        for phase in dict.fromkeys(phases):
            rows = (phases == phase) & np.isfinite(values)
            if rows.any():
                ax.plot(x[rows], values[rows], ".-", markersize=2, linewidth=0.8,
                        color=colours.get(phase, "tab:gray"), label=phase)
        ax.set_title(term, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
    handles = {h.get_label(): h for ax in axes[0] for h in ax.lines}
    order = [phase for phase in dict.fromkeys(phases) if phase in handles]  # training order
    fig.legend([handles[p] for p in order], order, loc="upper right", fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return fig
