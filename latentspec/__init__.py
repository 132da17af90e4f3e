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

from . import _moved, exceptions
from ._version import __version__
from .app import (
    format_ranks,
    plot_denoising_grid,
    plot_lsd_spectrum,
    plot_rank_scores,
    plot_rotation_morph,
    plot_samples_beside_data,
    plot_samples_per_rank,
    plot_training_history,
    rank_uncertainty,
    run_demo,
    save_figure,
)
from .denoising import (
    DenoiserChoice,
    ResidualWiener,
    SUREScorer,
    choose_denoiser,
    denoise,
    estimate_noise_std,
    make_denoiser,
    make_sure_scorer,
    sure_error,
)
from .exceptions import (
    FitInterrupted,
    ModelFileError,
    RankRangeWarning,
    TrainingDiverged,
    TrainingInterrupted,
    UnreliableEstimateWarning,
)
from .lsd import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis
from .lwgan import LWGANEstimator, choose_rank
from .persistence import load, save

_moved.install()

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
    "TrainingInterrupted",
    "UnreliableEstimateWarning",
    "__version__",
    "choose_denoiser",
    "choose_rank",
    "denoise",
    "estimate_noise_std",
    "exceptions",
    "format_ranks",
    "load",
    "make_denoiser",
    "make_sure_scorer",
    "plot_denoising_grid",
    "plot_lsd_spectrum",
    "plot_rank_scores",
    "plot_rotation_morph",
    "plot_samples_beside_data",
    "plot_samples_per_rank",
    "plot_training_history",
    "rank_uncertainty",
    "run_demo",
    "save",
    "save_figure",
    "sure_error",
]
