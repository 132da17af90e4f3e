"""Input and parameter checks shared by the estimators: each raises ValueError naming the problem.

The input checks wrap scikit-learn's ``validate_data`` and ``check_array``; the
parameter rules are the one way every estimator declares and checks its parameters.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, validate_data

__all__ = [
    "ParameterRulesMixin",
    "Rule",
    "check_int",
    "check_non_negative",
    "check_numeric",
    "check_numeric_array",
    "check_positive",
    "check_seed",
    "validate_numeric",
]

# dtype kinds that are not numbers, though numpy can cast some of them to float:
# strings ("1.5" parses), bytes, dates and time spans.
_NON_NUMERIC_KINDS = {"U": "strings", "S": "bytes", "M": "dates", "m": "time spans"}


def check_seed(random_state: Any) -> int:
    """An integer seed from a scikit-learn ``random_state`` (ValueError naming ``random_state`` if bad).

    An int gives the same seed every time; ``None`` a fresh one; a
    ``RandomState`` advances, as in scikit-learn.
    """
    try:
        rng = check_random_state(random_state)
    except (ValueError, TypeError):
        raise ValueError(
            "random_state must be None, an int in [0, 2**32 - 1] or a numpy RandomState, "
            f"got {random_state!r}"
        ) from None
    return int(rng.randint(np.iinfo(np.int32).max))


def check_numeric(X: Any, name: str = "X") -> None:
    """Raise ValueError if ``X`` holds strings, bytes, dates or time spans.

    scikit-learn's float conversion would otherwise turn ``"1.5"`` or a date into
    a number silently. Object arrays are left to the conversion, which fails on
    anything that is not a number.
    """
    dtypes = getattr(X, "dtypes", None)  # a DataFrame: one dtype per column
    if dtypes is not None and hasattr(dtypes, "__iter__"):
        _check_columns(X, name)
        kinds = [getattr(dtype, "kind", "O") for dtype in dtypes]
    elif hasattr(X, "dtype"):
        kinds = [getattr(X.dtype, "kind", "O")]
    else:
        try:
            kinds = [np.asarray(X).dtype.kind]
        except (ValueError, TypeError):  # ragged and the like: the conversion will say what is wrong
            return
    found = sorted({_NON_NUMERIC_KINDS[k] for k in kinds if k in _NON_NUMERIC_KINDS})
    if found:
        raise ValueError(
            f"{name} holds {' and '.join(found)}, not numbers; latentspec needs numeric data "
            f"(convert it first, e.g. {name}.astype(float) for numbers stored as text)"
        )


def _text_column(column: Any) -> str | None:
    """What is not numeric about a DataFrame column (``"strings"``, ``"categories ..."``), or None."""
    dtype = column.dtype
    kind = getattr(dtype, "kind", "O")
    if kind in _NON_NUMERIC_KINDS:
        return _NON_NUMERIC_KINDS[kind]
    if str(dtype) == "category":
        categories = getattr(dtype, "categories", None)
        if categories is not None and getattr(categories.dtype, "kind", "O") in "OUS":
            return f"categories {list(categories[:5])}"
        return None  # numeric categories convert to their values
    if kind == "O" and any(isinstance(value, (str, bytes)) for value in column.tolist()):
        return "strings"  # pandas' string dtypes and object columns of text
    return None


def _check_columns(X: Any, name: str) -> None:
    """Raise ValueError naming the DataFrame columns that hold text or non-numeric categories."""
    try:
        columns = list(X.items())
    except (AttributeError, TypeError):  # not a pandas-like frame
        return
    found = [(label, what) for label, column in columns if (what := _text_column(column)) is not None]
    if found:
        listed = "; ".join(f"column {label!r} holds {what}" for label, what in found[:5])
        more = f" (and {len(found) - 5} more columns)" if len(found) > 5 else ""
        raise ValueError(
            f"{name} is not all numbers: {listed}{more}. latentspec needs numeric features: drop those columns or "
            "encode them first (e.g. sklearn.preprocessing.OneHotEncoder in a ColumnTransformer), or convert "
            "numbers stored as text with astype(float)"
        )


def validate_numeric(estimator: Any, X: Any, y: Any = "no_validation", **kwargs: Any) -> Any:
    """scikit-learn's ``validate_data`` after :func:`check_numeric`."""
    check_numeric(X)
    return validate_data(estimator, X, y, **kwargs)


def check_numeric_array(X: Any, name: str = "X", **kwargs: Any) -> np.ndarray:
    """scikit-learn's ``check_array`` after :func:`check_numeric`."""
    check_numeric(X, name)
    return check_array(X, input_name=name, **kwargs)


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) ``>= minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number ``> 0``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_non_negative(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite number ``>= 0``."""
    if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


# --------------------------------------------------------------- parameter rules
# Every estimator declares what each of its parameters may be in one table,
# ``_parameter_rules`` (a rule per parameter, in the order they are checked), and
# checks it once at the start of ``fit`` with ``_check_parameters`` (as scikit-learn's
# ``_parameter_constraints``). Constraints that need the data or tie parameters
# together are checked in ``fit`` right after.

Rule = Callable[[str, Any], None]


def integer(minimum: int = 1) -> Rule:
    """An integer (not a bool) of at least ``minimum``."""

    def rule(name: str, value: Any) -> None:
        check_int(name, value, minimum=minimum)

    return rule


def positive(name: str, value: Any) -> None:
    """A finite number > 0."""
    check_positive(name, value)


def non_negative(name: str, value: Any) -> None:
    """A finite number >= 0."""
    check_non_negative(name, value)


def finite_real(name: str, value: Any) -> None:
    """A finite real number (not a bool)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def one_of(choices: tuple[Any, ...] | dict[str, Any]) -> Rule:
    """One of ``choices`` (a dict: one of its keys)."""
    choices = tuple(choices)

    def rule(name: str, value: Any) -> None:
        if not isinstance(value, str) or value not in choices:
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

    def check(name: str, value: Any) -> None:
        if value is not None:
            rule(name, value)

    return check


def either(word: str, rule: Rule, other: str = "a number") -> Rule:
    """The string ``word``, or what ``rule`` allows (``other`` names that in the error message)."""

    def check(name: str, value: Any) -> None:
        if not (isinstance(value, str) and value == word):
            if isinstance(value, str):
                raise ValueError(f"{name} must be {word!r} or {other}, got {value!r}")
            rule(name, value)

    return check


def any_integer(name: str, value: Any) -> None:
    """Any integer."""
    if not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")


def boolean(name: str, value: Any) -> None:
    """True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def seed(name: str, value: Any) -> None:
    """A scikit-learn ``random_state``: None, an int or a RandomState."""
    if not (value is None or isinstance(value, np.random.RandomState)):
        check_seed(value)


def anything(name: str, value: Any) -> None:
    """Any value: the parameter is checked where it is used (an object with methods, a label)."""


class ParameterRulesMixin:
    """``_check_parameters``: the estimator's ``_parameter_rules`` applied to its parameters.

    A subclass declares a rule for every parameter of its ``__init__``
    (``tests/test_validation.py`` checks that none is missing).
    """

    _parameter_rules: ClassVar[dict[str, Rule]] = {}

    def _check_parameters(self, names: tuple[str, ...] | None = None) -> None:
        """Apply the rules (of ``names`` only, if given); ValueError naming the first parameter not allowed."""
        for name, rule in self._parameter_rules.items():
            if names is None or name in names:
                rule(name, getattr(self, name))
