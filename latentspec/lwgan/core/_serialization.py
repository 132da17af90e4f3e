"""PyTorch state as bytes with every tensor on the CPU, so that it moves between machines.

A pickled ``LWGANEstimator`` keeps its weights and its training checkpoint in this
form: it unpickles on a machine without the device it was fitted on.
"""

from __future__ import annotations

import io
from typing import Any

import torch

__all__ = ["state_from_bytes", "state_to_bytes", "tensors_to_bytes"]


def state_to_bytes(module: torch.nn.Module) -> bytes:
    """Serialise a module's state dict with every tensor moved to the CPU."""
    return tensors_to_bytes(dict(module.state_dict()))


def tensors_to_bytes(obj: Any) -> bytes:
    """Serialise nested dicts and lists of tensors and plain values, every tensor on the CPU.

    What :func:`state_from_bytes` reads back; used for training checkpoints
    (optimiser states, random generator states).
    """
    buffer = io.BytesIO()
    torch.save(_to_cpu(obj), buffer)
    return buffer.getvalue()


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {key: _to_cpu(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(value) for value in obj)
    return obj


def state_from_bytes(data: bytes, device: torch.device) -> dict[str, torch.Tensor]:
    """Load a state dict saved by :func:`state_to_bytes` (or on any device) onto ``device``.

    Loading uses ``weights_only=True``, so it runs no code from the payload, and
    ``map_location``, so tensors saved from a GPU load on a CPU-only machine.
    """
    return torch.load(io.BytesIO(data), map_location=device, weights_only=True)
