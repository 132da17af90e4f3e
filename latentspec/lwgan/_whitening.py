"""Whitening: units in which every principal direction of the data counts alike.

The LWGAN's losses and rank scores are squared errors. In the data's own units a
direction that holds most of the variance decides them: on a paraboloid that holds
97 % of its variance along one axis, a rank-1 model already reconstructs the rows to
within 3 % of their spread, and the other dimensions of the manifold cannot move the
score. :class:`Whitening` rotates nothing away and loses nothing: it divides every
principal direction of the (centred, scaled) training rows by its own spread, so that
each carries unit variance, and leaves the coordinates aligned with the features
(``x -> V diag(1/s) V^T x``, the "zero-phase" form). A direction whose variance is
below a *floor* is divided by the floor's spread instead, so that directions that
hold only noise or rounding error are not blown up to the size of the signal's. The
floor is the larger of

- the noise variance per entry read off the bulk of the spectrum
  (:func:`latentspec.estimate_noise_std`) divided by ``FLOOR_RATIO``: a direction
  that holds only noise then weighs at most ``FLOOR_RATIO`` times a whitened
  direction of signal, so noise is not turned into signal. (A floor at the noise
  variance itself would give every noise direction the weight of a signal
  direction; one at the noise's total variance, ``n_features`` times it, still
  turned the two noise directions of a 3-dimensional plane in ``R^5`` with 5 %
  noise into two more dimensions.) Where the spectrum shows no bulk of noise (the
  signal fills every direction, or there are only a few features) the noise
  estimate is of the order of the signal's variances, and the floor then whitens
  nothing; and
- ``FLOOR_RATIO`` times the largest variance: the most any direction is amplified
  is ``1 / sqrt(FLOOR_RATIO)`` relative to the widest one (a condition number of
  ``1 / FLOOR_RATIO`` for the map), which keeps directions of rounding error, and
  the higher-order curvature terms of a smooth manifold, from dominating.

The map is invertible (every direction is divided by a positive number), so an
estimate of the intrinsic dimension, a dimension that no invertible linear map
changes, is the same question in either units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .._noise_level import estimate_noise_std
from .core._batching import blockwise

__all__ = ["FLOOR_RATIO", "Whitening"]

# The smallest variance a principal direction is scaled as, relative to the largest (directions below it are
# amplified at most 1 / sqrt(FLOOR_RATIO) ~ 32 times as much as the widest one), and the most a direction of
# pure noise weighs relative to a whitened direction of signal.
FLOOR_RATIO = 1e-3


@dataclass(frozen=True)
class Whitening:
    """The whitening map of a set of rows: principal axes, their spreads and the floor.

    Attributes
    ----------
    axes : ndarray of shape (n_features, k)
        The principal directions whose variance is above the floor, by decreasing variance.
    spreads : ndarray of shape (k,)
        Their standard deviations.
    floor : float
        The variance every other direction is divided by (its square root): the
        larger of ``FLOOR_RATIO`` times the largest variance and
        ``noise_variance / FLOOR_RATIO``.
    noise_variance : float
        The noise variance per entry read off the spectrum (part of the floor);
        NaN where there is no spectrum to read it off (fewer than three features
        or rows), and then nothing is whitened.
    gain : float
        The factor applied after whitening so that the whitened rows keep a mean
        square of one per entry (as the rows the networks see without whitening):
        every principal direction above the floor then has variance
        ``n_features / (k + sum(variance / floor of the others))``.

    Examples
    --------
    A plane in ``R^10`` with a little noise: two axes above the floor, the noise level
    read off the spectrum, and the map undone exactly.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 2)) @ rng.standard_normal((2, 10))
    >>> X = X + 0.01 * rng.standard_normal((1000, 10))
    >>> white = Whitening.fit(X - X.mean(0))
    >>> white.axes.shape, round(float(np.sqrt(white.noise_variance)), 3)
    ((10, 2), 0.01)
    >>> np.allclose(white.invert(white.apply(X)), X)
    True
    """

    axes: np.ndarray
    spreads: np.ndarray
    floor: float
    noise_variance: float
    gain: float

    @classmethod
    def fit(cls, centred: np.ndarray, floor_ratio: float = FLOOR_RATIO) -> Whitening:
        """The whitening of ``centred`` rows (their mean removed), floored as the module describes."""
        centred = np.asarray(centred, dtype=np.float64)
        n_samples, n_features = centred.shape
        if n_features <= n_samples:
            variances, vectors = np.linalg.eigh(centred.T @ centred / max(1, n_samples - 1))
            variances, vectors = variances[::-1], vectors[:, ::-1]
        else:  # more features than rows: the rows span at most n_samples directions
            _, singular, vt = np.linalg.svd(centred, full_matrices=False)
            variances, vectors = singular**2 / max(1, n_samples - 1), vt.T
        variances = np.maximum(variances, 0.0)
        largest = float(variances[0]) if variances.size else 0.0
        try:
            noise_variance = estimate_noise_std(centred) ** 2 if min(n_samples, n_features) >= 3 else np.nan
        except ValueError:  # fewer than two directions with variance: no bulk to read
            noise_variance = np.nan
        # Without a spectrum to read the noise off (one or two features or rows) nothing is known to be signal
        # rather than noise, so nothing is whitened: the floor is then the largest variance itself.
        noise_floor = largest if np.isnan(noise_variance) else noise_variance / floor_ratio
        floor = max(floor_ratio * largest, noise_floor, np.finfo(np.float64).tiny)
        above = variances > floor
        total = float(above.sum() + variances[~above].sum() / floor)
        gain = float(np.sqrt(n_features * n_samples / max(1, n_samples - 1) / total)) if total > 0 else 1.0
        return cls(np.ascontiguousarray(vectors[:, above]), np.sqrt(variances[above]), float(floor),
                   float(noise_variance), gain)

    def to_dict(self) -> dict[str, np.ndarray | float]:
        """The fields, for a fitted attribute that model files can hold."""
        return {"axes": self.axes, "spreads": self.spreads, "floor": self.floor, "noise_variance": self.noise_variance,
                "gain": self.gain}

    def apply(self, centred: np.ndarray) -> np.ndarray:
        """Whitened rows: each principal direction divided by its spread, the others by the floor's."""
        root, gain = np.sqrt(self.floor), self.gain
        return _rowwise(
            lambda x: gain * (x / root + ((x @ self.axes) * (1.0 / self.spreads - 1.0 / root)) @ self.axes.T),
            centred)

    def invert(self, white: np.ndarray) -> np.ndarray:
        """The rows :meth:`apply` maps to ``white``."""
        root, gain = np.sqrt(self.floor), self.gain
        return _rowwise(lambda y: (y * root + ((y @ self.axes) * (self.spreads - root)) @ self.axes.T) / gain, white)


def _rowwise(function: Callable[[np.ndarray], np.ndarray], rows: np.ndarray) -> np.ndarray:
    """``function(rows)`` in float64, on the networks' fixed-size row blocks (:func:`.core._batching.blockwise`).

    Matrix products of different row counts round differently, so with one block size a
    row's result does not depend on the rows it comes with.
    """
    rows = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float64))
    return blockwise(lambda block: torch.from_numpy(function(block.numpy())), rows).numpy()
