"""The labels of LWGANEstimator (label_weight > 0), in its two label modes.

The deep LSD paper's setting, label_mode="classifier": the prior stays N(0, I); only
the encoder (with a linear classifier of its codes) sees the labels. The default,
label_mode="prior": a class-conditional prior puts every class on its own latent axis.
Tiny settings: separated blobs, small networks, a few hundred steps.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

import latentspec
from latentspec import LatentRotator, LWGANEstimator, QuasiEigenBasis
from latentspec._validation import check_seed


def labelled_blobs(n_per_class=60, n_classes=3, dim=6, seed=0):
    """Well separated Gaussian blobs, one per class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centres = 4.0 * rng.standard_normal((n_classes, dim))
    return centres[y] + 0.3 * rng.standard_normal((len(y), dim)), y


# -------------------------------------------------------------- label_mode="classifier"
SMALL = {
    "n_warmup": 400, "n_critic_refit": 2, "n_score_repeats": 2, "batch_size": 90,
    "encoder_layers": (32,), "generator_layers": (32,), "critic_layers": (16,),
}


@pytest.fixture(scope="module")
def paper_setting():
    X, y = labelled_blobs()
    model = LWGANEstimator(latent_dim=4, rank=4, label_weight=5.0, label_mode="classifier", random_state=0, **SMALL)
    return model.fit(X, y), X, y


def test_the_prior_stays_standard_normal(paper_setting):
    """Guards the mode: no class mixture, codes centred and of unit spread, samples from N(0, I)."""
    model, X, y = paper_setting
    assert model._prior().n_classes == 0
    Z = model.transform(X)
    assert np.abs(Z.mean(axis=0)).max() < 0.35
    assert 0.6 < Z.std() < 1.4
    # sample() decodes N(0, I) draws: the same as decoding the draws by hand
    draws = np.random.default_rng(check_seed(5)).standard_normal((8, 4))
    np.testing.assert_allclose(model.sample(8, random_state=5), model.inverse_transform(draws), rtol=1e-5, atol=1e-6)
    # the class-mixture mode, by contrast, moves the codes of every class 7 units out
    mixture = LWGANEstimator(latent_dim=4, rank=4, label_weight=5.0, random_state=0, **SMALL).fit(X, y)
    assert np.linalg.norm(mixture.transform(X).mean(axis=0)) > 3 * np.linalg.norm(Z.mean(axis=0))


def test_classes_get_directions_without_a_class_prior(paper_setting):
    """Guards the purpose: the latent classifier separates the classes, and the LSD basis reads them."""
    model, X, y = paper_setting
    assert model.module_.label_head.out_features == 3
    with torch.no_grad():
        u = model.module_.label_head.directions()
    # orthonormal class directions
    torch.testing.assert_close(u @ u.T, torch.eye(3, device=u.device), atol=1e-5, rtol=0)
    Z = model.transform(X)
    basis = QuasiEigenBasis(n_rounds=2, n_draws=300, random_state=0).fit(Z, y)
    assert basis.score(Z, y) > 0.95
    assert basis.class_mean_offset_ > 0  # the centred class means were lifted


def test_rotation_moves_codes_to_the_target_class(paper_setting):
    """Guards rotations in this mode: rotated codes of class 0 decode near the data of class 2."""
    model, X, y = paper_setting
    Z = model.transform(X)
    rotated = LatentRotator(source=0, target=2, random_state=0).fit(Z, y).transform(Z[y == 0])
    decoded = model.inverse_transform(rotated)
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])
    nearest = np.linalg.norm(decoded[:, None, :] - centres[None], axis=-1).argmin(axis=1)
    assert np.mean(nearest == 2) > 0.8


def test_labels_change_only_the_encoder_side():
    """Guards the unconditional game: the critic and generator losses never read labels, the head does."""
    X, y = labelled_blobs(n_per_class=20)
    params = {**SMALL, "n_warmup": 30, "n_iter": 3, "n_critic": 1, "random_state": 0, "rank": 3, "latent_dim": 3}
    with_labels = LWGANEstimator(label_weight=5.0, label_mode="classifier", **params).fit(X, y)
    phases = np.array(with_labels.history_["phase"])
    assert (phases == "adversarial").any()
    without = LWGANEstimator(**params).fit(X)
    assert without.module_.label_head is None
    assert not np.allclose(with_labels.transform(X), without.transform(X))


def test_save_load_and_pickle_keep_the_head(paper_setting, tmp_path):
    """Guards persistence: the latent classifier is part of the networks in model files and pickles."""
    model, X, y = paper_setting
    path = tmp_path / "paper.lsm"
    latentspec.save(model, path)
    again = latentspec.load(path)
    np.testing.assert_array_equal(again.transform(X), model.transform(X))
    np.testing.assert_array_equal(again.sample(4, random_state=1), model.sample(4, random_state=1))
    unpickled = pickle.loads(pickle.dumps(model))
    for loaded in (again, unpickled):
        assert loaded.label_mode == "classifier"
        for a, b in zip(loaded.module_.label_head.parameters(), model.module_.label_head.parameters()):
            assert torch.equal(a.cpu(), b.cpu())


def test_pipeline_fits_and_predicts():
    """Guards the contract's idiom in this mode: Pipeline(LWGAN, QuasiEigenBasis) with fit(X, y)."""
    X, y = labelled_blobs(n_per_class=30)
    pipe = make_pipeline(
        LWGANEstimator(latent_dim=3, rank=3, label_weight=5.0, label_mode="classifier", random_state=0, **SMALL),
        QuasiEigenBasis(n_rounds=1, random_state=0),
    ).fit(X, y)
    assert pipe.score(X, y) > 0.9


def test_bad_label_mode_and_changed_mode_on_warm_start():
    """Guards the errors: an unknown mode is named; a warm start cannot switch modes."""
    X, y = labelled_blobs(n_per_class=10)
    with pytest.raises(ValueError, match="label_mode must be one of"):
        LWGANEstimator(rank=3, latent_dim=3, label_weight=1.0, label_mode="paper", n_warmup=2).fit(X, y)
    params = {**SMALL, "n_warmup": 3, "rank": 3, "latent_dim": 3, "label_weight": 1.0, "random_state": 0}
    est = LWGANEstimator(label_mode="classifier", warm_start=True, **params).fit(X, y)
    with pytest.raises(ValueError, match="label_mode='prior'"):
        est.set_params(label_mode="prior").fit(X, y)


# -------------------------------------- label_mode="prior": the class-conditional prior
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
