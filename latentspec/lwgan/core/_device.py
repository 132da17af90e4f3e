"""Devices and private random generators: where the networks run, and their random streams."""

from __future__ import annotations

import warnings

import torch

__all__ = ["device_after_unpickling", "make_generator", "resolve_device"]


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` is the first CUDA device when there is one, else the CPU.

    Raises
    ------
    ValueError
        If the string names no device PyTorch knows, or a CUDA, MPS (or other
        accelerator) device is asked for on a machine without one.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a device PyTorch knows: {exc}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} asks for CUDA, but PyTorch sees no CUDA device here; "
            "use device='auto' or 'cpu'"
        )
    if resolved.type != "cpu" and not _backend_available(resolved.type):
        name = resolved.type.upper()
        raise ValueError(
            f"device={device!r} asks for {name}, but PyTorch sees no {name} device here; "
            "use device='auto' or 'cpu'"
        )
    return resolved


def _backend_available(kind: str) -> bool:
    """Whether PyTorch can run on devices of type ``kind`` here (True where it cannot tell)."""
    backend = getattr(torch.backends, kind, None)  # e.g. torch.backends.mps
    if backend is None or not hasattr(backend, "is_available"):
        backend = getattr(torch, kind, None)  # e.g. torch.xpu
    is_available = getattr(backend, "is_available", None)
    if not callable(is_available):
        return True
    try:
        return bool(is_available())
    except Exception:  # noqa: BLE001 - a backend that cannot even tell is not available
        return False


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    """A private torch random generator on ``device`` (never the global one)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def device_after_unpickling(fitted_on: str) -> torch.device:
    """The device to place an unpickled model on: where it was, if that exists here."""
    device = torch.device(fitted_on)
    if device.type == "cuda" and not torch.cuda.is_available():
        warnings.warn(
            f"this model was fitted on {fitted_on}, which this machine does not have; "
            "it was loaded on the CPU",
            UserWarning,
            stacklevel=3,
        )
        return torch.device("cpu")
    return device
