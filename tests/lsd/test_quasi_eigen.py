"""QuasiEigenBasis (latentspec/lsd/_quasi_eigen.py): the basis, its errors, the labellings, sklearn tools."""

import math

import numpy as np
import pytest
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from latentspec import LatentSpectralDenoiser, QuasiEigenBasis
from latentspec.lsd._gram_schmidt import _gram_schmidt, _lift_class_means

from ._codes import FAST, clusters


def assert_orthogonal_rows(rows, norm):
    gram = rows @ rows.T
    np.testing.assert_allclose(gram / norm**2, np.eye(len(rows)), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), norm, rtol=1e-5)


# ------------------------------------------------------------------- the basis
def test_components_are_orthogonal_with_a_common_norm():
    """Guards the basis: d orthogonal rows of norm sqrt(d) by default, or of the given norm."""
    Z, y = clusters(dim=6)
    qeb = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    assert qeb.components_.shape == (6, 6)
    assert qeb.norm_ == pytest.approx(math.sqrt(6))
    assert_orthogonal_rows(qeb.components_, math.sqrt(6))
    qeb2 = QuasiEigenBasis(**FAST, norm=2.5, random_state=0).fit(Z, y)
    assert_orthogonal_rows(qeb2.components_, 2.5)
    np.testing.assert_allclose(qeb2.components_ / 2.5, qeb.components_ / math.sqrt(6), atol=1e-12)


def test_transform_and_exact_inverse():
    """Guards LSD: c_i = <xi_i, z>, and inverse_transform(transform(Z)) gives Z back."""
    Z, y = clusters()
    qeb = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    C = qeb.transform(Z)
    np.testing.assert_allclose(C, Z @ qeb.components_.T, rtol=1e-12)
    np.testing.assert_allclose(qeb.inverse_transform(C), Z, rtol=1e-5, atol=1e-10)
    Z_new = np.random.default_rng(1).standard_normal((7, 5))
    np.testing.assert_allclose(qeb.inverse_transform(qeb.transform(Z_new)), Z_new, rtol=1e-5, atol=1e-10)


def test_label_directions_are_gram_schmidt_of_class_means():
    """Guards round 0: classes_ sorted, class_means_, and row k = Gram-Schmidt of the means 0..k."""
    Z, y = clusters(n_classes=3, dim=5, labels=["cat", "ant", "bee"])
    qeb = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    assert qeb.classes_.tolist() == ["ant", "bee", "cat"]
    means = np.stack([Z[y == c].mean(axis=0) for c in qeb.classes_])
    np.testing.assert_allclose(qeb.class_means_, means, rtol=1e-12)
    units = qeb.components_ / qeb.norm_
    # Means of codes that are not centred are lifted little if at all (see test_gram_schmidt.py).
    lifted, offset = _lift_class_means(means)
    assert offset == qeb.class_mean_offset_ and offset < 0.05 * np.linalg.norm(means, axis=1).min()
    cosine = units[0] @ lifted[0] / np.linalg.norm(lifted[0])
    assert cosine == pytest.approx(1.0, abs=1e-10)  # parallel, same sense
    q, r = np.linalg.qr(lifted.T)  # Gram-Schmidt of the (lifted) means, up to signs
    q = q * np.sign(np.diag(r))
    np.testing.assert_allclose(units[:3], q.T, atol=1e-10)


def test_prior_rounds_and_standard_basis_complete_the_basis():
    """Guards the completion: prior rounds add directions; with one round e_1.. complete it."""
    Z, y = clusters(n_classes=2, dim=4)
    rounds = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    assert rounds.n_mean_components_ == 4
    only_means = QuasiEigenBasis(n_rounds=1, random_state=0).fit(Z, y)
    assert only_means.n_mean_components_ == 2
    assert_orthogonal_rows(only_means.components_, 2.0)
    units = only_means.components_ / 2.0
    # Row 2 is e_1 with the two label directions projected out, and so on.
    e1 = np.eye(4)[0] - units[:2].T @ units[:2, 0]
    np.testing.assert_allclose(units[2], e1 / np.linalg.norm(e1), atol=1e-10)
    np.testing.assert_allclose(rounds.components_[:2], only_means.components_[:2], atol=1e-12)


@pytest.mark.parametrize("rule", ["signed", "absolute"])
def test_predict_accuracy_and_decision_function(rule):
    """Guards both rules: the label of the largest c_k (or |c_k|), accurate on separated clusters."""
    Z, y = clusters(n_classes=4, dim=6, labels=[3, 1, 2, 0])
    Z_test, y_test = clusters(n_classes=4, dim=6, labels=[3, 1, 2, 0], seed=1)
    qeb = QuasiEigenBasis(**FAST, rule=rule, random_state=0).fit(Z, y)
    assert qeb.score(Z_test, y_test) >= 0.95
    scores = qeb.decision_function(Z_test)
    assert scores.shape == (len(Z_test), 4)
    coefficients = qeb.transform(Z_test)[:, :4]
    np.testing.assert_allclose(scores, np.abs(coefficients) if rule == "absolute" else coefficients)
    np.testing.assert_array_equal(qeb.classes_[scores.argmax(axis=1)], qeb.predict(Z_test))


def test_signed_and_absolute_rules_differ_on_a_large_negative_coefficient():
    """Guards the rule switch: a code far along -xi_0 is class 0 by |c|, not by the signed rule."""
    Z, y = clusters(n_classes=3, dim=4)
    qeb = QuasiEigenBasis(n_rounds=1, random_state=0).fit(Z, y)
    far_from_0 = -3.0 * qeb.components_[0] + 0.5 * qeb.components_[1]
    assert qeb.predict(far_from_0[None]) == qeb.classes_[1]
    assert qeb.set_params(rule="absolute").predict(far_from_0[None]) == qeb.classes_[0]
    with pytest.raises(ValueError, match="rule must be one of"):
        QuasiEigenBasis(rule="largest").fit(Z, y)

    Z2, y2 = clusters(n_classes=2, dim=3)
    binary = QuasiEigenBasis(**FAST, random_state=0).fit(Z2, y2)
    margin = binary.decision_function(Z2)
    assert margin.shape == (len(Z2),)
    np.testing.assert_array_equal(binary.classes_[(margin > 0).astype(int)], binary.predict(Z2))
    assert binary.score(Z2, y2) == 1.0


def test_fit_transform_and_feature_names():
    """Guards the transformer side: fit_transform, coefficient names lsd0.., and dtype float32 kept."""
    Z, y = clusters()
    qeb = QuasiEigenBasis(**FAST, random_state=0)
    np.testing.assert_allclose(qeb.fit_transform(Z, y), qeb.fit(Z, y).transform(Z))
    assert qeb.get_feature_names_out().tolist() == [f"lsd{i}" for i in range(5)]
    assert qeb.transform(Z.astype(np.float32)).dtype == np.float32


def test_basis_of_centred_codes_classifies():
    """Guards the lift end to end: codes centred by a prior like N(0, I) get a direction for every class."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 100)
    centres = 2.0 * (np.eye(4, 6) - np.eye(4, 6).mean(axis=0))  # sum to zero
    Z = centres[y] + 0.3 * rng.standard_normal((400, 6))
    Z -= Z.mean(axis=0)
    basis = QuasiEigenBasis(n_rounds=1, random_state=0).fit(Z, y)
    assert basis.score(Z, y) > 0.99


# ------------------------------------------------------------------------ errors
def test_fewer_dimensions_than_classes_raises():
    """Guards d < K: the message gives both numbers and what to change."""
    Z, y = clusters(n_classes=4, dim=5)
    with pytest.raises(ValueError, match=r"Z has 3 feature\(s\).*4 classes.*at least 4.*rank >= 4"):
        QuasiEigenBasis(**FAST).fit(Z[:, :3], y)


def test_dependent_class_means_raise():
    """Guards round 0: class means that are linearly dependent (and not centred ones, see below) are an error."""
    Z, y = clusters(n_classes=3, dim=4)
    Z_dep = Z.copy()
    Z_dep[y == 2] += Z[y == 0].mean(axis=0) + Z[y == 1].mean(axis=0) - Z[y == 2].mean(axis=0)
    with pytest.raises(ValueError, match="linearly dependent"):
        QuasiEigenBasis(**FAST).fit(Z_dep, y)


def test_centred_codes_get_a_direction_for_every_class():
    """Guards the lift: centred codes (StandardScaler, PCA) classify as well as the raw ones."""
    Z, y = clusters(n_classes=3, dim=4)
    raw = QuasiEigenBasis(**FAST).fit(Z, y).score(Z, y)
    centred = QuasiEigenBasis(**FAST).fit(Z - Z.mean(axis=0), y)
    assert centred.class_mean_offset_ > 0
    assert centred.score(Z - Z.mean(axis=0), y) >= raw - 0.01
    assert make_pipeline(PCA(n_components=4), QuasiEigenBasis(**FAST)).fit(Z, y).score(Z, y) >= raw - 0.01


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_rounds": 0}, "n_rounds"),
        ({"n_draws": 1.5}, "n_draws"),
        ({"prior_scale": -1.0}, "prior_scale"),
        ({"norm": 0.0}, "norm"),
        ({"labelling": "image"}, "labelling must be one of"),
        ({"labelling": "generator"}, "needs generator and classifier"),
        ({"labelling": "generator", "generator": lambda z: z}, "needs classifier"),
        ({"labelling": "generator", "classifier": LogisticRegression()}, "needs generator"),
        ({"labelling": "generator", "generator": 3, "classifier": LogisticRegression()}, "inverse_transform"),
    ],
)
def test_bad_parameters_raise(params, match):
    """Guards parameter validation at fit, with messages naming the parameter or what is missing."""
    Z, y = clusters()
    with pytest.raises(ValueError, match=match):
        QuasiEigenBasis(**params).fit(Z, y)


# -------------------------------------------------------------------- labelling
class LinearGenerator:
    """A toy generator: latent codes to 'images' by a fixed linear map; counts its calls."""

    def __init__(self, weights):
        self.weights = weights
        self.calls = []

    def inverse_transform(self, Z):
        self.calls.append(Z.shape)
        return Z @ self.weights


def test_latent_labelling_uses_default_or_given_classifier():
    """Guards labelling='latent': a fitted KNN by default, else a fitted clone of the given classifier."""
    Z, y = clusters()
    qeb = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    assert isinstance(qeb.latent_classifier_, KNeighborsClassifier)
    assert qeb.latent_classifier_.n_neighbors == 15
    tiny = QuasiEigenBasis(**FAST, random_state=0).fit(Z[::10], y[::10])  # 12 samples
    assert tiny.latent_classifier_.n_neighbors == 12
    given = LogisticRegression()
    qeb = QuasiEigenBasis(**FAST, latent_classifier=given, random_state=0).fit(Z, y)
    assert qeb.latent_classifier_ is not given and not hasattr(given, "classes_")
    np.testing.assert_array_equal(qeb.latent_classifier_.classes_, [0, 1, 2])
    assert_orthogonal_rows(qeb.components_, math.sqrt(5))


def test_generator_labelling_decodes_draws_and_classifies_them():
    """Guards labelling='generator' (the paper's way): classifier.predict(generator(z)) labels the draws."""
    Z, y = clusters(n_classes=3, dim=5)
    weights = np.random.default_rng(2).standard_normal((5, 12))
    generator = LinearGenerator(weights)
    image_classifier = LogisticRegression().fit(Z @ weights, y)
    qeb = QuasiEigenBasis(
        n_rounds=4,
        n_draws=300,
        labelling="generator",
        generator=generator,
        classifier=image_classifier,
        random_state=0,
    ).fit(Z, y)
    assert generator.calls == [(300, 5)] * 3
    assert qeb.latent_classifier_ is None
    assert_orthogonal_rows(qeb.components_, math.sqrt(5))
    assert qeb.n_mean_components_ == 5
    assert qeb.score(Z, y) >= 0.95
    first = _lift_class_means(qeb.class_means_)[0][0]  # class mean 0, lifted (slightly, if at all)
    cosine = qeb.components_[0] @ first / (qeb.norm_ * np.linalg.norm(first))
    assert cosine == pytest.approx(1.0, abs=1e-10)

    # A callable generator is the same thing; the prior rounds differ from the latent labelling.
    by_callable = QuasiEigenBasis(
        n_rounds=4,
        n_draws=300,
        labelling="generator",
        generator=lambda z: z @ weights,
        classifier=image_classifier,
        random_state=0,
    ).fit(Z, y)
    np.testing.assert_allclose(by_callable.components_, qeb.components_)
    latent = QuasiEigenBasis(n_rounds=4, n_draws=300, random_state=0).fit(Z, y)
    assert not np.allclose(latent.components_[3:], qeb.components_[3:])


class RecordingClassifier:
    """Wraps a fitted classifier and records the type and dtype of what predict is given."""

    def __init__(self, classifier):
        self.classifier = classifier
        self.seen = []

    def predict(self, X):
        self.seen.append((type(X), X.dtype))
        return self.classifier.predict(X)


def test_generator_labelling_accepts_a_torch_module():
    """Guards torch generators: numpy draws go in, numpy float comes out, in eval mode and without grad."""
    torch = pytest.importorskip("torch")
    Z, y = clusters(n_classes=3, dim=5)
    weights = np.random.default_rng(2).standard_normal((5, 12))
    image_classifier = LogisticRegression().fit(Z @ weights, y)
    expected = QuasiEigenBasis(
        **FAST, labelling="generator", generator=lambda z: z @ weights, classifier=image_classifier, random_state=0
    ).fit(Z, y)

    linear = torch.nn.Linear(5, 12, bias=False).double()
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(weights.T))
    # Dropout in training mode would scramble the decoded draws: the module is run in eval mode.
    module = torch.nn.Sequential(linear, torch.nn.Dropout(0.5)).train()
    recording = RecordingClassifier(image_classifier)
    qeb = QuasiEigenBasis(
        **FAST, labelling="generator", generator=module, classifier=recording, random_state=0
    ).fit(Z, y)
    np.testing.assert_allclose(qeb.components_, expected.components_)
    assert recording.seen == [(np.ndarray, np.float64)] * (FAST["n_rounds"] - 1)
    assert module.training and module[1].training  # its mode is given back
    assert linear.weight.grad is None

    # A float32 module (the torch default) gets float32 draws and gives float64 numpy back.
    single = torch.nn.Linear(5, 12, bias=False)
    with torch.no_grad():
        single.weight.copy_(torch.from_numpy(weights.T))
    recording = RecordingClassifier(image_classifier)
    qeb32 = QuasiEigenBasis(
        **FAST, labelling="generator", generator=single, classifier=recording, random_state=0
    ).fit(Z, y)
    assert recording.seen[0] == (np.ndarray, np.float64)
    np.testing.assert_allclose(qeb32.components_, expected.components_, atol=1e-4)


def test_a_torch_classifier_is_refused_with_what_to_do():
    """Guards the classifier check: a torch module has no predict, and the error says how to give one."""
    torch = pytest.importorskip("torch")
    Z, y = clusters()
    qeb = QuasiEigenBasis(**FAST, labelling="generator", generator=lambda z: z, classifier=torch.nn.Linear(5, 3))
    with pytest.raises(ValueError, match="torch.nn.Module.*predict"):
        qeb.fit(Z, y)


def test_generator_labelling_needs_fitted_parts_and_survives_clone_when_frozen():
    """Guards prefitted parameters: an unfitted classifier is a clear error; FrozenEstimator survives clone."""
    Z, y = clusters()
    weights = np.eye(5)
    unfitted = QuasiEigenBasis(
        labelling="generator", generator=LinearGenerator(weights), classifier=LogisticRegression()
    )
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        unfitted.fit(Z, y)
    frozen = FrozenEstimator(LogisticRegression().fit(Z, y))
    qeb = QuasiEigenBasis(**FAST, labelling="generator", generator=LinearGenerator(weights), classifier=frozen)
    scores = cross_val_score(qeb, Z, y, cv=3)
    assert scores.min() >= 0.9


def test_labels_outside_classes_are_ignored():
    """Guards generator mode: draws labelled with a class not in y count for no class.

    The classifier labels the draws with X[:, 4] > 0 (about half) 99, not a class of y,
    and records every round's draws (the generator is the identity): the basis is then
    Gram-Schmidt of the lifted class means followed, round by round, by the mean of
    the other draws of every class, and differs from the basis where all draws count.
    """
    # 8 >= 3 + 3 dimensions: every class's mean of the first draws enters the basis (with 5, Gram-Schmidt
    # would be complete before the last class's, so draws wrongly counted for it would not show).
    Z, y = clusters(n_classes=3, dim=8)

    class FourClassClassifier:
        def __init__(self, outside=99):
            self.outside = outside  # None: every draw gets its nearest class
            self.draws = []

        def predict(self, X):
            self.draws.append(np.array(X))
            nearest = np.argmax(X[:, :3], axis=1)
            return nearest if self.outside is None else np.where(X[:, 4] > 0, self.outside, nearest)

    def fit(classifier):
        return QuasiEigenBasis(
            **FAST, labelling="generator", generator=lambda z: z, classifier=classifier, random_state=0
        ).fit(Z, y)

    classifier = FourClassClassifier()
    qeb = fit(classifier)
    assert_orthogonal_rows(qeb.components_, math.sqrt(8))
    assert len(classifier.draws) == FAST["n_rounds"] - 1
    means = [_lift_class_means(qeb.class_means_)[0]]
    for draws in classifier.draws:
        kept, labels = draws[:, 4] <= 0, np.argmax(draws[:, :3], axis=1)
        assert 0.3 < kept.mean() < 0.7
        means.append(np.stack([draws[kept & (labels == k)].mean(axis=0) for k in range(3)]))
    units, _ = _gram_schmidt(np.concatenate(means), 3, qeb.classes_)
    np.testing.assert_allclose(qeb.components_, units * math.sqrt(8), atol=1e-12)
    # The ignored draws matter: counted with their nearest class, they give other directions after the
    # label directions (those come from the class means of Z alone, in Gram-Schmidt order).
    every_draw = fit(FourClassClassifier(outside=None))
    np.testing.assert_allclose(every_draw.components_[:3], qeb.components_[:3], atol=1e-12)
    assert np.abs(every_draw.components_[3:] - qeb.components_[3:]).max() > 0.5


def test_generator_labelling_with_a_classifier_of_other_labels_says_so():
    """A classifier trained on other labels than y (strings for integer classes) gets a clear error."""
    Z, y = clusters()
    classifier = KNeighborsClassifier(n_neighbors=1).fit(Z, np.array(["zero", "one", "two"])[y])
    basis = QuasiEigenBasis(**FAST, labelling="generator", generator=lambda codes: codes, classifier=classifier)
    with pytest.raises(ValueError, match=r"classifier's classes .*'one'.* do not match the classes of y .*0, 1, 2"):
        basis.fit(Z, y)


# ------------------------------------------------- reproducibility and sklearn tools
def test_random_state_instance_is_reproducible():
    """Guards check_random_state: equal RandomState instances give equal fits."""
    Z, y = clusters(dim=6)
    a = QuasiEigenBasis(**FAST, random_state=np.random.RandomState(5)).fit(Z, y)
    b = QuasiEigenBasis(**FAST, random_state=np.random.RandomState(5)).fit(Z, y)
    np.testing.assert_array_equal(a.components_, b.components_)


def test_pipeline_after_scaling_and_svd():
    """Guards Pipeline use: after a (non-centring) scaler and a dimension reduction, from data to LSD."""
    rng = np.random.default_rng(0)
    Z, y = clusters(n_classes=3, dim=4)
    X = Z @ rng.standard_normal((4, 10))  # data whose 4-dimensional structure an SVD recovers
    pipe = make_pipeline(
        StandardScaler(with_mean=False), TruncatedSVD(n_components=4, random_state=0), QuasiEigenBasis(**FAST)
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) >= 0.95
    C = pipe.transform(X)
    assert C.shape == (len(X), 4)
    np.testing.assert_allclose(pipe.inverse_transform(C), X, rtol=1e-6, atol=1e-8)

    denoise = make_pipeline(StandardScaler(with_mean=False), LatentSpectralDenoiser(basis=QuasiEigenBasis(**FAST)))
    denoise.fit(Z, y)
    Z_back = denoise.inverse_transform(denoise.transform(Z))
    assert Z_back.shape == Z.shape


# ------------------------------------------------- output containers, set_params after fit
@pytest.mark.parametrize("method", ["predict", "decision_function", "score"])
def test_label_methods_work_whatever_the_output_container(method):
    """set_output(transform="pandas") changes what transform returns, not predict, decision_function or score."""
    Z, y = clusters()
    basis = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    args = (Z, y) if method == "score" else (Z,)
    expected = getattr(basis, method)(*args)
    basis.set_output(transform="pandas")
    got = getattr(basis, method)(*args)
    assert isinstance(got, type(expected))
    np.testing.assert_array_equal(got, expected)


def test_grid_search_over_a_pandas_output_pipeline_scores_every_candidate():
    """A pipeline set to pandas output still gets a finite held-out score for every candidate (no NaN)."""
    Z, y = clusters(n_per_class=30)
    pipe = make_pipeline(StandardScaler(with_mean=False), QuasiEigenBasis(**FAST, random_state=0))
    pipe.set_output(transform="pandas")
    search = GridSearchCV(pipe, {"quasieigenbasis__rule": ["signed", "absolute"]}, cv=3, error_score="raise")
    search.fit(Z, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.9


@pytest.mark.parametrize("method", ["predict", "decision_function", "score"])
def test_rule_changed_after_fit_is_checked_when_used(method):
    """rule is read by predict, decision_function and score, so they check it; a valid change takes effect."""
    Z, y = clusters()
    basis = QuasiEigenBasis(**FAST, random_state=0).fit(Z, y)
    args = (Z, y) if method == "score" else (Z,)
    basis.set_params(rule="max")
    with pytest.raises(ValueError, match="rule must be one of"):
        getattr(basis, method)(*args)
    basis.set_params(rule="absolute")
    if method == "decision_function":
        np.testing.assert_allclose(basis.decision_function(Z), np.abs(basis.transform(Z)[:, :3]))
