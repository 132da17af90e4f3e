"""Random translations of training images: data augmentation for ``augment_shift``.

The training data reach the trainer centred and scaled, ``(x - center) / scale``
per feature. A translation must move the *pixels*, so each batch is taken back to
pixel space up to the scale (``x + center / scale``), shifted with zeros coming in
at the borders, and centred again.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

__all__ = ["RandomShift"]


class RandomShift:
    """Translate every image of a batch by its own random offset of at most ``max_shift`` pixels.

    Parameters
    ----------
    image_shape : tuple of int
        ``(c, h, w)`` of each flattened row.
    max_shift : int
        Largest offset, in pixels, along the height and along the width (drawn
        independently and uniformly from ``-max_shift..max_shift``).
    offset : tensor of shape (c * h * w,)
        ``center / scale``: added to a standardised row it gives the pixels up to
        the scale, where the zero that fills the borders means a zero pixel.
    generator : torch.Generator
        Source of the offsets (the trainer's, so that a fit stays reproducible and
        resumable).

    Examples
    --------
    >>> import torch
    >>> image = torch.zeros(1, 9)
    >>> image[0, 4] = 1.0  # the centre pixel of a 3 x 3 image
    >>> shift = RandomShift((1, 3, 3), 1, torch.zeros(9), torch.Generator().manual_seed(0))
    >>> moved = shift(image)
    >>> float(moved.sum())  # a one-pixel move keeps the centre pixel inside
    1.0
    """

    def __init__(self, image_shape: tuple[int, int, int], max_shift: int, offset: torch.Tensor, generator):
        self.image_shape = tuple(int(s) for s in image_shape)
        self.max_shift = int(max_shift)
        self.offset = offset
        self.generator = generator


    @classmethod
    def for_images(
        cls, image_shape: tuple[int, ...], max_shift: int, offset: Any, like: torch.Tensor, generator: torch.Generator
    ) -> RandomShift:
        """The shifts for rows of ``(h, w)`` or ``(c, h, w)`` images whose zero pixel sits at ``-offset``.

        ``offset`` (the pixels' centre divided by their scale, one value per pixel) and
        ``like`` (a batch of rows) give the dtype and device of the padding values.
        """
        shape = tuple(int(s) for s in image_shape)
        padding = torch.as_tensor(offset, dtype=like.dtype, device=like.device)
        return cls(shape if len(shape) == 3 else (1, *shape), max_shift, padding, generator)
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        n, s = x.shape[0], self.max_shift
        if n == 0 or s == 0:
            return x
        shifts = torch.randint(-s, s + 1, (2, n), generator=self.generator, device=x.device)
        return self.translate(x, shifts[0], shifts[1])

    def translate(self, x: torch.Tensor, down: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """Rows ``x`` moved ``down[i]`` pixels down and ``right[i]`` pixels right (negative: up, left)."""
        n, s = x.shape[0], self.max_shift
        c, h, w = self.image_shape
        pixels = (x + self.offset).reshape(n, c, h, w)
        padded = F.pad(pixels, (s, s, s, s))
        rows = torch.arange(h, device=x.device) + s - down[:, None]  # (n, h): source row of each output row
        cols = torch.arange(w, device=x.device) + s - right[:, None]
        picked = padded[
            torch.arange(n, device=x.device)[:, None, None, None],
            torch.arange(c, device=x.device)[None, :, None, None],
            rows[:, None, :, None],
            cols[:, None, None, :],
        ]
        return picked.reshape(n, -1) - self.offset
