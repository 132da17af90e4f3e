"""Property-based battery: generated bad inputs must raise ValueError or TypeError naming the problem.

For every estimator, hypothesis draws at least 200 calls, each with one thing
wrong: the data (NaN or inf, wrong feature count, 1-D, 3-D, empty, text, dates,
complex numbers, ragged rows, sparse matrices, too few rows), the labels (missing,
one class, wrong length, NaN, continuous, 2-D), a parameter given to the
constructor, or a parameter changed with ``set_params`` after ``fit`` and read by
the method called. A call that succeeds (a silent success) or raises any other
exception type fails the test, as does a message that does not match the problem.

Good inputs in other containers are drawn too: read-only arrays (as pandas 3
hands them out), float32, DataFrames (read-only underneath), each with the
default, ``set_output(transform="pandas")`` or a global pandas output: every
method must give the same numbers as on a plain writable array, in the container
asked for, with no warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from latentspec import LatentRotator, LatentSpectralDenoiser, LWGANEstimator, QuasiEigenBasis
from latentspec.datasets import make_s_curve_3d

from ._tiny import TINY_PARAMS

N_EXAMPLES = 250  # per estimator; the acceptance asks for at least 200

# What each kind of bad data must be called in the error message.
DATA_MESSAGES = {
    "nan": r"NaN|infinity",
    "wrong_features": r"features|columns|coefficients|acts on|rank_",
    "one_d": r"2D array",
    "three_d": r"dim 3|2D",
    "empty_rows": r"0 sample",
    "no_features": r"0 feature",
    "text": r"strings",
    "dates": r"dates",
    "complex": r"complex",
    "ragged": r"inhomogeneous|sequence",
    "sparse": r"sparse",
    "none_items": r"NaN|could not convert|float",
    "scalar": r"2D array|scalar",
    "one_row": r"sample|class",
}
FIT_DATA_KINDS = [k for k in DATA_MESSAGES if k != "wrong_features"]
USE_DATA_KINDS = [k for k in DATA_MESSAGES if k != "one_row"]

LABEL_MESSAGES = {
    "missing": r"requires y|needs class labels",
    "one_class": r"class",
    "wrong_length": r"inconsistent numbers of samples|labels but X has",
    "nan": r"NaN",
    "continuous": r"continuous",
    "two_d": r"1d array|shape",
}


def make_bad_data(kind: str, n_features: int, seed: int):
    """Data of ``n_features`` columns with exactly one thing wrong, of the given kind."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 13))
    X = rng.uniform(-10, 10, size=(n, n_features))
    if kind == "nan":
        X[rng.integers(n), rng.integers(n_features)] = rng.choice([np.nan, np.inf, -np.inf])
    elif kind == "wrong_features":
        k = int(rng.choice([k for k in range(1, n_features + 5) if k != n_features]))
        X = rng.uniform(-10, 10, size=(n, k))
    elif kind == "one_d":
        X = X.ravel()
    elif kind == "three_d":
        X = np.stack([X, X], axis=-1)
    elif kind == "empty_rows":
        X = X[:0]
    elif kind == "no_features":
        X = X[:, :0]
    elif kind == "text":
        letters = np.array(list("abcdfghjklmopqrtuvwxyz"))
        X = np.array(["".join(rng.choice(letters, rng.integers(1, 6))) for _ in range(X.size)]).reshape(n, -1)
    elif kind == "dates":
        X = np.datetime64("2020-01-01") + X.astype("timedelta64[D]")
    elif kind == "complex":
        X = X + 1j * rng.uniform(0.5, 2)
    elif kind == "ragged":
        rows = X.tolist()
        rows[int(rng.integers(1, n))] = rows[0][:-1] if n_features > 1 else rows[0] + [1.0]
        X = rows
    elif kind == "sparse":
        X = scipy.sparse.csr_matrix(X)
    elif kind == "none_items":
        X = X.astype(object)
        X[rng.integers(n), rng.integers(n_features)] = None
    elif kind == "scalar":
        X = float(X[0, 0])
    elif kind == "one_row":
        X = X[:1]
    else:
        raise AssertionError(kind)
    return X


def n_rows(X) -> int:
    try:
        return X.shape[0] if hasattr(X, "shape") and len(X.shape) else len(X)
    except TypeError:
        return 6


def good_labels(n: int) -> np.ndarray:
    return np.arange(n) % 3


def make_bad_labels(kind: str, n: int, seed: int):
    """Labels for ``n`` rows with one thing wrong, of the given kind."""
    rng = np.random.default_rng(seed)
    y = good_labels(n)
    if kind == "missing":
        return None
    if kind == "one_class":
        return np.full(n, [0, 7, "a"][int(rng.integers(3))])
    if kind == "wrong_length":
        return good_labels(n + int(rng.choice([-2, -1, 1, 5])))
    if kind == "nan":
        y = y.astype(float)
        y[rng.integers(n)] = np.nan
        return y
    if kind == "continuous":
        return np.linspace(0, 1, n) + rng.uniform(0.01, 0.1)
    if kind == "two_d":
        return np.stack([y, y], axis=1)
    raise AssertionError(kind)


SEEDS = st.integers(0, 2**32 - 1)


def bad_data(kinds: list[str], n_features: int):
    """``(kind, X)`` for a drawn kind and seed."""
    return st.tuples(st.sampled_from(kinds), SEEDS).map(lambda t: (t[0], make_bad_data(t[0], n_features, t[1])))


def bad_labels(n: int, kinds: list[str] = list(LABEL_MESSAGES)):  # noqa: B006 - read only
    """``(kind, y)`` for a drawn kind and seed."""
    return st.tuples(st.sampled_from(kinds), SEEDS).map(lambda t: (t[0], make_bad_labels(t[0], n, t[1])))


def call(description: str, function: Callable[[], object], pattern: str):
    return description, function, pattern


def bad_params(table: dict[str, list]):
    """``(name, value)`` pairs from a table of bad values per parameter."""
    return st.sampled_from([(name, value) for name, values in table.items() for value in values])


# Parameters that methods of a fitted estimator read, with bad values, and those methods: set_params after
# fit must be caught there, not give a silent wrong result.
AFTER_FIT = {
    "LWGANEstimator": {
        "n_threads": ([0, -1, 1.5, "2", True], ["transform", "inverse_transform", "score", "sample"]),
        "n_score_repeats": ([0, 2.5, None], ["score"]),
        "batch_size": ([1, "big"], ["score"]),
        "lambda_mmd": ([-1.0, float("nan")], ["score"]),
    },
    "QuasiEigenBasis": {"rule": (["max", 1, None], ["predict", "decision_function", "score"])},
    "LatentSpectralDenoiser": {"n_components": ([0, -1, 2.5, 5, "all", None], ["transform"])},
}


def after_fit_calls(fitted, Z, y=None):
    """``set_params(bad)`` on a copy of ``fitted``, then a method that reads that parameter."""
    import copy

    def method_args(method):
        if method == "sample":
            return (2,)
        if method == "inverse_transform":
            return (np.zeros((3, fitted.transform(Z[:1]).shape[1])),)
        if method == "score" and y is not None:
            return (Z, y)
        return (Z,)

    table = AFTER_FIT[type(fitted).__name__]
    triples = [(name, value, method) for name, (values, methods) in table.items() for value in values
               for method in methods]

    def make_call(name, value, method):
        def run():
            est = copy.deepcopy(fitted).set_params(**{name: value})
            return getattr(est, method)(*method_args(method))

        return call(f"{name} set_params then {method}", run, re.escape(name))

    return st.sampled_from(triples).map(lambda t: make_call(*t))


def assert_rejected(description: str, function: Callable[[], object], pattern: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            function()
        except (ValueError, TypeError) as error:
            assert re.search(pattern, str(error), re.IGNORECASE), (
                f"{description}: the message does not name the problem ({pattern!r}): {error}"
            )
        except Exception as error:  # noqa: BLE001 - the point is to catch every other type
            pytest.fail(f"{description}: unexpected {type(error).__name__}: {error}")
        else:
            pytest.fail(f"{description}: accepted without an error")


def run_battery(calls: st.SearchStrategy) -> list[str]:
    """Run ``N_EXAMPLES`` generated bad calls; return their descriptions."""
    seen: list[str] = []

    @settings(
        max_examples=N_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(calls)
    def battery(drawn):
        seen.append(drawn[0])
        assert_rejected(*drawn)

    battery()
    return seen


def assert_coverage(seen: list[str], minimum_kinds: set[str]) -> None:
    """At least 200 inputs, and most kinds among them (test_every_kind_... covers each kind for sure)."""
    assert len(seen) >= 200, f"only {len(seen)} bad inputs were generated"
    kinds = {description.split(" ")[0] for description in seen}
    assert len(minimum_kinds & kinds) >= 0.7 * len(minimum_kinds), f"rarely varied: {sorted(kinds)}"


# ----------------------------------------------------------------------- LWGAN
LWGAN_PARAMS = {
    "latent_dim": [0, -2, 2.5, "3", True],
    "rank": [0, "two", 4, 1.5],
    "image_shape": [(2, 2), (3,), (0, 3), "3x1", (1, 1, 1, 3)],
    "encoder_layers": [(), (0,), (-4,), "16", (16.5,)],
    "activation": ["sigmoid", None, 3],
    "n_warmup": [-1, 2.5, "10"],
    "n_iter": [-1, None],
    "n_critic": [0],
    "n_generator": [0],
    "n_critic_refit": [-1],
    "batch_size": [1, 0, "big"],
    "learning_rate": [0, -1e-3, float("nan"), float("inf"), "fast", True],
    "lambda_gp": [-1, float("nan")],
    "lambda_mmd": [-0.5, float("inf")],
    "label_weight": [-1, float("nan")],
    "rank_sampling": ["random"],
    "rank_rule": ["bic"],
    "n_score_repeats": [0],
    "device": ["tpu", "gpu0"],
    "precision": ["float16", "double", None],
    "random_state": ["seed", -1],
    "verbose": ["loud"],
    "warm_start": ["yes"],
    "architecture": ["cnn", None],
    "conv_layers": [(), (0,), "32"],
    "augment_shift": [-1, 1.5, "2", 1],  # 1: these rows are not images (no image_shape)
    "dropout": [-0.1, 1.0, 1.5, float("nan"), "0.2", None],
}


@pytest.fixture(scope="module")
def lwgan_setup():
    X = make_s_curve_3d(n_samples=40, random_state=0)
    fitted = LWGANEstimator(latent_dim=3, **TINY_PARAMS).fit(X)
    return X, fitted


def lwgan_calls(X, fitted):
    tiny = dict(TINY_PARAMS)

    def fresh(**params):
        return LWGANEstimator(**{"latent_dim": 3, **tiny, **params})

    data_fit = bad_data(FIT_DATA_KINDS, 3).map(
        lambda d: call(f"{d[0]} fit", lambda: fresh().fit(d[1]), DATA_MESSAGES[d[0]])
    )
    data_use = st.tuples(st.sampled_from(["transform", "score"]), bad_data(USE_DATA_KINDS, 3)).map(
        lambda m: call(f"{m[1][0]} {m[0]}", lambda: getattr(fitted, m[0])(m[1][1]), DATA_MESSAGES[m[1][0]])
    )
    codes = bad_data(USE_DATA_KINDS, fitted.rank_).map(
        lambda d: call(f"{d[0]} inverse_transform", lambda: fitted.inverse_transform(d[1]), DATA_MESSAGES[d[0]])
    )
    sample = st.sampled_from([0, -1, 2.5, "3", None, True, float("nan")]).map(
        lambda n: call("n_samples sample", lambda: fitted.sample(n), "n_samples")
    )
    params = bad_params(LWGAN_PARAMS).map(
        lambda p: call(f"{p[0]} param", lambda: fresh(**{p[0]: p[1]}).fit(X), re.escape(p[0]))
    )
    labels = bad_labels(len(X)).map(
        lambda lab: call(
            f"{lab[0]} labels",
            lambda: fresh(rank=3, label_weight=1.0).fit(X, lab[1]),
            LABEL_MESSAGES[lab[0]],
        )
    )
    return st.one_of(data_fit, data_use, codes, sample, params, labels, after_fit_calls(fitted, X))


def test_lwgan_rejects_bad_input(lwgan_setup):
    seen = run_battery(lwgan_calls(*lwgan_setup))
    assert_coverage(seen, set(FIT_DATA_KINDS) | set(LABEL_MESSAGES) | {"n_samples"})


# ------------------------------------------------------------------- deep LSD
def lsd_codes():
    rng = np.random.default_rng(0)
    y = good_labels(30)
    return 3 * np.eye(4)[y] + 0.3 * rng.standard_normal((30, 4)), y


TINY_BASIS = dict(n_rounds=2, n_draws=100, random_state=0)

QEB_PARAMS = {
    "n_rounds": [0, -1, 1.5],
    "n_draws": [0, "many"],
    "labelling": ["image", None],
    "prior_scale": [0, -1, float("nan")],
    "norm": [0, -2, "unit"],
    "rule": ["max", 1],
    "random_state": ["x"],
    "latent_classifier": ["knn", 3],
}


def fit_calls(make, Z, y):
    """Bad data and bad labels given to ``make().fit``."""
    data = bad_data(FIT_DATA_KINDS, Z.shape[1]).map(
        lambda d: call(
            f"{d[0]} fit", lambda: make().fit(d[1], good_labels(n_rows(d[1]))), DATA_MESSAGES[d[0]]
        )
    )
    labels = bad_labels(len(Z)).map(
        lambda lab: call(f"{lab[0]} labels", lambda: make().fit(Z, lab[1]), LABEL_MESSAGES[lab[0]])
    )
    return [data, labels]


def use_calls(fitted, methods: list[str], n_features: int):
    """Bad data given to each of ``methods`` of a fitted estimator."""
    return st.tuples(st.sampled_from(methods), bad_data(USE_DATA_KINDS, n_features)).map(
        lambda m: call(f"{m[1][0]} {m[0]}", lambda: getattr(fitted, m[0])(m[1][1]), DATA_MESSAGES[m[1][0]])
    )


def param_calls(make, table, Z, y):
    return bad_params(table).map(
        lambda p: call(f"{p[0]} param", lambda: make(**{p[0]: p[1]}).fit(Z, y), re.escape(p[0]))
    )


def test_quasi_eigen_basis_rejects_bad_input():
    Z, y = lsd_codes()

    def make(**params):
        return QuasiEigenBasis(**{**TINY_BASIS, **params})

    fitted = make().fit(Z, y)
    score_labels = bad_labels(len(Z), ["wrong_length", "nan", "two_d"]).map(
        lambda lab: call(f"{lab[0]} score", lambda: fitted.score(Z, lab[1]), LABEL_MESSAGES[lab[0]])
    )
    generator_without_parts = st.sampled_from(["generator", "classifier"]).map(
        lambda part: call(
            "labelling param",
            lambda: make(labelling="generator", **{part: (lambda codes: codes)}).fit(Z, y),
            "needs",
        )
    )
    calls = st.one_of(
        *fit_calls(make, Z, y),
        use_calls(fitted, ["transform", "inverse_transform", "predict", "decision_function"], Z.shape[1]),
        param_calls(make, QEB_PARAMS, Z, y),
        score_labels,
        generator_without_parts,
        after_fit_calls(fitted, Z, y),
    )
    assert_coverage(run_battery(calls), set(FIT_DATA_KINDS) | set(LABEL_MESSAGES))


def test_latent_spectral_denoiser_rejects_bad_input():
    Z, y = lsd_codes()

    def make(**params):
        return LatentSpectralDenoiser(**{"n_components": 2, "basis": QuasiEigenBasis(**TINY_BASIS), **params})

    fitted = make().fit(Z, y)
    table = {"n_components": [0, -1, 2.5, 5, "all"], "basis": ["qeb", 3], "random_state": ["x"]}
    calls = st.one_of(
        *fit_calls(make, Z, y),
        use_calls(fitted, ["transform", "inverse_transform"], Z.shape[1]),
        param_calls(make, table, Z, y),
        after_fit_calls(fitted, Z),
    )
    assert_coverage(run_battery(calls), set(FIT_DATA_KINDS) | set(LABEL_MESSAGES))


def test_latent_rotator_rejects_bad_input():
    Z, y = lsd_codes()

    def make(**params):
        return LatentRotator(**{"source": 0, "target": 1, "basis": QuasiEigenBasis(**TINY_BASIS), **params})

    fitted = make().fit(Z, y)
    table = {
        "source": [99, "zzz"],
        "target": [0, -5],  # 0 is the source
        "angle": [float("nan"), float("inf"), "90", None],
        "basis": ["qeb"],
        "random_state": ["x"],
    }
    angles = st.sampled_from([float("nan"), float("inf"), "ninety", None, True]).map(
        lambda angle: call("angle rotation_matrix", lambda: fitted.rotation_matrix(angle), "angle")
    )
    path_angles = st.sampled_from([[float("nan")], ["a"], [0.0, float("inf")]]).map(
        lambda angles: call("angles path", lambda: fitted.path(Z, angles=angles), "angle|convert")
    )
    calls = st.one_of(
        *fit_calls(make, Z, y),
        use_calls(fitted, ["transform", "inverse_transform", "path"], Z.shape[1]),
        param_calls(make, table, Z, y),
        angles,
        path_angles,
    )
    assert_coverage(run_battery(calls), set(FIT_DATA_KINDS) | set(LABEL_MESSAGES) | {"angle", "angles"})


# ------------------------------------------------- every kind, deterministically
def fitted_estimators():
    X = make_s_curve_3d(n_samples=40, random_state=0)
    Z, y = lsd_codes()
    basis = QuasiEigenBasis(**TINY_BASIS)
    return {
        "LWGANEstimator": (
            lambda: LWGANEstimator(latent_dim=3, rank=3, label_weight=1.0, **TINY_PARAMS),
            LWGANEstimator(latent_dim=3, **TINY_PARAMS).fit(X), X, good_labels(len(X)),
        ),
        "QuasiEigenBasis": (lambda: QuasiEigenBasis(**TINY_BASIS), QuasiEigenBasis(**TINY_BASIS).fit(Z, y), Z, y),
        "LatentSpectralDenoiser": (
            lambda: LatentSpectralDenoiser(n_components=2, basis=basis),
            LatentSpectralDenoiser(n_components=2, basis=basis).fit(Z, y), Z, y,
        ),
        "LatentRotator": (lambda: LatentRotator(basis=basis), LatentRotator(basis=basis).fit(Z, y), Z, y),
    }


@pytest.fixture(scope="module")
def every_estimator():
    return fitted_estimators()


@pytest.mark.parametrize("name", ["LWGANEstimator", "QuasiEigenBasis", "LatentSpectralDenoiser", "LatentRotator"])
def test_every_kind_of_bad_input_is_rejected(every_estimator, name):
    """Guards coverage: each kind of bad data at fit and at transform, and each kind of bad labels."""
    make, fitted, X, y = every_estimator[name]
    for seed in range(3):
        for kind in FIT_DATA_KINDS:
            bad = make_bad_data(kind, X.shape[1], seed)
            fit = lambda bad=bad: make().fit(bad, good_labels(n_rows(bad)))  # noqa: E731
            assert_rejected(f"{kind} fit", fit, DATA_MESSAGES[kind])
        for kind in USE_DATA_KINDS:
            bad = make_bad_data(kind, X.shape[1], seed)
            assert_rejected(f"{kind} transform", lambda bad=bad: fitted.transform(bad), DATA_MESSAGES[kind])
        for kind in LABEL_MESSAGES:
            labels = make_bad_labels(kind, len(X), seed)
            assert_rejected(f"{kind} labels", lambda labels=labels: make().fit(X, labels), LABEL_MESSAGES[kind])


# ------------------------------------------------------ finite but unusable
def test_values_beyond_float32_are_refused_not_returned_as_inf(lwgan_setup):
    """Guards silent overflow: finite input whose codes or samples would be inf or NaN raises instead."""
    X, fitted = lwgan_setup
    with pytest.raises(ValueError, match="too far outside the range of the training data"):
        fitted.transform(X * 1e40)
    with pytest.raises(ValueError, match="too large for the float32 generator"):
        fitted.inverse_transform(np.full((2, fitted.rank_), 1e39))
    with pytest.raises(ValueError, match="too large to centre and scale"):
        LWGANEstimator(latent_dim=3, **TINY_PARAMS).fit(X * 1e300)


def test_text_that_looks_like_numbers_is_refused(lwgan_setup):
    """scikit-learn would parse '1.5' silently; latentspec asks for numbers."""
    X, fitted = lwgan_setup
    with pytest.raises(ValueError, match="strings, not numbers"):
        fitted.transform(X.astype(str))


# ---------------------------------------------------------- DataFrames with text columns
@pytest.mark.parametrize(
    ("column", "what"),
    [
        (["pos", "neg"] * 10, "strings"),
        (pd.Series(["pos", "neg"] * 10, dtype=object), "strings"),
        (pd.Categorical(["pos", "neg"] * 10), r"categories \['neg', 'pos'\]"),
        (pd.Series(["1.5", "2"] * 10, dtype="string"), "strings"),
    ],
    ids=["str", "object", "categorical", "string"],
)
@pytest.mark.parametrize("where", ["LWGANEstimator.fit", "QuasiEigenBasis.fit", "transform"])
def test_dataframe_column_of_text_is_named(column, what, where, lwgan_setup):
    """A text or categorical column: the library's own error names the column (not numpy's 'could not convert')."""
    X = pd.DataFrame({"x": np.linspace(0, 1, 20), "y": np.linspace(1, 2, 20), "label": column})
    pattern = rf"column 'label' holds {what}.*OneHotEncoder"
    with pytest.raises(ValueError, match=pattern):
        if where == "LWGANEstimator.fit":
            LWGANEstimator(latent_dim=3, **TINY_PARAMS).fit(X)
        elif where == "QuasiEigenBasis.fit":
            QuasiEigenBasis(**TINY_BASIS).fit(X, good_labels(20))
        else:
            lwgan_setup[1].transform(X)


# ------------------------------------------------------- good input in other containers
CONTAINERS = ["read_only", "float32", "float32_read_only", "frame"]
OUTPUTS = ["default", "set_output", "set_config"]
CONTAINER_EXAMPLES = 40  # per estimator


def as_container(kind: str, X: np.ndarray, columns: list[str]):
    """``X`` in the container ``kind`` (a DataFrame's values are read-only under pandas' copy-on-write)."""
    if kind == "frame":
        return pd.DataFrame(X, columns=columns)
    X = np.array(X, dtype=np.float32 if kind.startswith("float32") else np.float64)
    if kind.endswith("read_only"):
        X.setflags(write=False)
    return X


def container_cases():
    """Per estimator: one fitted on an array, the same fitted on a DataFrame, its data, and the methods to call."""
    X = make_s_curve_3d(n_samples=40, random_state=0)
    Z, y = lsd_codes()
    basis = QuasiEigenBasis(**TINY_BASIS)
    lwgan = LWGANEstimator(latent_dim=3, rank=2, **TINY_PARAMS)
    lsd = {
        "QuasiEigenBasis": (QuasiEigenBasis(**TINY_BASIS), ["transform", "inverse_transform", "predict",
                                                            "decision_function", "score"]),
        "LatentSpectralDenoiser": (LatentSpectralDenoiser(n_components=2, basis=basis),
                                   ["transform", "inverse_transform"]),
        "LatentRotator": (LatentRotator(basis=basis), ["transform", "inverse_transform", "path"]),
    }
    cases = {"LWGANEstimator": (lwgan, X, None, ["transform", "inverse_transform", "score"])}
    cases.update({name: (est, Z, y, methods) for name, (est, methods) in lsd.items()})
    return cases


def call_method(est, method: str, data, y):
    if method == "inverse_transform" and isinstance(est, LWGANEstimator):
        return est.inverse_transform(data[:, :2] if isinstance(data, np.ndarray) else data.iloc[:, :2])
    if method == "score" and y is not None:
        return est.score(data, y)
    return getattr(est, method)(data)


@pytest.mark.parametrize("name", ["LWGANEstimator", "QuasiEigenBasis", "LatentSpectralDenoiser", "LatentRotator"])
def test_other_containers_give_the_same_results(name):
    """Read-only, float32 and DataFrame input, array or pandas output: the same numbers, no warning."""
    import copy

    import sklearn

    est, data, y, methods = container_cases()[name]
    columns = [f"f{i}" for i in range(data.shape[1])]
    on_array = copy.deepcopy(est).fit(data, y)
    on_frame = copy.deepcopy(est).fit(pd.DataFrame(data, columns=columns), y)

    @settings(max_examples=CONTAINER_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(CONTAINERS), st.sampled_from(OUTPUTS), st.sampled_from(methods))
    def battery(container, output, method):
        fitted = on_frame if container == "frame" else on_array
        reference_input = np.array(data, dtype=np.float32 if container.startswith("float32") else np.float64)
        expected = call_method(on_array, method, reference_input, y)
        fitted = copy.deepcopy(fitted)
        if output == "set_output":
            fitted.set_output(transform="pandas")
        given_input = as_container(container, data, columns)
        with warnings.catch_warnings(), sklearn.config_context(
            transform_output="pandas" if output == "set_config" else "default"
        ):
            warnings.simplefilter("error")
            got = call_method(fitted, method, given_input, y)
        pandas_out = output != "default" and method == "transform"
        assert isinstance(got, pd.DataFrame) == pandas_out, f"{method} with {output} output gave {type(got)}"
        if pandas_out and container == "frame":
            assert got.index.equals(given_input.index)
        message = f"{method}, {container}, {output}"
        if container == "frame":  # fitted on a DataFrame: its column-major copy sums the mean in another order
            np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-7, err_msg=message)
        else:
            np.testing.assert_array_equal(np.asarray(got), expected, err_msg=message)
        if container.endswith("read_only"):
            assert not given_input.flags.writeable  # nothing was written to the caller's array

    before = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch's 'not writable' warning would otherwise show once per process
    try:
        battery()
    finally:
        torch.set_warn_always(before)
