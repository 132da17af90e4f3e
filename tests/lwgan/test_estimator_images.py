"""Image rows through LWGANEstimator: image_shape, architecture and conv_layers choose and shape the
convolutional networks (core/_conv.py); augment_shift trains on shifted images (core/_augment.py).
"""

import pickle

import numpy as np
import pytest

from latentspec import LWGANEstimator, load, save
from latentspec.datasets import load_digits_scaled
from latentspec.lwgan.core._augment import RandomShift
from latentspec.lwgan.core._conv import ConvConditioned, ConvGenerator
from latentspec.lwgan.core._networks import ConditionedMLP

from .._tiny import TINY_PARAMS


# --------------------------------------------------------------- convolutional networks
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits_scaled()
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def conv_fit(digits):
    X, _ = digits
    return LWGANEstimator(latent_dim=4, image_shape=(8, 8), n_warmup=10, n_iter=2, n_critic=1, n_critic_refit=2,
                          encoder_layers=(16,), generator_layers=(16,), critic_layers=(16,), conv_layers=(4, 8),
                          batch_size=32, n_score_repeats=2, random_state=0).fit(X)


def test_image_shape_chooses_convolutions(conv_fit, digits):
    """Guards the automatic choice and a tiny fit: conv networks, right shapes, finite, reproducible."""
    X, _ = digits
    assert isinstance(conv_fit.module_.encoder, ConvConditioned)
    assert isinstance(conv_fit.module_.generator, ConvGenerator)
    Z = conv_fit.transform(X)
    assert Z.shape == (300, conv_fit.rank_) and np.isfinite(Z).all()
    assert conv_fit.inverse_transform(Z).shape == (300, 64)
    assert conv_fit.sample(3, random_state=0).shape == (3, 64)
    again = LWGANEstimator(**conv_fit.get_params()).fit(X)
    np.testing.assert_array_equal(again.transform(X), Z)


def test_mlp_can_be_forced_for_images(digits, tiny_params):
    X, _ = digits
    est = LWGANEstimator(latent_dim=2, image_shape=(8, 8), architecture="mlp", **tiny_params).fit(X)
    assert isinstance(est.module_.encoder, ConditionedMLP)


def test_conv_model_pickles_and_saves(conv_fit, digits, tmp_path):
    X, _ = digits
    expected = conv_fit.transform(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(conv_fit)).transform(X), expected)
    save(conv_fit, tmp_path / "conv.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "conv.safetensors").transform(X), expected)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"architecture": "conv"}, "needs image_shape"),
        ({"architecture": "cnn", "image_shape": (8, 8)}, "architecture"),
        ({"image_shape": (8, 8), "conv_layers": (4, 4, 4, 4)}, "too small"),
        ({"image_shape": (8, 8), "conv_layers": ()}, "conv_layers"),
        ({"image_shape": (8, 8), "conv_layers": (4, 0)}, "conv_layers"),
        ({"image_shape": (4, 4)}, "holds 16 values"),
    ],
)
def test_bad_image_settings(digits, tiny_params, params, match):
    X, _ = digits
    with pytest.raises(ValueError, match=match):
        LWGANEstimator(latent_dim=2, **{**tiny_params, **params}).fit(X)


# ------------------------------------------------------------------------ augment_shift
def test_fit_uses_shifts_reproducibly(monkeypatch):
    """Guards the wiring: a fit with augment_shift draws shifted batches, and is reproducible."""
    X, _ = load_digits_scaled()
    X = X[:200]
    params = {**TINY_PARAMS, "latent_dim": 3, "image_shape": (8, 8), "architecture": "mlp"}
    calls = []
    original = RandomShift.__call__

    def spy(self, x):
        calls.append(x.shape[0])
        return original(self, x)

    with monkeypatch.context() as patch:
        patch.setattr(RandomShift, "__call__", spy)
        first = LWGANEstimator(augment_shift=1, **params).fit(X)
    assert calls and sum(calls) >= params["n_warmup"] * min(params["batch_size"], len(X))
    second = LWGANEstimator(augment_shift=1, **params).fit(X)
    plain = LWGANEstimator(**params).fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    assert not np.allclose(first.transform(X), plain.transform(X))


def test_conv_fit_with_shifts_and_labels():
    X, y = load_digits_scaled()
    params = {**TINY_PARAMS, "latent_dim": 10, "rank": 10, "image_shape": (8, 8), "label_weight": 1.0}
    est = LWGANEstimator(augment_shift=2, **params).fit(X[:300], y[:300])
    assert est.transform(X[:5]).shape == (5, 10)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"augment_shift": 1}, "augment_shift=1 translates images, so it needs image_shape"),
        ({"augment_shift": 8, "image_shape": (8, 8)}, r"out of the frame; use augment_shift < 8"),
        ({"augment_shift": -1, "image_shape": (8, 8)}, "augment_shift"),
    ],
)
def test_bad_augment_shift(params, message):
    X, _ = load_digits_scaled()
    with pytest.raises(ValueError, match=message):
        LWGANEstimator(**TINY_PARAMS, **params).fit(X[:50])
