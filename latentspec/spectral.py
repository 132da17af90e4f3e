"""Deep latent spectral decomposition (deep LSD) as scikit-learn estimators.

Quasi-eigenvectors of a generator's latent space (Toledo-Marin and Glazier, "Using
deep LSD to build operators in GANs latent space with meaning in real space",
PLoS ONE 2023): one direction per label, built from class means and Gram-Schmidt,
completed to an orthogonal basis of the latent space. On top of the basis:

- :class:`QuasiEigenBasis` fits the basis; ``transform`` gives the spectral
  coefficients ``c_i = <xi_i, z>``, ``inverse_transform`` rebuilds the codes, and
  ``predict`` is the paper's rule (the label of the largest ``|c_i|``).
- :class:`LatentSpectralDenoiser` keeps the few largest coefficients of every code.
- :class:`LatentRotator` rotates codes in the plane of two label directions
  (e.g. turns a 3 into an 8 when the codes are decoded).

All three work on latent codes ``Z`` of shape ``(n_samples, latent_dim)``, e.g.
as Pipeline steps after :class:`latentspec.LWGANEstimator`; no torch is needed.
They live in :mod:`latentspec.quasi_eigen`, :mod:`latentspec.spectral_denoising`
and :mod:`latentspec.latent_rotation`; this module gathers them.
"""

from __future__ import annotations

from .latent_rotation import LatentRotator
from .quasi_eigen import QuasiEigenBasis
from .spectral_denoising import LatentSpectralDenoiser

__all__ = ["LatentRotator", "LatentSpectralDenoiser", "QuasiEigenBasis"]
