"""Random translations of training images (latentspec/lwgan/core/_augment.py, ``augment_shift``)."""

import numpy as np
import pytest
import torch

from latentspec.lwgan.core._augment import RandomShift


def _moved(images: np.ndarray, down: int, right: int) -> np.ndarray:
    """``images`` (c, h, w) moved with zeros coming in: the reference the tests compare with."""
    out = np.zeros_like(images)
    c, h, w = images.shape
    for i in range(h):
        for j in range(w):
            if 0 <= i - down < h and 0 <= j - right < w:
                out[:, i, j] = images[:, i - down, j - right]
    return out


@pytest.mark.parametrize("shape", [(1, 5, 7), (2, 4, 4)])
def test_translate_moves_pixels_and_fills_zeros(shape):
    """Guards the geometry: each row moves by its own offset, in pixel space, with zero pixels at the borders."""
    rng = np.random.default_rng(0)
    n = 5
    pixels = rng.uniform(0.1, 1.0, (n, *shape))  # no zero pixels, so the zeros coming in are visible
    center = rng.normal(size=int(np.prod(shape)))
    scale = 2.0
    standardised = (pixels.reshape(n, -1) - center) / scale
    shift = RandomShift(shape, 2, torch.tensor(center / scale), torch.Generator().manual_seed(0))
    down, right = torch.tensor([0, 1, -2, 2, -1]), torch.tensor([0, -1, 2, 0, 2])
    moved = shift.translate(torch.tensor(standardised), down, right).numpy()
    for i in range(n):
        expected = _moved(pixels[i], int(down[i]), int(right[i])).reshape(-1)
        np.testing.assert_allclose(moved[i] * scale + center, expected, atol=1e-12)
    assert np.allclose(moved[0], standardised[0])  # offset (0, 0) changes nothing


def test_random_offsets_are_bounded_seeded_and_varied():
    shape, n = (1, 9, 9), 400
    image = torch.zeros(n, 81)
    image[:, 40] = 1.0  # one bright pixel in the centre: its position shows the offset
    moved = RandomShift(shape, 2, torch.zeros(81), torch.Generator().manual_seed(3))(image)
    again = RandomShift(shape, 2, torch.zeros(81), torch.Generator().manual_seed(3))(image)
    torch.testing.assert_close(moved, again)
    position = moved.argmax(dim=1)
    rows, cols = position // 9 - 4, position % 9 - 4
    assert rows.abs().max() == 2 and cols.abs().max() == 2  # every offset up to 2, none beyond
    assert len(set(zip(rows.tolist(), cols.tolist()))) == 25
    assert (moved.sum(dim=1) == 1).all()
