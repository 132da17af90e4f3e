"""Input and parameter checks shared by the estimators: each raises ValueError naming the problem."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, validate_data

__all__ = [
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
