"""Deep latent spectral decomposition (deep LSD) as scikit-learn estimators.

Quasi-eigenvectors of a generator's latent space (Toledo-Marin and Glazier, "Using
deep LSD to build operators in GANs latent space with meaning in real space",
PLoS ONE 2023): one direction per label, built from class means and Gram-Schmidt,
completed to an orthogonal basis of the latent space. On top of the basis:

- :class:`QuasiEigenBasis` fits the basis; ``transform`` gives the spectral
  coefficients ``c_i = <xi_i, z>``, ``inverse_transform`` rebuilds the codes, and
  ``predict`` is the paper's rule (the label of the largest ``|c_i|``).
- :class:`LatentSpectralDenoiser` keeps the few largest coefficients of every code.
- :class:`LatentRotator` rotates codes in the plane of two label directions
  (e.g. turns a 3 into an 8 when the codes are decoded).

All three work on latent codes ``Z`` of shape ``(n_samples, latent_dim)``, e.g.
as Pipeline steps after :class:`latentspec.LWGANEstimator`; no torch is needed.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    clone,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, column_or_1d

from ._validation import check_int, check_numeric_array, check_positive, check_seed, validate_numeric
from .persistence import SaveLoadMixin

__all__ = ["LatentRotator", "LatentSpectralDenoiser", "QuasiEigenBasis"]

_RULES = ("signed", "absolute")
_LABELLINGS = ("latent", "generator")
_DEFAULT_N_NEIGHBORS = 15
# A mean whose Gram-Schmidt residual is below this fraction of its own norm adds no
# new direction (it lies in the span of the vectors before it) and is dropped.
_RTOL = 1e-8
_FLOAT_DTYPES = [np.float64, np.float32]


# ------------------------------------------------------------------------ helpers
def _require_y(estimator: BaseEstimator, y: Any) -> None:
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None: "
            "class labels are needed to build the label directions; call fit(Z, y)"
        )


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


def _label_indices(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Index of every label in ``classes``; -1 for labels that are not classes."""
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    return np.fromiter((lookup.get(label, -1) for label in labels.tolist()), dtype=np.intp, count=len(labels))


def _gram_schmidt(vectors: np.ndarray, n_required: int, classes: np.ndarray, hint: str = "") -> tuple[np.ndarray, int]:
    """Modified Gram-Schmidt over ``vectors`` in order, completed with e_1..e_d.

    Returns the unit rows ``(d, d)`` and how many of them come from ``vectors``.
    Each vector is orthogonalised twice against the rows kept so far (twice is
    enough for orthogonality to machine precision); a vector whose residual is
    below ``_RTOL`` of its own norm lies in their span and is dropped, except
    that the first ``n_required`` (the round-0 class means) must all be kept.
    """
    d = vectors.shape[1]
    basis = np.zeros((d, d))
    n_kept = 0

    def add(vector: np.ndarray) -> bool:
        nonlocal n_kept
        size = np.linalg.norm(vector)
        residual = vector.copy()
        for _ in range(2):
            for row in basis[:n_kept]:
                residual -= (row @ residual) * row
        norm = np.linalg.norm(residual)
        if not np.isfinite(norm) or norm <= _RTOL * size or norm == 0:
            return False
        basis[n_kept] = residual / norm
        n_kept += 1
        return True

    for i, vector in enumerate(vectors):
        if n_kept == d:
            break
        if not add(vector) and i < n_required:
            raise ValueError(
                f"the mean latent code of class {classes[i]!r} lies in the span of the means of the classes "
                f"before it ({classes[:i].tolist()}): the {n_required} class means are linearly dependent, so "
                "no separate label direction can be built for every class. Latent codes whose class means "
                "are distinct directions from the origin are needed (e.g. fit the latent model longer or with "
                f"more dimensions, or merge classes that share a direction){hint}"
            )
    n_from_vectors = n_kept
    for j in range(d):
        if n_kept == d:
            break
        add(np.eye(d)[j])
    return basis, n_from_vectors


def _basis_coefficients(basis: BaseEstimator, Z: np.ndarray) -> np.ndarray:
    """``basis.transform(Z)`` as an array, whatever output container the basis is set to."""
    if isinstance(basis, QuasiEigenBasis):
        return basis._coefficients(Z)
    return np.asarray(basis.transform(Z))


def _lsd_feature_names(estimator: BaseEstimator, input_features: Any) -> np.ndarray:
    check_is_fitted(estimator, "n_features_in_")
    _check_feature_names_in(estimator, input_features, generate_names=False)
    return np.asarray([f"lsd{i}" for i in range(estimator.n_features_in_)], dtype=object)


# ------------------------------------------------------------------ the basis
class QuasiEigenBasis(SaveLoadMixin, ClassifierMixin, TransformerMixin, BaseEstimator):
    """Quasi-eigenvectors of a latent space: one direction per label, completed to a basis.

    The deep LSD basis of Toledo-Marin and Glazier. Round 0 takes the mean latent
    code of every class. Each further round draws ``n_draws`` codes from the
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
    generator : object or callable, default=None
        With ``labelling="generator"``: an object with ``inverse_transform(Z) ->
        X`` (e.g. a fitted :class:`latentspec.LWGANEstimator`) or a callable
        ``Z -> X``.
    classifier : fitted classifier, default=None
        With ``labelling="generator"``: a classifier already fitted on real data
        ``X``; draws are labelled ``classifier.predict(generator(z))``. Labels it
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

    def _check_params(self) -> None:
        if not isinstance(self.rule, str) or self.rule not in _RULES:
            raise ValueError(f"rule must be one of {_RULES}, got {self.rule!r}")
        check_int("n_rounds", self.n_rounds, 1)
        check_int("n_draws", self.n_draws, 1)
        check_positive("prior_scale", self.prior_scale)
        if self.norm is not None:
            check_positive("norm", self.norm)
        if self.latent_classifier is not None and not (
            hasattr(self.latent_classifier, "fit") and hasattr(self.latent_classifier, "predict")
        ):
            raise ValueError(
                f"latent_classifier must be a scikit-learn classifier (fit and predict) or None, "
                f"got {self.latent_classifier!r}"
            )
        if not isinstance(self.labelling, str) or self.labelling not in _LABELLINGS:
            raise ValueError(f"labelling must be one of {_LABELLINGS}, got {self.labelling!r}")
        if self.labelling == "generator":
            missing = [name for name in ("generator", "classifier") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"labelling='generator' needs {' and '.join(missing)}: a generator (an object with "
                    "inverse_transform(Z) -> X, or a callable Z -> X) and a classifier already fitted on X; "
                    "or use labelling='latent', which needs latent codes and labels only"
                )
            if not (hasattr(self.generator, "inverse_transform") or callable(self.generator)):
                raise ValueError(
                    f"generator must have inverse_transform(Z) -> X or be a callable Z -> X, got {self.generator!r}"
                )
            if not hasattr(self.classifier, "predict"):
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
        _require_y(self, y)
        Z, y = validate_numeric(self, Z, y, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        self._check_params()
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
        means = [self.class_means_]
        for _ in range(1, self.n_rounds):
            draws = self.prior_scale * rng.standard_normal((self.n_draws, d))
            predicted = self._label_draws(draws)
            labels = _label_indices(predicted, classes)
            if not (labels >= 0).any():
                raise ValueError(self._no_class_drawn_message(predicted))
            means.append(np.stack([draws[labels == k].mean(axis=0) for k in range(n_classes) if (labels == k).any()]))

        hint = ""
        if np.linalg.norm(Z64.mean(axis=0)) <= 1e-6 * np.linalg.norm(self.class_means_, axis=1).max():
            hint = (
                ". Z is centred (its mean is 0), and the class means of centred codes always sum to 0 (weighted by "
                "class size), so they span at most K - 1 dimensions: do not centre the codes before this step "
                "(e.g. StandardScaler(with_mean=False) rather than StandardScaler(); PCA centres its output)"
            )
        units, self.n_mean_components_ = _gram_schmidt(np.concatenate(means), n_classes, classes, hint)
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
            decode = generator.inverse_transform if hasattr(generator, "inverse_transform") else generator
            decoded = decode(draws)
            labels = self.classifier.predict(decoded)
        labels = np.asarray(labels)
        if labels.shape != (len(draws),):
            raise ValueError(f"labelling {len(draws)} prior draws gave labels of shape {labels.shape}")
        return labels

    def _validate(self, Z) -> np.ndarray:
        check_is_fitted(self)
        return validate_numeric(self, Z, dtype=_FLOAT_DTYPES, reset=False)

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
        check_is_fitted(self)
        C = check_numeric_array(C, "C", dtype=_FLOAT_DTYPES)
        if C.shape[1] != self.n_features_in_:
            raise ValueError(
                f"C has {C.shape[1]} columns but this basis has {self.n_features_in_} coefficients per code"
            )
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
        if not isinstance(self.rule, str) or self.rule not in _RULES:  # set_params after fit
            raise ValueError(f"rule must be one of {_RULES}, got {self.rule!r}")
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

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the coefficients: ``lsd0``, ``lsd1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the features seen in ``fit``; not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        return _lsd_feature_names(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # The paper's rule (largest |c_k| over orthogonalised class-mean directions
        # through the origin) is built for latent spaces whose class means point in
        # distinct directions; on generic low-dimensional data, such as scikit-learn's
        # 2-feature blobs, it is a weak classifier (77 % on their binary problem).
        tags.classifier_tags.poor_score = True
        draws = not isinstance(self.n_rounds, numbers.Integral) or self.n_rounds > 1
        tags.non_deterministic = self.random_state is None and draws
        return tags


# ------------------------------------------------------------- users of a basis
class _BasisUser(SaveLoadMixin, TransformerMixin, BaseEstimator):
    """Shared parts of the estimators that fit a :class:`QuasiEigenBasis` inside."""

    def _make_basis(self) -> BaseEstimator:
        if self.basis is None:
            return QuasiEigenBasis(random_state=self.random_state)
        if not (hasattr(self.basis, "fit") and hasattr(self.basis, "get_params")):
            raise ValueError(f"basis must be a QuasiEigenBasis (or None), got {self.basis!r}")
        basis = clone(self.basis)
        if self.random_state is not None and "random_state" in basis.get_params(deep=False):
            basis.set_params(random_state=self.random_state)
        return basis

    def _fit_basis(self, Z, y) -> np.ndarray:
        _require_y(self, y)
        Z, y = validate_numeric(self, Z, y, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        self._check_params(Z.shape[1], y)
        self.basis_ = self._make_basis().fit(Z, y)
        for name in ("components_", "classes_"):
            if not hasattr(self.basis_, name):
                raise ValueError(f"basis must be a QuasiEigenBasis-like estimator with {name} after fit")
        return Z

    def _check_params(self, n_features: int, y: np.ndarray) -> None:
        """Check the parameters before the basis is fitted (fail fast)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        basis = QuasiEigenBasis(random_state=self.random_state) if self.basis is None else self.basis
        if self.random_state is not None and hasattr(basis, "get_params") and "random_state" in basis.get_params():
            tags.non_deterministic = False
        elif hasattr(basis, "__sklearn_tags__"):
            tags.non_deterministic = basis.__sklearn_tags__().non_deterministic
        return tags


class LatentSpectralDenoiser(_BasisUser):
    """Keep the ``n_components`` largest spectral coefficients of every latent code.

    Fits a :class:`QuasiEigenBasis` on ``(Z, y)``; ``transform`` gives the
    spectral coefficients with all but the ``n_components`` largest ``|c_i|`` of
    each row set to zero, and ``inverse_transform`` rebuilds latent codes from
    them. After a generative model, denoising is the scikit-learn idiom::

        pipe = make_pipeline(LWGANEstimator(...), LatentSpectralDenoiser(n_components=3))
        pipe.fit(X_train, y_train)
        X_denoised = pipe.inverse_transform(pipe.transform(X_noisy))

    Parameters
    ----------
    n_components : int, default=3
        Coefficients kept per code, from 1 to the latent dimension (which keeps
        everything, so ``inverse_transform(transform(Z))`` gives ``Z`` back).
    basis : QuasiEigenBasis or None, default=None
        The basis to fit (cloned); ``None`` uses ``QuasiEigenBasis()``.
    random_state : int, RandomState instance or None, default=None
        When not None, sets the ``random_state`` of the basis (overriding the
        one of ``basis``), so an int gives identical results on every fit.

    Attributes
    ----------
    basis_ : QuasiEigenBasis
        The fitted basis.
    n_features_in_ : int
        Latent dimension seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen in ``fit``, when they are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from latentspec import LatentSpectralDenoiser, QuasiEigenBasis
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> Z = 3 * np.eye(5)[y] + 0.3 * rng.standard_normal((60, 5))
    >>> basis = QuasiEigenBasis(n_draws=500)
    >>> den = LatentSpectralDenoiser(n_components=2, basis=basis, random_state=0).fit(Z, y)
    >>> C = den.transform(Z)
    >>> int((C != 0).sum(axis=1).max())
    2
    >>> den.inverse_transform(C).shape
    (60, 5)
    """

    def __init__(self, n_components: int = 3, basis: Any = None, random_state: Any = None):
        self.n_components = n_components
        self.basis = basis
        self.random_state = random_state

    def _check_params(self, n_features: int, y: np.ndarray | None = None) -> None:
        check_int("n_components", self.n_components, 1)
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} is larger than the latent dimension {n_features}; "
                f"choose n_components between 1 and {n_features}"
            )

    def fit(self, Z, y=None):
        """Fit the basis on latent codes and their labels.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LatentSpectralDenoiser
        """
        self._fit_basis(Z, y)
        return self

    def transform(self, Z):
        """Spectral coefficients with only the ``n_components`` largest ``|c|`` of each row kept.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        C : ndarray of shape (n_samples, n_features)
            At most ``n_components`` non-zeros per row.
        """
        check_is_fitted(self)
        self._check_params(self.n_features_in_)  # n_components may have changed since fit
        Z = validate_numeric(self, Z, dtype=_FLOAT_DTYPES, reset=False)
        C = _basis_coefficients(self.basis_, Z)
        k = int(self.n_components)
        if k < C.shape[1]:
            keep = np.argpartition(-np.abs(C), k - 1, axis=1)[:, :k]
            kept = np.zeros_like(C)
            np.put_along_axis(kept, keep, np.take_along_axis(C, keep, axis=1), axis=1)
            C = kept
        return C

    def inverse_transform(self, C):
        """Latent codes from (kept) spectral coefficients.

        Parameters
        ----------
        C : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return self.basis_.inverse_transform(C)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the coefficients: ``lsd0``, ``lsd1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the features seen in ``fit``; not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        return _lsd_feature_names(self, input_features)


class LatentRotator(OneToOneFeatureMixin, _BasisUser):
    """Rotate latent codes in the plane of two label directions.

    Fits a :class:`QuasiEigenBasis` on ``(Z, y)`` and builds the Givens rotation
    by ``angle`` in the plane of the quasi-eigenvectors of ``source`` and
    ``target``, with ``u = xi_source / |xi_source|`` and ``v = xi_target /
    |xi_target|``::

        R = I + (cos t - 1)(u u^T + v v^T) + sin t (v u^T - u v^T)

    ``R`` is orthogonal with determinant +1 and leaves every other spectral
    coefficient unchanged; at ``t = pi/2`` the source coefficient moves onto the
    target (and the target's, negated, onto the source), so decoding the rotated
    codes turns e.g. a 3 into an 8.

    Parameters
    ----------
    source, target : label or None, default=None
        Labels (in ``classes_`` of the basis) whose plane is rotated, from
        ``source`` towards ``target``; they must differ. ``None`` means the first
        (``source``) and second (``target``) class of the sorted labels.
    angle : float, default=pi/2
        Rotation angle ``t`` in radians.
    basis : QuasiEigenBasis or None, default=None
        The basis to fit (cloned); ``None`` uses ``QuasiEigenBasis()``.
    random_state : int, RandomState instance or None, default=None
        When not None, sets the ``random_state`` of the basis (overriding the
        one of ``basis``), so an int gives identical results on every fit.

    Attributes
    ----------
    rotation_ : ndarray of shape (n_features, n_features)
        The rotation ``R`` at ``angle``.
    source_, target_ : label
        The labels used (resolving None).
    basis_ : QuasiEigenBasis
        The fitted basis.
    n_features_in_ : int
        Latent dimension seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen in ``fit``, when they are all strings.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from latentspec import LatentRotator, QuasiEigenBasis
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> Z = 3 * np.eye(3)[y] + 0.3 * rng.standard_normal((60, 3))
    >>> rot = LatentRotator(source=0, target=1, basis=QuasiEigenBasis(n_draws=500), random_state=0).fit(Z, y)
    >>> Z_rot = rot.transform(Z[:20])  # codes of class 0 ...
    >>> rot.basis_.predict(Z_rot)[:5]  # ... now point along class 1's direction
    array([1, 1, 1, 1, 1])
    >>> bool(np.allclose(rot.inverse_transform(Z_rot), Z[:20]))
    True
    >>> rot.path(Z[:2], n_steps=5).shape
    (5, 2, 3)
    """

    def __init__(
        self,
        source: Any = None,
        target: Any = None,
        angle: float = math.pi / 2,
        basis: Any = None,
        random_state: Any = None,
    ):
        self.source = source
        self.target = target
        self.angle = angle
        self.basis = basis
        self.random_state = random_state

    def _check_params(self, n_features: int, y: np.ndarray) -> None:
        if not isinstance(self.angle, numbers.Real) or isinstance(self.angle, bool) or not math.isfinite(self.angle):
            raise ValueError(f"angle must be a finite number (radians), got {self.angle!r}")
        classes = np.unique(y)
        if len(classes) >= 2:  # else the basis raises its own error
            self._plane(classes)

    def _plane(self, classes: np.ndarray) -> tuple[int, int]:
        """Indices in ``classes`` of source and target (None: the first two classes)."""
        indices = []
        for name, label, default in (("source", self.source, 0), ("target", self.target, 1)):
            if label is None:
                indices.append(default)
                continue
            index = _label_indices(np.array([label], dtype=object), classes)[0]
            if index < 0:
                raise ValueError(f"{name}={label!r} is not one of the classes seen in fit: {classes.tolist()}")
            indices.append(int(index))
        if indices[0] == indices[1]:
            raise ValueError(f"source and target must be different classes, both are {classes[indices[0]]!r}")
        return indices[0], indices[1]

    def fit(self, Z, y=None):
        """Fit the basis and build the rotation.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
        y : array-like of shape (n_samples,)
            Class labels; ``source`` and ``target`` must be among them.

        Returns
        -------
        self : LatentRotator
        """
        self._fit_basis(Z, y)
        classes = self.basis_.classes_
        self._plane_indices = self._plane(classes)
        self.source_, self.target_ = classes[self._plane_indices[0]], classes[self._plane_indices[1]]
        self.rotation_ = self.rotation_matrix(self.angle)
        return self

    def rotation_matrix(self, angle: float) -> np.ndarray:
        """The rotation by any ``angle`` (radians) in the fitted (source, target) plane.

        Parameters
        ----------
        angle : float

        Returns
        -------
        R : ndarray of shape (n_features, n_features)
        """
        check_is_fitted(self, "basis_")
        if not isinstance(angle, numbers.Real) or isinstance(angle, bool) or not math.isfinite(angle):
            raise ValueError(f"angle must be a finite number (radians), got {angle!r}")
        rows = self.basis_.components_[list(self._plane_indices)]
        u, v = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        c, s = math.cos(angle), math.sin(angle)
        return np.eye(len(u)) + (c - 1.0) * (np.outer(u, u) + np.outer(v, v)) + s * (np.outer(v, u) - np.outer(u, v))

    def transform(self, Z):
        """Rotate latent codes: ``R z`` for every row ``z``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z_rotated : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = validate_numeric(self, Z, dtype=_FLOAT_DTYPES, reset=False)
        return Z @ self.rotation_.T.astype(Z.dtype, copy=False)

    def inverse_transform(self, Z):
        """Rotate back: ``R^T z`` for every row ``z``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_numeric_array(Z, "Z", dtype=_FLOAT_DTYPES)
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(f"Z has {Z.shape[1]} columns but the rotation acts on {self.n_features_in_}")
        return Z @ self.rotation_.astype(Z.dtype, copy=False)

    def path(self, Z, n_steps: int = 9, angles=None) -> np.ndarray:
        """The codes rotated by a sequence of angles, e.g. to morph decoded pictures.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
        n_steps : int, default=9
            Number of angles evenly spaced over a full turn, ``linspace(0, 2 pi,
            n_steps)`` (so the first and last steps are the codes themselves).
        angles : array-like of float or None, default=None
            Explicit angles (radians); overrides ``n_steps``.

        Returns
        -------
        paths : ndarray of shape (n_angles, n_samples, n_features)
            ``paths[j]`` is ``Z`` rotated by the ``j``-th angle.
        """
        check_is_fitted(self)
        Z = validate_numeric(self, Z, dtype=_FLOAT_DTYPES, reset=False)
        if angles is None:
            angles = np.linspace(0.0, 2 * math.pi, check_int("n_steps", n_steps, 2))
        else:
            angles = np.asarray(angles, dtype=np.float64).ravel()
            if not np.isfinite(angles).all():
                raise ValueError("angles must be finite numbers (radians)")
        paths = [Z @ self.rotation_matrix(float(t)).T.astype(Z.dtype, copy=False) for t in angles]
        return np.stack(paths) if paths else np.empty((0, *Z.shape), dtype=Z.dtype)
