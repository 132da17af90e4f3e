"""LWGANEstimator: intrinsic dimension, encoder and generator as a scikit-learn estimator."""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from tqdm.auto import tqdm

from ._augment import RandomShift
from ._conv import conv_output_size
from ._device import (
    device_after_unpickling,
    make_generator,
    resolve_device,
    state_from_bytes,
    state_to_bytes,
    tensors_to_bytes,
)
from ._losses import CLASS_SEPARATION
from ._model import LWGANModule, RankLayout
from ._networks import initialise
from ._rank_range import RankRangeWarning, default_latent_dim
from ._rank_selection import RANK_RULES, choose_rank, rank_interval
from ._threads import default_n_threads, torch_threads, with_torch_threads
from ._training import HISTORY_TERMS, FitInterrupted, Trainer, TrainingDiverged, TrainingInterrupted
from ._validation import (
    check_int,
    check_non_negative,
    check_numeric_array,
    check_positive,
    check_seed,
    validate_numeric,
)
from .persistence import SaveLoadMixin

__all__ = ["LWGANEstimator"]

_ACTIVATIONS = ("relu", "leaky_relu", "silu", "tanh", "elu")
_ARCHITECTURES = ("auto", "mlp", "conv")
_PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}  # the autocast dtype of each
_RANK_SAMPLING = ("per_sample", "per_iteration")
# latent_dim=None with a fixed rank: the networks' latent size (only ``rank`` is trained).
_FIXED_RANK_LATENT_DIM = 16


# Rows per pass of transform, inverse_transform and sample: memory beyond the output
# stays bounded however many rows there are.
_CHUNK_ROWS = 65_536
# Inputs beyond this many training spreads would overflow the float32 networks.
_FLOAT32_LIMIT = 1e30
# Rows per pass of the networks in transform, inverse_transform and sample, the last
# block padded: float32 products of different row counts take different kernels, so
# with one block size a row's result does not depend on the rows it comes with.
_BLOCK_ROWS = 256


def _check_finite_output(values: torch.Tensor, source: str, what: str) -> None:
    """Raise ValueError rather than return NaN or inf computed from finite input."""
    if not torch.isfinite(values).all():
        raise ValueError(
            f"the networks gave non-finite {what}: {source} is too far outside the range of the "
            "training data for float32 arithmetic"
        )


def _blockwise(function: Any, inputs: torch.Tensor) -> torch.Tensor:
    """``function(inputs)`` computed on blocks of exactly ``_BLOCK_ROWS`` rows, the last one padded with zeros."""
    outputs = []
    for start in range(0, inputs.shape[0], _BLOCK_ROWS):
        block = inputs[start : start + _BLOCK_ROWS]
        rows = block.shape[0]
        if rows < _BLOCK_ROWS:
            block = torch.cat([block, block.new_zeros(_BLOCK_ROWS - rows, *block.shape[1:])])
        outputs.append(function(block)[:rows])
    return torch.cat(outputs) if outputs else function(inputs)


def _chunks(n: int) -> list[slice]:
    """Consecutive slices of at most ``_CHUNK_ROWS`` rows covering ``range(n)``."""
    return [slice(start, min(start + _CHUNK_ROWS, n)) for start in range(0, n, _CHUNK_ROWS)]


class LWGANEstimator(SaveLoadMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Latent Wasserstein GAN: estimates the intrinsic dimension of the data.

    Fits one encoder ``Q(x, r)``, generator ``G(z)`` and critic ``D(x, r)`` for
    every latent rank ``r`` in ``1..latent_dim`` at once (Qiu, Gao and Wang,
    "Adaptive Learning of the Latent Space of Wasserstein Generative Adversarial
    Networks"), then scores every rank on fresh batches and picks the rank that
    explains the data best: the estimate of the intrinsic dimension. The fitted
    encoder and generator at that rank map data to latent codes and back.

    Parameters
    ----------
    latent_dim : int or None, default=None
        Largest rank considered. ``None`` follows the data: with ``rank="auto"``,
        ``ceil(2 * d_nn) + 2`` ranks, where ``d_nn`` is a nearest-neighbour (TwoNN)
        estimate of the intrinsic dimension computed in ``fit`` (under a second),
        at most ``n_features``; with a fixed ``rank``,
        ``min(n_features, max(16, rank))``. When the estimate is the largest rank
        searched (and below ``n_features``), ``fit`` warns with a
        :class:`~latentspec.RankRangeWarning`: the dimension may be higher.
    rank : "auto" or int, default="auto"
        ``"auto"`` estimates the rank; an int fixes it (and trains that rank only).
    image_shape : tuple of int or None, default=None
        Shape ``(h, w)`` or ``(c, h, w)`` of each row when rows are flattened
        images; checked against the number of features. With it the networks
        are convolutional (see ``architecture``).
    architecture : {"auto", "mlp", "conv"}, default="auto"
        ``"auto"``: convolutional networks when ``image_shape`` is given, MLPs
        otherwise; ``"mlp"`` forces MLPs; ``"conv"`` needs ``image_shape``.
    conv_layers : tuple of int, default=(32, 64)
        Channels of the convolutions of the image networks. Each convolution
        (kernel 4, stride 2) halves the height and width; the generator mirrors
        them with transposed convolutions. ``encoder_layers``,
        ``generator_layers`` and ``critic_layers`` are then the widths of the
        MLPs that follow (encoder, critic; these take the rank code) and precede
        (generator) the convolutions. Unused by MLP networks.
    encoder_layers, generator_layers, critic_layers : tuple of int, default=(128, 128, 128, 128)
        Hidden layer widths of the three networks.
    activation : {"leaky_relu", "relu", "silu", "tanh", "elu"}, default="leaky_relu"
        Hidden activation of all three networks.
    n_warmup : int, default=4000
        Auto-encoder warm-up steps (reconstruction, plus ``lambda_mmd`` times the
        MMD to the prior in the second half, as in the authors' toy recipe). No
        critic, so each step is cheap; they get every rank reconstructing well.
    n_iter : int, default=0
        Outer iterations of the adversarial LWGAN game after the warm-up (critic
        updates, then encoder/generator updates whose loss includes the critic
        gap), at a tenth of ``learning_rate``. Off by default: at a CPU budget of
        minutes the game degrades the reconstructions the rank choice rests on
        (see ``docs/lwgan.md``); raise it for better samples with long training.
        The critic itself is always trained (``n_critic_refit``) and its gap is
        part of the rank score.
    n_critic : int, default=5
        Critic updates per outer iteration (four times as many in the first
        tenth of the iterations, at most ten).
    n_generator : int, default=1
        Encoder/generator updates per outer iteration.
    n_critic_refit : int, default=200
        Critic updates with the encoder and generator frozen after training, so
        that the critic gap in the rank score is a Wasserstein estimate.
    batch_size : int, default=512
        Rows per update (fewer if the data have fewer rows).
    learning_rate : float, default=2e-3
        Adam learning rate, annealed to a tenth along a cosine in each phase.
    lambda_gp : float, default=5.0
        Weight of the critic's gradient penalty.
    lambda_mmd : float, default=1.0
        Weight of the MMD between encoded codes and the prior.
    label_weight : float, default=0.0
        Weight of an optional label term, used when ``fit`` gets labels ``y``
        (``0`` ignores ``y``). The prior then becomes class-conditional,
        ``z | y = k ~ N(s e_k, I)`` for the ``K`` classes (``s = 7``), a mixture
        with one component per class along its own latent axis: batches are
        class-balanced, the MMD matches the codes of every class to draws of that
        class's component, and the term is the cross-entropy of the class
        posterior under that prior, so each class gets a region and a direction
        of its own. That is the
        structure the quasi-eigenvectors of :class:`QuasiEigenBasis` read off
        (the Deep LSD paper trains its encoder with a label term for the same
        reason). ``sample`` then draws from the mixture, with the training class
        frequencies. Needs an integer ``rank >= K``.
    augment_shift : int, default=0
        Data augmentation for images (needs ``image_shape``): every training
        image drawn is moved by a random whole number of pixels, up to
        ``augment_shift`` down or up and, independently, right or left, with
        zero pixels coming in at the borders. The rank scores use the images as
        given. Translations add directions of variation, so keep it at 0 for
        estimating the intrinsic dimension; it helps where the encoder must
        generalise from few images, as for the label directions of Deep LSD
        (on the MNIST sample, ``augment_shift=3`` raised the LSD label accuracy
        from 0.956 to 0.976 at 4,000 warm-up steps; see ``docs/benchmarks.md``).
    dropout : float, default=0.0
        Share of the hidden units of the encoder and the generator dropped at
        random in every training step (never the critic's, and never in
        ``transform``, ``inverse_transform``, ``sample`` or ``score``); 0 turns
        it off. It keeps an auto-encoder trained on few noisy samples from
        fitting their noise, which helps denoising with
        :class:`~latentspec.LatentSpectralDenoiser`: on 1,000 noisy 8 x 8
        digits, ``dropout=0.2`` took the best denoising error from 1.52 to 1.15
        times that of a tuned KernelPCA (``docs/benchmarks.md``). Where the data
        already regularise the networks (translated images, ``augment_shift``),
        it may only make them underfit.
    rank_sampling : {"per_sample", "per_iteration"}, default="per_sample"
        ``"per_sample"`` splits every batch evenly between the ranks, so every
        update trains every rank; ``"per_iteration"`` is the authors' scheme (one
        random rank per outer iteration).
    rank_rule : {"authors", "one_se"}, default="authors"
        How the rank is chosen from the per-rank scores (see ``docs/lwgan.md``):
        the LWGAN authors' ``argmin m(s) + se^0.8 * s``, or the smallest rank
        within one paired standard error of the best.
    n_score_repeats : int, default=50
        Repeated evaluations (fresh batch and noise) behind every rank score.
    device : str or torch.device, default="auto"
        ``"auto"`` uses a CUDA GPU when there is one, else the CPU.
    n_threads : int or None, default=None
        torch CPU threads while this estimator trains or applies its networks
        (``fit``, ``transform``, ``inverse_transform``, ``sample``, ``score``);
        torch's own setting is put back after every call. ``None`` is the
        library's policy: on a CPU torch's own count, but no more threads than
        CPUs that other processes leave idle (read from ``/proc/stat`` for 0.1 s
        at the start of ``fit``; a thread sharing its core with other work made
        fits several times slower); one thread for MLP networks where the load
        cannot be read; torch's setting on a GPU (see ``docs/lwgan.md``). Thread
        counts change the last digits of some sums: pass ``n_threads`` for fits
        identical bit for bit whatever the load.
    precision : {"float32", "bfloat16"}, default="float32"
        Arithmetic of the training passes. ``"bfloat16"`` trains with mixed
        precision (``torch.autocast``: matrix products in bfloat16, weights,
        optimiser state, losses and the MMD in float32); on a GPU, or a CPU with
        bfloat16 instructions (AVX512-BF16, AMX), the products run several times
        faster. Scoring, ``transform`` and ``inverse_transform`` stay in float32.
    random_state : int, RandomState instance or None, default=None
        Seeds private torch generators (the global seed is never touched); an int
        gives identical results on every fit on the same device.
    verbose : int, default=0
        ``0`` silent, ``1`` progress bar with the current losses.
    warm_start : bool, default=False
        When True and the estimator has been fitted (or interrupted), ``fit``
        continues the earlier training: every phase runs from the steps it has
        completed (``n_steps_``) up to ``n_warmup``, ``n_iter`` and
        ``n_critic_refit``, with the same optimiser state and random stream, so
        a fit interrupted and continued gives the same model as one never
        interrupted. Raise a step count to train further. The scaling of the
        data and the network shapes stay those of the first fit. Ranks are
        scored afresh at the end.

    Attributes
    ----------
    rank_ : int
        Latent dimension used by ``transform`` and ``sample``.
    intrinsic_dim_ : int or None
        The estimated intrinsic dimension when ``rank="auto"``, else None.
    intrinsic_dim_interval_ : tuple of (int, int) or None
        With ``rank="auto"``, the smallest and largest of the ranks that the data
        cannot tell from the best one (mean score within one paired standard error
        of the best rank's), widened to contain ``intrinsic_dim_``; else None.
    rank_scores_ : dict of ndarray
        ``rank``, ``mean`` (lower is better), ``std_error`` and
        ``std_error_diff`` (paired, against the best rank) of every rank scored,
        the mean of each score term, and ``per_repeat``, the score of every
        repeat and rank (shape ``(n_score_repeats, n_ranks)``), to which any rule
        of :func:`latentspec.choose_rank` can be applied.
    history_ : dict of list
        Training losses every few steps: ``phase`` ("warmup", "adversarial",
        "critic_refit"), ``step`` within the phase, ``critic_gap``,
        ``gradient_penalty``, ``reconstruction``, ``mmd`` (NaN where a phase does
        not compute a term).
    n_steps_ : dict of int
        Steps completed in each phase (``"warmup"``, ``"adversarial"``,
        ``"critic_refit"``); below the targets after an interrupted fit.
    latent_dim_ : int
        The largest rank the networks were built for.
    n_features_in_ : int
        Number of features seen in ``fit``.
    device_ : torch.device
        Where the networks live.

    Examples
    --------
    >>> from latentspec import LWGANEstimator
    >>> from latentspec.datasets import make_swiss_roll_2d
    >>> X = make_swiss_roll_2d(n_samples=500, random_state=0)
    >>> est = LWGANEstimator(n_warmup=50, n_iter=5, n_critic_refit=5, random_state=0).fit(X)
    >>> est.transform(X).shape == (500, est.rank_)
    True
    >>> est.sample(3, random_state=0).shape
    (3, 2)
    """

    def __init__(
        self,
        latent_dim: int | None = None,
        rank: str | int = "auto",
        image_shape: tuple[int, ...] | None = None,
        *,
        architecture: str = "auto",
        conv_layers: tuple[int, ...] = (32, 64),
        encoder_layers: tuple[int, ...] = (128, 128, 128, 128),
        generator_layers: tuple[int, ...] = (128, 128, 128, 128),
        critic_layers: tuple[int, ...] = (128, 128, 128, 128),
        activation: str = "leaky_relu",
        n_warmup: int = 4000,
        n_iter: int = 0,
        n_critic: int = 5,
        n_generator: int = 1,
        n_critic_refit: int = 200,
        batch_size: int = 512,
        learning_rate: float = 2e-3,
        lambda_gp: float = 5.0,
        lambda_mmd: float = 1.0,
        label_weight: float = 0.0,
        augment_shift: int = 0,
        dropout: float = 0.0,
        rank_sampling: str = "per_sample",
        rank_rule: str = "authors",
        n_score_repeats: int = 50,
        device: str | torch.device = "auto",
        n_threads: int | None = None,
        precision: str = "float32",
        random_state: Any = None,
        verbose: int = 0,
        warm_start: bool = False,
    ):
        self.latent_dim = latent_dim
        self.rank = rank
        self.image_shape = image_shape
        self.architecture = architecture
        self.conv_layers = conv_layers
        self.encoder_layers = encoder_layers
        self.generator_layers = generator_layers
        self.critic_layers = critic_layers
        self.activation = activation
        self.n_warmup = n_warmup
        self.n_iter = n_iter
        self.n_critic = n_critic
        self.n_generator = n_generator
        self.n_critic_refit = n_critic_refit
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lambda_gp = lambda_gp
        self.lambda_mmd = lambda_mmd
        self.label_weight = label_weight
        self.augment_shift = augment_shift
        self.dropout = dropout
        self.rank_sampling = rank_sampling
        self.rank_rule = rank_rule
        self.n_score_repeats = n_score_repeats
        self.device = device
        self.n_threads = n_threads
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ validation
    def _check_params(self, X: np.ndarray, resume: bool) -> int:
        """Check every parameter; return the latent dimension to build."""
        n_features = X.shape[1]
        if self.latent_dim is None and resume:
            latent_dim = self.latent_dim_  # a warm start keeps the range of the first fit
        elif self.latent_dim is None and self.rank == "auto":
            latent_dim = default_latent_dim(X)
        elif self.latent_dim is None:
            fixed = self.rank if isinstance(self.rank, numbers.Integral) else 0  # a bad rank is refused below
            latent_dim = min(n_features, max(_FIXED_RANK_LATENT_DIM, fixed))
        else:
            check_int("latent_dim", self.latent_dim)
            latent_dim = int(self.latent_dim)
        if isinstance(self.rank, str):
            if self.rank != "auto":
                raise ValueError(f"rank must be 'auto' or an integer, got {self.rank!r}")
        else:
            check_int("rank", self.rank)
            if self.rank > latent_dim:
                raise ValueError(
                    f"rank={self.rank} is larger than latent_dim={latent_dim}; "
                    "choose rank <= latent_dim or raise latent_dim"
                )
        for name in ("encoder_layers", "generator_layers", "critic_layers"):
            layers = getattr(self, name)
            if (
                not isinstance(layers, (tuple, list))
                or len(layers) == 0
                or not all(isinstance(w, numbers.Integral) and w >= 1 for w in layers)
            ):
                raise ValueError(f"{name} must be a non-empty tuple of positive integers, got {layers!r}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {self.activation!r}")
        check_int("n_warmup", self.n_warmup, minimum=0)
        check_int("n_iter", self.n_iter, minimum=0)
        check_int("n_critic_refit", self.n_critic_refit, minimum=0)
        check_int("n_critic", self.n_critic)
        check_int("n_generator", self.n_generator)
        check_int("batch_size", self.batch_size, minimum=2)
        check_int("n_score_repeats", self.n_score_repeats)
        check_positive("learning_rate", self.learning_rate)
        check_non_negative("lambda_gp", self.lambda_gp)
        check_non_negative("lambda_mmd", self.lambda_mmd)
        check_non_negative("label_weight", self.label_weight)
        check_int("augment_shift", self.augment_shift, minimum=0)
        check_non_negative("dropout", self.dropout)
        if not self.dropout < 1:
            raise ValueError(f"dropout is the share of hidden units dropped, so it must be < 1, got {self.dropout!r}")
        if self.augment_shift and self.image_shape is None:
            raise ValueError(
                f"augment_shift={self.augment_shift} translates images, so it needs image_shape, "
                "e.g. image_shape=(28, 28)"
            )
        if self.rank_sampling not in _RANK_SAMPLING:
            raise ValueError(f"rank_sampling must be one of {_RANK_SAMPLING}, got {self.rank_sampling!r}")
        if self.precision not in _PRECISIONS:
            raise ValueError(f"precision must be one of {tuple(_PRECISIONS)}, got {self.precision!r}")
        if self.rank_rule not in RANK_RULES:
            raise ValueError(f"rank_rule must be one of {RANK_RULES}, got {self.rank_rule!r}")
        if self.n_threads is not None:
            check_int("n_threads", self.n_threads)
        if not isinstance(self.verbose, numbers.Integral):
            raise ValueError(f"verbose must be an integer, got {self.verbose!r}")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ValueError(f"warm_start must be True or False, got {self.warm_start!r}")
        if self.architecture not in _ARCHITECTURES:
            raise ValueError(f"architecture must be one of {_ARCHITECTURES}, got {self.architecture!r}")
        if self.architecture == "conv" and self.image_shape is None:
            raise ValueError("architecture='conv' needs image_shape, e.g. image_shape=(28, 28)")
        conv_layers = self.conv_layers
        if (
            not isinstance(conv_layers, (tuple, list))
            or len(conv_layers) == 0
            or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) and c >= 1 for c in conv_layers)
        ):
            raise ValueError(f"conv_layers must be a non-empty tuple of positive integers, got {conv_layers!r}")
        if self.image_shape is not None:
            shape = tuple(self.image_shape)
            if len(shape) not in (2, 3) or not all(isinstance(s, numbers.Integral) and s >= 1 for s in shape):
                raise ValueError(f"image_shape must be (h, w) or (c, h, w) of positive ints, got {self.image_shape!r}")
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"image_shape={shape} holds {math.prod(shape)} values per image, "
                    f"but X has {n_features} features"
                )
            smallest = min(shape[-2:])
            if self.augment_shift >= smallest:
                raise ValueError(
                    f"augment_shift={self.augment_shift} would move images of size {shape[-2:]} out of the frame; "
                    f"use augment_shift < {smallest}"
                )
            if self._image_shape_chw() is not None and conv_output_size(smallest, len(conv_layers)) < 1:
                raise ValueError(
                    f"image_shape={shape} is too small for {len(conv_layers)} halving convolutions "
                    f"(conv_layers={tuple(conv_layers)}); use fewer conv_layers or architecture='mlp'"
                )
        return latent_dim

    def _augmentation(self, data: torch.Tensor, noise: torch.Generator) -> RandomShift | None:
        """The random translations of ``augment_shift``, or None."""
        if not self.augment_shift:
            return None
        shape = tuple(int(s) for s in self.image_shape)
        offset = torch.as_tensor(self.center_ / self.scale_, dtype=data.dtype, device=data.device)
        return RandomShift(shape if len(shape) == 3 else (1, *shape), self.augment_shift, offset, noise)

    def _image_shape_chw(self) -> tuple[int, int, int] | None:
        """``(c, h, w)`` when the networks are convolutional, else None."""
        if self.image_shape is None or self.architecture == "mlp":
            return None
        shape = tuple(int(s) for s in self.image_shape)
        return shape if len(shape) == 3 else (1, *shape)

    # ------------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Train the networks and choose the rank.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; no NaN or inf.
        y : array-like of shape (n_samples,) or None
            Class labels, used only when ``label_weight > 0`` (then required);
            otherwise ignored (accepted for Pipeline compatibility).

        Returns
        -------
        self : LWGANEstimator
            The fitted estimator.

        Raises
        ------
        ValueError
            For bad input or parameters; the message names the problem.
        latentspec.TrainingDiverged
            If a loss becomes NaN or inf (a ``FloatingPointError``); the message
            names the phase and step. The estimator is left as it was before
            the call, so it never holds non-finite weights.
        KeyboardInterrupt
            On Ctrl-C, re-raised after the estimator has been set to the last
            completed training step (rank chosen, ready to ``transform``), with
            a :class:`latentspec.FitInterrupted` warning that says so;
            ``warm_start=True`` then continues the training.
        """
        before = dict(self.__dict__)
        try:
            with torch_threads(self._thread_count(fitting=True)):
                return self._fit(X, y)
        except TrainingInterrupted:
            raise  # the estimator keeps the state the warning describes
        except BaseException:
            # Bad input, divergence, an interruption before any step: never leave a
            # half-fitted estimator (or non-finite weights) behind.
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X, y) -> LWGANEstimator:
        resume = bool(self.warm_start) and hasattr(self, "_training_state")
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2, reset=not resume)
        latent_dim = self._check_params(X, resume)
        if self.warm_start and not resume and hasattr(self, "module_"):
            warnings.warn(
                "warm_start=True, but this estimator holds no training state to continue (a model file stores the "
                "fitted networks, not the optimiser state and random stream that a pickle keeps), so fit trains "
                "from scratch; unpickle a pickled model to continue its training",
                UserWarning,
                stacklevel=3,
            )
        min_samples = 2 * (latent_dim if self.rank == "auto" else 1)
        if X.shape[0] < min_samples:
            raise ValueError(
                f"LWGANEstimator needs at least {min_samples} samples (two per rank trained) "
                f"but X has {X.shape[0]}; pass more samples or fewer ranks (latent_dim or rank)"
            )
        previous_classes = getattr(self, "classes_", None)
        labels = self._check_labels(y, X.shape[0], latent_dim)
        self.device_ = resolve_device(self.device)
        seed = check_seed(self.random_state)
        noise = make_generator(seed + 1, self.device_)
        if resume:
            self._check_resumable(latent_dim, previous_classes)
            # Train a copy: if this fit fails, the estimator returns to the model it had.
            self.module_ = copy.deepcopy(self.module_).to(self.device_)
        else:
            self.latent_dim_ = latent_dim
            self.center_ = X.mean(axis=0)
            with np.errstate(over="ignore"):
                spread = float(np.sqrt(np.mean((X - self.center_) ** 2)))
            if not (math.isfinite(spread) and np.isfinite(self.center_).all()):
                raise ValueError("X has values too large to centre and scale in float64; rescale X")
            self.scale_ = spread if spread > 0 else 1.0
            self.module_ = self._build_module()
            initialise(self.module_, make_generator(seed, torch.device("cpu")))
            self.module_.to(self.device_)
            self._architecture = self._architecture_params()
        self._fit_dtype = X.dtype.name  # sample() returns it, as transform keeps the dtype it gets
        data = self._to_tensor(X)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long, device=self.device_)

        stopped = self._train(data, noise, labels, resume)
        try:
            self._choose_rank(data, noise)
        except KeyboardInterrupt:
            warnings.warn(
                "fit was interrupted while the ranks were scored: the trained networks are kept, but the "
                "estimator cannot transform until they are scored; call fit again with warm_start=True to "
                "score them (no training step is repeated)",
                FitInterrupted,
                stacklevel=3,
            )
            raise TrainingInterrupted from None
        if stopped is not None:
            phase, step = stopped
            warnings.warn(
                f"fit was interrupted; the estimator holds the state after {step} {phase} step(s) "
                f"(n_steps_={self.n_steps_}) and is usable. Call fit again with warm_start=True to continue "
                "the training from there",
                FitInterrupted,
                stacklevel=3,
            )
            raise TrainingInterrupted
        return self

    def _architecture_params(self) -> dict[str, Any]:
        """The parameters that shape the networks (a warm start must not change them)."""
        names = (
            "encoder_layers", "generator_layers", "critic_layers", "activation", "image_shape", "architecture",
            "conv_layers",
        )
        return {name: (tuple(v) if isinstance(v := getattr(self, name), (list, tuple)) else v) for name in names}

    def _check_resumable(self, latent_dim: int, previous_classes: np.ndarray | None) -> None:
        """Raise ValueError if the parameters no longer fit the networks a warm start continues."""
        changed = [
            f"{name}={value!r} (was {self._architecture[name]!r})"
            for name, value in self._architecture_params().items()
            if value != self._architecture[name]
        ]
        if latent_dim != self.latent_dim_:
            changed.append(f"latent_dim={latent_dim} (was {self.latent_dim_})")
        same_classes = (previous_classes is None) == (self.classes_ is None) and (
            previous_classes is None or np.array_equal(previous_classes, self.classes_)
        )
        if not same_classes:
            changed.append("the classes of y or label_weight")
        if changed:
            raise ValueError(
                "warm_start=True continues the previous fit, but its networks do not fit "
                f"{', '.join(changed)}; restore those parameters or set warm_start=False to fit afresh"
            )

    def _choose_rank(self, data: torch.Tensor, noise: torch.Generator) -> None:
        """Score the ranks and set ``rank_``, ``intrinsic_dim_`` and ``rank_scores_``."""
        if self.rank == "auto":
            scores, terms = self._score_ranks(data, np.arange(1, self.latent_dim_ + 1), noise)
            intrinsic_dim, summary = choose_rank(scores, self.rank_rule)
            rank = intrinsic_dim
        else:
            rank, intrinsic_dim = int(self.rank), None
            scores, terms = self._score_ranks(data, np.array([rank]), noise)
            _, summary = choose_rank(scores, self.rank_rule)
            summary["rank"] = np.array([rank])
        self.rank_, self.intrinsic_dim_ = rank, intrinsic_dim
        self.rank_scores_ = {**summary, **terms, "per_repeat": scores}
        self.intrinsic_dim_interval_ = None if intrinsic_dim is None else rank_interval(summary, intrinsic_dim)
        if intrinsic_dim is not None and intrinsic_dim == self.latent_dim_ < self.n_features_in_:
            warnings.warn(
                f"the estimated intrinsic dimension {intrinsic_dim} is the largest rank searched "
                f"(latent_dim_={self.latent_dim_}), so the true one may be higher; refit with a larger "
                f"latent_dim (at most n_features={self.n_features_in_})",
                RankRangeWarning,
                stacklevel=4,
            )

    def _thread_count(self, fitting: bool = False) -> int | None:
        """torch threads for this call: ``n_threads``, or the library's policy for None (None: leave torch's)."""
        if self.n_threads is not None:
            return check_int("n_threads", self.n_threads)
        if fitting:
            try:
                device = resolve_device(self.device)
            except ValueError:
                return None  # fit reports the bad device
            convolutional = self.image_shape is not None and self.architecture != "mlp"
        else:  # the fitted networks, whatever the parameters say now
            device = getattr(self, "device_", None)
            built = getattr(self, "_architecture", None) or {}
            convolutional = built.get("image_shape") is not None and built.get("architecture") != "mlp"
        return default_n_threads(convolutional, device if isinstance(device, torch.device) else None,
                                 fresh=fitting)

    def __sklearn_is_fitted__(self) -> bool:
        # A fit interrupted while scoring keeps its networks but has no rank yet.
        return hasattr(self, "rank_")

    def _check_labels(self, y: Any, n_samples: int, latent_dim: int) -> np.ndarray | None:
        """Class indices of ``y`` when the label term is on (sets ``classes_``), else None."""
        self.classes_ = None
        if self.label_weight == 0:
            return None
        if y is None:
            raise ValueError("label_weight > 0 needs class labels: call fit(X, y)")
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} labels but X has {n_samples} samples")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y contains NaN or inf; class labels must be finite")
        check_classification_targets(y)
        self.classes_, indices = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"label_weight > 0 needs at least 2 classes in y, got {n_classes}")
        if self.rank == "auto":
            raise ValueError(
                "label_weight > 0 needs a fixed integer rank (the class-conditional prior has one "
                "component per class at that rank); set rank, e.g. rank=latent_dim"
            )
        if self.rank < n_classes:
            raise ValueError(
                f"the label term gives each of the {n_classes} classes a latent coordinate, but rank="
                f"{self.rank}; use rank >= {n_classes} (and latent_dim >= rank) or label_weight=0"
            )
        self.class_weights_ = np.bincount(indices) / len(indices)
        return indices

    def _latent_offsets(self, count: int, generator: torch.Generator) -> torch.Tensor | float:
        """Class-component means of ``count`` prior draws (0 without the label term)."""
        if self.classes_ is None:
            return 0.0
        weights = torch.as_tensor(self.class_weights_, dtype=torch.float32, device=self.device_)
        classes = torch.multinomial(weights, count, replacement=True, generator=generator)
        eye = torch.eye(len(self.classes_), self.latent_dim_, device=self.device_)
        return CLASS_SEPARATION * eye[classes]

    def _build_module(self) -> LWGANModule:
        # nn.Linear draws its default initialisation from the global generator; fork it so
        # that fitting and unpickling leave the global torch random state untouched (the
        # weights are then set from the estimator's private generator, or loaded).
        with torch.random.fork_rng(devices=[]):
            return self._new_module()

    def _new_module(self) -> LWGANModule:
        return LWGANModule(
            self.n_features_in_,
            self.latent_dim_,
            tuple(self.encoder_layers),
            tuple(self.generator_layers),
            tuple(self.critic_layers),
            self.activation,
            image_shape=self._image_shape_chw(),
            conv_layers=tuple(self.conv_layers),
        )

    def _to_tensor(self, X: np.ndarray) -> torch.Tensor:
        """``X`` centred and scaled as in training, as float32 on the device (ValueError if that overflows)."""
        scaled = (np.asarray(X, dtype=np.float64) - self.center_) / self.scale_
        if np.abs(scaled).max(initial=0.0) > _FLOAT32_LIMIT:
            raise ValueError(
                "X has values too far outside the range of the training data to represent in float32 "
                f"after centring and scaling (largest |value| {np.abs(scaled).max():.3g} training spreads)"
            )
        return torch.as_tensor(scaled, dtype=torch.float32, device=self.device_)

    def _layouts(self, batch: int) -> list[RankLayout]:
        """Rank layouts to draw from: every rank in one balanced batch, or one rank per batch."""
        k, device = self.latent_dim_, self.device_
        if self.rank != "auto":
            return [RankLayout.blocks([int(self.rank)], batch, k, device)]
        if self.rank_sampling == "per_sample":
            return [RankLayout.blocks(list(range(1, k + 1)), max(2, batch // k), k, device)]
        return [RankLayout.blocks([r], batch, k, device) for r in range(1, k + 1)]

    def _train(
        self, data: torch.Tensor, noise: torch.Generator, labels: torch.Tensor | None, resume: bool
    ) -> tuple[str, int] | None:
        """Run (or continue) the training phases; keep the state for a warm start.

        Returns None, or on an interruption (KeyboardInterrupt) the phase and
        step of the last checkpoint, to which the networks have been rewound.
        """
        batch = min(self.batch_size, data.shape[0])
        trainer = Trainer(
            self.module_, data, self._layouts(batch), noise,
            self.learning_rate, self.lambda_gp, self.lambda_mmd, lambda *args: on_log(*args),
            labels=labels, label_weight=float(self.label_weight), autocast_dtype=_PRECISIONS[self.precision],
            augment=self._augmentation(data, noise), dropout=float(self.dropout),
        )
        if resume:
            trainer.restore(self._training_state, history=self.history_)
        # Earlier results no longer describe the networks.
        for name in ("rank_", "intrinsic_dim_", "intrinsic_dim_interval_", "rank_scores_"):
            self.__dict__.pop(name, None)
        total = self.n_warmup + self.n_iter + self.n_critic_refit
        progress = tqdm(
            total=total, initial=min(total, sum(trainer.steps.values())), disable=self.verbose < 1,
            desc="LWGAN", unit="step",
        )

        def on_log(phase: str, step: int, phase_total: int, terms: dict[str, float]) -> None:
            progress.update(min(total, sum(trainer.steps.values())) - progress.n)
            if self.verbose:
                progress.set_description(f"LWGAN {phase}")
                progress.set_postfix({t: f"{v:.3g}" for t, v in terms.items() if v == v})

        stopped = None
        try:
            trainer.run(self.n_warmup, self.n_iter, self.n_critic, self.n_generator, self.n_critic_refit)
        except KeyboardInterrupt:
            stopped = trainer.rewind()
            if stopped is None:
                raise  # no step completed: nothing worth keeping
        finally:
            progress.close()
        if not all(torch.isfinite(p).all() for p in self.module_.parameters()):
            raise TrainingDiverged(
                "LWGAN training diverged: the network weights became NaN or inf; try a smaller learning_rate "
                "(the estimator keeps its state from before this call to fit)"
            )
        self.history_ = trainer.history
        self.n_steps_ = dict(trainer.steps)
        self._training_state = trainer.checkpoint()
        return stopped

    # --------------------------------------------------------------- rank scores
    def _score_ranks(
        self, data: torch.Tensor, ranks: np.ndarray, noise: torch.Generator
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Score ``ranks`` on ``n_score_repeats`` batches; lower is better.

        Returns the score matrix ``(n_repeats, len(ranks))`` and the mean of every
        score term per rank. All ranks of one repeat share its batch and noise.
        """
        module, device, k = self.module_, self.device_, self.latent_dim_
        n = data.shape[0]
        batch = min(self.batch_size * 2, n)
        module.eval()
        rows = []
        for _ in range(self.n_score_repeats):
            idx = torch.randperm(n, generator=noise, device=device)[:batch]
            z = torch.randn(2, batch, k, generator=noise, device=device)
            alpha = torch.rand(batch, 1, generator=noise, device=device)
            if self.classes_ is not None:
                z = z + torch.stack([self._latent_offsets(batch, noise) for _ in range(2)])
            terms = module.rank_terms(data[idx], z[0], z[1], alpha, [int(r) for r in ranks])
            rows.append(torch.stack([terms[t] for t in HISTORY_TERMS]))
        module.train()
        values = torch.stack(rows).cpu().numpy()  # (repeats, terms, ranks)
        weights = np.array([1.0, 1.0, 1.0, self.lambda_mmd])[None, :, None]
        scores = (values * weights).sum(axis=1)
        return scores, {t: values[:, i].mean(axis=0) for i, t in enumerate(HISTORY_TERMS)}

    @property
    def _n_features_out(self) -> int:
        """Number of latent features ``transform`` returns (for ``get_feature_names_out``)."""
        return self.rank_

    # ----------------------------------------------------------------- transform
    def _rank_layout(self) -> RankLayout:
        """The codes of rank ``rank_``, shared by every row (so it fits any number of rows)."""
        return RankLayout.blocks([self.rank_], 1, self.latent_dim_, self.device_)

    @with_torch_threads
    def transform(self, X):
        """Encode ``X`` into latent codes at the chosen rank.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, ``rank_``)
        """
        check_is_fitted(self)
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], reset=False)
        Z = np.empty((X.shape[0], self.rank_), dtype=X.dtype)
        layout = self._rank_layout()
        with torch.no_grad():
            for rows in _chunks(X.shape[0]):
                codes = _blockwise(lambda t: self.module_.encode(t, layout), self._to_tensor(X[rows]))[:, : self.rank_]
                _check_finite_output(codes, "X", "latent codes")
                Z[rows] = codes.cpu().numpy()
        return Z

    @with_torch_threads
    def inverse_transform(self, Z):
        """Decode latent codes back to data space with the generator.

        Parameters
        ----------
        Z : array-like of shape (n_samples, ``rank_``)

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_numeric_array(Z, "Z", dtype=[np.float64, np.float32])
        if Z.shape[1] != self.rank_:
            raise ValueError(
                f"Z has {Z.shape[1]} columns but this model's latent codes have rank_={self.rank_}"
            )
        return self._decode(Z).astype(Z.dtype, copy=False)

    def _decode(self, Z: np.ndarray) -> np.ndarray:
        X = np.empty((len(Z), self.n_features_in_))
        with torch.no_grad():
            for rows in _chunks(len(Z)):
                z = torch.zeros(rows.stop - rows.start, self.latent_dim_, device=self.device_)
                # A copy: torch warns about read-only arrays (pandas 3 hands those out) that it would share.
                z[:, : Z.shape[1]] = torch.as_tensor(np.array(Z[rows]), dtype=torch.float32, device=self.device_)
                if z.abs().max() > _FLOAT32_LIMIT:
                    raise ValueError(
                        f"Z has values too large for the float32 generator (largest |z| {z.abs().max():.3g})"
                    )
                decoded = _blockwise(self.module_.generate, z)
                _check_finite_output(decoded, "Z", "reconstructions")
                X[rows] = decoded.cpu().numpy()
        X *= self.scale_
        X += self.center_
        return X

    @with_torch_threads
    def sample(self, n_samples: int = 1, random_state: Any = None, rank: int | None = None) -> np.ndarray:
        """Draw new samples: ``G(z)`` with ``z`` drawn from the prior at the chosen rank.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seed for the latent draws.
        rank : int or None, default=None
            Rank of the latent draws, between 1 and ``latent_dim_``: ``z`` is a
            prior draw with the coordinates from ``rank`` on set to zero, the
            LWGAN's rank-``rank`` draw. ``None`` uses ``rank_``. Other ranks show
            what the generator makes of each latent dimension (with ``rank="auto"``
            every rank was trained; with a fixed rank only ``rank_`` was).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)

        Examples
        --------
        >>> from latentspec import LWGANEstimator
        >>> from latentspec.datasets import make_s_curve_3d
        >>> X = make_s_curve_3d(n_samples=200, random_state=0)
        >>> est = LWGANEstimator(n_warmup=20, n_critic_refit=2, n_score_repeats=2, random_state=0).fit(X)
        >>> est.sample(4, random_state=0, rank=1).shape
        (4, 3)
        """
        check_is_fitted(self)
        n_samples = check_int("n_samples", n_samples)
        if rank is None:
            rank = self.rank_
        else:
            rank = check_int("rank", rank)
            if rank > self.latent_dim_:
                raise ValueError(f"rank={rank} is larger than latent_dim_={self.latent_dim_}")
        rng = np.random.default_rng(check_seed(random_state))
        z = rng.standard_normal((n_samples, rank))
        if self.classes_ is not None:  # the class-conditional prior: pick a class, then its component
            classes = rng.choice(len(self.classes_), size=n_samples, p=self.class_weights_)
            inside = classes < rank  # a component whose axis lies beyond ``rank`` is projected to 0 there
            z[np.flatnonzero(inside), classes[inside]] += CLASS_SEPARATION
        return self._decode(z).astype(getattr(self, "_fit_dtype", "float64"), copy=False)

    @with_torch_threads
    def score(self, X, y=None) -> float:
        """Negative LWGAN score of the chosen rank on ``X`` (higher is better).

        The score is minus the sum of the critic gap, the reconstruction error,
        the gradient penalty and ``lambda_mmd`` times the MMD between the codes
        of ``X`` and the prior, averaged over ``n_score_repeats`` batches drawn
        with a fixed seed (so the same model and data always give the same
        number). Use it on held-out data, e.g. through ``GridSearchCV``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        # The parameters scoring reads, which may have changed since fit (set_params).
        check_int("n_score_repeats", self.n_score_repeats)
        check_int("batch_size", self.batch_size, minimum=2)
        check_non_negative("lambda_mmd", self.lambda_mmd)
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], reset=False, ensure_min_samples=2)
        scores, _ = self._score_ranks(self._to_tensor(X), np.array([self.rank_]), make_generator(0, self.device_))
        return -float(scores.mean())

    # ------------------------------------------------------------------- pickling
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "module_" in state:
            state["module_"] = state_to_bytes(self.module_)
            state["device_"] = str(self.device_)
        if "_training_state" in state:
            state["_training_state"] = tensors_to_bytes(self._training_state)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if isinstance(state.get("module_"), bytes):
            self._install_module(state_from_bytes(state["module_"], torch.device("cpu")), None)
        if isinstance(state.get("_training_state"), bytes):
            self._training_state = state_from_bytes(state["_training_state"], torch.device("cpu"))

    def _after_load(self, device: str | torch.device | None) -> None:
        """Called by :func:`latentspec.load`: build the networks from the stored weights."""
        if isinstance(getattr(self, "module_", None), dict):
            self._install_module(self.module_, device)

    def _install_module(self, weights: dict[str, torch.Tensor], device: str | torch.device | None) -> None:
        """Rebuild ``module_`` from a state dict, on ``device`` or (None) where it was fitted if possible."""
        self.device_ = device_after_unpickling(str(self.device_)) if device is None else resolve_device(device)
        module = self._build_module()
        module.load_state_dict(weights)
        self.module_ = module.to(self.device_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.random_state is None
        return tags
