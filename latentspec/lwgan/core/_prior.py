"""The latent prior of the LWGAN: ``N(0, I)``, or with labels one Gaussian per class.

Without labels a rank-``r`` code is drawn from ``N(0, I_r)`` padded with zeros. With
labels (``LWGANEstimator(label_weight > 0)``) the prior is the mixture
``z | y = k ~ N(s e_k, I)`` with ``s =`` :data:`CLASS_SEPARATION`: every class has
its own region along its own latent axis, weighted by the class frequencies of the
training data. One :class:`LatentPrior` serves the training, the rank scores and
``sample``, in torch (from a private ``torch.Generator``) and in numpy.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["CLASS_SEPARATION", "LatentPrior"]

# Distance of every class component from the origin, along the class's own axis.
CLASS_SEPARATION = 7.0


class LatentPrior:
    """``N(0, I)`` in ``latent_dim`` coordinates, or the class mixture when ``class_weights`` is given.

    Parameters
    ----------
    latent_dim : int
        Number of latent coordinates.
    class_weights : array-like of shape (n_classes,) or None, default=None
        Class frequencies (summing to one). None: the prior is ``N(0, I)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> prior = LatentPrior(4, class_weights=np.array([0.5, 0.5]))
    >>> prior.draw(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 4])
    >>> z = prior.sample_numpy(1000, rank=4, rng=np.random.default_rng(0))
    >>> np.round(z[:, :2].mean(axis=0) / CLASS_SEPARATION, 1)
    array([0.5, 0.5])
    """

    def __init__(self, latent_dim: int, class_weights: np.ndarray | None = None):
        self.latent_dim = int(latent_dim)
        self.class_weights = None if class_weights is None else np.asarray(class_weights, dtype=np.float64)

    @property
    def n_classes(self) -> int:
        """Number of mixture components (0 for ``N(0, I)``)."""
        return 0 if self.class_weights is None else len(self.class_weights)

    def class_means(self, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The component means ``s e_k``, one row per class (shape ``(n_classes, latent_dim)``)."""
        return CLASS_SEPARATION * torch.eye(self.n_classes, self.latent_dim, device=device, dtype=dtype)

    def draw_classes(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` classes drawn with the class frequencies (needs ``class_weights``)."""
        weights = torch.as_tensor(self.class_weights, dtype=torch.float32, device=generator.device)
        return torch.multinomial(weights, count, replacement=True, generator=generator)

    def offsets(self, count: int, generator: torch.Generator) -> torch.Tensor | float:
        """The component means of ``count`` draws of the mixture (0.0 for ``N(0, I)``)."""
        if self.class_weights is None:
            return 0.0
        classes = self.draw_classes(count, generator)
        return self.class_means(generator.device)[classes]

    def draw(self, count: int, generator: torch.Generator, classes: torch.Tensor | None = None) -> torch.Tensor:
        """``count`` draws in all ``latent_dim`` coordinates, on the generator's device.

        With the mixture, row ``i`` comes from the component of ``classes[i]``; without
        ``classes`` the components are drawn with the class frequencies.
        """
        z = torch.randn(count, self.latent_dim, generator=generator, device=generator.device)
        if self.class_weights is None:
            return z
        if classes is None:
            classes = self.draw_classes(count, generator)
        return z + self.class_means(generator.device, z.dtype)[classes]

    def sample_numpy(self, count: int, rank: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` rank-``rank`` draws as a float64 array of shape ``(count, rank)``.

        A component whose axis lies beyond ``rank`` is projected to zero there, as
        the rank-``rank`` codes are.
        """
        z = rng.standard_normal((count, rank))
        if self.class_weights is not None:
            classes = rng.choice(self.n_classes, size=count, p=self.class_weights)
            inside = classes < rank
            z[np.flatnonzero(inside), classes[inside]] += CLASS_SEPARATION
        return z
