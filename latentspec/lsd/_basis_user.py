"""The shared base of the estimators that fit a deep LSD basis inside.

:class:`latentspec.LatentSpectralDenoiser` and :class:`latentspec.LatentRotator`
both fit a :class:`latentspec.QuasiEigenBasis` (a clone of their ``basis``, seeded
by their ``random_state``) on the codes and labels given to their ``fit``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from .._validation import ParameterRulesMixin, Rule, seed
from ..persistence import SaveLoadMixin
from ._common import _LatentCodeMixin
from ._quasi_eigen import QuasiEigenBasis


def basis_or_none(name: str, value: Any) -> None:
    """None, or a QuasiEigenBasis-like estimator (``fit`` and ``get_params``)."""
    if value is not None and not (hasattr(value, "fit") and hasattr(value, "get_params")):
        raise ValueError(f"{name} must be a QuasiEigenBasis (or None), got {value!r}")


class _BasisUser(ParameterRulesMixin, _LatentCodeMixin, SaveLoadMixin, TransformerMixin, BaseEstimator):
    """Shared parts of the estimators that fit a :class:`QuasiEigenBasis` inside."""

    # The rules of the parameters every such estimator has; each adds its own.
    _basis_rules: ClassVar[dict[str, Rule]] = {"basis": basis_or_none, "random_state": seed}

    def _make_basis(self) -> BaseEstimator:
        if self.basis is None:
            return QuasiEigenBasis(random_state=self.random_state)
        basis = clone(self.basis)
        if self.random_state is not None and "random_state" in basis.get_params(deep=False):
            basis.set_params(random_state=self.random_state)
        return basis

    def _fit_basis(self, Z, y) -> np.ndarray:
        Z, y = self._validate_fit_input(Z, y)
        self._check_parameters()
        self._check_for_data(Z.shape[1], y)
        self.basis_ = self._make_basis().fit(Z, y)
        for name in ("components_", "classes_"):
            if not hasattr(self.basis_, name):
                raise ValueError(f"basis must be a QuasiEigenBasis-like estimator with {name} after fit")
        return Z

    def _check_for_data(self, n_features: int, y: np.ndarray) -> None:
        """Check what the parameters need of the data before the basis is fitted (fail fast)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # target required, float dtypes kept: _LatentCodeMixin
        basis = QuasiEigenBasis(random_state=self.random_state) if self.basis is None else self.basis
        if self.random_state is not None and hasattr(basis, "get_params") and "random_state" in basis.get_params():
            tags.non_deterministic = False
        elif hasattr(basis, "__sklearn_tags__"):
            tags.non_deterministic = basis.__sklearn_tags__().non_deterministic
        return tags
