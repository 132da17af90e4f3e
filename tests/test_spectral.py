"""Deep LSD estimators: the quasi-eigenbasis, the denoiser and the rotator, on synthetic latent codes."""

import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._testing import create_memmap_backed_data

from latentspec import LatentRotator, LatentSpectralDenoiser, QuasiEigenBasis
from latentspec.lsd._gram_schmidt import _lift_class_means

# Few draws keep every fit in milliseconds; the method is the same at any count.
FAST = {"n_rounds": 4, "n_draws": 400}


def clusters(n_classes=3, dim=5, n_per_class=40, spread=0.3, seed=0, labels=None):
    """Gaussian clusters of latent codes around 3 e_k (class k), well separated and not centred."""
    rng = np.random.default_rng(seed)
    index = np.repeat(np.arange(n_classes), n_per_class)
    Z = 3.0 * np.eye(dim)[index] + spread * rng.standard_normal((len(index), dim))
    y = index if labels is None else np.asarray(labels)[index]
    return Z, y


def assert_orthogonal_rows(rows, norm):
    gram = rows @ rows.T
    np.testing.assert_allclose(gram / norm**2, np.eye(len(rows)), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), norm, rtol=1e-5)


def make_estimator(kind, **params):
    basis = QuasiEigenBasis(**FAST)
    if kind == "basis":
        return QuasiEigenBasis(**FAST, **params)
    if kind == "denoiser":
        return LatentSpectralDenoiser(basis=basis, **params)
    return LatentRotator(basis=basis, **params)


KINDS = ["basis", "denoiser", "rotator"]


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
    # Means of codes that are not centred are lifted little if at all (see test_label_classifier.py).
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


# ------------------------------------------------------------------------ errors
def test_fewer_dimensions_than_classes_raises():
    """Guards d < K: the message gives both numbers and what to change."""
    Z, y = clusters(n_classes=4, dim=5)
    with pytest.raises(ValueError, match=r"Z has 3 feature\(s\).*4 classes.*at least 4.*rank >= 4"):
        QuasiEigenBasis(**FAST).fit(Z[:, :3], y)


@pytest.mark.parametrize("kind", KINDS)
def test_labels_are_required(kind):
    """Guards y: missing labels and a single class are clear errors for every estimator."""
    Z, y = clusters()
    with pytest.raises(ValueError, match="requires y.*labels are needed"):
        make_estimator(kind).fit(Z)
    with pytest.raises(ValueError, match="1 class"):
        make_estimator(kind).fit(Z, np.zeros(len(Z), dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        make_estimator(kind).fit(Z, np.linspace(0, 1, len(Z)))


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
    """Guards generator mode: draws labelled with a class not in y count for no class."""
    Z, y = clusters(n_classes=3, dim=5)

    class FourClassClassifier:
        def predict(self, X):
            return np.where(X[:, 4] > 0, 99, np.argmax(X[:, :3], axis=1))

    qeb = QuasiEigenBasis(
        **FAST, labelling="generator", generator=lambda z: z, classifier=FourClassClassifier(), random_state=0
    ).fit(Z, y)
    assert_orthogonal_rows(qeb.components_, math.sqrt(5))


# --------------------------------------------------------------------- denoiser
def test_denoiser_keeps_the_largest_coefficients():
    """Guards denoising: exactly n_components non-zeros per row, the largest |c| with their values."""
    Z, y = clusters(dim=6)
    den = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    C_full = den.basis_.transform(Z)
    C = den.transform(Z)
    assert C.shape == Z.shape
    assert ((C != 0).sum(axis=1) == 2).all()
    kept = C != 0
    np.testing.assert_array_equal(C[kept], C_full[kept])
    smallest_kept = np.where(kept, np.abs(C_full), np.inf).min(axis=1)
    largest_dropped = np.where(kept, -np.inf, np.abs(C_full)).max(axis=1)
    assert (smallest_kept >= largest_dropped).all()
    assert den.inverse_transform(C).shape == Z.shape
    assert den.get_feature_names_out().tolist() == [f"lsd{i}" for i in range(6)]


def test_denoiser_with_every_component_is_exact():
    """Guards the limit n_components = d: nothing is dropped, so the codes come back exactly."""
    Z, y = clusters(dim=5)
    den = LatentSpectralDenoiser(n_components=5, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    np.testing.assert_allclose(den.inverse_transform(den.transform(Z)), Z, rtol=1e-10, atol=1e-12)


def test_denoiser_moves_noisy_codes_towards_their_class():
    """Guards the purpose: dropping small coefficients removes off-label noise."""
    Z, y = clusters(n_classes=3, dim=8, spread=0.05)
    den = LatentSpectralDenoiser(n_components=1, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    noisy = Z + 0.5 * np.random.default_rng(3).standard_normal(Z.shape)
    clean = den.inverse_transform(den.transform(noisy))
    assert np.linalg.norm(clean - Z) < 0.6 * np.linalg.norm(noisy - Z)


@pytest.mark.parametrize("n_components", [0, 6, 1.5, "3"])
def test_denoiser_bad_n_components(n_components):
    """Guards n_components: an int in 1..d, checked at fit."""
    Z, y = clusters(dim=5)
    with pytest.raises(ValueError, match="n_components"):
        LatentSpectralDenoiser(n_components=n_components).fit(Z, y)


# ---------------------------------------------------------------------- rotator
@pytest.fixture(scope="module")
def rotator_and_codes():
    Z, y = clusters(n_classes=4, dim=6, labels=["a", "b", "c", "d"])
    rot = LatentRotator(source="c", target="a", basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    return rot, Z


def test_rotation_is_proper_and_acts_in_the_plane(rotator_and_codes):
    """Guards the Givens rotation: orthogonal, det +1, only the (source, target) coefficients move."""
    rot, Z = rotator_and_codes
    R = rot.rotation_
    np.testing.assert_allclose(R @ R.T, np.eye(6), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert (rot.source_, rot.target_) == ("c", "a")
    C = rot.basis_.transform(Z)
    C_rot = rot.basis_.transform(rot.transform(Z))
    s, t = 2, 0  # indices of "c" and "a" in classes_
    others = [i for i in range(6) if i not in (s, t)]
    np.testing.assert_allclose(C_rot[:, others], C[:, others], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(C_rot[:, t], C[:, s], rtol=1e-6, atol=1e-6)  # source amplitude onto target
    np.testing.assert_allclose(C_rot[:, s], -C[:, t], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(rot.inverse_transform(rot.transform(Z)), Z, atol=1e-12)


def test_rotation_turns_source_codes_into_target_codes(rotator_and_codes):
    """Guards the meaning: codes of the source class are predicted as the target after the rotation."""
    rot, Z = rotator_and_codes
    source_codes = Z[80:120]  # class "c"
    assert (rot.basis_.predict(source_codes) == "c").all()
    assert (rot.basis_.predict(rot.transform(source_codes)) == "a").all()


def test_rotation_matrix_and_path(rotator_and_codes):
    """Guards path: (n_steps, n, d), identity at angle 0, back to the start after a full turn."""
    rot, Z = rotator_and_codes
    np.testing.assert_allclose(rot.rotation_matrix(math.pi / 2), rot.rotation_)
    np.testing.assert_allclose(rot.rotation_matrix(0.0), np.eye(6), atol=1e-15)
    half = rot.rotation_matrix(math.pi / 2)
    np.testing.assert_allclose(half @ half, rot.rotation_matrix(math.pi), atol=1e-12)
    paths = rot.path(Z[:5], n_steps=9)
    assert paths.shape == (9, 5, 6)
    np.testing.assert_allclose(paths[0], Z[:5], atol=1e-15)
    np.testing.assert_allclose(paths[-1], Z[:5], atol=1e-12)
    np.testing.assert_allclose(paths[2], rot.transform(Z[:5]), atol=1e-12)  # 2 * (2 pi / 8) = pi / 2
    custom = rot.path(Z[:5], angles=[0.3, -1.0])
    np.testing.assert_allclose(custom[1], Z[:5] @ rot.rotation_matrix(-1.0).T)
    with pytest.raises(ValueError, match="n_steps"):
        rot.path(Z[:5], n_steps=1)


def test_rotator_defaults_and_errors():
    """Guards source/target: None means the first two classes; unknown or equal labels are errors."""
    Z, y = clusters(n_classes=3, dim=4, labels=[10, 20, 30])
    rot = LatentRotator(basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    assert (rot.source_, rot.target_) == (10, 20)
    assert rot.get_feature_names_out().tolist() == [f"x{i}" for i in range(4)]
    with pytest.raises(ValueError, match="source=5 is not one of the classes"):
        LatentRotator(source=5).fit(Z, y)
    with pytest.raises(ValueError, match="must be different"):
        LatentRotator(source=20, target=20).fit(Z, y)
    with pytest.raises(ValueError, match="must be different"):
        LatentRotator(target=10).fit(Z, y)
    with pytest.raises(ValueError, match="angle"):
        LatentRotator(angle=math.inf).fit(Z, y)


# ------------------------------------------------- reproducibility and sklearn tools
def fitted_output(est, Z):
    return est.rotation_ if isinstance(est, LatentRotator) else est.transform(Z)


@pytest.mark.parametrize("kind", KINDS)
def test_same_random_state_same_result(kind):
    """Guards reproducibility: an int random_state gives identical fits; another seed other prior rounds."""
    Z, y = clusters(dim=6)
    a = make_estimator(kind, random_state=0).fit(Z, y)
    b = make_estimator(kind, random_state=0).fit(Z, y)
    np.testing.assert_array_equal(fitted_output(a, Z), fitted_output(b, Z))
    basis = a if kind == "basis" else a.basis_
    other = QuasiEigenBasis(**FAST, random_state=1).fit(Z, y)
    np.testing.assert_array_equal(other.components_[:3], basis.components_[:3])  # round 0 only
    assert not np.allclose(other.components_[3:], basis.components_[3:])


def test_random_state_instance_is_reproducible():
    """Guards check_random_state: equal RandomState instances give equal fits."""
    Z, y = clusters(dim=6)
    a = QuasiEigenBasis(**FAST, random_state=np.random.RandomState(5)).fit(Z, y)
    b = QuasiEigenBasis(**FAST, random_state=np.random.RandomState(5)).fit(Z, y)
    np.testing.assert_array_equal(a.components_, b.components_)


@pytest.mark.parametrize("kind", KINDS)
def test_pickle_round_trip(kind):
    """Guards pickling: an unpickled estimator transforms identically."""
    Z, y = clusters()
    est = make_estimator(kind, random_state=0).fit(Z, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(Z), est.transform(Z))
    np.testing.assert_array_equal(clone(est).fit(Z, y).transform(Z), est.transform(Z))


@pytest.mark.parametrize("kind", KINDS)
def test_sklearn_properties_on_valid_data(kind):
    """Guards what the estimator checks listed in _expected_failures.py test, on data these estimators accept.

    Those checks fit on 2-feature, 3-class data or on classes with parallel means,
    which these estimators reject by design; here: fit returns self, parameters
    unchanged, lists and read-only memmaps accepted, float32 kept, fit_transform
    consistent, wrong feature count rejected.
    """
    Z, y = clusters(dim=5)
    est = make_estimator(kind, random_state=0)
    params = est.get_params(deep=False)
    assert est.fit(Z, y) is est
    assert est.get_params(deep=False) == params
    expected = est.transform(Z)
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit(Z.tolist(), y.tolist()).transform(Z), expected)
    Z_mm, y_mm = create_memmap_backed_data([Z, y])
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit(Z_mm, y_mm).transform(Z_mm), expected)
    np.testing.assert_allclose(make_estimator(kind, random_state=0).fit_transform(Z, y), expected)
    Z32 = Z.astype(np.float32)
    out32 = make_estimator(kind, random_state=0).fit(Z32, y).transform(Z32)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="features"):
        est.transform(Z[:, :-1])


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


def test_grid_search_over_n_components():
    """Guards GridSearchCV: clone and set_params through a pipeline with a denoiser, then a classifier."""
    Z, y = clusters(n_classes=3, dim=6, spread=0.8)
    pipe = make_pipeline(LatentSpectralDenoiser(basis=QuasiEigenBasis(**FAST), random_state=0), LogisticRegression())
    search = GridSearchCV(pipe, {"latentspectraldenoiser__n_components": [1, 3, 6]}, cv=3).fit(Z, y)
    assert search.best_params_["latentspectraldenoiser__n_components"] in (1, 3, 6)
    assert search.best_score_ >= 0.9
    basis_search = GridSearchCV(QuasiEigenBasis(n_draws=200, random_state=0), {"n_rounds": [1, 3]}, cv=3).fit(Z, y)
    assert basis_search.best_score_ >= 0.9


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


@pytest.mark.parametrize("how", ["set_config", "set_output"])
def test_denoiser_under_pandas_output(how):
    """Pandas output, set globally or on the denoiser: the same coefficients, as a DataFrame, and back."""
    import pandas as pd
    import sklearn

    Z, y = clusters()
    denoiser = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    C = denoiser.transform(Z)
    Z_back = denoiser.inverse_transform(C)
    if how == "set_output":
        denoiser.set_output(transform="pandas")
    with sklearn.config_context(transform_output="pandas" if how == "set_config" else "default"):
        C_frame = denoiser.transform(Z)
        assert isinstance(C_frame, pd.DataFrame)
        assert list(C_frame.columns) == [f"lsd{i}" for i in range(Z.shape[1])]
        np.testing.assert_array_equal(C_frame.to_numpy(), C)
        np.testing.assert_allclose(np.asarray(denoiser.inverse_transform(C_frame)), Z_back)
        np.testing.assert_allclose(np.asarray(denoiser.inverse_transform(C)), Z_back)


@pytest.mark.parametrize("value", [-1, 0, 2.5, 6, "all", None])
def test_denoiser_checks_n_components_when_it_transforms(value):
    """n_components changed after fit is checked by transform (no silent 4 of 5, zeros or numpy's error)."""
    Z, y = clusters(dim=5)
    denoiser = LatentSpectralDenoiser(n_components=2, basis=QuasiEigenBasis(**FAST), random_state=0).fit(Z, y)
    denoiser.set_params(n_components=value)
    with pytest.raises(ValueError, match="n_components"):
        denoiser.transform(Z)
    denoiser.set_params(n_components=5)  # the latent dimension: everything kept, Z comes back
    np.testing.assert_allclose(denoiser.inverse_transform(denoiser.transform(Z)), Z)


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


def test_generator_labelling_with_a_classifier_of_other_labels_says_so():
    """A classifier trained on other labels than y (strings for integer classes) gets a clear error."""
    Z, y = clusters()
    classifier = KNeighborsClassifier(n_neighbors=1).fit(Z, np.array(["zero", "one", "two"])[y])
    basis = QuasiEigenBasis(**FAST, labelling="generator", generator=lambda codes: codes, classifier=classifier)
    with pytest.raises(ValueError, match=r"classifier's classes .*'one'.* do not match the classes of y .*0, 1, 2"):
        basis.fit(Z, y)
