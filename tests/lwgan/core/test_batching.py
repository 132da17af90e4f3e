"""Passing many rows through networks (latentspec/lwgan/core/_batching.py): chunks, fixed-size blocks, and the
error for non-finite outputs. That LWGANEstimator's transform, inverse_transform and sample use them is tested in
tests/lwgan/test_estimator.py.
"""

import pytest
import torch

from latentspec.lwgan.core import _batching
from latentspec.lwgan.core._batching import blockwise, check_finite_output, chunks


@pytest.mark.parametrize("n", [0, 1, 6, 7, 8, 20, 21])
def test_chunks_cover_every_row_once_in_order(monkeypatch, n):
    monkeypatch.setattr(_batching, "CHUNK_ROWS", 7)
    slices = chunks(n)
    assert [i for s in slices for i in range(n)[s]] == list(range(n))
    assert all(0 < s.stop - s.start <= 7 for s in slices)
    assert len(slices) == -(-n // 7)


def test_chunks_of_the_default_size():
    assert chunks(_batching.CHUNK_ROWS + 1) == [slice(0, _batching.CHUNK_ROWS), slice(_batching.CHUNK_ROWS,
                                                                                       _batching.CHUNK_ROWS + 1)]


def test_blockwise_gives_the_function_blocks_of_one_size_padded_with_zeros(monkeypatch):
    monkeypatch.setattr(_batching, "BLOCK_ROWS", 4)
    seen = []

    def record(block):
        seen.append(block.clone())
        return block * 2

    inputs = torch.arange(1.0, 11.0).reshape(10, 1)
    out = blockwise(record, inputs)
    assert torch.equal(out, inputs * 2)
    assert [len(block) for block in seen] == [4, 4, 4]
    assert torch.equal(seen[-1].ravel(), torch.tensor([9.0, 10.0, 0.0, 0.0]))  # the last block, padded


def test_blockwise_pads_image_shaped_rows():
    """Rows of more than one dimension (images (c, h, w)) are padded along the rows only."""
    inputs = torch.randn(3, 1, 2, 2)
    shapes = []

    def record(block):
        shapes.append(tuple(block.shape))
        return block.flatten(1)

    assert torch.equal(blockwise(record, inputs), inputs.flatten(1))
    assert shapes == [(_batching.BLOCK_ROWS, 1, 2, 2)]


@pytest.mark.parametrize("block_rows", [1, 3, 7, 256, 1000])
def test_blockwise_results_do_not_depend_on_the_block_size_for_a_row_wise_function(monkeypatch, block_rows):
    monkeypatch.setattr(_batching, "BLOCK_ROWS", block_rows)
    inputs = torch.randn(300, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(blockwise(lambda t: torch.tanh(3 * t) + t**2, inputs), torch.tanh(3 * inputs) + inputs**2)


def test_a_row_gives_the_same_bits_alone_or_among_others():
    """A float32 layer sees blocks of one size, so a row's result does not depend on the rows it comes with."""
    layer = torch.nn.Linear(64, 64)
    torch.nn.init.normal_(layer.weight, generator=torch.Generator().manual_seed(0))
    inputs = torch.randn(600, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        together = blockwise(layer, inputs)
        assert all(torch.equal(blockwise(layer, inputs[i : i + 1])[0], together[i]) for i in (0, 257, 599))
        assert torch.equal(blockwise(layer, inputs.flip(0)).flip(0), together)


def test_blockwise_of_no_rows_calls_the_function_once_on_them():
    out = blockwise(lambda t: t[:, :2] + 1, torch.empty(0, 5))
    assert out.shape == (0, 2)


def test_check_finite_output_passes_finite_values():
    assert check_finite_output(torch.tensor([[0.0, -1e30], [3.0, 1e30]]), "X", "latent codes") is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_check_finite_output_names_what_and_where(bad):
    values = torch.zeros(3, 2)
    values[1, 0] = bad
    with pytest.raises(ValueError, match=r"non-finite reconstructions: Z is too far outside the range of the training"):
        check_finite_output(values, "Z", "reconstructions")
