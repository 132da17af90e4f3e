"""The demo report and the rank-uncertainty helpers under their historical import path.

They live in :mod:`latentspec.demo` (:func:`run_demo`, the whole job on
scikit-learn's digits written up as one HTML page, rendered by
:mod:`latentspec._report_html`) and :mod:`latentspec.rank_report`
(:func:`rank_uncertainty`, :func:`format_ranks`); this module gathers them, with the
demo's settings.
"""

from __future__ import annotations

from .demo import (
    DENOISE_DROPOUT,
    IMAGE_SHAPE,
    LABEL_WEIGHT,
    LATENT_DIM,
    MORPH_PAIRS,
    NOISE,
    PAIRS,
    QUICK_BASIS,
    QUICK_LWGAN,
    run_demo,
)
from .rank_report import format_ranks, rank_uncertainty

__all__ = [
    "DENOISE_DROPOUT",
    "IMAGE_SHAPE",
    "LABEL_WEIGHT",
    "LATENT_DIM",
    "MORPH_PAIRS",
    "NOISE",
    "PAIRS",
    "QUICK_BASIS",
    "QUICK_LWGAN",
    "format_ranks",
    "rank_uncertainty",
    "run_demo",
]
