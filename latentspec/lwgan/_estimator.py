"""LWGANEstimator: intrinsic dimension, encoder and generator as a scikit-learn estimator."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_int, check_non_negative, check_seed, validate_numeric
from ..exceptions import RankRangeWarning, TrainingDiverged, TrainingInterrupted
from ..persistence import SaveLoadMixin
from ._fit_progress import run_with_progress, warn_interrupted
from ._latent_maps import LatentMapsMixin
from ._network_state import NetworkStateMixin
from ._params import PRECISIONS, check_labels, check_params, check_resumable, label_mode_of, network_spec
from ._rank_selection import choose_rank, rank_interval
from .core._augment import RandomShift
from .core._device import make_generator, resolve_device
from .core._model import training_layouts
from .core._networks import initialise
from .core._prior import LatentPrior
from .core._scoring import score_ranks
from .core._threads import estimator_threads, torch_threads, with_torch_threads
from .core._training import Trainer, TrainingConfig

__all__ = ["LWGANEstimator"]

class LWGANEstimator(
    NetworkStateMixin, LatentMapsMixin, SaveLoadMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
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
        (``0`` ignores ``y``). Needs an integer ``rank >= K`` for ``K`` classes.
    label_mode : {"prior", "classifier"}, default="prior"
        How the labels shape the latent space (``docs/deep_lsd.md``).
        ``"prior"``: the prior becomes the class mixture ``z | y = k ~ N(7 e_k,
        I)``, with class-balanced batches, each class's codes matched to its
        component and the cross-entropy of the class posterior: each class gets a
        latent axis of its own; ``sample`` draws from the mixture.
        ``"classifier"``, the deep LSD paper's setting: the prior stays ``N(0,
        I)`` and the generator, critic, MMD and ``sample`` never see a label; the
        encoder is trained with the cross-entropy of a classifier of the codes
        whose logits are their coordinates along learned orthonormal directions.
    augment_shift : int, default=0
        Data augmentation for images (needs ``image_shape``): every training
        image drawn is moved by up to ``augment_shift`` pixels down or up and
        right or left, zero pixels coming in. Translations add directions of
        variation, so keep it at 0 for estimating the intrinsic dimension; it
        helps the label directions of Deep LSD on few images
        (``docs/benchmarks.md``).
    dropout : float, default=0.0
        Share of the hidden units of the encoder and the generator dropped at
        random in every training step (never the critic's, and never outside
        ``fit``); 0 turns it off. It keeps an auto-encoder trained on few noisy
        samples from fitting their noise, which helps
        :class:`~latentspec.LatentSpectralDenoiser` (``docs/benchmarks.md``).
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
        CPUs that other processes leave idle at the start of ``fit``
        (``docs/lwgan.md``). Thread counts change the last digits of some sums:
        pass ``n_threads`` for fits identical bit for bit whatever the load.
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
        continues the earlier training from the steps each phase has completed
        (``n_steps_``), with the same optimiser state and random stream, so a fit
        interrupted and continued gives the same model as one never interrupted.
        Raise a step count to train further; ranks are scored afresh.

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
        the mean of each score term (``critic_gap``, ``reconstruction``,
        ``gradient_penalty``, ``mmd``, ``latent_reconstruction``), and ``per_repeat``, the score of every
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
        label_mode: str = "prior",
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
        self.label_mode = label_mode
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
            with torch_threads(estimator_threads(self, fitting=True)):
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
        latent_dim = check_params(self, X, resume)
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
        labels = check_labels(self, y, X.shape[0])
        self.device_ = resolve_device(self.device)
        seed = check_seed(self.random_state)
        rng = make_generator(seed + 1, self.device_)
        if resume:
            check_resumable(self, latent_dim, previous_classes)
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
            self._architecture = network_spec(self)
        self._fit_dtype = X.dtype.name  # sample() returns it, as transform keeps the dtype it gets
        data = self._to_tensor(X)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long, device=self.device_)

        stopped = self._train(data, rng, labels, resume)
        try:
            self._choose_rank(data, rng)
        except KeyboardInterrupt:
            warn_interrupted(None, self.n_steps_, stacklevel=3)
            raise TrainingInterrupted from None
        if stopped is not None:
            warn_interrupted(stopped, self.n_steps_, stacklevel=3)
            raise TrainingInterrupted
        return self

    def _choose_rank(self, data: torch.Tensor, rng: torch.Generator) -> None:
        """Score the ranks and set ``rank_``, ``intrinsic_dim_`` and ``rank_scores_``."""
        if self.rank == "auto":
            scores, terms = self._score_ranks(data, np.arange(1, self.latent_dim_ + 1), rng)
            intrinsic_dim, summary = choose_rank(scores, self.rank_rule)
            rank = intrinsic_dim
        else:
            rank, intrinsic_dim = int(self.rank), None
            scores, terms = self._score_ranks(data, np.array([rank]), rng)
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
        return estimator_threads(self, fitting)

    def __sklearn_is_fitted__(self) -> bool:
        # A fit interrupted while scoring keeps its networks but has no rank yet.
        return hasattr(self, "rank_")

    def _prior(self) -> LatentPrior:
        """The latent prior: ``N(0, I)``, or with the label term in ``"prior"`` mode the class mixture."""
        mixture = self.classes_ is not None and label_mode_of(self) == "prior"
        return LatentPrior(self.latent_dim_, self.class_weights_ if mixture else None)

    def _train(
        self, data: torch.Tensor, rng: torch.Generator, labels: torch.Tensor | None, resume: bool
    ) -> tuple[str, int] | None:
        """Run (or continue) the training phases; keep the state for a warm start.

        Returns None, or on an interruption (KeyboardInterrupt) the phase and
        step of the last checkpoint, to which the networks have been rewound.
        """
        batch = min(self.batch_size, data.shape[0])
        config = TrainingConfig(
            learning_rate=self.learning_rate, lambda_gp=self.lambda_gp, lambda_mmd=self.lambda_mmd,
            label_weight=float(self.label_weight), label_mode=self.label_mode, dropout=float(self.dropout),
            autocast_dtype=PRECISIONS[self.precision],
        )
        trainer = Trainer(
            self.module_, data, training_layouts(self.rank, self.rank_sampling, self.latent_dim_, batch, self.device_),
            rng, config, prior=self._prior(), labels=labels,
            augment=None if not self.augment_shift else RandomShift.for_images(
                self.image_shape, self.augment_shift, self.center_ / self.scale_, data, rng),
        )
        if resume:
            trainer.restore(self._training_state, history=self.history_)
        # Earlier results no longer describe the networks.
        for name in ("rank_", "intrinsic_dim_", "intrinsic_dim_interval_", "rank_scores_"):
            self.__dict__.pop(name, None)
        stopped = run_with_progress(
            trainer, self.n_warmup, self.n_iter, self.n_critic, self.n_generator, self.n_critic_refit, self.verbose
        )
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
        self, data: torch.Tensor, ranks: np.ndarray, rng: torch.Generator
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:func:`latentspec.lwgan.core._scoring.score_ranks` with this estimator's networks, prior and settings."""
        return score_ranks(
            self.module_, data, ranks, prior=self._prior(), n_repeats=self.n_score_repeats,
            batch=min(self.batch_size * 2, data.shape[0]), lambda_mmd=self.lambda_mmd, rng=rng,
        )

    @property
    def _n_features_out(self) -> int:
        """Number of latent features ``transform`` returns (for ``get_feature_names_out``)."""
        return self.rank_

    # ----------------------------------------------------------------- transform
    @with_torch_threads
    def score(self, X, y=None) -> float:
        """Negative LWGAN score of the chosen rank on ``X`` (higher is better).

        The score is minus the sum of the critic gap, the reconstruction error,
        the gradient penalty, ``lambda_mmd`` times the MMD between the codes of
        ``X`` and the prior, and the latent reconstruction error of prior draws
        (``docs/lwgan.md``), averaged over ``n_score_repeats`` batches drawn
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.random_state is None
        return tags
