"""The deep LSD basis: quasi-eigenvectors of a latent space, one direction per label.

:class:`QuasiEigenBasis` builds the basis of Toledo-Marin and Glazier from the
class means of latent codes and of labelled prior draws, orthogonalised by
Gram-Schmidt and completed to an orthogonal basis of the latent space.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._validation import (
    ParameterRulesMixin,
    Rule,
    anything,
    check_seed,
    integer,
    one_of,
    optional,
    positive,
    seed,
)
from ..persistence import SaveLoadMixin
from ._common import _CoefficientNamesMixin, _label_indices, _LatentCodeMixin
from ._gram_schmidt import _gram_schmidt, _lift_class_means

__all__ = ["QuasiEigenBasis"]

# Rows per pass through a user's torch generator.
_DECODE_ROWS = 65_536


def torch_decoder(module: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """``Z -> X`` through a user's PyTorch module (a generator): NumPy in, NumPy float64 out.

    The rows go, in chunks of :data:`_DECODE_ROWS`, to the device and floating dtype of the module's first parameter
    (or buffer; the CPU and the default dtype for a module without either) and
    through the module under ``torch.no_grad()`` in evaluation mode (dropout off,
    batch norm on its running statistics, none of them updated); every submodule
    gets its own training flag back afterwards.
    """
    tensors = [*module.parameters(), *module.buffers()]
    device = tensors[0].device if tensors else torch.device("cpu")
    floating = [t.dtype for t in tensors if t.is_floating_point()]
    dtype = floating[0] if floating else torch.get_default_dtype()

    def decode(Z: np.ndarray) -> np.ndarray:
        modes = [(sub, sub.training) for sub in module.modules()]
        module.eval()
        try:
            with torch.no_grad():
                parts = [
                    module(torch.as_tensor(Z[rows], dtype=dtype, device=device)).detach().cpu().numpy()
                    for rows in (slice(s, s + _DECODE_ROWS) for s in range(0, len(Z), _DECODE_ROWS))
                ]
        finally:
            for sub, training in modes:
                sub.training = training
        return np.concatenate(parts).astype(np.float64, copy=False)

    return decode

_RULES = ("signed", "absolute")
_LABELLINGS = ("latent", "generator")
_DEFAULT_N_NEIGHBORS = 15


def _classifier_or_none(name: str, value: Any) -> None:
    """None, or a scikit-learn classifier (``fit`` and ``predict``)."""
    if value is not None and not (hasattr(value, "fit") and hasattr(value, "predict")):
        raise ValueError(f"{name} must be a scikit-learn classifier (fit and predict) or None, got {value!r}")


def _check_prefitted(obj: Any, name: str) -> None:
    """Raise a clear error when ``obj`` is an estimator that has not been fitted."""
    if hasattr(obj, "fit") and hasattr(obj, "get_params"):
        check_is_fitted(
            obj,
            msg=(
                f"{name} ({type(obj).__name__}) is not fitted: labelling='generator' needs it already "
                "fitted. clone() (used by Pipeline, GridSearchCV, cross_val_score) returns unfitted copies "
                "of estimators passed as parameters; wrap fitted ones in sklearn.frozen.FrozenEstimator"
            ),
        )


class QuasiEigenBasis(
    ParameterRulesMixin,
    _CoefficientNamesMixin, _LatentCodeMixin, SaveLoadMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
    """Quasi-eigenvectors of a latent space: one direction per label, completed to a basis.

    The deep LSD basis of Toledo-Marin and Glazier. Round 0 takes the mean latent
    code of every class. Class means that point away from each other on average
    (as those of centred codes, e.g. from a ``N(0, I)`` prior, always do: weighted
    by class size they sum to zero, so ``K`` of them span only ``K - 1``
    directions) first get a common offset along a latent direction none of them
    uses, just large enough to make them orthogonal on average
    (``class_mean_offset_``); the offset adds the same to the direction of every
    class, so it favours none. Each further round draws ``n_draws`` codes from the
    prior ``N(0, prior_scale^2 I)``, labels them, and takes the mean draw of
    every label (a label that gets no draw in a round is skipped). All means are
    stacked round by round (labels in ``classes_`` order inside a round) and
    orthogonalised by modified Gram-Schmidt in that order; a mean in the span of
    the vectors before it is dropped, and if fewer than ``d`` directions remain
    the basis is completed by continuing Gram-Schmidt over the standard basis
    vectors ``e_1..e_d``. Every row is then scaled to the common norm ``norm``.

    The first ``K = len(classes_)`` rows are the label directions ``xi_k``; the
    spectral coefficients of a code are ``c_i = <xi_i, z>``, and
    ``z = sum_i c_i xi_i / norm^2`` exactly. ``predict`` gives the label whose
    coefficient is the largest (see ``rule``).

    Parameters
    ----------
    n_rounds : int, default=10
        Rounds of means: round 0 from the training codes, rounds ``1..n_rounds-1``
        from prior draws. ``n_rounds=1`` uses the class means only (the basis is
        then completed with standard basis vectors).
    n_draws : int, default=5000
        Prior draws per round.
    labelling : {"latent", "generator"}, default="latent"
        How prior draws are labelled.

        - ``"latent"``: by a classifier fitted on ``(Z, y)`` in latent space, so
          the basis needs latent codes and labels only (a Pipeline step after
          :class:`latentspec.LWGANEstimator`).
        - ``"generator"``: the paper's way, ``classifier.predict(generator(z))``:
          decode every draw and label the decoded sample with a classifier of
          real data.
    latent_classifier : classifier or None, default=None
        With ``labelling="latent"``, a clone of it is fitted on ``(Z, y)``.
        ``None`` uses ``KNeighborsClassifier(n_neighbors=min(15, n_samples))``:
        non-parametric, so it follows class regions of any shape, as the
        partition of the latent space by "decode, then classify" does;
        deterministic; nothing to tune; and cheap at latent dimensions. Draws far
        from the training codes get the label of their nearest codes.
    generator : object, torch.nn.Module or callable, default=None
        With ``labelling="generator"``: an object with ``inverse_transform(Z) ->
        X`` (e.g. a fitted :class:`latentspec.LWGANEstimator`), a trained
        PyTorch generator (a :class:`torch.nn.Module` mapping a batch of codes to
        a batch of samples), or a callable ``Z -> X`` on NumPy arrays. A module is
        given the draws as a tensor on its own device, in the floating dtype of
        its parameters, and run under ``torch.no_grad()`` in evaluation mode
        (dropout off, batch norm on its running statistics; the mode it was in is
        given back); its output comes back as a NumPy float64 array and goes to
        ``classifier.predict`` in the shape the module gives (end the module with
        ``torch.nn.Flatten()`` if the classifier was fitted on flattened rows).
    classifier : fitted classifier, default=None
        With ``labelling="generator"``: a classifier already fitted on real data
        ``X``, with ``predict`` (a PyTorch classifier needs a small wrapper whose
        ``predict`` returns labels); draws are labelled
        ``classifier.predict(generator(z))``. Labels it
        predicts that are not in ``classes_`` are ignored. ``clone`` (used by
        Pipeline, GridSearchCV, ``cross_val_score``) returns unfitted copies of
        estimators passed as parameters: wrap a fitted ``generator`` and
        ``classifier`` in :class:`sklearn.frozen.FrozenEstimator` there.
    prior_scale : float, default=1.0
        Standard deviation of the prior the draws come from.
    norm : float or None, default=None
        Common norm of the basis vectors. ``None`` uses ``sqrt(d)``, the typical
        norm of a standard normal draw in ``d`` dimensions (as in the paper).
    rule : {"signed", "absolute"}, default="signed"
        How ``predict`` reads the label coefficients: the label with the largest
        coefficient ``c_k``, or with the largest magnitude ``|c_k|`` (the rule the
        paper states). A code of class ``k`` lies along ``+xi_k``; a large negative
        ``c_k`` says the code is far from class ``k``, not in it, so ``"signed"``
        is the default (under the class-conditional prior of
        ``LWGANEstimator(label_weight > 0)`` it is the Bayes rule).
    random_state : int, RandomState instance or None, default=None
        Seeds the prior draws (a private NumPy generator derived from it); an
        int gives identical results on every fit.

    Attributes
    ----------
    components_ : ndarray of shape (n_features, n_features)
        Orthogonal rows of norm ``norm_``; the first ``len(classes_)`` are the
        label directions, in ``classes_`` order.
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels.
    class_means_ : ndarray of shape (n_classes, n_features)
        Mean training code of every class (round 0).
    class_mean_offset_ : float
        The common offset added to the class means before Gram-Schmidt (0 when
        they did not point away from each other on average).
    norm_ : float
        The common norm of the rows of ``components_``.
    n_mean_components_ : int
        How many rows come from class means (round 0 and prior rounds); the
        remaining rows come from the standard basis.
    latent_classifier_ : classifier or None
        The classifier fitted on ``(Z, y)`` that labelled the draws
        (``labelling="latent"``), else None.
    n_features_in_ : int
        Latent dimension ``d`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen in ``fit``, when they are all strings.

    See Also
    --------
    LatentSpectralDenoiser : keep the largest coefficients only.
    LatentRotator : rotate codes from one label direction to another.

    Notes
    -----
    Label directions go through the origin, so the construction needs class
    means that point in linearly independent directions from it. The class
    means of centred codes (mean 0, e.g. after ``StandardScaler`` or ``PCA``)
    always sum to 0, weighted by class size, so they span at most ``K - 1``
    dimensions: ``fit`` then raises. Codes that are only nearly centred (as
    codes trained towards a ``N(0, I)`` prior are) fit, but the direction of the
    class that comes last in Gram-Schmidt order is then mostly the small offset
    of the overall mean, and ``predict`` rarely gives that class.

    References
    ----------
    J. Quetzalcoatl Toledo-Marin and J. A. Glazier, "Using deep LSD to build
    operators in GANs latent space with meaning in real space", PLoS ONE, 2023
    (arXiv 2102.05132).

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import QuasiEigenBasis
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> Z = 3 * np.eye(4)[y] + 0.3 * rng.standard_normal((60, 4))
    >>> qeb = QuasiEigenBasis(n_draws=500, random_state=0).fit(Z, y)
    >>> qeb.components_.shape
    (4, 4)
    >>> C = qeb.transform(Z)
    >>> bool(np.allclose(qeb.inverse_transform(C), Z))
    True
    >>> qeb.score(Z, y)
    1.0
    """

    # The classifier that fit uses to label prior draws, never needed after fit.
    _model_file_excludes: ClassVar[frozenset[str]] = frozenset({"latent_classifier_"})

    _parameter_rules: ClassVar[dict[str, Rule]] = {
        "n_rounds": integer(),
        "n_draws": integer(),
        "labelling": one_of(_LABELLINGS),
        "latent_classifier": _classifier_or_none,
        "generator": anything,  # with labelling="generator": _check_generator_labelling
        "classifier": anything,
        "prior_scale": positive,
        "norm": optional(positive),
        "rule": one_of(_RULES),
        "random_state": seed,
    }

    def __init__(
        self,
        n_rounds: int = 10,
        n_draws: int = 5000,
        labelling: str = "latent",
        latent_classifier: Any = None,
        generator: Any = None,
        classifier: Any = None,
        prior_scale: float = 1.0,
        norm: float | None = None,
        rule: str = "signed",
        random_state: Any = None,
    ):
        self.n_rounds = n_rounds
        self.n_draws = n_draws
        self.labelling = labelling
        self.latent_classifier = latent_classifier
        self.generator = generator
        self.classifier = classifier
        self.prior_scale = prior_scale
        self.norm = norm
        self.rule = rule
        self.random_state = random_state

    def _check_generator_labelling(self) -> None:
        """With ``labelling="generator"``: a generator and a prefitted classifier, usable as such."""
        if self.labelling != "generator":
            return
        missing = [name for name in ("generator", "classifier") if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"labelling='generator' needs {' and '.join(missing)}: a generator (an object with "
                "inverse_transform(Z) -> X, or a callable Z -> X) and a classifier already fitted on X; "
                "or use labelling='latent', which needs latent codes and labels only"
            )
        if not (hasattr(self.generator, "inverse_transform") or callable(self.generator)):
            raise ValueError(
                "generator must have inverse_transform(Z) -> X, be a torch.nn.Module or a callable Z -> X, "
                f"got {self.generator!r}"
            )
        if not hasattr(self.classifier, "predict"):
            if isinstance(self.classifier, torch.nn.Module):
                raise ValueError(
                    f"classifier is a torch.nn.Module ({type(self.classifier).__name__}), which has no predict "
                    "method: the draws need labels, not scores. Pass an object whose predict(X) returns the "
                    "labels of y, e.g. one that runs the module and maps the argmax of its scores to labels"
                )
            raise ValueError(f"classifier must have a predict method, got {self.classifier!r}")
        _check_prefitted(self.generator, "generator")
        _check_prefitted(self.classifier, "classifier")

    def fit(self, Z, y=None):
        """Build the quasi-eigenvectors from latent codes and their labels.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. ``LWGANEstimator.transform(X)``.
        y : array-like of shape (n_samples,)
            Class labels; at least 2 classes and at most ``latent_dim``.

        Returns
        -------
        self : QuasiEigenBasis
            The fitted basis.

        Raises
        ------
        ValueError
            If ``y`` is missing, has one class or more classes than latent
            dimensions, if the class means are linearly dependent, or for bad
            parameters; the message names the problem.
        """
        Z, y = self._validate_fit_input(Z, y)
        self._check_parameters()
        self._check_generator_labelling()
        classes, y_index = np.unique(y, return_inverse=True)
        n_classes, d = len(classes), Z.shape[1]
        if n_classes < 2:
            raise ValueError(
                f"y has 1 class ({classes[0]!r}); QuasiEigenBasis needs at least 2 classes to build label directions"
            )
        if d < n_classes:
            raise ValueError(
                f"Z has {d} feature(s) (latent dimensions) but y has {n_classes} classes, and {n_classes} label "
                f"directions need at least {n_classes} latent dimensions. Use a latent space with at least "
                f"{n_classes} dimensions (e.g. LWGANEstimator with rank >= {n_classes} and latent_dim >= "
                f"{n_classes}) or fewer classes"
            )
        self.classes_ = classes
        Z64 = Z.astype(np.float64, copy=False)
        self.class_means_ = np.stack([Z64[y_index == k].mean(axis=0) for k in range(n_classes)])

        self.latent_classifier_ = None
        if self.labelling == "latent":
            if self.latent_classifier is None:
                latent = KNeighborsClassifier(n_neighbors=min(_DEFAULT_N_NEIGHBORS, len(Z)))
            else:
                latent = clone(self.latent_classifier)
            self.latent_classifier_ = latent.fit(Z64, y)

        rng = np.random.default_rng(check_seed(self.random_state))
        # Class means of centred codes sum to zero; lift them so every class has a direction.
        lifted, self.class_mean_offset_ = _lift_class_means(self.class_means_)
        means = [lifted]
        for _ in range(1, self.n_rounds):
            draws = self.prior_scale * rng.standard_normal((self.n_draws, d))
            predicted = self._label_draws(draws)
            labels = _label_indices(predicted, classes)
            if not (labels >= 0).any():
                raise ValueError(self._no_class_drawn_message(predicted))
            means.append(np.stack([draws[labels == k].mean(axis=0) for k in range(n_classes) if (labels == k).any()]))

        units, self.n_mean_components_ = _gram_schmidt(np.concatenate(means), n_classes, classes)
        self.norm_ = math.sqrt(d) if self.norm is None else float(self.norm)
        self.components_ = units * self.norm_
        return self

    def _no_class_drawn_message(self, predicted: np.ndarray) -> str:
        """Why no prior draw got a label of ``classes_``, and what to do about it."""
        shown = np.unique(predicted).tolist()[:10]
        if self.labelling == "generator":
            known = getattr(self.classifier, "classes_", None)
            found = f"the classifier's classes {np.asarray(known).tolist()[:10]}" if known is not None else (
                f"the classifier's predictions {shown}"
            )
            return (
                f"{found} do not match the classes of y {self.classes_.tolist()[:10]}: none of the {self.n_draws} "
                "prior draws was labelled with a class of y. Train the classifier on the same labels as y "
                "(e.g. the same integers or the same strings)"
            )
        return (
            f"the latent classifier labelled none of the {self.n_draws} prior draws with a class of y "
            f"{self.classes_.tolist()[:10]} (it predicted {shown}); it must predict the labels it was fitted on"
        )

    def _label_draws(self, draws: np.ndarray) -> np.ndarray:
        if self.labelling == "latent":
            labels = self.latent_classifier_.predict(draws)
        else:
            generator = self.generator
            if hasattr(generator, "inverse_transform"):
                decode = generator.inverse_transform
            elif isinstance(generator, torch.nn.Module):
                decode = torch_decoder(generator)
            else:
                decode = generator
            decoded = decode(draws)
            labels = self.classifier.predict(decoded)
        labels = np.asarray(labels)
        if labels.shape != (len(draws),):
            raise ValueError(f"labelling {len(draws)} prior draws gave labels of shape {labels.shape}")
        return labels

    def transform(self, Z):
        """Spectral coefficients ``c_i = <xi_i, z>`` of latent codes.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray of shape (n_samples, n_features)
            Column ``i`` is the coefficient on ``components_[i]``; the first
            ``len(classes_)`` columns are the label coefficients.
        """
        return self._coefficients(Z)

    def _coefficients(self, Z) -> np.ndarray:
        """The spectral coefficients as an array, whatever ``set_output`` asks ``transform`` to return."""
        Z = self._validate(Z)
        return Z @ self.components_.T.astype(Z.dtype, copy=False)

    def inverse_transform(self, C):
        """Latent codes from spectral coefficients: ``z = sum_i c_i xi_i / norm_^2`` (exact).

        Parameters
        ----------
        C : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
        """
        C = self._validate_inverse_input(C, "C", "this basis has {n_features} coefficients per code")
        return C @ (self.components_ / self.norm_**2).astype(C.dtype, copy=False)

    def decision_function(self, Z):
        """Label scores, the quantity ``predict`` maximises.

        The label coefficients ``c_k`` with ``rule="signed"``, their magnitudes
        ``|c_k|`` with ``rule="absolute"``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            One score per class; with two classes, as scikit-learn expects of
            binary classifiers, the score of ``classes_[1]`` minus that of
            ``classes_[0]``.
        """
        scores = self._label_scores(Z)
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def _label_scores(self, Z) -> np.ndarray:
        check_is_fitted(self)
        self._check_parameters(("rule",))  # set_params after fit
        coefficients = self._coefficients(Z)[:, : len(self.classes_)]
        return np.abs(coefficients) if self.rule == "absolute" else coefficients

    def predict(self, Z):
        """Label of the largest label coefficient (``|c_k|`` with ``rule="absolute"``).

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        scores = self._label_scores(Z)
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, Z, y, sample_weight=None) -> float:
        """Accuracy of :meth:`predict` on ``Z`` against the labels ``y``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels (1-D).
        sample_weight : array-like of shape (n_samples,) or None, default=None

        Returns
        -------
        score : float
        """
        y = column_or_1d(y)
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y contains NaN or inf; class labels must be finite")
        return super().score(Z, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # target required, float dtypes kept: _LatentCodeMixin
        # The paper's rule (largest |c_k| over orthogonalised class-mean directions
        # through the origin) is built for latent spaces whose class means point in
        # distinct directions; on generic low-dimensional data, such as scikit-learn's
        # 2-feature blobs, it is a weak classifier (77 % on their binary problem).
        tags.classifier_tags.poor_score = True
        draws = not isinstance(self.n_rounds, numbers.Integral) or self.n_rounds > 1
        tags.non_deterministic = self.random_state is None and draws
        return tags

