"""Passing many rows through fitted networks: bounded memory, results independent of batching.

``transform``, ``inverse_transform`` and ``sample`` take rows in chunks of at most
:data:`CHUNK_ROWS` (memory beyond the output stays bounded however many rows there
are), and inside a chunk pass them through the networks in blocks of exactly
:data:`BLOCK_ROWS`, the last one padded with zeros: float32 products of different
row counts take different kernels and round differently, so with one block size a
row's result does not depend on the rows it comes with. :func:`torch_decoder`
passes NumPy rows through a user's own module in the same chunks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "BLOCK_ROWS",
    "CHUNK_ROWS",
    "FLOAT32_LIMIT",
    "blockwise",
    "check_finite_output",
    "chunks",
    "torch_decoder",
]

CHUNK_ROWS = 65_536
BLOCK_ROWS = 256
# Inputs beyond this many training spreads would overflow the float32 networks.
FLOAT32_LIMIT = 1e30


def chunks(n: int) -> list[slice]:
    """Consecutive slices of at most :data:`CHUNK_ROWS` rows covering ``range(n)``.

    Examples
    --------
    >>> chunks(3)
    [slice(0, 3, None)]
    """
    return [slice(start, min(start + CHUNK_ROWS, n)) for start in range(0, n, CHUNK_ROWS)]


def blockwise(function: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
    """``function(inputs)`` computed on blocks of exactly :data:`BLOCK_ROWS` rows, the last one padded with zeros.

    Examples
    --------
    >>> import torch
    >>> blockwise(lambda t: 2 * t, torch.ones(300, 2)).shape
    torch.Size([300, 2])
    """
    outputs = []
    for start in range(0, inputs.shape[0], BLOCK_ROWS):
        block = inputs[start : start + BLOCK_ROWS]
        rows = block.shape[0]
        if rows < BLOCK_ROWS:
            block = torch.cat([block, block.new_zeros(BLOCK_ROWS - rows, *block.shape[1:])])
        outputs.append(function(block)[:rows])
    return torch.cat(outputs) if outputs else function(inputs)


def check_finite_output(values: torch.Tensor, source: str, what: str) -> None:
    """Raise ValueError rather than return NaN or inf computed from finite input."""
    if not torch.isfinite(values).all():
        raise ValueError(
            f"the networks gave non-finite {what}: {source} is too far outside the range of the "
            "training data for float32 arithmetic"
        )


def torch_decoder(module: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """``Z -> X`` through a user's PyTorch module (a generator): NumPy in, NumPy float64 out.

    The rows go, in chunks of :data:`CHUNK_ROWS`, to the device and floating dtype of the module's first parameter
    (or buffer; the CPU and the default dtype for a module without either) and
    through the module under ``torch.no_grad()`` in evaluation mode (dropout off,
    batch norm on its running statistics, none of them updated); every submodule
    gets its own training flag back afterwards.
    """
    tensors = [*module.parameters(), *module.buffers()]
    device = tensors[0].device if tensors else torch.device("cpu")
    floating = [t.dtype for t in tensors if t.is_floating_point()]
    dtype = floating[0] if floating else torch.get_default_dtype()

    def decode(Z: np.ndarray) -> np.ndarray:
        modes = [(sub, sub.training) for sub in module.modules()]
        module.eval()
        try:
            with torch.no_grad():
                parts = [
                    module(torch.as_tensor(Z[rows], dtype=dtype, device=device)).detach().cpu().numpy()
                    for rows in chunks(len(Z))
                ]
        finally:
            for sub, training in modes:
                sub.training = training
        return np.concatenate(parts).astype(np.float64, copy=False)

    return decode
