"""torch threads: ``n_threads`` applies for the duration of each call, the library's policy for None."""

import copy

import numpy as np
import pytest
import torch

import latentspec.lwgan._estimator as estimator_module
import latentspec.lwgan.core._model
import latentspec.lwgan.core._threads as threads_module
from latentspec import LWGANEstimator
from latentspec.lwgan.core._threads import MLP_CPU_THREADS, default_n_threads, idle_cpus, torch_threads


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
    run = estimator_module.Trainer.run

    def recording_run(self, *args, **kwargs):
        seen["train"].append(torch.get_num_threads())
        return run(self, *args, **kwargs)

    monkeypatch.setattr(estimator_module.Trainer, "run", recording_run)
    for name in ("encode", "generate"):
        original = getattr(latentspec.lwgan.core._model.LWGANModule, name)

        def recording(self, *args, _original=original, _name=name, **kwargs):
            seen[_name].append(torch.get_num_threads())
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(latentspec.lwgan.core._model.LWGANModule, name, recording)
    return seen


@pytest.fixture
def idle(monkeypatch):
    """Set what the load probe reports: ``idle(1.0)``; records how often it is read."""
    readings = {"value": None, "calls": 0}

    def fake_idle_cpus(seconds=threads_module.LOAD_PROBE_SECONDS):
        readings["calls"] += 1
        return readings["value"]

    monkeypatch.setattr(threads_module, "idle_cpus", fake_idle_cpus)
    monkeypatch.setattr(threads_module, "_last_reading", None)

    def set_idle(value):
        readings["value"] = value
        return readings

    return set_idle


@pytest.mark.parametrize(
    ("idle_cpus_seen", "expected"),
    [(2.0, 2), (1.6, 2), (1.4, 1), (1.0, 1), (0.2, 1), (0.0, 1), (7.5, 2)],
)
def test_policy_caps_torch_count_at_the_idle_cpus(two_threads, idle, idle_cpus_seen, expected):
    """On a CPU, n_threads=None is torch's count capped at the idle CPUs (rounded, at least 1)."""
    idle(idle_cpus_seen)
    assert default_n_threads(False, torch.device("cpu")) == expected
    assert default_n_threads(True, torch.device("cpu")) == expected


def test_policy_without_a_load_reading_and_off_the_cpu(two_threads, idle):
    readings = idle(None)  # no /proc/stat: MLPs get the safe one thread, conv nets torch's setting
    assert default_n_threads(False, torch.device("cpu")) == MLP_CPU_THREADS == 1
    assert default_n_threads(True, torch.device("cpu")) is None
    calls = readings["calls"]
    idle(0.0)
    assert default_n_threads(False, torch.device("cuda")) is None
    assert default_n_threads(False, None) is None
    assert readings["calls"] == calls  # the load is not read for a GPU


def test_policy_does_not_read_the_load_when_torch_has_one_thread(idle):
    readings = idle(2.0)
    with torch_threads(1):
        assert default_n_threads(False, torch.device("cpu")) == 1
    assert readings["calls"] == 0


def test_a_reading_is_reused_outside_fit_but_fit_reads_afresh(two_threads, idle):
    readings = idle(2.0)
    assert default_n_threads(False, torch.device("cpu"), fresh=True) == 2
    idle(1.0)
    assert default_n_threads(False, torch.device("cpu"), fresh=False) == 2  # the recent reading
    assert readings["calls"] == 1
    assert default_n_threads(False, torch.device("cpu"), fresh=True) == 1
    assert readings["calls"] == 2


def test_busy_ticks_are_read_for_the_usable_cpus_only():
    stat = ("cpu  300 0 100 1000 50 0 0 0 0 0\n"
            "cpu0 100 0 50 500 25 0 0 0 0 0\n"
            "cpu1 200 0 50 500 25 0 0 0 0 0\n"
            "intr 12345 0 0\n\n")
    assert threads_module._busy_and_total_ticks(stat, {0, 1}) == (400, 1450)
    assert threads_module._busy_and_total_ticks(stat, {1}) == (250, 775)
    assert threads_module._busy_and_total_ticks(stat, {5}) is None


def test_idle_cpus_takes_away_this_process_and_other_busy_time(monkeypatch):
    """One other CPU-bound process on 2 CPUs reads as 1 idle CPU, whatever this process does meanwhile."""
    hz = 100
    monkeypatch.setattr(threads_module.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(threads_module.os, "sysconf", lambda name: hz)
    clock = {"wall": 0.0, "own": 0.0}
    ticks = iter([(1000, 10_000), (1000 + int(1.5 * hz), 10_000 + 2 * hz)])  # 1.5 CPU-seconds busy over 1 s
    monkeypatch.setattr(threads_module, "_cpu_ticks", lambda cpus: next(ticks))
    monkeypatch.setattr(threads_module.time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(threads_module.time, "process_time", lambda: clock["own"])

    def sleep(seconds):  # this process used half a CPU while the probe watched
        clock["wall"] += seconds
        clock["own"] += 0.5 * seconds

    monkeypatch.setattr(threads_module.time, "sleep", sleep)
    assert idle_cpus(1.0) == pytest.approx(1.0)


def test_idle_cpus_on_this_machine_is_a_count_or_unknown():
    value = idle_cpus(0.02)
    assert value is None or 0.0 <= value <= len(threads_module.os.sched_getaffinity(0))


def test_context_manager_restores_the_setting_even_on_error(two_threads):
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads
    with pytest.raises(RuntimeError, match="boom"), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == two_threads
    with torch_threads(None):
        assert torch.get_num_threads() == two_threads


@pytest.mark.parametrize("idle_cpus_seen", [2.0, 1.0])
def test_default_trains_and_transforms_with_the_policy_then_restores(
    s_curve, tiny_params, two_threads, threads_seen, idle, idle_cpus_seen
):
    """n_threads=None: every call runs with the policy's count (2 idle CPUs: 2, one busy: 1); torch's 2 come back."""
    idle(idle_cpus_seen)
    expected = int(idle_cpus_seen)
    est = LWGANEstimator(latent_dim=3, rank=2, device="cpu", **tiny_params).fit(s_curve)  # the policy is the CPU's
    assert torch.get_num_threads() == two_threads
    est.transform(s_curve)
    est.inverse_transform(np.zeros((3, 2)))
    est.sample(2)
    est.score(s_curve)
    assert torch.get_num_threads() == two_threads
    assert set(threads_seen["train"]) == {expected}
    assert set(threads_seen["encode"]) == {expected}
    assert set(threads_seen["generate"]) == {expected}


def test_explicit_n_threads_is_used_and_restored(s_curve, tiny_params, threads_seen):
    before = torch.get_num_threads()
    est = LWGANEstimator(latent_dim=3, rank=2, n_threads=2, **tiny_params).fit(s_curve)
    est.transform(s_curve[:5])
    assert torch.get_num_threads() == before
    assert set(threads_seen["train"]) == {2} and set(threads_seen["encode"]) == {2}
    threads_seen["encode"].clear()
    est.set_params(n_threads=1).transform(s_curve[:5])  # read at every call, so set_params applies at once
    assert set(threads_seen["encode"]) == {1}


def test_convolutional_networks_keep_torch_setting_without_a_load_reading(
    tiny_params, two_threads, threads_seen, idle
):
    idle(None)
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
    est = copy.deepcopy(fitted_rank2).set_params(n_threads=value)
    for method, arg in (("transform", s_curve), ("inverse_transform", np.zeros((2, 2))), ("score", s_curve)):
        with pytest.raises(ValueError, match="n_threads"):
            getattr(est, method)(arg)
    with pytest.raises(ValueError, match="n_threads"):
        est.sample(2)
