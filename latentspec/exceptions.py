"""The warnings and errors latentspec raises, in one public place (as ``sklearn.exceptions``).

Errors: :class:`TrainingDiverged` (a loss became NaN or inf while
``LWGANEstimator.fit`` trained), :class:`TrainingInterrupted` (the KeyboardInterrupt
that ``fit`` re-raises after keeping a usable state) and :class:`ModelFileError` (a
model file that cannot be loaded). Warnings: :class:`FitInterrupted` (``fit`` was
interrupted, and says which state the estimator kept), :class:`RankRangeWarning`
(the estimated dimension is the largest rank searched) and
:class:`UnreliableEstimateWarning` (the fit's own evidence contradicts its dimension
estimate). All are importable from
``latentspec`` too.
"""

from __future__ import annotations

__all__ = [
    "FitInterrupted",
    "ModelFileError",
    "RankRangeWarning",
    "TrainingDiverged",
    "TrainingInterrupted",
    "UnreliableEstimateWarning",
]


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or inf during training.

    ``LWGANEstimator.fit`` raises it and leaves the estimator as it was before
    the call, so a fitted estimator never holds non-finite weights.
    """


class TrainingInterrupted(KeyboardInterrupt):
    """A KeyboardInterrupt that ``fit`` re-raises after keeping a usable state.

    It is a :class:`KeyboardInterrupt`, so a script or a grid search stops as the
    user asked; the estimator keeps the state that the accompanying
    :class:`FitInterrupted` warning describes, and ``warm_start=True``
    continues from there.
    """


class FitInterrupted(UserWarning):
    """Warns that ``fit`` was interrupted (Ctrl-C) and which state the estimator kept."""


class RankRangeWarning(UserWarning):
    """The estimated dimension is the largest rank searched: the true one may be higher."""


class UnreliableEstimateWarning(UserWarning):
    """The evidence of the fit says its dimension estimate cannot be trusted; the message says why.

    ``LWGANEstimator.fit`` warns with it when the estimate and the nearest-neighbour
    (TwoNN) first estimate of the same data disagree by more than a factor of two.
    ``diagnostics_`` keeps the evidence.
    """


class ModelFileError(ValueError):
    """A model file that cannot be loaded: not a model file, corrupt, truncated, or from a newer format."""
