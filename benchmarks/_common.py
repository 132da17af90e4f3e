"""What the benchmark scripts share: the ``--threads`` option, the run's environment, the results files.

The scripts run as ``python benchmarks/<script>.py`` from the repository root, so
Python puts ``benchmarks/`` on ``sys.path`` and they import this module, and each
other, by name (``import _common``, ``from deep_lsd_digits import noisy_split``).

Nothing here imports torch or latentspec at import time: ``threads_under_load.py``
reads torch's own thread count before anything else runs, and
``transform_memory.py`` imports torch only once its options are parsed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def results_path(name: str, quick: bool = False) -> Path:
    """``benchmarks/results/<name>.json``; with ``quick`` (tiny runs) ``<temp dir>/<name>_quick.json`` instead."""
    if quick:
        return Path(tempfile.gettempdir()) / f"{name}_quick.json"
    return RESULTS / f"{name}.json"


def write_results(path: Path, payload: Any, *, default: Callable[[Any], Any] | None = None) -> Path:
    """Write ``payload`` to ``path`` as JSON (indent 2, a final newline), making its folder; returns ``path``.

    ``default`` is ``json.dumps``'s: what to write for objects JSON has no type for.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=default) + "\n")
    return path


def add_thread_option(parser: argparse.ArgumentParser, default: int | None = None, help: str | None = None) -> None:
    """``--threads N``: the torch thread count (``args.threads``; ``apply_threads`` sets it)."""
    parser.add_argument("--threads", type=int, default=default, help=help)


def apply_threads(args: argparse.Namespace) -> int | None:
    """``torch.set_num_threads(args.threads)`` when a count is given (None or 0 leave torch's); returns it."""
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    return args.threads


def machine() -> str:
    """The processor's name, else the machine type (``x86_64``): ``platform.processor()`` is often empty."""
    return platform.processor() or platform.machine()


def _torch_version() -> str:
    import torch

    return torch.__version__


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _latentspec_version() -> str:
    import latentspec

    return latentspec.__version__


ENVIRONMENT: dict[str, Callable[[], Any]] = {
    "torch": _torch_version,
    "latentspec": _latentspec_version,
    "python": platform.python_version,
    "threads": _torch_threads,  # torch's thread count now
    "cpu_count": os.cpu_count,
    "machine": machine,
}


def environment(*keys: str) -> dict[str, Any]:
    """The run's environment for a results file: the entries ``keys`` name, in that order (none named: all).

    Entries: ``torch`` and ``latentspec`` (versions), ``python`` (version),
    ``threads`` (torch's thread count when called), ``cpu_count`` (logical CPUs),
    ``machine`` (see :func:`machine`). Each script keeps the entries, and the
    order, its results files have always had.
    """
    return {key: ENVIRONMENT[key]() for key in keys or ENVIRONMENT}
