"""Denoising with a fitted model, every setting chosen from the noisy data alone.

:func:`choose_denoiser` is the recipe; :func:`estimate_noise_std` reads the noise level
from singular values; Stein's unbiased risk estimate (:func:`sure_error`,
:func:`make_sure_scorer`) measures a denoiser's error without clean data; and
:class:`ResidualWiener` gives back what a projection drops.
"""

from .._noise_level import estimate_noise_std
from ._recipe import DenoiserChoice, choose_denoiser, make_denoiser
from ._residual_wiener import ResidualWiener
from ._sure import SUREScorer, denoise, make_sure_scorer, sure_error

# Pickles name a class by its module: the public one, which internal moves never change.
for _class in (DenoiserChoice, ResidualWiener, SUREScorer,):
    _class.__module__ = __name__

__all__ = [
    "DenoiserChoice",
    "ResidualWiener",
    "SUREScorer",
    "choose_denoiser",
    "denoise",
    "estimate_noise_std",
    "make_denoiser",
    "make_sure_scorer",
    "sure_error",
]
