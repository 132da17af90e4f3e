"""Latent rotation: turn codes from one label direction towards another.

:class:`LatentRotator` fits a :class:`latentspec.QuasiEigenBasis` and rotates
latent codes in the plane of two of its label directions, so that decoding the
rotated codes morphs one class into another.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import Rule, anything, check_int
from ._basis_user import _BasisUser
from ._common import _label_indices

__all__ = ["LatentRotator"]


def _angle_rule(name: str, angle: Any) -> None:
    """Raise unless ``angle`` is a finite real number (radians); booleans are refused."""
    if not isinstance(angle, numbers.Real) or isinstance(angle, bool) or not math.isfinite(angle):
        raise ValueError(f"{name} must be a finite number (radians), got {angle!r}")


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

    _parameter_rules: ClassVar[dict[str, Rule]] = {
        "source": anything,  # a label of y: checked against the classes in fit
        "target": anything,
        "angle": _angle_rule,
        **_BasisUser._basis_rules,
    }

    def _check_for_data(self, n_features: int, y: np.ndarray) -> None:
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
        _angle_rule("angle", angle)
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
        Z = self._validate(Z)
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
        Z = self._validate_inverse_input(Z, "Z", "the rotation acts on {n_features}")
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
        Z = self._validate(Z)
        if angles is None:
            angles = np.linspace(0.0, 2 * math.pi, check_int("n_steps", n_steps, 2))
        else:
            angles = np.asarray(angles, dtype=np.float64).ravel()
            if not np.isfinite(angles).all():
                raise ValueError("angles must be finite numbers (radians)")
        paths = [Z @ self.rotation_matrix(float(t)).T.astype(Z.dtype, copy=False) for t in angles]
        return np.stack(paths) if paths else np.empty((0, *Z.shape), dtype=Z.dtype)
