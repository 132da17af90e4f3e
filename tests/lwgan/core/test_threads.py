"""The torch thread policy (latentspec/lwgan/core/_threads.py): the count for ``n_threads=None``, the load probe,
the context manager. What LWGANEstimator does with ``n_threads`` is tested in tests/lwgan/test_estimator.py.
"""

import pytest
import torch

import latentspec.lwgan.core._threads as threads_module
from latentspec.lwgan.core._threads import (
    MLP_CPU_THREADS,
    ThreadGovernor,
    default_n_threads,
    idle_cpus,
    torch_threads,
)


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


@pytest.fixture
def machine(monkeypatch):
    """A 2-CPU machine whose clock, this process's CPU time and the busy ticks a test moves by hand."""
    hz = 100
    state = {"wall": 0.0, "own": 0.0, "busy": 0, "reads": 0}
    monkeypatch.setattr(threads_module, "_usable_cpus", lambda: ({0, 1}, hz))

    def ticks(cpus):
        state["reads"] += 1
        return state["busy"], 10**9

    monkeypatch.setattr(threads_module, "_cpu_ticks", ticks)
    monkeypatch.setattr(threads_module.time, "monotonic", lambda: state["wall"])
    monkeypatch.setattr(threads_module.time, "process_time", lambda: state["own"])

    def run(seconds, own_cpus, other_cpus):
        """``seconds`` pass with this process on ``own_cpus`` CPUs and other processes on ``other_cpus``."""
        state["wall"] += seconds
        state["own"] += own_cpus * seconds
        state["busy"] += round((own_cpus + other_cpus) * seconds * hz)

    state["run"] = run
    return state


def test_governor_follows_the_load_while_a_fit_runs(two_threads, machine):
    """Another process arrives: one thread; it leaves: the ceiling again; no reading more often than ``every``."""
    governor = ThreadGovernor.for_fit(ceiling=2, every=2.0)
    assert governor.counts == [2]
    machine["run"](1.0, own_cpus=2, other_cpus=0)
    reads = machine["reads"]
    governor.check()  # only 1 s since the last reading: nothing read, nothing changed
    assert machine["reads"] == reads and torch.get_num_threads() == 2
    machine["run"](1.5, own_cpus=4 / 3, other_cpus=2 / 3)  # a CPU-bound process arrives: 3 threads on 2 cores
    governor.check()  # over the 2.5 s since the last reading, 0.4 CPUs busy elsewhere: 1.6 idle, still 2
    assert torch.get_num_threads() == 2 and governor.counts == [2]
    machine["run"](2.0, own_cpus=4 / 3, other_cpus=2 / 3)
    governor.check()  # a whole window loaded: 1.33 idle
    assert torch.get_num_threads() == 1 and governor.counts == [2, 1]
    machine["run"](2.5, own_cpus=1, other_cpus=1)
    governor.check()
    assert torch.get_num_threads() == 1 and governor.counts == [2, 1]  # still loaded: stays
    machine["run"](2.5, own_cpus=1, other_cpus=0.05)  # it has ended
    governor.check()
    assert torch.get_num_threads() == 2 and governor.counts == [2, 1, 2]


def test_governor_never_goes_above_its_ceiling(two_threads, machine, monkeypatch):
    monkeypatch.setattr(threads_module, "_usable_cpus", lambda: (set(range(8)), 100))
    with torch_threads(1):
        governor = ThreadGovernor.for_fit(ceiling=2, every=1.0)
        machine["run"](3.0, own_cpus=1, other_cpus=0)  # seven idle CPUs
        governor.check()
        assert torch.get_num_threads() == 2


def test_no_governor_without_a_load_reading_or_a_second_thread(machine, monkeypatch):
    assert ThreadGovernor.for_fit(ceiling=1) is None
    monkeypatch.setattr(threads_module, "_usable_cpus", lambda: None)
    assert ThreadGovernor.for_fit(ceiling=2) is None
    monkeypatch.setattr(threads_module, "_usable_cpus", lambda: ({0, 1}, 100))
    monkeypatch.setattr(threads_module, "_cpu_ticks", lambda cpus: None)
    assert ThreadGovernor.for_fit(ceiling=2) is None


def test_idle_between_two_readings():
    start, end = (10.0, 5.0, (1000, 0)), (12.0, 6.0, (1300, 0))  # 3 CPU-seconds busy in 2 s, 1 of them ours
    assert threads_module._idle_between(start, end, 2, 100) == pytest.approx(1.0)
    assert threads_module._idle_between(start, start, 2, 100) is None


def test_context_manager_undoes_what_the_block_set(two_threads):
    """A fit's governor changes the count inside the block; the caller's count comes back all the same."""
    for n_threads in (None, 2, 1):
        with torch_threads(n_threads):
            torch.set_num_threads(1 if torch.get_num_threads() == 2 else 2)
        assert torch.get_num_threads() == two_threads
