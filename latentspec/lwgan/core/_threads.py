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
choice that is never far off. The load can change while a fit runs: ``fit`` then
follows it with a :class:`ThreadGovernor`, which measures it again every
:data:`LOAD_RECHECK_SECONDS` and moves the count between one and the policy's ceiling.
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

__all__ = [
    "LOAD_PROBE_SECONDS",
    "LOAD_RECHECK_SECONDS",
    "MLP_CPU_THREADS",
    "ThreadGovernor",
    "default_n_threads",
    "idle_cpus",
    "torch_threads",
]

# Threads for MLP networks on a CPU when n_threads=None and the load cannot be read.
MLP_CPU_THREADS: int = 1
# How long idle_cpus watches the CPUs, and how long a reading is reused outside fit.
LOAD_PROBE_SECONDS: float = 0.1
LOAD_READING_REUSED_FOR: float = 10.0
# How often a running fit measures the load again (ThreadGovernor): long enough that a moment's activity of
# another process does not change the count, short next to a fit's minute.
LOAD_RECHECK_SECONDS: float = 2.0

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


def _load_sample(cpus: set[int]) -> tuple[float, float, tuple[int, int]] | None:
    """(wall clock, this process's CPU time, busy and total ticks of ``cpus``) now; None without ``/proc/stat``."""
    ticks = _cpu_ticks(cpus)
    return None if ticks is None else (time.monotonic(), time.process_time(), ticks)


def _idle_between(
    start: tuple[float, float, tuple[int, int]], end: tuple[float, float, tuple[int, int]], n_cpus: int,
    ticks_per_second: float,
) -> float | None:
    """The CPUs not kept busy by other processes between two :func:`_load_sample` readings; None if no time passed."""
    (wall_start, own_start, ticks_start), (wall_end, own_end, ticks_end) = start, end
    if wall_end <= wall_start:
        return None
    busy = (ticks_end[0] - ticks_start[0]) / ticks_per_second - (own_end - own_start)
    busy_cpus = max(0.0, busy / (wall_end - wall_start))
    return max(0.0, n_cpus - busy_cpus)


def _threads_for(idle: float, ceiling: int) -> int:
    """The thread count the idle CPUs allow: ``idle`` rounded to whole CPUs, between 1 and ``ceiling``."""
    return max(1, min(ceiling, int(idle + 0.5)))


def _usable_cpus() -> tuple[set[int], int] | None:
    """The CPUs this process may run on and the clock ticks per second; None where they cannot be read."""
    try:
        return set(os.sched_getaffinity(0)), os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
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
    usable = _usable_cpus()
    if usable is None:
        return None
    cpus, ticks_per_second = usable
    start = _load_sample(cpus)
    if start is None:
        return None
    time.sleep(seconds)
    end = _load_sample(cpus)
    return None if end is None else _idle_between(start, end, len(cpus), ticks_per_second)


class ThreadGovernor:
    """Keeps the torch thread count of a running fit at what the idle CPUs allow, as the load changes.

    The policy (:func:`default_n_threads`) reads the load once, when ``fit``
    starts. A process that starts later, while the fit runs, shares a core with
    one of its threads and makes every product wait (the cliff this module's
    docstring measures: 18 steps/s instead of 53). ``fit`` therefore calls
    :meth:`check` between training steps and between scoring evaluations; at
    most every ``every`` seconds it measures the other processes' load over the
    time since the last measurement (no waiting: two readings of
    ``/proc/stat`` that far apart) and sets torch's count to the idle CPUs,
    rounded, between 1 and ``ceiling``. It goes back up when the other process
    ends. Built only where the policy applies (``n_threads=None`` on a CPU, the
    load readable, torch set to more than one thread).

    Parameters
    ----------
    ceiling : int
        The most threads to use: torch's count before the policy capped it.
    cpus : set of int
        The CPUs this process may run on.
    ticks_per_second : float
        The kernel's clock ticks per second (``/proc/stat``'s unit).
    every : float or None, default=None
        The shortest time between two measurements, in seconds;
        None is :data:`LOAD_RECHECK_SECONDS`.

    Attributes
    ----------
    counts : list of int
        Every thread count set, the first being the one in force when it was built.

    Examples
    --------
    >>> governor = ThreadGovernor.for_fit(ceiling=torch.get_num_threads())
    >>> governor is None or governor.counts == [torch.get_num_threads()]
    True
    """

    def __init__(self, ceiling: int, cpus: set[int], ticks_per_second: float, every: float | None = None):
        self.ceiling = int(ceiling)
        self.every = LOAD_RECHECK_SECONDS if every is None else float(every)
        self._cpus, self._ticks_per_second = cpus, ticks_per_second
        self._last = _load_sample(cpus)
        self.counts = [torch.get_num_threads()]

    @classmethod
    def for_fit(cls, ceiling: int, every: float | None = None) -> ThreadGovernor | None:
        """A governor, or None where the load cannot be read or there is only one thread to give."""
        usable = _usable_cpus()
        if ceiling <= 1 or usable is None:
            return None
        governor = cls(ceiling, usable[0], usable[1], every)
        return None if governor._last is None else governor

    def check(self) -> None:
        """Measure the load if ``every`` seconds have passed since the last time, and adapt the thread count."""
        if self._last is not None and time.monotonic() - self._last[0] < self.every:
            return
        now = _load_sample(self._cpus)
        if now is None:
            return
        idle = None if self._last is None else _idle_between(self._last, now, len(self._cpus),
                                                             self._ticks_per_second)
        self._last = now
        if idle is None:
            return
        wanted = _threads_for(idle, self.ceiling)
        if wanted != torch.get_num_threads():
            torch.set_num_threads(wanted)
            self.counts.append(wanted)


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
    return _threads_for(idle, torch.get_num_threads())


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n_threads)``, then restore the previous count.

    ``None`` changes nothing on entry. The count is restored however the block
    ends (an error, a KeyboardInterrupt), and whatever the block set meanwhile.

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
    if n_threads is not None and n_threads != before:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:  # also what the block changed (a fit's ThreadGovernor)
            torch.set_num_threads(before)
