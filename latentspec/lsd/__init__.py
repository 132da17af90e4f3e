"""Deep latent spectral decomposition (Toledo-Marin and Glazier) as scikit-learn estimators.

:class:`QuasiEigenBasis` builds a basis of the latent space whose first directions
map one-to-one to labels; :class:`LatentSpectralDenoiser` keeps the dominant
spectral components of every code; :class:`LatentRotator` turns codes from one
label direction towards another.
"""

from ._latent_rotation import LatentRotator
from ._quasi_eigen import QuasiEigenBasis
from ._spectral_denoising import LatentSpectralDenoiser

# Pickles name a class by its module: the public one, which internal moves never change.
for _class in (LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis,):
    _class.__module__ = __name__

__all__ = ["LatentRotator", "LatentSpectralDenoiser", "QuasiEigenBasis"]
