"""The parameters of ``LWGANEstimator``: one table of constraints, checked once per fit.

:data:`PARAMETER_RULES` says what each parameter may be, one line a parameter;
:func:`check_params` applies the table and then the constraints that tie parameters
together (a rank within the range, images that suit the networks) and returns the
largest rank to build. :func:`network_spec` is what the networks are built from;
a warm start compares it with the spec of the first fit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from .._validation import check_int, check_non_negative, check_positive
from ._rank_range import default_latent_dim
from ._rank_selection import RANK_RULES
from .core._conv import conv_output_size

__all__ = [
    "ACTIVATIONS", "LABEL_MODES", "PARAMETER_RULES", "PRECISIONS", "check_labels", "check_params", "check_resumable",
    "image_shape_chw", "label_classifier_classes", "label_mode_of", "network_spec",
]

ACTIVATIONS = ("relu", "leaky_relu", "silu", "tanh", "elu")
ARCHITECTURES = ("auto", "mlp", "conv")
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}  # the autocast dtype of each
RANK_SAMPLING = ("per_sample", "per_iteration")
# How labels shape the latent space (LWGANEstimator(label_weight > 0)): a class-mixture
# prior, or the standard normal prior with a classifier of the codes (the deep LSD paper's).
LABEL_MODES = ("prior", "classifier")
# latent_dim=None with a fixed rank: the networks' latent size (only ``rank`` is trained).
FIXED_RANK_LATENT_DIM = 16

Rule = Callable[[str, Any], None]


def integer(minimum: int = 1) -> Rule:
    """An integer of at least ``minimum``."""

    def rule(name: str, value: Any) -> None:
        check_int(name, value, minimum=minimum)

    return rule


def positive(name: str, value: Any) -> None:
    check_positive(name, value)


def non_negative(name: str, value: Any) -> None:
    check_non_negative(name, value)


def fraction(name: str, value: Any) -> None:
    """A share: at least 0 and below 1."""
    check_non_negative(name, value)
    if not value < 1:
        raise ValueError(f"{name} is the share of hidden units dropped, so it must be < 1, got {value!r}")


def one_of(choices: tuple[str, ...] | dict[str, Any]) -> Rule:
    """One of ``choices``."""
    choices = tuple(choices)

    def rule(name: str, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {choices}, got {value!r}")

    return rule


def widths(name: str, value: Any) -> None:
    """A non-empty tuple (or list) of positive integers; booleans are not integers here."""
    if not (
        isinstance(value, (tuple, list))
        and len(value) > 0
        and all(isinstance(w, numbers.Integral) and not isinstance(w, (bool, np.bool_)) and w >= 1 for w in value)
    ):
        raise ValueError(f"{name} must be a non-empty tuple of positive integers, got {value!r}")


def optional(rule: Rule) -> Rule:
    """None, or what ``rule`` allows."""
    return lambda name, value: None if value is None else rule(name, value)


def any_integer(name: str, value: Any) -> None:
    if not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")


def boolean(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


# What every parameter may be, checked in this order. ``latent_dim``, ``rank`` and
# ``image_shape`` depend on the data and on each other: see check_params.
PARAMETER_RULES: dict[str, Rule] = {
    "encoder_layers": widths,
    "generator_layers": widths,
    "critic_layers": widths,
    "activation": one_of(ACTIVATIONS),
    "n_warmup": integer(minimum=0),
    "n_iter": integer(minimum=0),
    "n_critic_refit": integer(minimum=0),
    "n_critic": integer(),
    "n_generator": integer(),
    "batch_size": integer(minimum=2),
    "n_score_repeats": integer(),
    "learning_rate": positive,
    "lambda_gp": non_negative,
    "lambda_mmd": non_negative,
    "label_weight": non_negative,
    "label_mode": one_of(LABEL_MODES),
    "augment_shift": integer(minimum=0),
    "dropout": fraction,
    "rank_sampling": one_of(RANK_SAMPLING),
    "precision": one_of(PRECISIONS),
    "rank_rule": one_of(RANK_RULES),
    "n_threads": optional(integer()),
    "verbose": any_integer,
    "warm_start": boolean,
    "architecture": one_of(ARCHITECTURES),
    "conv_layers": widths,
}


def _latent_dim(est: Any, X: np.ndarray, resume: bool) -> int:
    """The largest rank to build: ``latent_dim``, or the default range for the data."""
    if est.latent_dim is None and resume:
        return est.latent_dim_  # a warm start keeps the range of the first fit
    if est.latent_dim is None and est.rank == "auto":
        return default_latent_dim(X)
    if est.latent_dim is None:
        fixed = est.rank if isinstance(est.rank, numbers.Integral) else 0  # a bad rank is refused below
        return min(X.shape[1], max(FIXED_RANK_LATENT_DIM, fixed))
    return check_int("latent_dim", est.latent_dim)


def check_params(est: Any, X: np.ndarray, resume: bool) -> int:
    """Check every parameter of ``est`` for the data ``X``; return the latent dimension to build.

    Raises ValueError naming the first parameter that is not allowed and what is.
    """
    latent_dim = _latent_dim(est, X, resume)
    if isinstance(est.rank, str):
        if est.rank != "auto":
            raise ValueError(f"rank must be 'auto' or an integer, got {est.rank!r}")
    else:
        check_int("rank", est.rank)
        if est.rank > latent_dim:
            raise ValueError(
                f"rank={est.rank} is larger than latent_dim={latent_dim}; choose rank <= latent_dim or raise latent_dim"
            )
    for name, rule in PARAMETER_RULES.items():
        rule(name, getattr(est, name))
    if est.augment_shift and est.image_shape is None:
        raise ValueError(
            f"augment_shift={est.augment_shift} translates images, so it needs image_shape, e.g. image_shape=(28, 28)"
        )
    if est.architecture == "conv" and est.image_shape is None:
        raise ValueError("architecture='conv' needs image_shape, e.g. image_shape=(28, 28)")
    if est.image_shape is not None:
        _check_image_shape(est, X.shape[1])
    return latent_dim


def _check_image_shape(est: Any, n_features: int) -> None:
    shape = tuple(est.image_shape)
    if len(shape) not in (2, 3) or not all(isinstance(s, numbers.Integral) and s >= 1 for s in shape):
        raise ValueError(f"image_shape must be (h, w) or (c, h, w) of positive ints, got {est.image_shape!r}")
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} holds {math.prod(shape)} values per image, but X has {n_features} features"
        )
    smallest = min(shape[-2:])
    if est.augment_shift >= smallest:
        raise ValueError(
            f"augment_shift={est.augment_shift} would move images of size {shape[-2:]} out of the frame; "
            f"use augment_shift < {smallest}"
        )
    if image_shape_chw(est) is not None and conv_output_size(smallest, len(est.conv_layers)) < 1:
        raise ValueError(
            f"image_shape={shape} is too small for {len(est.conv_layers)} halving convolutions "
            f"(conv_layers={tuple(est.conv_layers)}); use fewer conv_layers or architecture='mlp'"
        )


def image_shape_chw(est: Any) -> tuple[int, int, int] | None:
    """``(c, h, w)`` when the networks of ``est`` are convolutional, else None."""
    if est.image_shape is None or est.architecture == "mlp":
        return None
    shape = tuple(int(s) for s in est.image_shape)
    return shape if len(shape) == 3 else (1, *shape)


# The parameters that shape the networks: a warm start must not change them.
NETWORK_PARAMS = (
    "encoder_layers", "generator_layers", "critic_layers", "activation", "image_shape", "architecture", "conv_layers",
    "label_mode",
)
# The value of a network parameter that estimators fitted before it existed had.
_NETWORK_PARAM_DEFAULTS = {"label_mode": "prior"}


def network_spec(est: Any) -> dict[str, Any]:
    """The network-shaping parameters of ``est``, tuples for sequences (comparable with ``==``)."""
    return {
        name: (tuple(v) if isinstance(v := getattr(est, name, _NETWORK_PARAM_DEFAULTS.get(name)), (list, tuple)) else v)
        for name in NETWORK_PARAMS
    }


def label_mode_of(est: Any) -> str:
    """``est.label_mode``; ``"prior"`` for estimators pickled before the parameter existed."""
    return getattr(est, "label_mode", _NETWORK_PARAM_DEFAULTS["label_mode"])


def label_classifier_classes(est: Any) -> int:
    """Outputs of the latent classifier the networks include: the number of classes in ``"classifier"`` mode, else 0."""
    classes = getattr(est, "classes_", None)
    return 0 if classes is None or label_mode_of(est) != "classifier" else len(classes)


def check_resumable(est: Any, latent_dim: int, previous_classes: np.ndarray | None) -> None:
    """Raise ValueError if the parameters of ``est`` no longer fit the networks a warm start continues."""
    built = {**_NETWORK_PARAM_DEFAULTS, **est._architecture}  # the network_spec of the first fit
    changed = [f"{name}={value!r} (was {built[name]!r})" for name, value in network_spec(est).items()
               if value != built[name]]
    if latent_dim != est.latent_dim_:
        changed.append(f"latent_dim={latent_dim} (was {est.latent_dim_})")
    same_classes = (previous_classes is None) == (est.classes_ is None) and (
        previous_classes is None or np.array_equal(previous_classes, est.classes_)
    )
    if not same_classes:
        changed.append("the classes of y or label_weight")
    if changed:
        raise ValueError(
            "warm_start=True continues the previous fit, but its networks do not fit "
            f"{', '.join(changed)}; restore those parameters or set warm_start=False to fit afresh"
        )


def check_labels(est: Any, y: Any, n_samples: int) -> np.ndarray | None:
    """Class indices of ``y`` when the label term of ``est`` is on, else None.

    Sets ``est.classes_`` (None without the label term) and ``est.class_weights_``.
    """
    est.classes_ = None
    if est.label_weight == 0:
        return None
    if y is None:
        raise ValueError("label_weight > 0 needs class labels: call fit(X, y)")
    y = column_or_1d(y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n_samples} samples")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf; class labels must be finite")
    check_classification_targets(y)
    est.classes_, indices = np.unique(y, return_inverse=True)
    n_classes = len(est.classes_)
    if n_classes < 2:
        raise ValueError(f"label_weight > 0 needs at least 2 classes in y, got {n_classes}")
    if est.rank == "auto":
        raise ValueError(
            "label_weight > 0 needs a fixed integer rank (the label term shapes the codes of one rank); "
            "set rank, e.g. rank=latent_dim"
        )
    if est.rank < n_classes:
        raise ValueError(
            f"the label term gives each of the {n_classes} classes a latent direction of its own, but rank="
            f"{est.rank}; use rank >= {n_classes} (and latent_dim >= rank) or label_weight=0"
        )
    est.class_weights_ = np.bincount(indices) / len(indices)
    return indices
