"""Random translations of training images (``augment_shift``)."""

import numpy as np
import pytest
import torch

from latentspec import LWGANEstimator
from latentspec.datasets import load_digits_scaled
from latentspec.lwgan.core._augment import RandomShift

from ..._tiny import TINY_PARAMS


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


def test_fit_uses_shifts_reproducibly(monkeypatch):
    """Guards the wiring: a fit with augment_shift draws shifted batches, and is reproducible."""
    X, _ = load_digits_scaled()
    X = X[:200]
    params = {**TINY_PARAMS, "latent_dim": 3, "image_shape": (8, 8), "architecture": "mlp"}
    calls = []
    original = RandomShift.__call__

    def spy(self, x):
        calls.append(x.shape[0])
        return original(self, x)

    with monkeypatch.context() as patch:
        patch.setattr(RandomShift, "__call__", spy)
        first = LWGANEstimator(augment_shift=1, **params).fit(X)
    assert calls and sum(calls) >= params["n_warmup"] * min(params["batch_size"], len(X))
    second = LWGANEstimator(augment_shift=1, **params).fit(X)
    plain = LWGANEstimator(**params).fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    assert not np.allclose(first.transform(X), plain.transform(X))


def test_conv_fit_with_shifts_and_labels():
    X, y = load_digits_scaled()
    params = {**TINY_PARAMS, "latent_dim": 10, "rank": 10, "image_shape": (8, 8), "label_weight": 1.0}
    est = LWGANEstimator(augment_shift=2, **params).fit(X[:300], y[:300])
    assert est.transform(X[:5]).shape == (5, 10)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"augment_shift": 1}, "augment_shift=1 translates images, so it needs image_shape"),
        ({"augment_shift": 8, "image_shape": (8, 8)}, r"out of the frame; use augment_shift < 8"),
        ({"augment_shift": -1, "image_shape": (8, 8)}, "augment_shift"),
    ],
)
def test_bad_augment_shift(params, message):
    X, _ = load_digits_scaled()
    with pytest.raises(ValueError, match=message):
        LWGANEstimator(**TINY_PARAMS, **params).fit(X[:50])
