"""The shared input and parameter checks (latentspec/_validation.py): each parameter rule accepts and refuses the
right values with a message that names the parameter; every public estimator declares a rule for each of its
parameters and checks each once per fit; the numeric input checks.

What each estimator's own rules allow is tested with the estimator (e.g. tests/lwgan/test_params.py); the
property-based battery of bad input through every method is tests/test_bad_input.py.
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA

import latentspec
from latentspec import LatentRotator, LatentSpectralDenoiser, LWGANEstimator, QuasiEigenBasis, ResidualWiener
from latentspec._validation import (
    ParameterRulesMixin,
    any_integer,
    anything,
    boolean,
    check_int,
    check_non_negative,
    check_numeric,
    check_numeric_array,
    check_positive,
    check_seed,
    either,
    finite_real,
    integer,
    non_negative,
    one_of,
    optional,
    positive,
    seed,
    validate_numeric,
    widths,
)

from .lsd._codes import clusters

# ---------------------------------------------------------------------------------------- the rules
# (id, rule, values it accepts, values it refuses, the start of the message for those, after the name)
RULE_CASES = [
    ("integer", integer(), [1, 7, np.int64(3)], [0, -1, 1.5, "2", True, None], "must be an integer >= 1"),
    ("integer_min_0", integer(minimum=0), [0, 12], [-1, 0.0, False], "must be an integer >= 0"),
    ("integer_min_2", integer(minimum=2), [2, 3], [1, np.int64(0)], "must be an integer >= 2"),
    ("positive", positive, [1e-9, 3, 2.5, np.float32(0.1)], [0, 0.0, -1, math.inf, math.nan, True, "1", None],
     "must be a finite number > 0"),
    ("non_negative", non_negative, [0, 0.0, 4.5, np.float64(2)], [-1e-9, -2, math.inf, math.nan, "0", None],
     "must be a finite number >= 0"),
    ("finite_real", finite_real, [-3, 0.0, 2.5, np.float64(-1e300)], [math.inf, -math.inf, math.nan, True, "1", None],
     "must be a finite number"),
    ("one_of", one_of(("a", "b")), ["a", "b"], ["c", "A", "", 1, None], "must be one of ('a', 'b')"),
    ("one_of_dict_keys", one_of({"x": 1, "y": 2}), ["x", "y"], ["z", 1], "must be one of ('x', 'y')"),
    ("widths", widths, [(8,), [4, 4], (np.int64(3), 2)],
     [(), [], (0,), (8, -1), (2.5,), (True, 8), (np.True_,), "8", 8, None],
     "must be a non-empty tuple of positive integers"),
    ("optional", optional(positive), [None, 1.0], [0, -1, "a"], "must be a finite number > 0"),
    ("either_word", either("auto", non_negative), ["auto", 0, 2.5], ["best", "", "Auto"],
     "must be 'auto' or a number"),
    ("either_rule", either("auto", non_negative), [], [-1, math.nan, None], "must be a finite number >= 0"),
    ("any_integer", any_integer, [0, -5, 10**20, np.int32(2), True], [1.5, "1", None], "must be an integer"),
    ("boolean", boolean, [True, False, np.True_, np.False_], [0, 1, "yes", None], "must be True or False"),
    ("anything", anything, [None, object(), "x", math.nan, -1], [], ""),
]


@pytest.mark.parametrize(("rule", "good"), [(c[1], v) for c in RULE_CASES for v in c[2]],
                         ids=[f"{c[0]}-{i}" for c in RULE_CASES for i in range(len(c[2]))])
def test_a_rule_accepts_its_values(rule, good):
    assert rule("some_param", good) is None


@pytest.mark.parametrize(("rule", "bad", "message"), [(c[1], v, c[4]) for c in RULE_CASES for v in c[3]],
                         ids=[f"{c[0]}-{i}" for c in RULE_CASES for i in range(len(c[3]))])
def test_a_rule_refuses_other_values_naming_the_parameter_and_the_value(rule, bad, message):
    with pytest.raises(ValueError, match=rf"^some_param {re.escape(message)}") as error:
        rule("some_param", bad)
    assert str(error.value).endswith(f"got {bad!r}")


@pytest.mark.parametrize("good", [None, 0, 2**32 - 1, np.int64(5), np.random.RandomState(0)])
def test_the_seed_rule_accepts_what_scikit_learn_accepts(good):
    assert seed("random_state", good) is None


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", np.random.default_rng(0)])
def test_the_seed_rule_refuses_the_rest(bad):
    with pytest.raises(ValueError, match=r"^random_state must be None, an int in \[0, 2\*\*32 - 1\] or a numpy Rand"):
        seed("random_state", bad)


def test_the_check_functions_return_the_value_converted():
    assert check_int("n", np.int64(3)) == 3 and type(check_int("n", np.int64(3))) is int
    assert check_int("n", 0, minimum=0) == 0
    assert check_positive("x", 2) == 2.0 and type(check_positive("x", 2)) is float
    assert check_non_negative("x", 0) == 0.0 and type(check_non_negative("x", np.float32(1.5))) is float


def test_check_seed_repeats_an_int_varies_with_none_and_advances_a_random_state():
    assert check_seed(3) == check_seed(3) != check_seed(4)
    assert len({check_seed(None) for _ in range(5)}) > 1
    state = np.random.RandomState(0)
    first, second = check_seed(state), check_seed(state)
    assert first != second and check_seed(np.random.RandomState(0)) == first
    assert all(0 <= check_seed(s) < 2**31 for s in (0, 2**32 - 1, None))


class _Ruled(ParameterRulesMixin):
    _parameter_rules = {"a": integer(), "b": positive, "c": boolean}

    def __init__(self, a=1, b=1.0, c=True):
        self.a, self.b, self.c = a, b, c


def test_check_parameters_applies_the_rules_in_order_or_only_those_named():
    _Ruled()._check_parameters()
    with pytest.raises(ValueError, match="^a must be"):  # the first bad one in the table's order
        _Ruled(a=0, b=-1.0, c="no")._check_parameters()
    with pytest.raises(ValueError, match="^c must be"):
        _Ruled(a=0, b=-1.0, c="no")._check_parameters(("c",))
    _Ruled(a=0, b=-1.0)._check_parameters(("c",))  # a and b are not looked at


# ----------------------------------------------------------------------------- every public estimator
# The public estimators, built with the arguments they need, and small data their fit accepts.
def _codes():
    return clusters(n_classes=3, dim=4, n_per_class=20)


def _rows():
    return np.random.default_rng(0).standard_normal((40, 6)), None


TINY_BASIS = {"n_rounds": 2, "n_draws": 100, "random_state": 0}
TINY_LWGAN = dict(rank=1, latent_dim=2, n_warmup=2, n_critic_refit=1, n_score_repeats=1, n_threads=1,
                  encoder_layers=(4,), generator_layers=(4,), critic_layers=(4,), random_state=0)
ESTIMATORS = {
    "LWGANEstimator": (LWGANEstimator, {}, TINY_LWGAN, _rows),
    "QuasiEigenBasis": (QuasiEigenBasis, {}, TINY_BASIS, _codes),
    "LatentSpectralDenoiser": (LatentSpectralDenoiser, {}, {"n_components": 2,
                                                           "basis": QuasiEigenBasis(**TINY_BASIS)}, _codes),
    "LatentRotator": (LatentRotator, {}, {"basis": QuasiEigenBasis(**TINY_BASIS)}, _codes),
    "ResidualWiener": (ResidualWiener, {"estimator": PCA(n_components=2)}, {"noise_std": 0.3}, _rows),
}

# A value of each numeric parameter that fit must refuse (every parameter whose default is a number is here).
BAD_NUMBERS = {
    "LWGANEstimator": {
        "latent_dim": 0, "rank": 0, "n_warmup": -1, "n_iter": -1, "n_critic_refit": -1, "n_critic": 0,
        "n_generator": 0, "batch_size": 1, "n_score_repeats": 0, "validation_fraction": 0.6, "learning_rate": 0.0,
        "lambda_gp": -1.0, "n_refits": -1,
        "lambda_mmd": math.nan, "label_weight": -0.5, "augment_shift": -1, "dropout": 1.0, "n_threads": 0,
        "verbose": 1.5, "random_state": -1,
    },
    "QuasiEigenBasis": {"n_rounds": 0, "n_draws": 1.5, "prior_scale": 0.0, "norm": -1.0, "random_state": -1},
    "LatentSpectralDenoiser": {"n_components": 0, "random_state": 1.5},
    "LatentRotator": {"angle": math.nan, "random_state": "seed"},
    "ResidualWiener": {"noise_std": 0.0, "threshold": -1.0},
}


def test_the_estimators_listed_here_are_all_the_public_ones():
    public = {name for name in latentspec.__all__
              if isinstance(getattr(latentspec, name), type) and issubclass(getattr(latentspec, name), BaseEstimator)}
    assert public == set(ESTIMATORS) == set(BAD_NUMBERS)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_every_parameter_has_a_rule(name):
    cls, required, _, _ = ESTIMATORS[name]
    assert set(cls._parameter_rules) == set(cls(**required).get_params(deep=False))


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fit_checks_each_parameter_exactly_once(monkeypatch, name):
    cls, required, tiny, data = ESTIMATORS[name]
    calls = []
    for param, rule in cls._parameter_rules.items():
        def counting(n, value, rule=rule):
            calls.append(n)
            rule(n, value)
        monkeypatch.setitem(cls._parameter_rules, param, counting)
    cls(**required, **tiny).fit(*data())
    assert sorted(calls) == sorted(cls._parameter_rules)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_every_numeric_parameter_has_a_bad_value_here(name):
    cls, required, _, _ = ESTIMATORS[name]
    numeric = {param for param, value in cls(**required).get_params(deep=False).items()
               if isinstance(value, numbers.Real) and not isinstance(value, bool)}
    assert numeric <= set(BAD_NUMBERS[name]), f"add a bad value of {sorted(numeric - set(BAD_NUMBERS[name]))}"


@pytest.mark.parametrize(("name", "param"), [(name, param) for name, bad in BAD_NUMBERS.items() for param in bad])
def test_fit_refuses_a_bad_number_naming_the_parameter(name, param):
    cls, required, tiny, data = ESTIMATORS[name]
    bad = BAD_NUMBERS[name][param]
    with pytest.raises(ValueError, match=rf"^{param}\b") as error:
        cls(**required, **{**tiny, param: bad}).fit(*data())
    assert repr(bad) in str(error.value)


# ------------------------------------------------------------------------------------ the input checks
@pytest.mark.parametrize(
    ("X", "what"),
    [
        (np.array([["1.5", "2"]]), "strings"),
        ([["a", "b"]], "strings"),
        (np.array([[b"1", b"2"]]), "bytes"),
        (np.array([["2024-01-01"]], dtype="datetime64[D]"), "dates"),
        (np.array([[1, 2]], dtype="timedelta64[s]"), "time spans"),
    ],
    ids=["str", "list_of_str", "bytes", "dates", "time_spans"],
)
def test_check_numeric_refuses_what_numpy_would_cast_to_float(X, what):
    with pytest.raises(ValueError, match=rf"^Z holds {what}, not numbers; .*Z\.astype\(float\)"):
        check_numeric(X, "Z")


@pytest.mark.parametrize("X", [np.ones((2, 2)), [[1, 2.5]], np.array([[1, 2]], dtype=object), [[1], [2, 3]]],
                         ids=["floats", "list", "object_numbers", "ragged"])
def test_check_numeric_leaves_numbers_and_unreadable_shapes_to_the_conversion(X):
    assert check_numeric(X) is None


def test_a_frame_column_of_text_or_dates_is_named():
    frame = pd.DataFrame({"x": [1.0, 2.0], "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                          "label": pd.Categorical(["a", "b"]), "size": pd.Categorical([1, 2])})
    with pytest.raises(ValueError, match=r"^X is not all numbers: column 'when' holds dates; column 'label' holds "
                                         r"categories \['a', 'b'\]\. .*OneHotEncoder") as error:
        check_numeric(frame)
    assert "'size'" not in str(error.value) and "'x'" not in str(error.value)  # numeric categories are numbers


def test_many_text_columns_are_named_five_at_most():
    frame = pd.DataFrame({f"c{i}": ["a", "b"] for i in range(7)})
    with pytest.raises(ValueError, match=r"column 'c4' holds strings \(and 2 more columns\)") as error:
        check_numeric(frame, "X")
    assert "'c5'" not in str(error.value)


def test_check_numeric_array_names_its_input_and_returns_an_array():
    assert check_numeric_array([[1, 2]], "Z", dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="Input Z contains NaN"):
        check_numeric_array(np.array([[np.nan, 1.0]]), "Z")
    with pytest.raises(ValueError, match="^residuals holds strings"):
        check_numeric_array(np.array([["1"]]), "residuals")


def test_validate_numeric_checks_first_then_records_the_features():
    estimator = PCA()
    with pytest.raises(ValueError, match="^X holds strings"):
        validate_numeric(estimator, np.array([["1", "2"]]))
    assert not hasattr(estimator, "n_features_in_")
    validate_numeric(estimator, np.ones((3, 4)))
    assert estimator.n_features_in_ == 4
