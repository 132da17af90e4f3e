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
from .lwgan import LWGANEstimator
from .persistence import ModelFileError, load, save
from .spectral import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis

__all__ = [
    "FitInterrupted",
    "LWGANEstimator",
    "LatentRotator",
    "LatentSpectralDenoiser",
    "ModelFileError",
    "QuasiEigenBasis",
    "RankRangeWarning",
    "TrainingDiverged",
    "__version__",
    "choose_rank",
    "load",
    "save",
]
