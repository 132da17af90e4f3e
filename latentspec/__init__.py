"""latentspec: learn and use the latent space of generative models, scikit-learn style.

LWGANEstimator estimates the intrinsic dimension of data and gives an encoder and a
generator at that dimension. QuasiEigenBasis, LatentSpectralDenoiser and LatentRotator expand
latent codes in label directions (deep latent spectral decomposition) to classify,
denoise and rotate them.
"""

try:
    import torch  # noqa: F401  (checked first, so that its absence gets a message that says what to do)
except ImportError as error:  # pragma: no cover - exercised in a subprocess by tests/test_import.py
    raise ImportError(
        "latentspec needs PyTorch (torch >= 2.2), which is not installed in this Python "
        f"({error}). Install it first, e.g. `pip install torch==2.13.0` for the CPU build, "
        "or the CUDA build for your GPU."
    ) from error

from ._rank_range import RankRangeWarning
from ._rank_selection import choose_rank
from ._training import FitInterrupted, TrainingDiverged
from ._version import __version__
from .denoising_recipe import DenoiserChoice, choose_denoiser, make_denoiser
from .lwgan import LWGANEstimator
from .noise_level import estimate_noise_std
from .persistence import ModelFileError, load, save
from .residual_wiener import ResidualWiener
from .spectral import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis
from .sure import SUREScorer, denoise, make_sure_scorer, sure_error

__all__ = [
    "DenoiserChoice",
    "FitInterrupted",
    "LWGANEstimator",
    "LatentRotator",
    "LatentSpectralDenoiser",
    "ModelFileError",
    "QuasiEigenBasis",
    "RankRangeWarning",
    "ResidualWiener",
    "SUREScorer",
    "TrainingDiverged",
    "__version__",
    "choose_denoiser",
    "choose_rank",
    "denoise",
    "estimate_noise_std",
    "load",
    "make_denoiser",
    "make_sure_scorer",
    "save",
    "sure_error",
]
