"""PyTorch state as bytes (latentspec/lwgan/core/_serialization.py): round trips of nested state, the device it loads
on, and loading that runs no code. Pickles of LWGANEstimator, which use it, are tested in tests/lwgan/test_estimator.py.
"""

import io
import pickle

import pytest
import torch

from latentspec.lwgan.core._serialization import state_from_bytes, state_to_bytes, tensors_to_bytes

CPU = torch.device("cpu")
CODE_RAN = []


def _record_that_code_ran(message):
    CODE_RAN.append(message)
    return message


class CodePayload:
    """Unpickles by calling a function: what a malicious or foreign pickle does."""

    def __reduce__(self):
        return (_record_that_code_ran, ("code from the payload ran",))


def nested_state():
    """What a training checkpoint holds: tensors (one requiring grad) in dicts, lists and tuples, and plain values."""
    return {
        "weights": {"layer.weight": torch.arange(6.0).reshape(2, 3).requires_grad_(), "layer.bias": torch.ones(2)},
        "optimisers": [{"step": torch.tensor(3.0), "betas": (0.5, 0.9)}, (torch.zeros(2).requires_grad_(), 1)],
        "rng": torch.Generator().manual_seed(0).get_state(),
        "steps": {"warmup": 40, "adversarial": 0},
        "notes": ["cpu", None, 1.5, True],
    }


def tensors_in(obj):
    """Every tensor in nested dicts, lists and tuples."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from tensors_in(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from tensors_in(value)


def assert_same(loaded, original):
    assert type(loaded) is type(original)
    if isinstance(original, torch.Tensor):
        assert loaded.dtype == original.dtype and torch.equal(loaded, original.detach())
    elif isinstance(original, dict):
        assert list(loaded) == list(original)
        for key in original:
            assert_same(loaded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original)
        for a, b in zip(loaded, original):
            assert_same(a, b)
    else:
        assert loaded == original


def test_nested_dicts_and_lists_of_tensors_round_trip():
    state = nested_state()
    loaded = state_from_bytes(tensors_to_bytes(state), CPU)
    assert_same(loaded, state)
    # Saved detached, however deep: no autograd history travels.
    assert not any(tensor.requires_grad for tensor in tensors_in(loaded))
    assert len(list(tensors_in(loaded))) == 5


def test_tensors_come_back_on_the_requested_device():
    """The meta device stands in for an accelerator: every tensor, however deep, lands there; plain values stay."""
    loaded = state_from_bytes(tensors_to_bytes(nested_state()), torch.device("meta"))
    assert loaded["weights"]["layer.bias"].device.type == "meta"
    assert loaded["optimisers"][0]["step"].device.type == "meta"
    assert loaded["rng"].device.type == "meta"
    assert loaded["steps"] == {"warmup": 40, "adversarial": 0} and loaded["optimisers"][0]["betas"] == (0.5, 0.9)


def test_a_payload_saved_on_a_gpu_loads_on_a_machine_without_one(monkeypatch):
    """Storages tagged as CUDA's (torch.save writes them so from a GPU) load on the CPU; plain torch.load fails."""
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        buffer = io.BytesIO()
        torch.save({"w": torch.ones(2, 2)}, buffer)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    loaded = state_from_bytes(buffer.getvalue(), CPU)
    assert loaded["w"].device == CPU and torch.equal(loaded["w"], torch.ones(2, 2))


def test_a_module_state_round_trips_into_a_fresh_module():
    generator = torch.Generator().manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    fresh.load_state_dict(state_from_bytes(state_to_bytes(module), CPU))
    x = torch.randn(5, 3, generator=generator)
    with torch.no_grad():
        assert torch.equal(fresh(x), module(x))


def test_loading_refuses_a_payload_that_would_run_code():
    """weights_only: a pickle that calls a function is refused, and the function never runs."""
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(1), "payload": CodePayload()}, buffer)
    CODE_RAN.clear()
    with pytest.raises(pickle.UnpicklingError, match="_record_that_code_ran"):
        state_from_bytes(buffer.getvalue(), CPU)
    assert CODE_RAN == []
    # The same bytes do run the code when loaded without weights_only: the refusal is what protects.
    torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    assert CODE_RAN == ["code from the payload ran"]
