"""torch threads: ``n_threads`` applies for the duration of each call, the library's policy for None."""

import numpy as np
import pytest
import torch

import latentspec.lwgan
from latentspec import LWGANEstimator
from latentspec._threads import MLP_CPU_THREADS, default_n_threads, torch_threads


@pytest.fixture
def two_threads():
    """torch set to 2 threads for the test (the suite runs with 1), restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


@pytest.fixture
def threads_seen(monkeypatch):
    """The torch thread count at every training run and every encoder and generator pass."""
    seen = {"train": [], "encode": [], "generate": []}
    run = latentspec.lwgan.Trainer.run

    def recording_run(self, *args, **kwargs):
        seen["train"].append(torch.get_num_threads())
        return run(self, *args, **kwargs)

    monkeypatch.setattr(latentspec.lwgan.Trainer, "run", recording_run)
    for name in ("encode", "generate"):
        original = getattr(latentspec.lwgan.LWGANModule, name)

        def recording(self, *args, _original=original, _name=name, **kwargs):
            seen[_name].append(torch.get_num_threads())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(latentspec.lwgan.LWGANModule, name, recording)
    return seen


def test_policy_is_one_named_function():
    """MLPs on a CPU get MLP_CPU_THREADS; convolutional networks and GPUs keep torch's setting (None)."""
    assert default_n_threads(False, torch.device("cpu")) == MLP_CPU_THREADS
    assert default_n_threads(True, torch.device("cpu")) is None
    assert default_n_threads(False, torch.device("cuda")) is None
    assert default_n_threads(False, None) is None


def test_context_manager_restores_the_setting_even_on_error(two_threads):
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads
    with pytest.raises(RuntimeError, match="boom"), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == two_threads
    with torch_threads(None):
        assert torch.get_num_threads() == two_threads


def test_default_trains_and_transforms_mlps_with_the_policy_then_restores(
    s_curve, tiny_params, two_threads, threads_seen
):
    """n_threads=None: MLP networks on a CPU run with MLP_CPU_THREADS in every call; torch's 2 come back after."""
    est = LWGANEstimator(latent_dim=3, rank=2, **tiny_params).fit(s_curve)
    assert torch.get_num_threads() == two_threads
    est.transform(s_curve)
    est.inverse_transform(np.zeros((3, 2)))
    est.sample(2)
    est.score(s_curve)
    assert torch.get_num_threads() == two_threads
    assert set(threads_seen["train"]) == {MLP_CPU_THREADS}
    assert set(threads_seen["encode"]) == {MLP_CPU_THREADS}
    assert set(threads_seen["generate"]) == {MLP_CPU_THREADS}


def test_explicit_n_threads_is_used_and_restored(s_curve, tiny_params, threads_seen):
    before = torch.get_num_threads()
    est = LWGANEstimator(latent_dim=3, rank=2, n_threads=2, **tiny_params).fit(s_curve)
    est.transform(s_curve[:5])
    assert torch.get_num_threads() == before
    assert set(threads_seen["train"]) == {2} and set(threads_seen["encode"]) == {2}
    threads_seen["encode"].clear()
    est.set_params(n_threads=1).transform(s_curve[:5])  # read at every call, so set_params applies at once
    assert set(threads_seen["encode"]) == {1}


def test_convolutional_networks_keep_torch_setting(tiny_params, two_threads, threads_seen):
    X = np.random.default_rng(0).random((40, 16))
    LWGANEstimator(latent_dim=2, rank=2, image_shape=(4, 4), **{**tiny_params, "conv_layers": (2,)}).fit(X)
    assert set(threads_seen["train"]) == {two_threads}


def test_failed_fit_restores_threads(s_curve, tiny_params, two_threads):
    with pytest.raises(ValueError, match="rank=5 is larger than latent_dim=3"):
        LWGANEstimator(latent_dim=3, rank=5, n_threads=1, **tiny_params).fit(s_curve)
    assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_n_threads_is_refused_at_fit_and_after_set_params(s_curve, tiny_params, fitted_rank2, value):
    with pytest.raises(ValueError, match="n_threads must be an integer >= 1"):
        LWGANEstimator(latent_dim=3, n_threads=value, **tiny_params).fit(s_curve)
    est = latentspec.lwgan.copy.deepcopy(fitted_rank2).set_params(n_threads=value)
    for method, arg in (("transform", s_curve), ("inverse_transform", np.zeros((2, 2))), ("score", s_curve)):
        with pytest.raises(ValueError, match="n_threads"):
            getattr(est, method)(arg)
    with pytest.raises(ValueError, match="n_threads"):
        est.sample(2)
