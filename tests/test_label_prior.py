"""The class-conditional prior of LWGANEstimator (label_weight > 0)."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from latentspec import LWGANEstimator, QuasiEigenBasis


def labelled_blobs(n_per_class=60, n_classes=3, dim=6, seed=0):
    """Well separated Gaussian blobs, one per class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = 4.0 * rng.standard_normal((n_classes, dim))
    return centres[y] + 0.3 * rng.standard_normal((len(y), dim)), y


@pytest.fixture(scope="module")
def supervised():
    X, y = labelled_blobs()
    params = {"n_warmup": 300, "n_critic_refit": 2, "n_score_repeats": 2, "batch_size": 90}
    small = {"encoder_layers": (32,), "generator_layers": (32,), "critic_layers": (16,)}
    return LWGANEstimator(latent_dim=4, rank=3, label_weight=5.0, random_state=0, **params, **small).fit(X, y), X, y


def test_each_class_gets_its_own_latent_axis(supervised):
    """Guards the prior N(7 e_k, I): the mean code of class k is largest on coordinate k."""
    model, X, y = supervised
    Z = model.transform(X)
    means = np.array([Z[y == k].mean(axis=0) for k in range(3)])
    assert list(means.argmax(axis=1)) == [0, 1, 2]
    assert np.all(means.max(axis=1) > 2.0)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    np.testing.assert_allclose(model.class_weights_, [1 / 3] * 3)


def test_samples_come_from_every_component(supervised):
    """Guards sample(): draws from the mixture decode near the data of every class."""
    model, X, y = supervised
    samples = model.sample(300, random_state=0)
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])
    nearest = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1).argmin(axis=1)
    assert set(nearest) == {0, 1, 2}


def test_sample_below_the_number_of_classes(supervised):
    """Guards sample(rank=r) with r < K: components beyond r are projected, the draws stay finite."""
    model, X, y = supervised
    assert np.array_equal(model.sample(20, random_state=0, rank=3), model.sample(20, random_state=0))
    assert np.isfinite(model.sample(20, random_state=0, rank=1)).all()
    assert not np.allclose(model.sample(20, random_state=0, rank=1), model.sample(20, random_state=0))


def test_quasi_eigenbasis_reads_the_label_axes(supervised):
    """Guards the purpose: the LSD rule classifies the codes of a labelled model."""
    model, X, y = supervised
    basis = QuasiEigenBasis(n_rounds=2, n_draws=300, random_state=0).fit(model.transform(X), y)
    assert basis.score(model.transform(X), y) > 0.95


def test_labels_are_ignored_without_label_weight():
    """Guards the default: y changes nothing when label_weight is 0."""
    X, y = labelled_blobs(n_per_class=20)
    params = {"n_warmup": 5, "n_critic_refit": 2, "n_score_repeats": 2, "rank": 2, "random_state": 0}
    with_y = LWGANEstimator(**params).fit(X, y)
    without = LWGANEstimator(**params).fit(X)
    np.testing.assert_array_equal(with_y.transform(X), without.transform(X))
    assert with_y.classes_ is None


@pytest.mark.parametrize(
    ("params", "labels", "message"),
    [
        ({"rank": 3}, None, "needs class labels"),
        ({"rank": "auto"}, "y", "needs a fixed integer rank"),
        ({"rank": 2}, "y", "use rank >= 3"),
        ({"rank": 3}, "one", "at least 2 classes"),
        ({"rank": 3}, "short", "labels but X has"),
    ],
)
def test_bad_label_settings_raise(params, labels, message):
    """Guards the errors: missing or unusable labels name the problem."""
    X, y = labelled_blobs(n_per_class=10)
    y_arg = {"y": y, "one": np.zeros_like(y), "short": y[:-1], None: None}[labels]
    est = LWGANEstimator(latent_dim=4, label_weight=1.0, n_warmup=2, **params)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y_arg)


def test_pipeline_passes_labels_to_the_model():
    """Guards the Pipeline path: fit(X, y) reaches both steps."""
    X, y = labelled_blobs(n_per_class=20)
    pipe = make_pipeline(
        LWGANEstimator(latent_dim=3, rank=3, label_weight=1.0, n_warmup=20, n_critic_refit=2, n_score_repeats=2,
                       random_state=0),
        QuasiEigenBasis(n_rounds=1, random_state=0),
    ).fit(X, y)
    np.testing.assert_array_equal(pipe[0].classes_, [0, 1, 2])
    assert pipe.predict(X).shape == y.shape


def test_adversarial_phase_keeps_the_class_axes():
    """Guards the game with labels: class-balanced batches and the class-conditional prior there too."""
    X, y = labelled_blobs()
    params = {"n_warmup": 300, "n_iter": 5, "n_critic_refit": 2, "n_score_repeats": 2, "batch_size": 90}
    small = {"encoder_layers": (32,), "generator_layers": (32,), "critic_layers": (16,)}
    model = LWGANEstimator(latent_dim=4, rank=3, label_weight=5.0, random_state=0, **params, **small).fit(X, y)
    phases = np.array(model.history_["phase"])
    assert (phases == "adversarial").any()
    assert np.isfinite(np.array(model.history_["mmd"])[phases == "adversarial"]).all()
    Z = model.transform(X)
    assert [int(Z[y == k].mean(axis=0).argmax()) for k in range(3)] == [0, 1, 2]
