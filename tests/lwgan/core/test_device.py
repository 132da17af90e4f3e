"""Devices and private random generators (latentspec/lwgan/core/_device.py): the ``device`` parameter's errors, the
reproducible generators, the device an unpickled model goes to. Accelerators are faked with monkeypatch, so these
run on any machine; what LWGANEstimator does with ``device`` is tested in tests/lwgan/test_estimator.py.
"""

import inspect
import warnings

import pytest
import torch

from latentspec.lwgan.core._device import device_after_unpickling, make_generator, resolve_device


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


@pytest.mark.parametrize(("cuda", "expected"), [(False, "cpu"), (True, "cuda")])
def test_auto_is_cuda_when_there_is_one_else_the_cpu(monkeypatch, cuda, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto") == torch.device(expected)


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), "cpu:0"])
def test_the_cpu_is_always_there(no_cuda, device):
    resolved = resolve_device(device)
    assert isinstance(resolved, torch.device) and resolved.type == "cpu"


@pytest.mark.parametrize("device", ["banana", "cuda:x", "", None, 1.5])
def test_a_device_pytorch_does_not_know_is_named(device):
    with pytest.raises(ValueError, match=rf"^device={device!r} is not a device PyTorch knows"):
        resolve_device(device)


@pytest.mark.parametrize("device", ["cuda", "cuda:1", torch.device("cuda", 0)])
def test_cuda_without_cuda_says_what_to_use_instead(no_cuda, device):
    with pytest.raises(ValueError, match=r"asks for CUDA, but PyTorch sees no CUDA device here; use device='auto' or"):
        resolve_device(device)


def test_cuda_is_resolved_where_there_is_one(fake_cuda):
    assert resolve_device("cuda:1") == torch.device("cuda", 1)


def test_mps_without_mps_is_refused_like_cuda(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device='mps' asks for MPS, but PyTorch sees no MPS device here"):
        resolve_device("mps")


@pytest.mark.skipif(not hasattr(torch, "xpu"), reason="this torch build has no torch.xpu")
def test_other_accelerators_are_asked_whether_they_are_there(monkeypatch):
    """XPU has no torch.backends entry: torch.xpu.is_available answers; a backend that cannot tell is not there."""
    monkeypatch.setattr(torch.xpu, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device='xpu' asks for XPU, but PyTorch sees no XPU device here"):
        resolve_device("xpu")

    def cannot_tell():
        raise RuntimeError("driver not loaded")

    monkeypatch.setattr(torch.xpu, "is_available", cannot_tell)
    with pytest.raises(ValueError, match=r"asks for XPU"):
        resolve_device("xpu")
    monkeypatch.setattr(torch.xpu, "is_available", lambda: True)
    assert resolve_device("xpu") == torch.device("xpu")


def test_a_generator_is_reproducible_private_and_on_its_device():
    before = torch.random.get_rng_state()
    first = torch.rand(5, generator=make_generator(7, torch.device("cpu")))
    again = torch.rand(5, generator=make_generator(7, torch.device("cpu")))
    other = torch.rand(5, generator=make_generator(8, torch.device("cpu")))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert torch.equal(torch.random.get_rng_state(), before), "the global generator was used or seeded"
    generator = make_generator(7, torch.device("cpu"))
    assert generator.device == torch.device("cpu") and generator.initial_seed() == 7
    assert generator is not torch.default_generator


def _setstate_like(fitted_on):
    """Stands in for LWGANEstimator.__setstate__, which pickle.loads calls (from C, so without a frame of its own)."""
    return device_after_unpickling(fitted_on)


def test_a_model_fitted_on_a_missing_gpu_goes_to_the_cpu_with_a_warning_at_the_users_line(no_cuda):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        device = _setstate_like("cuda:0")
        calling_line = inspect.currentframe().f_lineno - 1
    assert device == torch.device("cpu")
    assert len(record) == 1 and record[0].category is UserWarning
    assert "fitted on cuda:0, which this machine does not have; it was loaded on the CPU" in str(record[0].message)
    assert (record[0].filename, record[0].lineno) == (__file__, calling_line)


@pytest.mark.parametrize(("fitted_on", "cuda"), [("cpu", False), ("cpu", True), ("cuda:1", True)])
def test_a_model_goes_back_where_it_was_fitted_when_that_is_here(monkeypatch, fitted_on, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert device_after_unpickling(fitted_on) == torch.device(fitted_on)
