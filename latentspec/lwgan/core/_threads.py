"""How many CPU threads torch uses while an estimator trains or applies its networks.

torch's thread count is one setting for the whole process. ``LWGANEstimator``
changes it only for the duration of ``fit``, ``transform``, ``inverse_transform``,
``sample`` and ``score`` (:func:`torch_threads`) and puts back what was there.

``n_threads=None`` asks :func:`default_n_threads`, the library's policy: on a CPU,
torch's own count (one thread per physical core, or ``OMP_NUM_THREADS``), but never
more threads than there are CPUs left idle by other processes (:func:`idle_cpus`).
torch's worker threads wait for each other at the end of every product; when one
of them shares its core with another busy process, every product waits for the
slowest, and a fit falls off a cliff (on a 2-core machine beside one CPU-bound
process, two threads trained at 18 steps/s and one at 53, while on the idle machine
two threads were faster, 67 against 57; ``benchmarks/results/threads_under_load.json``).
Where the load cannot be read, MLP networks get :data:`MLP_CPU_THREADS` (one), the
choice that is never far off.
``benchmarks/threads_under_load.py`` measures all of this.

The thread count changes the order of some floating-point sums, so a fit with one
thread and a fit with two can differ in the last digits of the rank scores; pass
``n_threads`` for results identical bit for bit whatever the load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["LOAD_PROBE_SECONDS", "MLP_CPU_THREADS", "default_n_threads", "idle_cpus", "torch_threads"]

# Threads for MLP networks on a CPU when n_threads=None and the load cannot be read.
MLP_CPU_THREADS: int = 1
# How long idle_cpus watches the CPUs, and how long a reading is reused outside fit.
LOAD_PROBE_SECONDS: float = 0.1
LOAD_READING_REUSED_FOR: float = 10.0

_last_reading: tuple[float, float | None] | None = None  # (monotonic time, idle CPUs)


def _busy_and_total_ticks(proc_stat: str, cpus: set[int]) -> tuple[int, int] | None:
    """(busy, total) clock ticks of ``cpus`` in the text of ``/proc/stat``; None if none is listed."""
    busy = total = 0
    for line in proc_stat.splitlines():
        name, *fields = line.split() or [""]
        if not (name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus):
            continue
        # user nice system idle iowait irq softirq steal (guest time is inside user)
        ticks = [int(field) for field in fields[:8]]
        total += sum(ticks)
        busy += sum(ticks) - ticks[3] - ticks[4]
    return (busy, total) if total else None


def _cpu_ticks(cpus: set[int]) -> tuple[int, int] | None:
    """(busy, total) clock ticks of ``cpus`` since boot; None where ``/proc/stat`` cannot be read."""
    try:
        with open("/proc/stat") as stat:
            return _busy_and_total_ticks(stat.read(), cpus)
    except (OSError, ValueError):
        return None


def idle_cpus(seconds: float = LOAD_PROBE_SECONDS) -> float | None:
    """CPUs of this process not kept busy by other processes, watched for ``seconds``.

    Reads the busy time of the CPUs this process may run on from ``/proc/stat``
    twice, ``seconds`` apart, and takes away this process's own CPU time over the
    same span. Linux only; elsewhere (or if ``/proc`` is not readable) None.

    Parameters
    ----------
    seconds : float, default=LOAD_PROBE_SECONDS
        How long to watch.

    Returns
    -------
    float or None
        Between 0 and the number of usable CPUs, or None where the load cannot
        be read.

    Examples
    --------
    >>> idle = idle_cpus(0.05)
    >>> idle is None or 0.0 <= idle <= os.cpu_count()
    True
    """
    try:
        cpus = set(os.sched_getaffinity(0))
        ticks_per_second = os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return None
    start, own_start, wall_start = _cpu_ticks(cpus), time.process_time(), time.monotonic()
    if start is None:
        return None
    time.sleep(seconds)
    end, own_end, wall_end = _cpu_ticks(cpus), time.process_time(), time.monotonic()
    if end is None or wall_end <= wall_start:
        return None
    busy = (end[0] - start[0]) / ticks_per_second - (own_end - own_start)
    busy_cpus = max(0.0, busy / (wall_end - wall_start))
    return max(0.0, len(cpus) - busy_cpus)


def _idle_cpus_now(fresh: bool) -> float | None:
    """:func:`idle_cpus`, or a reading at most LOAD_READING_REUSED_FOR seconds old unless ``fresh``."""
    global _last_reading
    now = time.monotonic()
    if fresh or _last_reading is None or now - _last_reading[0] > LOAD_READING_REUSED_FOR:
        _last_reading = (now, idle_cpus())
    return _last_reading[1]


def default_n_threads(convolutional: bool, device: torch.device | None, fresh: bool = True) -> int | None:
    """The thread count for ``n_threads=None``: an int, or None to leave torch's setting.

    Parameters
    ----------
    convolutional : bool
        Whether the networks are convolutional (images), whose products are
        large enough to share between threads even when the load is unknown.
    device : torch.device or None
        Where the networks run; None when not known yet.
    fresh : bool, default=True
        Read the load now (``fit`` does); False reuses a reading up to
        ``LOAD_READING_REUSED_FOR`` seconds old (``transform`` and the other
        calls, which may come in quick succession).

    Returns
    -------
    int or None
        On a CPU: torch's current count, capped at the idle CPUs rounded to the
        nearest integer (at least 1; with torch at one thread the load is not
        read); where the load cannot be read,
        :data:`MLP_CPU_THREADS` for MLP networks and None for convolutional ones.
        On a GPU, or with the device unknown, None (the CPU threads only launch
        kernels).

    Examples
    --------
    >>> import torch
    >>> default_n_threads(False, torch.device("cpu")) <= torch.get_num_threads()
    True
    >>> default_n_threads(False, torch.device("cuda")) is None
    True
    """
    if device is None or device.type != "cpu":
        return None
    if torch.get_num_threads() <= 1:
        return 1  # nothing to cap: no need to watch the load
    idle = _idle_cpus_now(fresh)
    if idle is None:
        return None if convolutional else MLP_CPU_THREADS
    return max(1, min(torch.get_num_threads(), int(idle + 0.5)))


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n_threads)``, then restore the previous count.

    ``None`` changes nothing. The count is restored however the block ends
    (an error, a KeyboardInterrupt).

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    before = torch.get_num_threads()
    if n_threads is None or n_threads == before:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
