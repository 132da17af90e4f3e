"""latentspec: learn and use the latent space of generative models, scikit-learn style.

LWGANEstimator estimates the intrinsic dimension of data and gives an encoder and a
generator at that dimension.
"""

from ._rank_selection import choose_rank
from ._training import TrainingDiverged
from ._version import __version__
from .lwgan import LWGANEstimator

__all__ = ["LWGANEstimator", "TrainingDiverged", "__version__", "choose_rank"]
