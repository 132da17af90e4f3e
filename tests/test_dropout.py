"""Dropout of the encoder's and generator's hidden units while training (``dropout``)."""

import pickle

import numpy as np
import pytest
import torch

from latentspec import LWGANEstimator, load, save
from latentspec.datasets import load_digits_scaled, make_s_curve_3d
from latentspec.lwgan.core._networks import HiddenDropout

from ._tiny import TINY_PARAMS


def test_hidden_dropout_drops_at_the_rate_and_rescales():
    """Guards the masks: about `rate` of the units are zeroed, the rest scaled so the mean is kept."""
    drop = HiddenDropout()
    drop.activate(0.25, torch.Generator().manual_seed(0))
    x = torch.ones(200, 500)
    y = drop(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.25) < 0.01
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))
    assert abs(y.mean().item() - 1.0) < 0.02
    # Same generator state, same masks; the global generator is not used.
    state = torch.random.get_rng_state()
    again = HiddenDropout()
    again.activate(0.25, torch.Generator().manual_seed(0))
    torch.testing.assert_close(again(x), y)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_hidden_dropout_is_the_identity_outside_training():
    drop = HiddenDropout()
    drop.activate(0.5, torch.Generator().manual_seed(0))
    x = torch.randn(4, 50)
    with torch.no_grad():
        assert torch.equal(drop(x), x)
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    drop.activate(0.0, None)
    assert torch.equal(drop(x), x) and drop.generator is None


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits_scaled()
    return X[:200]


PARAMS = {**TINY_PARAMS, "latent_dim": 3, "n_warmup": 30}


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_fit_with_dropout_is_reproducible_and_differs(digits, architecture):
    """Guards the wiring: dropout changes the training, yet a seeded fit is repeatable and inference is not random."""
    params = {**PARAMS, "image_shape": (8, 8), "architecture": architecture}
    state = torch.random.get_rng_state()
    first = LWGANEstimator(dropout=0.3, **params).fit(digits)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is left alone
    second = LWGANEstimator(dropout=0.3, **params).fit(digits)
    plain = LWGANEstimator(**params).fit(digits)
    Z = first.transform(digits)
    np.testing.assert_array_equal(Z, second.transform(digits))
    np.testing.assert_array_equal(Z, first.transform(digits))  # transform never drops units
    np.testing.assert_array_equal(first.inverse_transform(Z[:5]), first.inverse_transform(Z[:5]))
    assert first.score(digits) == first.score(digits)
    assert not np.allclose(Z, plain.transform(digits))


def test_dropout_reaches_encoder_and_generator_only(digits, monkeypatch):
    """Guards which networks drop units: encoder and generator while training, the critic never."""
    seen = []
    original = HiddenDropout.forward

    def spy(self, x):
        out = original(self, x)
        seen.append((self.rate, bool((out == 0).any()) and self.rate > 0))
        return out

    monkeypatch.setattr(HiddenDropout, "forward", spy)
    est = LWGANEstimator(dropout=0.5, **PARAMS).fit(digits)
    assert any(dropped for _, dropped in seen)  # some training pass dropped units
    module = est.module_
    rates = {name: {sub.rate for sub in net.modules() if isinstance(sub, HiddenDropout)}
             for name, net in (("encoder", module.encoder), ("generator", module.generator),
                               ("critic", module.critic))}
    assert rates == {"encoder": {0.0}, "generator": {0.0}, "critic": {0.0}}  # off again after fit
    module.set_dropout(0.5, torch.Generator().manual_seed(0))
    assert {sub.rate for sub in module.critic.modules() if isinstance(sub, HiddenDropout)} == {0.0}
    assert {sub.rate for sub in module.encoder.modules() if isinstance(sub, HiddenDropout)} == {0.5}
    module.set_dropout(0.0)


def test_dropout_fit_pickles_saves_and_warm_starts(tmp_path):
    X = make_s_curve_3d(n_samples=120, random_state=0)
    est = LWGANEstimator(dropout=0.2, **PARAMS).fit(X)
    save(est, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert loaded.get_params()["dropout"] == 0.2
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X), est.transform(X))
    # A warm start may change the rate (it shapes no network) and continues the same networks.
    again.set_params(warm_start=True, dropout=0.0, n_warmup=40).fit(X)
    assert again.n_steps_["warmup"] == 40


def test_dropout_helps_a_small_noisy_autoencoder_generalise():
    """Guards the purpose: on few noisy digits, dropout lowers the error of reconstructions of held-out digits."""
    X, _ = load_digits_scaled()
    rng = np.random.default_rng(0)
    train, test = X[:300], X[300:400]
    noisy_train = train + rng.normal(scale=0.25, size=train.shape)
    noisy_test = test + rng.normal(scale=0.25, size=test.shape)
    params = {**TINY_PARAMS, "latent_dim": 8, "rank": 8, "n_warmup": 1500, "n_iter": 0, "n_critic_refit": 0,
              "encoder_layers": (128, 128), "generator_layers": (128, 128), "batch_size": 128}
    errors = {}
    for rate in (0.0, 0.3):
        est = LWGANEstimator(dropout=rate, **params).fit(noisy_train)
        errors[rate] = float(np.mean((est.inverse_transform(est.transform(noisy_test)) - test) ** 2))
    assert errors[0.3] < errors[0.0]
