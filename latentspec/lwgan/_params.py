"""What the parameters of ``LWGANEstimator`` may be, and the checks that need the data.

The rule of each parameter is declared on the class (``LWGANEstimator._parameter_rules``,
built from :data:`PARAMETER_RULES`) and checked once at the start of ``fit``. What
depends on the data or ties parameters together is here, as functions of explicit
values: the image shape against the features, the labels, and what a warm start must
keep.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from .._validation import (
    Rule,
    any_integer,
    anything,
    boolean,
    check_int,
    either,
    integer,
    non_negative,
    one_of,
    optional,
    positive,
    seed,
    widths,
)
from ._rank_selection import RANK_RULES
from .core._conv import conv_output_size

__all__ = [
    "ACTIVATIONS", "FIXED_RANK_LATENT_DIM", "LABEL_MODES", "NETWORK_PARAMS", "PARAMETER_RULES", "PRECISIONS",
    "check_image_shape", "check_rank", "check_resumable", "encode_labels", "image_shape_chw",
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


def fraction(name: str, value: Any) -> None:
    """A share of hidden units: at least 0 and below 1."""
    non_negative(name, value)
    if not value < 1:
        raise ValueError(f"{name} is the share of hidden units dropped, so it must be < 1, got {value!r}")


def validation_share(name: str, value: Any) -> None:
    """A share of the rows held out: at least 0 and at most 0.5."""
    non_negative(name, value)
    if not value <= 0.5:
        raise ValueError(f"{name} is the share of the rows held out to score the ranks, so it must be <= 0.5, "
                         f"got {value!r}")


def job_count(name: str, value: Any) -> None:
    """joblib's ``n_jobs``: a non-zero integer (negative counts from the number of CPUs)."""
    any_integer(name, value)
    if value == 0:
        raise ValueError(f"{name} must be a non-zero integer (joblib's n_jobs: -1 is all CPUs) or None, got 0")


def rank_rule(name: str, value: Any) -> None:
    """``"auto"`` or an integer >= 1."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or an integer, got {value!r}")
    else:
        check_int(name, value)


def image_shape_rule(name: str, value: Any) -> None:
    """None, or ``(h, w)`` or ``(c, h, w)`` of positive integers."""
    if value is None:
        return
    shape = tuple(value) if isinstance(value, (tuple, list)) else None
    if shape is None or len(shape) not in (2, 3) or not all(isinstance(s, numbers.Integral) and s >= 1 for s in shape):
        raise ValueError(f"image_shape must be (h, w) or (c, h, w) of positive ints, got {value!r}")


# What every parameter of LWGANEstimator may be, in the order they are checked.
PARAMETER_RULES: dict[str, Rule] = {
    "latent_dim": optional(integer()),
    "rank": rank_rule,
    "image_shape": image_shape_rule,
    "standardize": boolean,
    "whiten": either("auto", boolean, "True or False"),
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
    "validation_fraction": validation_share,
    "n_refits": integer(minimum=0),
    "linear_path": boolean,
    "early_stopping": boolean,
    "n_jobs": optional(job_count),
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
    "device": anything,  # resolved, and so checked, once at the start of fit (core._device.resolve_device)
    "random_state": seed,
}

# The parameters that shape the networks or the units they work in: a warm start must not change them.
NETWORK_PARAMS = (
    "encoder_layers", "generator_layers", "critic_layers", "activation", "image_shape", "architecture", "conv_layers",
    "label_mode", "linear_path", "standardize", "whiten",
)


def image_shape_chw(image_shape: tuple[int, ...] | None, architecture: str) -> tuple[int, int, int] | None:
    """``(c, h, w)`` when the networks are convolutional (``image_shape`` given, not ``"mlp"``), else None."""
    if image_shape is None or architecture == "mlp":
        return None
    shape = tuple(int(s) for s in image_shape)
    return shape if len(shape) == 3 else (1, *shape)


def check_image_shape(
    image_shape: tuple[int, ...] | None, architecture: str, conv_layers: tuple[int, ...], augment_shift: int,
    n_features: int,
) -> None:
    """Raise ValueError unless images of ``image_shape`` suit the features, the shifts and the convolutions."""
    if augment_shift and image_shape is None:
        raise ValueError(
            f"augment_shift={augment_shift} translates images, so it needs image_shape, e.g. image_shape=(28, 28)"
        )
    if architecture == "conv" and image_shape is None:
        raise ValueError("architecture='conv' needs image_shape, e.g. image_shape=(28, 28)")
    if image_shape is None:
        return
    shape = tuple(image_shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} holds {math.prod(shape)} values per image, but X has {n_features} features"
        )
    smallest = min(shape[-2:])
    if augment_shift >= smallest:
        raise ValueError(
            f"augment_shift={augment_shift} would move images of size {shape[-2:]} out of the frame; "
            f"use augment_shift < {smallest}"
        )
    if image_shape_chw(shape, architecture) is not None and conv_output_size(smallest, len(conv_layers)) < 1:
        raise ValueError(
            f"image_shape={shape} is too small for {len(conv_layers)} halving convolutions "
            f"(conv_layers={tuple(conv_layers)}); use fewer conv_layers or architecture='mlp'"
        )


def check_rank(rank: str | int, latent_dim: int, latent_dim_param: int | None, n_features: int) -> None:
    """Raise ValueError if a fixed ``rank`` exceeds the ``latent_dim`` built, saying where that number came from."""
    if isinstance(rank, str) or rank <= latent_dim:
        return
    if latent_dim_param is not None:
        raise ValueError(
            f"rank={rank} is larger than latent_dim={latent_dim}; choose rank <= latent_dim or raise latent_dim"
        )
    raise ValueError(
        f"rank={rank} is larger than the largest rank built, {latent_dim}: latent_dim=None gives "
        f"min(n_features, max({FIXED_RANK_LATENT_DIM}, rank)) = {latent_dim}, as X has {n_features} features; "
        f"a rank can be at most the number of features"
    )


def check_resumable(
    built: dict[str, Any], spec: dict[str, Any], latent_dim: int, built_latent_dim: int,
    previous_classes: np.ndarray | None, classes: np.ndarray | None,
) -> None:
    """Raise ValueError if the network spec, range or classes of a warm start differ from the fit it continues."""
    changed = [f"{name}={value!r} (was {built[name]!r})" for name, value in spec.items() if value != built[name]]
    if latent_dim != built_latent_dim:
        changed.append(f"latent_dim={latent_dim} (was {built_latent_dim})")
    same_classes = (previous_classes is None) == (classes is None) and (
        previous_classes is None or np.array_equal(previous_classes, classes)
    )
    if not same_classes:
        changed.append("the classes of y or label_weight")
    if changed:
        raise ValueError(
            "warm_start=True continues the previous fit, but its networks do not fit "
            f"{', '.join(changed)}; restore those parameters or set warm_start=False to fit afresh"
        )


def encode_labels(
    y: Any, n_samples: int, rank: str | int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(classes, indices, class_weights)`` of the labels ``y`` for the label term; ValueError for bad labels."""
    if y is None:
        raise ValueError("label_weight > 0 needs class labels: call fit(X, y)")
    y = column_or_1d(y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n_samples} samples")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf; class labels must be finite")
    check_classification_targets(y)
    classes, indices = np.unique(y, return_inverse=True)
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError(f"label_weight > 0 needs at least 2 classes in y, got {n_classes}")
    if rank == "auto":
        raise ValueError(
            "label_weight > 0 needs a fixed integer rank (the label term shapes the codes of one rank); "
            "set rank, e.g. rank=latent_dim"
        )
    if rank < n_classes:
        raise ValueError(
            f"the label term gives each of the {n_classes} classes a latent direction of its own, but rank="
            f"{rank}; use rank >= {n_classes} (and latent_dim >= rank) or label_weight=0"
        )
    return classes, indices, np.bincount(indices) / len(indices)
