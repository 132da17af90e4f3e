"""How many CPU threads torch uses while an estimator trains or applies its networks.

torch's thread count is one setting for the whole process. ``LWGANEstimator``
changes it only for the duration of ``fit``, ``transform``, ``inverse_transform``,
``sample`` and ``score`` (:func:`torch_threads`) and puts back what was there.

``n_threads=None`` asks :func:`default_n_threads`, the library's policy. The
networks of vector data are small MLPs: on a CPU each of their matrix products is
too short to share, so extra threads mostly wait on each other, and on a machine
whose cores are busy with other work they wait far longer (on a 2-core machine
with one other CPU-bound process, torch's default of 2 threads trained at 5 steps/s
against 97 with one thread). ``benchmarks/threads_under_load.py`` measures this; to
change the policy, change :data:`MLP_CPU_THREADS` or :func:`default_n_threads`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

__all__ = ["MLP_CPU_THREADS", "default_n_threads", "torch_threads", "with_torch_threads"]

# Threads for MLP networks on a CPU when n_threads=None. None would leave torch's
# own setting (by default one thread per physical core).
MLP_CPU_THREADS: int | None = 1


def default_n_threads(convolutional: bool, device: torch.device | None) -> int | None:
    """The thread count for ``n_threads=None``: an int, or None to leave torch's setting.

    Parameters
    ----------
    convolutional : bool
        Whether the networks are convolutional (images), whose products are
        large enough to share between threads.
    device : torch.device or None
        Where the networks run; None when not known yet.

    Returns
    -------
    int or None
        :data:`MLP_CPU_THREADS` for MLP networks on a CPU, else None (torch's
        own setting: on a GPU the CPU threads only launch kernels).

    Examples
    --------
    >>> import torch
    >>> default_n_threads(False, torch.device("cpu"))
    1
    >>> default_n_threads(True, torch.device("cpu")) is None
    True
    """
    if device is None or device.type != "cpu" or convolutional:
        return None
    return MLP_CPU_THREADS


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


def with_torch_threads(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an estimator method to run under ``torch_threads(self._thread_count())``."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with torch_threads(self._thread_count()):
            return method(self, *args, **kwargs)

    return run
