"""LWGANEstimator: intrinsic dimension, encoder and generator as a scikit-learn estimator.

The whole estimator is this one class. Reading top-down: the parameters (their
rules are declared once, in ``_parameter_rules``), ``fit`` and the steps of a fit
(checks, scaling, building the networks, training, choosing the rank), the maps
through the fitted networks (``transform``, ``inverse_transform``, ``sample``,
``score``), and how the networks are kept through pickling and model files. The
PyTorch work is done by :mod:`latentspec.lwgan.core`, which knows nothing of this
class.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._validation import ParameterRulesMixin, check_int, check_numeric_array, check_seed, validate_numeric
from ..exceptions import RankRangeWarning, TrainingDiverged, TrainingInterrupted, UnreliableEstimateWarning
from ..persistence import SaveLoadMixin
from ._evidence import beyond_sample_resolution, disagreement_with_first_estimate, memorisation, resolvable_dimension
from ._fit_progress import run_with_progress, warn_interrupted
from ._params import (
    FIXED_RANK_LATENT_DIM,
    NETWORK_PARAMS,
    PARAMETER_RULES,
    PRECISIONS,
    check_image_shape,
    check_rank,
    check_resumable,
    encode_labels,
    image_shape_chw,
)
from ._rank_range import default_latent_dim, two_nn_dimension
from ._rank_selection import choose_rank, contenders, rank_interval
from ._refits import refit_estimates, refit_interval
from ._whitening import Whitening
from .core import _batching
from .core._augment import RandomShift
from .core._batching import blockwise, check_finite_output
from .core._device import device_after_unpickling, make_generator, resolve_device
from .core._model import LWGANModule, RankLayout, training_layouts
from .core._networks import initialise
from .core._prior import LatentPrior
from .core._scoring import reconstruction_per_rank, score_ranks
from .core._serialization import state_from_bytes, state_to_bytes, tensors_to_bytes
from .core._threads import ThreadGovernor, default_n_threads, torch_threads
from .core._training import Trainer, TrainingConfig

__all__ = ["LWGANEstimator"]

# Repeats of every rank before the ranks race (a rank's standard error needs some).
RACING_MIN_REPEATS = 5
# The value of a network parameter that estimators fitted before it existed had.
_NETWORK_PARAM_DEFAULTS = {"label_mode": "prior", "linear_path": False, "standardize": False, "whiten": False}


def _with_torch_threads(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run an ``LWGANEstimator`` method under ``torch_threads(self._thread_count())``."""

    @functools.wraps(method)
    def run(self: LWGANEstimator, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(self._thread_count()):
            return method(self, *args, **kwargs)

    return run


class LWGANEstimator(
    ParameterRulesMixin, SaveLoadMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
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
    standardize : bool, default=False
        How the data are scaled before the networks see them. ``False``: centred,
        and every feature divided by the same number, the root-mean-square of all
        the centred values (so relative scales, such as pixel intensities, are
        kept, and the rows' root-mean-square distance from their mean becomes
        ``sqrt(n_features)``). ``True``: every feature centred and divided by its
        own standard deviation (constant features by 1), as ``StandardScaler``
        does; use it when the features are measured in unrelated units. ``fit``
        warns when feature spreads differ by more than a factor of 100 and
        ``standardize=False``: the dimension is then that of the few widest
        features.
    whiten : "auto" or bool, default="auto"
        Whether the networks see the rows *whitened*, after the scaling of
        ``standardize``: every principal direction of the training rows divided
        by its own spread, so that a direction holding most of the variance
        cannot hide the others from the losses and the rank scores (a paraboloid
        that holds 97 % of its variance along one axis otherwise gives 1). The
        coordinates stay aligned with the features, and the rows keep a mean
        square of one per entry. Directions whose variance is below a floor, the
        larger of a thousand times the noise variance per entry read off the
        spectrum (:func:`~latentspec.estimate_noise_std`) and a thousandth of
        the largest variance, are divided by the floor's spread instead, so
        that noise and rounding error are not blown up to the size of the
        signal: a direction of pure noise ends up at most a thousandth of a
        whitened one. Where the spectrum shows no bulk of noise (one to a few
        features, or a signal in every direction) the floor is above the
        signal and nothing is whitened.
        The map is invertible: ``transform``, ``inverse_transform`` and
        ``sample`` work in the data's units, and the intrinsic dimension does not
        depend on it in principle. ``"auto"``: whiten when estimating the rank
        (``rank="auto"``) of rows that are not images (``image_shape`` None);
        a model of fixed rank, as the deep-LSD and denoising recipes use,
        reconstructs in the data's own units, and the pixels of an image share
        one. The map is ``whitening_`` (see :mod:`latentspec.lwgan._whitening`
        for its fields). ``True`` with convolutional networks or
        ``augment_shift`` raises ValueError: those need the pixels in place.
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
        Repeated evaluations (fresh batch and noise) behind the rank scores. With
        ``rank="auto"`` the ranks race: after 10 repeats of every rank, a rank
        more than three paired standard errors worse than the best rank and than
        the chosen one is not scored again (its later entries in
        ``rank_scores_["per_repeat"]`` are NaN), so the repeats go to the ranks
        the choice and its interval depend on (``docs/lwgan.md``).
    validation_fraction : float, default=0.0
        Share of the rows (at most 0.5) held out of training, drawn at random
        with ``random_state``: the ranks are then scored on them, rows the
        networks never saw, and ``diagnostics_`` holds the reconstruction error
        of every rank on the training and the held-out rows, so a model that
        memorises its training rows shows it (and ``fit`` warns). 0 trains and
        scores on every row.
    linear_path : bool, default=False
        MLP networks only. When True the rank-``r`` encoder adds to its output
        the first ``r`` principal coordinates of the row (whitened: unit
        variance, as the prior's), and the generator adds to its output the
        principal-component reconstruction from the first ``r`` latent
        coordinates; the networks' output layers start at zero. Every rank then
        starts as principal-component analysis of the training rows, and the
        networks learn only the curvature on top of it (``docs/lwgan.md``).
    early_stopping : bool, default=False
        Needs ``validation_fraction > 0``. The warm-up keeps the networks with
        the lowest reconstruction error on the held-out rows (the mean over the
        ranks up to the nearest-neighbour first estimate, checked on the starting
        networks and after every twentieth of the warm-up) instead of its last
        ones; ``best_warmup_step_`` says which step that was (0: the starting
        networks, which with ``linear_path`` are principal-component analysis).
    n_refits : int, default=0
        With ``rank="auto"``, refits of the estimator on random 80 % shares of
        the rows (other seeds, the same ranks) after the fit, each costing about
        a fit: their estimates (``refit_estimates_``) widen
        ``intrinsic_dim_interval_``, which then reflects training noise and not
        only the noise of the scores (``docs/lwgan.md``). The fitted networks
        and ``intrinsic_dim_`` are those of the fit on all rows. 0: no refit.
    n_jobs : int or None, default=None
        Refits run side by side in joblib worker processes: ``None`` is 1
        unless inside a ``joblib.parallel_config`` context (which is how a Dask
        cluster runs them), ``-1`` all CPUs. Each worker trains with its share
        of the CPUs.
    device : str or torch.device, default="auto"
        ``"auto"`` uses a CUDA GPU when there is one, else the CPU.
    n_threads : int or None, default=None
        torch CPU threads while this estimator trains or applies its networks
        (``fit``, ``transform``, ``inverse_transform``, ``sample``, ``score``);
        torch's own setting is put back after every call. ``None`` is the
        library's policy: on a CPU torch's own count, but no more threads than
        CPUs that other processes leave idle, read when ``fit`` starts and
        again every few seconds while it runs (``docs/lwgan.md``). Thread
        counts change the last digits of some sums: pass ``n_threads`` for
        fits identical bit for bit whatever the load.
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
    dimension_ : int or None
        ``intrinsic_dim_`` under scikit-dimension's name, so the estimator joins
        code written for scikit-dimension's estimators.
    diagnostics_ : dict
        How far the estimate can be trusted: ``first_estimate`` (the TwoNN
        nearest-neighbour estimate of the training data with ``rank="auto"``,
        else None), ``ranks_searched`` (first and last rank scored),
        ``resolvable_dimension`` (``2 log10(n_samples)``, the most the rows can
        resolve, Eckmann and Ruelle 1992), ``interval``
        (``intrinsic_dim_interval_``), ``refit_estimates``,
        ``train_reconstruction`` and ``heldout_reconstruction`` (the
        reconstruction error of every rank scored, on training rows and, with
        ``validation_fraction``, on held-out rows; else None) and ``problems``
        (what contradicts the estimate: the nearest-neighbour estimate is less
        than half or more than twice it, it is above ``resolvable_dimension``, or
        the networks memorise; each also raised as an
        :class:`~latentspec.exceptions.UnreliableEstimateWarning`).
    intrinsic_dim_interval_ : tuple of (int, int) or None
        With ``rank="auto"``, the smallest and largest of the ranks that the data
        cannot tell from the best one (mean score within one paired standard error
        of the best rank's), widened to contain ``intrinsic_dim_`` and, with
        ``n_refits``, every refit's estimate; else None.
    refit_estimates_ : ndarray of int or None
        The estimate of every refit (``n_refits``); None without refits.
    best_warmup_step_ : int or None
        With ``early_stopping``, the warm-up step whose networks were kept;
        else None.
    rank_scores_ : dict of ndarray
        ``rank``, ``mean`` (lower is better), ``std_error`` and
        ``std_error_diff`` (paired, against the best rank) of every rank scored,
        the mean of each score term (``critic_gap``, ``reconstruction``,
        ``gradient_penalty``, ``mmd``, ``latent_reconstruction``), and
        ``per_repeat``, the score of every repeat and rank (shape
        ``(n_score_repeats, n_ranks)``, NaN after racing dropped a rank), to which
        either rule of :func:`latentspec.choose_rank` can be applied: racing drops
        only ranks that neither rule can choose. Each statistic uses the repeats
        that scored its rank.
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
    center_ : ndarray of shape (n_features,)
        The training rows' mean, subtracted before the networks see a row.
    scale_ : float or ndarray of shape (n_features,)
        What the centred rows are divided by: one overall spread, or one per
        feature with ``standardize=True``.
    whitening_ : dict or None
        The whitening applied after the scaling (see ``whiten``): ``axes`` (the
        principal directions above the floor, as columns), ``spreads`` (their
        standard deviations), ``floor`` (the variance the other directions are
        divided by), ``noise_variance`` (the noise read off the spectrum, part of
        the floor) and ``gain`` (the factor that keeps a mean square of one per
        entry). None without whitening.
    device_ : torch.device
        Where the networks live.
    n_threads_ : int
        The torch CPU threads ``fit`` started with (``n_threads``, or the
        library's choice; with ``n_threads=None`` the count follows the load
        during the fit).

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

    _parameter_rules: ClassVar[dict[str, Any]] = PARAMETER_RULES
    # Optimiser state and random stream: a pickle keeps them, a model file does not.
    _model_file_excludes: ClassVar[frozenset[str]] = frozenset({"_training_state"})

    def __init__(
        self,
        latent_dim: int | None = None,
        rank: str | int = "auto",
        image_shape: tuple[int, ...] | None = None,
        *,
        standardize: bool = False,
        whiten: str | bool = "auto",
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
        validation_fraction: float = 0.0,
        linear_path: bool = False,
        early_stopping: bool = False,
        n_refits: int = 0,
        n_jobs: int | None = None,
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
        self.standardize = standardize
        self.whiten = whiten
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
        self.validation_fraction = validation_fraction
        self.linear_path = linear_path
        self.early_stopping = early_stopping
        self.n_refits = n_refits
        self.n_jobs = n_jobs
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
            self._check_parameters()
            device = resolve_device(self.device)
            ceiling = torch.get_num_threads()
            with torch_threads(self._fit_thread_count(device)):
                self.n_threads_ = torch.get_num_threads()
                # n_threads=None on a CPU: the count follows the load while the fit runs, too.
                governor = ThreadGovernor.for_fit(ceiling) if self.n_threads is None and device.type == "cpu" else None
                return self._fit(X, y, device, governor)
        except TrainingInterrupted:
            raise  # the estimator keeps the state the warning describes
        except BaseException:
            # Bad input, divergence, an interruption before any step: never leave a
            # half-fitted estimator (or non-finite weights) behind.
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X, y, device: torch.device, governor: ThreadGovernor | None = None) -> LWGANEstimator:
        resume = bool(self.warm_start) and hasattr(self, "_training_state")
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2, reset=not resume)
        # The nearest-neighbour first estimate: the default range of ranks, and evidence to check the estimate by.
        self._first_estimate = two_nn_dimension(X) if self.rank == "auto" else None
        latent_dim = self._latent_dim_for(X, resume)
        check_rank(self.rank, latent_dim, self.latent_dim, X.shape[1])
        check_image_shape(self.image_shape, self.architecture, self.conv_layers, self.augment_shift, X.shape[1])
        if self.linear_path and image_shape_chw(self.image_shape, self.architecture) is not None:
            raise ValueError(
                "linear_path=True adds principal-component maps to MLP networks; the networks are convolutional "
                "here (image_shape is given), so pass architecture='mlp' or linear_path=False"
            )
        if self.warm_start and not resume and hasattr(self, "module_"):
            warnings.warn(
                "warm_start=True, but this estimator holds no training state to continue (a model file stores the "
                "fitted networks, not the optimiser state and random stream that a pickle keeps), so fit trains "
                "from scratch; unpickle a pickled model to continue its training",
                UserWarning,
                stacklevel=3,
            )
        seed = check_seed(self.random_state)
        train_rows, heldout_rows = self._split_rows(X.shape[0], latent_dim, seed)
        previous_classes = getattr(self, "classes_", None)
        labels = self._set_classes(y, X.shape[0])
        if labels is not None:
            labels = labels[train_rows]
        X_heldout, X = (None, X) if heldout_rows is None else (X[heldout_rows], X[train_rows])
        self.device_ = device
        rng = make_generator(seed + 1, self.device_)
        if resume:
            check_resumable({**_NETWORK_PARAM_DEFAULTS, **self._architecture}, self._network_spec(), latent_dim,
                            self.latent_dim_, previous_classes, self.classes_)
            # Train a copy: if this fit fails, the estimator returns to the model it had.
            self.module_ = copy.deepcopy(self.module_).to(self.device_)
        else:
            self.latent_dim_ = latent_dim
            self.center_, self.scale_ = self._centre_and_scale(X)
            self.whitening_ = None
            if self._whitens():
                self.whitening_ = Whitening.fit((X - self.center_) / self.scale_).to_dict()
            self.module_ = self._build_module()
            initialise(self.module_, make_generator(seed, torch.device("cpu")))
            if self.module_.linear_path:
                axes = None if self.whitening_ is None else torch.as_tensor(self.whitening_["axes"])
                self.module_.set_linear_path(self._to_tensor(X).cpu(), axes)
            self.module_.to(self.device_)
            self._architecture = self._network_spec()
        self._fit_dtype = X.dtype.name  # sample() returns it, as transform keeps the dtype it gets
        data = self._to_tensor(X)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long, device=self.device_)

        heldout = None if X_heldout is None else self._to_tensor(X_heldout)
        check_threads = None if governor is None else governor.check
        stopped = self._train(data, rng, labels, resume, heldout, check_threads)
        try:
            self._choose_rank(data, rng, heldout, X if X_heldout is None else np.concatenate([X, X_heldout]), seed,
                              governor)
        except KeyboardInterrupt:
            warn_interrupted(None, self.n_steps_, stacklevel=3)
            raise TrainingInterrupted from None
        if stopped is not None:
            warn_interrupted(stopped, self.n_steps_, stacklevel=3)
            raise TrainingInterrupted
        return self

    def _split_rows(self, n_samples: int, latent_dim: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The training rows and the held-out rows (None without ``validation_fraction``), in their order in X.

        Raises ValueError when either part would be too small: two training rows
        per rank trained, and two held-out rows.
        """
        n_heldout = int(round(float(self.validation_fraction) * n_samples))
        min_train = 2 * (latent_dim if self.rank == "auto" else 1)
        if self.validation_fraction and n_heldout < 2:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out {n_heldout} of the {n_samples} rows, and "
                "scoring needs at least 2; pass more rows, a larger validation_fraction, or 0 to score on the "
                "training rows"
            )
        if n_samples - n_heldout < min_train:
            held = f" once validation_fraction={self.validation_fraction} holds {n_heldout} out" if n_heldout else ""
            raise ValueError(
                f"LWGANEstimator needs at least {min_train} samples{' for training' if n_heldout else ''} (two per "
                f"rank trained) but X has {n_samples - n_heldout}{held}; pass more samples or fewer ranks "
                "(latent_dim or rank)"
            )
        if not n_heldout:
            return np.arange(n_samples), None
        order = np.random.default_rng(seed).permutation(n_samples)
        return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])

    def _whitens(self) -> bool:
        """Whether ``fit`` whitens the rows: ``whiten``, where ``"auto"`` means for ``rank="auto"`` on rows that
        are not images (``image_shape`` None). ValueError where whitening cannot apply."""
        images = self.image_shape is not None
        if self.whiten == "auto":
            return self.rank == "auto" and not images
        if self.whiten and images and (image_shape_chw(self.image_shape, self.architecture) is not None
                                       or self.augment_shift):
            raise ValueError(
                "whiten=True mixes the pixels of an image, which convolutional networks and augment_shift need "
                "in place; pass whiten=False, or architecture='mlp' and augment_shift=0"
            )
        return bool(self.whiten)

    def _centre_and_scale(self, X: np.ndarray) -> tuple[np.ndarray, float | np.ndarray]:
        """``center_`` and ``scale_``: one overall spread, or (``standardize``) one per feature.

        Raises ValueError for constant data (dimension 0: nothing to learn) and for
        values too large to scale in float64; warns when ``standardize=False`` and the
        feature spreads differ by more than a factor of 100.
        """
        center = X.mean(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            deviations = X - center
            spread = float(np.sqrt(np.mean(deviations**2)))
            feature_spread = np.sqrt(np.mean(deviations**2, axis=0))
        if not (math.isfinite(spread) and np.isfinite(center).all()):
            raise ValueError("X has values too large to centre and scale in float64; rescale X")
        if not np.any(X != X[0]):
            raise ValueError(
                f"X is constant: all {X.shape[0]} rows are the same point (in float64), whose intrinsic dimension "
                "is 0, so there is nothing for an LWGAN to learn. Check the data: values that differ by less than "
                "float64 resolves at their magnitude (e.g. 1 + 1e30) are the same number"
            )
        if self.standardize:
            return center, np.where(feature_spread > 0, feature_spread, 1.0)
        varying = feature_spread[feature_spread > 0]
        if varying.max() > 100 * np.median(varying):
            widest = np.argsort(feature_spread)[::-1][:3]
            warnings.warn(
                f"the spreads of the features of X differ by more than a factor of 100 (largest "
                f"{varying.max():.3g}, median {np.median(varying):.3g}; widest features {widest.tolist()}); "
                "with standardize=False every feature is divided by the same number, so the estimate is the "
                "dimension of the widest features. Pass standardize=True (or scale X first, e.g. with "
                "StandardScaler) if the features are in unrelated units",
                UserWarning,
                stacklevel=4,
            )
        return center, spread

    @property
    def dimension_(self) -> int | None:
        """``intrinsic_dim_`` under scikit-dimension's name (None with a fixed ``rank``)."""
        check_is_fitted(self)
        return self.intrinsic_dim_

    def _latent_dim_for(self, X: np.ndarray, resume: bool) -> int:
        """The largest rank to build: ``latent_dim``, or for ``None`` the range the data call for.

        With ``rank="auto"`` that range comes from the nearest-neighbour (TwoNN)
        first estimate (:func:`~latentspec.lwgan._rank_range.default_latent_dim`);
        a warm start keeps the range of the fit it continues.
        """
        if self.latent_dim is None and resume:
            return self.latent_dim_
        if self.latent_dim is None and self.rank == "auto":
            return default_latent_dim(X, self._first_estimate)
        if self.latent_dim is None:
            return min(X.shape[1], max(FIXED_RANK_LATENT_DIM, self.rank))
        return int(self.latent_dim)

    def _set_classes(self, y: Any, n_samples: int) -> np.ndarray | None:
        """Set ``classes_`` (None without the label term) and ``class_weights_``; return the class indices."""
        self.classes_ = None
        if self.label_weight == 0:
            return None
        self.classes_, indices, self.class_weights_ = encode_labels(y, n_samples, self.rank)
        return indices

    def _network_spec(self) -> dict[str, Any]:
        """The network-shaping parameters, tuples for sequences (comparable with ``==``)."""
        return {
            name: (tuple(v) if isinstance(v := getattr(self, name, _NETWORK_PARAM_DEFAULTS.get(name)),
                                          (list, tuple)) else v)
            for name in NETWORK_PARAMS
        }

    @property
    def _label_mode(self) -> str:
        """``label_mode``; ``"prior"`` for estimators pickled before the parameter existed."""
        return getattr(self, "label_mode", _NETWORK_PARAM_DEFAULTS["label_mode"])

    def _choose_rank(
        self, data: torch.Tensor, rng: torch.Generator, heldout: torch.Tensor | None, X: np.ndarray, seed: int,
        governor: ThreadGovernor | None = None,
    ) -> None:
        """Score the ranks (on ``heldout`` rows when there are any), refit on resampled rows of ``X`` (all rows,
        as given) with ``n_refits``, and set ``rank_``, ``intrinsic_dim_``, ``intrinsic_dim_interval_``,
        ``refit_estimates_``, ``rank_scores_`` and ``diagnostics_``."""
        scored = data if heldout is None else heldout
        check_threads = None if governor is None else governor.check
        if self.rank == "auto":
            scores, terms = self._score_ranks(scored, np.arange(1, self.latent_dim_ + 1), rng, check_threads)
            intrinsic_dim, summary = choose_rank(scores, self.rank_rule)
            rank = intrinsic_dim
        else:
            rank, intrinsic_dim = int(self.rank), None
            scores, terms = self._score_ranks(scored, np.array([rank]), rng, check_threads)
            _, summary = choose_rank(scores, self.rank_rule)
            summary["rank"] = np.array([rank])
        self.rank_, self.intrinsic_dim_ = rank, intrinsic_dim
        self.rank_scores_ = {**summary, **terms, "per_repeat": scores}
        self.intrinsic_dim_interval_ = None if intrinsic_dim is None else rank_interval(summary, intrinsic_dim)
        self.refit_estimates_ = None
        if intrinsic_dim is not None and self.n_refits:
            template = clone(self).set_params(latent_dim=self.latent_dim_, n_refits=0, n_jobs=None, verbose=0,
                                              warm_start=False)
            # Refits in this process start from the fit's own ceiling, not from a count the load lowered for a
            # while: each reads the load afresh.
            with torch_threads(None if governor is None else governor.ceiling):
                self.refit_estimates_ = refit_estimates(template, X, self.n_refits, seed, self.n_jobs)
            self.intrinsic_dim_interval_ = refit_interval(intrinsic_dim, self.intrinsic_dim_interval_,
                                                          self.refit_estimates_)
        train_reconstruction = terms["reconstruction"]
        if heldout is not None:
            batch = min(self.batch_size * 2, data.shape[0])
            train_reconstruction = reconstruction_per_rank(self.module_, data, summary["rank"], batch=batch, rng=rng)
        self._diagnose(train_reconstruction, None if heldout is None else terms["reconstruction"], X.shape[0])
        if intrinsic_dim is not None and intrinsic_dim == self.latent_dim_ < self.n_features_in_:
            warnings.warn(
                f"the estimated intrinsic dimension {intrinsic_dim} is the largest rank searched "
                f"(latent_dim_={self.latent_dim_}), so the true one may be higher; refit with a larger "
                f"latent_dim (at most n_features={self.n_features_in_})",
                RankRangeWarning,
                stacklevel=4,
            )

    def _diagnose(
        self, train_reconstruction: np.ndarray, heldout_reconstruction: np.ndarray | None, n_samples: int
    ) -> None:
        """Set ``diagnostics_``, and warn (:class:`~latentspec.exceptions.UnreliableEstimateWarning`) when the
        evidence contradicts the estimate: the nearest-neighbour estimate disagrees, the estimate is above the
        dimension ``n_samples`` rows resolve, or (with held-out rows) the networks reconstruct the rows they were
        trained on far better than new rows."""
        first = getattr(self, "_first_estimate", None)
        problems = []
        if self.intrinsic_dim_ is not None and first is not None:
            reason = disagreement_with_first_estimate(self.intrinsic_dim_, first, self.n_features_in_)
            if reason is not None:
                problems.append(reason)
        if self.intrinsic_dim_ is not None:
            reason = beyond_sample_resolution(self.intrinsic_dim_, n_samples)
            if reason is not None:
                problems.append(reason)
        ranks = self.rank_scores_["rank"]
        if self.intrinsic_dim_ is not None and heldout_reconstruction is not None:
            at = int(np.flatnonzero(ranks == self.intrinsic_dim_)[0])
            # the rows are scaled to a mean square of 1 per entry (per feature with standardize, and whitened
            # too): spread sqrt(D)
            spread = math.sqrt(self.n_features_in_)
            reason = memorisation(float(train_reconstruction[at]), float(heldout_reconstruction[at]), int(ranks[at]),
                                  spread)
            if reason is not None:
                problems.append(reason)
        self.diagnostics_ = {
            "first_estimate": None if first is None else float(first),
            "ranks_searched": (int(ranks[0]), int(ranks[-1])),
            "resolvable_dimension": resolvable_dimension(n_samples),
            "interval": self.intrinsic_dim_interval_,
            "refit_estimates": self.refit_estimates_,
            "train_reconstruction": np.asarray(train_reconstruction, dtype=np.float64),
            "heldout_reconstruction": None if heldout_reconstruction is None
            else np.asarray(heldout_reconstruction, dtype=np.float64),
            "problems": problems,
        }
        for problem in problems:
            low, high = self.intrinsic_dim_interval_
            warnings.warn(
                f"the intrinsic dimension estimate {self.intrinsic_dim_} (ranks {low}-{high} score alike) cannot be "
                f"trusted: {problem}. Look at diagnostics_ and rank_scores_ "
                "(latentspec.plot_rank_scores); try more samples, standardize=True if the features are in unrelated "
                "units, or compare fixed ranks on held-out data (GridSearchCV over rank)",
                UnreliableEstimateWarning,
                stacklevel=5,
            )

    # -------------------------------------------------------------------- threads
    def _fit_thread_count(self, device: torch.device) -> int | None:
        """torch threads for ``fit``: ``n_threads``, or the library's policy for the parameters and a fresh reading.

        None leaves torch's setting.
        """
        if self.n_threads is not None:
            return int(self.n_threads)
        convolutional = image_shape_chw(self.image_shape, self.architecture) is not None
        return default_n_threads(convolutional, device, fresh=True)

    def _thread_count(self) -> int | None:
        """torch threads for the fitted networks (``transform`` and the other calls after ``fit``).

        ``n_threads`` (checked: it may have been set since ``fit``), or the policy for
        the networks as built, with a load reading up to a few seconds old.
        """
        if self.n_threads is not None:
            return check_int("n_threads", self.n_threads)
        device = getattr(self, "device_", None)
        built = getattr(self, "_architecture", None) or {}
        convolutional = image_shape_chw(built.get("image_shape"), built.get("architecture", "auto")) is not None
        return default_n_threads(convolutional, device if isinstance(device, torch.device) else None, fresh=False)

    def __sklearn_is_fitted__(self) -> bool:
        # A fit interrupted while scoring keeps its networks but has no rank yet.
        return hasattr(self, "rank_")

    def _prior(self) -> LatentPrior:
        """The latent prior: ``N(0, I)``, or with the label term in ``"prior"`` mode the class mixture."""
        mixture = self.classes_ is not None and self._label_mode == "prior"
        return LatentPrior(self.latent_dim_, self.class_weights_ if mixture else None)

    # ------------------------------------------------------------------- training
    def _train(
        self, data: torch.Tensor, rng: torch.Generator, labels: torch.Tensor | None, resume: bool,
        heldout: torch.Tensor | None = None, check_threads: Callable[[], None] | None = None,
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
            monitor=self._heldout_monitor(heldout) if self.early_stopping else None,
        )
        if resume:
            trainer.restore(self._training_state, history=self.history_)
        # Earlier results no longer describe the networks.
        for name in ("rank_", "intrinsic_dim_", "intrinsic_dim_interval_", "rank_scores_", "diagnostics_",
                     "refit_estimates_"):
            self.__dict__.pop(name, None)
        stopped = run_with_progress(
            trainer, self.n_warmup, self.n_iter, self.n_critic, self.n_generator, self.n_critic_refit, self.verbose,
            check_threads,
        )
        if not all(torch.isfinite(p).all() for p in self.module_.parameters()):
            raise TrainingDiverged(
                "LWGAN training diverged: the network weights became NaN or inf; try a smaller learning_rate "
                "(the estimator keeps its state from before this call to fit)"
            )
        self.history_ = trainer.history
        self.n_steps_ = dict(trainer.steps)
        self.best_warmup_step_ = trainer.best_warmup_step
        self._training_state = trainer.checkpoint()
        return stopped

    def _heldout_monitor(self, heldout: torch.Tensor | None) -> Callable[[], float]:
        """Early stopping's loss: the held-out rows' reconstruction error, averaged over the watched ranks.

        With ``rank="auto"`` the ranks watched are those up to the nearest-neighbour first estimate (rounded
        up), where the choice of the rank is decided: far above the dimension, principal-component analysis
        reconstructs new rows exactly, and a loss averaged over those ranks would always keep it.
        """
        if heldout is None:
            raise ValueError("early_stopping=True watches held-out rows: pass validation_fraction > 0 as well")
        if self.rank != "auto":
            ranks = np.array([int(self.rank)])
        else:
            first = getattr(self, "_first_estimate", None)
            top = self.latent_dim_ if first is None or not math.isfinite(first) else math.ceil(first)
            ranks = np.arange(1, min(self.latent_dim_, max(1, top)) + 1)
        batch = min(self.batch_size * 2, heldout.shape[0])

        def loss() -> float:
            # the same rows every time, from a generator of its own (the fit's stream stays as it is)
            rows = make_generator(0, heldout.device)
            return float(reconstruction_per_rank(self.module_, heldout, ranks, batch=batch, rng=rows).mean())

        return loss

    # --------------------------------------------------------------- rank scores
    def _score_ranks(
        self, data: torch.Tensor, ranks: np.ndarray, rng: torch.Generator,
        check_threads: Callable[[], None] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:func:`~latentspec.lwgan.core._scoring.score_ranks` with this estimator's networks, prior and settings.

        Several ranks race (:func:`~latentspec.lwgan._rank_selection.contenders`); ``check_threads`` is called
        between evaluations.
        """
        return score_ranks(
            self.module_, data, ranks, prior=self._prior(), n_repeats=self.n_score_repeats,
            batch=min(self.batch_size * 2, data.shape[0]), lambda_mmd=self.lambda_mmd, rng=rng,
            contenders=contenders if len(ranks) > 1 else None, min_repeats=RACING_MIN_REPEATS,
            between_repeats=check_threads,
        )

    @property
    def _n_features_out(self) -> int:
        """Number of latent features ``transform`` returns (for ``get_feature_names_out``)."""
        return self.rank_

    @_with_torch_threads
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
        self._check_parameters(("n_score_repeats", "batch_size", "lambda_mmd"))
        X = validate_numeric(self, X, dtype=[np.float64, np.float32], reset=False, ensure_min_samples=2)
        scores, _ = self._score_ranks(self._to_tensor(X), np.array([self.rank_]), make_generator(0, self.device_))
        return -float(scores.mean())

    # ------------------------------------------------ maps through the networks
    # Rows go through the networks in chunks and fixed-size blocks (core._batching),
    # so memory stays bounded and a row's result does not depend on the rows it comes
    # with; data are centred and scaled as in training, and results come back in the
    # caller's dtype.
    def _to_tensor(self, X: np.ndarray) -> torch.Tensor:
        """``X`` centred and scaled as in training, as float32 on the device (ValueError if that overflows)."""
        scaled = (np.asarray(X, dtype=np.float64) - self.center_) / self.scale_
        if getattr(self, "whitening_", None) is not None:
            scaled = Whitening(**self.whitening_).apply(scaled)
        if np.abs(scaled).max(initial=0.0) > _batching.FLOAT32_LIMIT:
            raise ValueError(
                "X has values too far outside the range of the training data to represent in float32 "
                f"after centring and scaling (largest |value| {np.abs(scaled).max():.3g} training spreads)"
            )
        return torch.as_tensor(scaled, dtype=torch.float32, device=self.device_)

    def _rank_layout(self) -> RankLayout:
        """The codes of rank ``rank_``, shared by every row (so it fits any number of rows)."""
        return RankLayout.blocks([self.rank_], 1, self.latent_dim_, self.device_)

    @_with_torch_threads
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
            for rows in _batching.chunks(X.shape[0]):
                codes = blockwise(lambda t: self.module_.encode(t, layout), self._to_tensor(X[rows]))[:, : self.rank_]
                check_finite_output(codes, "X", "latent codes")
                Z[rows] = codes.cpu().numpy()
        return Z

    @_with_torch_threads
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
            for rows in _batching.chunks(len(Z)):
                z = torch.zeros(rows.stop - rows.start, self.latent_dim_, device=self.device_)
                # A copy: torch warns about read-only arrays (pandas 3 hands those out) that it would share.
                z[:, : Z.shape[1]] = torch.as_tensor(np.array(Z[rows]), dtype=torch.float32, device=self.device_)
                if z.abs().max() > _batching.FLOAT32_LIMIT:
                    raise ValueError(
                        f"Z has values too large for the float32 generator (largest |z| {z.abs().max():.3g})"
                    )
                decoded = blockwise(self.module_.generate, z)
                check_finite_output(decoded, "Z", "reconstructions")
                X[rows] = decoded.cpu().numpy()
        if getattr(self, "whitening_", None) is not None:
            X = Whitening(**self.whitening_).invert(X)
        X *= self.scale_
        X += self.center_
        return X

    @_with_torch_threads
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
        z = self._prior().sample_numpy(n_samples, rank, np.random.default_rng(check_seed(random_state)))
        return self._decode(z).astype(getattr(self, "_fit_dtype", "float64"), copy=False)

    # ------------------------------------------- the networks: build and keep
    # A pickle stores the weights (and the training state a warm start continues
    # from) as CPU tensors in bytes, so it unpickles on a machine without the fitting
    # device; a model file (latentspec.persistence) stores the weights as arrays.
    # Either way the networks are rebuilt from the parameters and the weights loaded
    # into them, on the fitting device when this machine has it.
    def _build_module(self) -> LWGANModule:
        # nn.Linear draws its default initialisation from the global generator; fork it so
        # that fitting and unpickling leave the global torch random state untouched (the
        # weights are then set from the estimator's private generator, or loaded).
        with torch.random.fork_rng(devices=[]):
            classes = getattr(self, "classes_", None)
            return LWGANModule(
                self.n_features_in_,
                self.latent_dim_,
                tuple(self.encoder_layers),
                tuple(self.generator_layers),
                tuple(self.critic_layers),
                self.activation,
                image_shape=image_shape_chw(self.image_shape, self.architecture),
                conv_layers=tuple(self.conv_layers),
                n_label_classes=0 if classes is None or self._label_mode != "classifier" else len(classes),
                linear_path=bool(getattr(self, "linear_path", False)),
            )

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
        # Estimators pickled before whitening existed were fitted without it.
        self.__dict__.setdefault("whiten", _NETWORK_PARAM_DEFAULTS["whiten"])
        if isinstance(state.get("module_"), bytes):
            self._install_module(state_from_bytes(state["module_"], torch.device("cpu")), None)
        if isinstance(state.get("_training_state"), bytes):
            self._training_state = state_from_bytes(state["_training_state"], torch.device("cpu"))

    def _after_load(self, device: str | torch.device | None) -> None:
        """Called by :func:`latentspec.load`: build the networks from the stored weights."""
        self.__dict__.setdefault("whiten", _NETWORK_PARAM_DEFAULTS["whiten"])  # files written before it existed
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
