"""Mapping arrays through the fitted LWGAN networks: encode, decode, sample.

:class:`LatentMapsMixin` gives ``LWGANEstimator`` its ``transform``,
``inverse_transform`` and ``sample``. Rows go through the networks in chunks and
fixed-size blocks (:mod:`latentspec.lwgan.core._batching`), so memory stays bounded and a
row's result does not depend on the rows it comes with; data are centred and
scaled as in training, and results come back in the caller's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_numeric_array, check_seed, validate_numeric
from .core import _batching
from .core._batching import blockwise, check_finite_output
from .core._model import RankLayout
from .core._threads import with_torch_threads

__all__ = ["LatentMapsMixin"]


class LatentMapsMixin(TransformerMixin):
    """``transform``, ``inverse_transform`` and ``sample`` of a fitted ``LWGANEstimator``.

    A :class:`~sklearn.base.TransformerMixin`, so that scikit-learn wraps this
    ``transform`` for ``set_output`` (it wraps only methods a class defines itself).

    Needs the fitted attributes ``module_``, ``rank_``, ``latent_dim_``,
    ``center_``, ``scale_``, ``device_``, ``n_features_in_`` and the method
    ``_prior()``.
    """

    def _to_tensor(self, X: np.ndarray) -> torch.Tensor:
        """``X`` centred and scaled as in training, as float32 on the device (ValueError if that overflows)."""
        scaled = (np.asarray(X, dtype=np.float64) - self.center_) / self.scale_
        if np.abs(scaled).max(initial=0.0) > _batching.FLOAT32_LIMIT:
            raise ValueError(
                "X has values too far outside the range of the training data to represent in float32 "
                f"after centring and scaling (largest |value| {np.abs(scaled).max():.3g} training spreads)"
            )
        return torch.as_tensor(scaled, dtype=torch.float32, device=self.device_)


    def _rank_layout(self) -> RankLayout:
        """The codes of rank ``rank_``, shared by every row (so it fits any number of rows)."""
        return RankLayout.blocks([self.rank_], 1, self.latent_dim_, self.device_)

    @with_torch_threads
    def transform(self, X):
        """Encode ``X`` into latent codes at the chosen rank.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, ``rank_``)
        """
        check_is_fitted(self)
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], reset=False)
        Z = np.empty((X.shape[0], self.rank_), dtype=X.dtype)
        layout = self._rank_layout()
        with torch.no_grad():
            for rows in _batching.chunks(X.shape[0]):
                codes = blockwise(lambda t: self.module_.encode(t, layout), self._to_tensor(X[rows]))[:, : self.rank_]
                check_finite_output(codes, "X", "latent codes")
                Z[rows] = codes.cpu().numpy()
        return Z

    @with_torch_threads
    def inverse_transform(self, Z):
        """Decode latent codes back to data space with the generator.

        Parameters
        ----------
        Z : array-like of shape (n_samples, ``rank_``)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_numeric_array(Z, "Z", dtype=[np.float64, np.float32])
        if Z.shape[1] != self.rank_:
            raise ValueError(
                f"Z has {Z.shape[1]} columns but this model's latent codes have rank_={self.rank_}"
            )
        return self._decode(Z).astype(Z.dtype, copy=False)

    def _decode(self, Z: np.ndarray) -> np.ndarray:
        X = np.empty((len(Z), self.n_features_in_))
        with torch.no_grad():
            for rows in _batching.chunks(len(Z)):
                z = torch.zeros(rows.stop - rows.start, self.latent_dim_, device=self.device_)
                # A copy: torch warns about read-only arrays (pandas 3 hands those out) that it would share.
                z[:, : Z.shape[1]] = torch.as_tensor(np.array(Z[rows]), dtype=torch.float32, device=self.device_)
                if z.abs().max() > _batching.FLOAT32_LIMIT:
                    raise ValueError(
                        f"Z has values too large for the float32 generator (largest |z| {z.abs().max():.3g})"
                    )
                decoded = blockwise(self.module_.generate, z)
                check_finite_output(decoded, "Z", "reconstructions")
                X[rows] = decoded.cpu().numpy()
        X *= self.scale_
        X += self.center_
        return X

    @with_torch_threads
    def sample(self, n_samples: int = 1, random_state: Any = None, rank: int | None = None) -> np.ndarray:
        """Draw new samples: ``G(z)`` with ``z`` drawn from the prior at the chosen rank.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seed for the latent draws.
        rank : int or None, default=None
            Rank of the latent draws, between 1 and ``latent_dim_``: ``z`` is a
            prior draw with the coordinates from ``rank`` on set to zero, the
            LWGAN's rank-``rank`` draw. ``None`` uses ``rank_``. Other ranks show
            what the generator makes of each latent dimension (with ``rank="auto"``
            every rank was trained; with a fixed rank only ``rank_`` was).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)

        Examples
        --------
        >>> from latentspec import LWGANEstimator
        >>> from latentspec.datasets import make_s_curve_3d
        >>> X = make_s_curve_3d(n_samples=200, random_state=0)
        >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=2, random_state=0).fit(X)
        >>> est.sample(4, random_state=0, rank=1).shape
        (4, 3)
        """
        check_is_fitted(self)
        n_samples = check_int("n_samples", n_samples)
        if rank is None:
            rank = self.rank_
        else:
            rank = check_int("rank", rank)
            if rank > self.latent_dim_:
                raise ValueError(f"rank={rank} is larger than latent_dim_={self.latent_dim_}")
        z = self._prior().sample_numpy(n_samples, rank, np.random.default_rng(check_seed(random_state)))
        return self._decode(z).astype(getattr(self, "_fit_dtype", "float64"), copy=False)
