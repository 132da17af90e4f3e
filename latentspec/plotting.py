"""Figures of latent spectral decomposition: spectra, denoising grids, rotation morphs.

Needs matplotlib (``pip install latentspec[plots]``). Every function draws on a
new figure and returns it, so it can be shown or saved (``fig.savefig(path)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["plot_denoising_grid", "plot_lsd_spectrum", "plot_rotation_morph"]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("latentspec.plotting needs matplotlib: pip install 'latentspec[plots]'") from error
    return plt


def _image(row: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
    shape = tuple(image_shape)
    if int(np.prod(shape)) != np.asarray(row).size:
        raise ValueError(f"image_shape {shape} does not match rows of {np.asarray(row).size} values")
    image = np.asarray(row, dtype=float).reshape(shape)
    return image[0] if image.ndim == 3 and image.shape[0] == 1 else image


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
    >>> from latentspec.plotting import plot_lsd_spectrum
    >>> y = np.repeat([0, 1, 2], 10)
    >>> Z = 3 * np.eye(4)[y] + 0.1 * np.random.default_rng(0).standard_normal((30, 4))
    >>> fig = plot_lsd_spectrum(QuasiEigenBasis(n_rounds=1).fit(Z, y), Z[0])
    >>> len(fig.axes)
    1
    """
    plt = _pyplot()
    coefficients = basis.transform(np.asarray(z, dtype=float).reshape(1, -1))[0]
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
    >>> from latentspec.plotting import plot_denoising_grid
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
            ax = axes[r, c]
            ax.imshow(_image(images[c], image_shape), cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
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
    >>> from latentspec.plotting import plot_rotation_morph
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
            ax = axes[r, c]
            ax.imshow(_image(images[c, r], image_shape), cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"{np.degrees(angles[c]):.0f}°", fontsize=7)
        if row_titles is not None:
            axes[r, 0].set_ylabel(row_titles[r], rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig
