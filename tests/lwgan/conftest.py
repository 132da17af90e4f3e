"""Fixtures of the thread tests, used by tests/lwgan/test_estimator.py and tests/lwgan/core/test_threads.py."""

import pytest
import torch

import latentspec.lwgan.core._threads as threads_module


@pytest.fixture
def two_threads():
    """torch set to 2 threads for the test (the suite runs with 1), restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


@pytest.fixture
def idle(monkeypatch):
    """Set what the load probe and a fit's ThreadGovernor report: ``idle(1.0)``; records how often the probe is
    read."""
    readings = {"value": None, "calls": 0}

    def fake_idle_cpus(seconds=threads_module.LOAD_PROBE_SECONDS):
        readings["calls"] += 1
        return readings["value"]

    monkeypatch.setattr(threads_module, "idle_cpus", fake_idle_cpus)
    monkeypatch.setattr(threads_module, "_last_reading", None)
    # what a fit's ThreadGovernor measures while it runs: the same value (None: nothing to go by)
    monkeypatch.setattr(threads_module, "_idle_between", lambda *args: readings["value"])

    def set_idle(value):
        readings["value"] = value
        return readings

    return set_idle
