"""The LWGAN: intrinsic dimension, encoder and generator (Qiu, Gao and Wang).

:class:`LWGANEstimator` is the scikit-learn estimator; :func:`choose_rank` applies a
rank rule to the per-rank scores it keeps. The PyTorch networks, losses and training
loop it drives live in :mod:`latentspec.lwgan.core`, which knows nothing of
scikit-learn.
"""

from ._estimator import LWGANEstimator
from ._rank_selection import choose_rank

# Pickles name a class by its module: the public one, which internal moves never change.
for _class in (LWGANEstimator,):
    _class.__module__ = __name__

__all__ = ["LWGANEstimator", "choose_rank"]
