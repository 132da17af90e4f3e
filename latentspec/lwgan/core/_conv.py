"""Convolutional encoder, generator and critic for images given as flattened rows.

Each image network is a convolutional part plus a rank-conditioned MLP head, so the
rank enters exactly as in the MLP networks (a code added to every layer of the head,
see :mod:`latentspec.lwgan.core._networks`):

- encoder ``Q(x, r)``: strided convolutions halve the image ``len(conv_layers)``
  times, then a :class:`ConditionedMLP` with the one-hot code maps the features to
  the latent coordinates;
- critic ``D(x, r)``: the same, with the thermometer code and one output;
- generator ``G(z)``: an MLP maps ``z`` to a small feature map that transposed
  convolutions double back to the image size (cropped when the size is not a
  multiple of ``2 ** len(conv_layers)``).

Rows come in and go out flattened, ``(n, c * h * w)``, like every other input of the
estimators.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._networks import MLP, ConditionedMLP, _Activation

__all__ = ["ConvConditioned", "ConvGenerator", "conv_output_size"]

_KERNEL, _STRIDE, _PADDING = 4, 2, 1  # each layer halves (rounding down) the height and width


def conv_output_size(size: int, n_layers: int) -> int:
    """Height (or width) after ``n_layers`` halving convolutions."""
    for _ in range(n_layers):
        size = (size + 2 * _PADDING - _KERNEL) // _STRIDE + 1
    return size


class _ConvTrunk(nn.Module):
    """Halving convolutions from ``(n, c*h*w)`` rows to ``(n, features)``."""

    def __init__(self, image_shape: tuple[int, int, int], channels: tuple[int, ...], activation: str):
        super().__init__()
        c, h, w = image_shape
        self.image_shape = image_shape
        sizes = (c, *channels)
        self.convs = nn.ModuleList(
            nn.Conv2d(a, b, _KERNEL, stride=_STRIDE, padding=_PADDING) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.act = _Activation(activation)
        self.out_features = channels[-1] * conv_output_size(h, len(channels)) * conv_output_size(w, len(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.image_shape)
        for conv in self.convs:
            x = self.act(conv(x))
        return x.flatten(1)


class ConvConditioned(nn.Module):
    """Convolutional trunk and rank-conditioned MLP head: the image encoder and critic.

    Parameters
    ----------
    image_shape : (c, h, w)
    channels : tuple of int
        Output channels of the halving convolutions.
    hidden : tuple of int
        Hidden widths of the head.
    out_features : int
        ``latent_dim`` for the encoder, 1 for the critic.
    code_dim : int
        Length of the rank code.
    activation : str
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        channels: tuple[int, ...],
        hidden: tuple[int, ...],
        out_features: int,
        code_dim: int,
        activation: str,
    ):
        super().__init__()
        self.trunk = _ConvTrunk(image_shape, channels, activation)
        self.head = ConditionedMLP(self.trunk.out_features, hidden, out_features, code_dim, activation)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Apply to rows ``x`` with rank code ``code`` (any shape :class:`ConditionedMLP` takes)."""
        return self.head(self.trunk(x), code)

    def forward_with_input_gradient(
        self, x: torch.Tensor, code: torch.Tensor, first_row: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs, and their gradient with respect to the inputs of rows ``first_row:``.

        The same contract as :meth:`ConditionedMLP.forward_with_input_gradient`,
        computed with autograd. When gradients are being recorded, the input
        gradient is itself differentiable (a gradient penalty on it trains the
        critic); under ``torch.no_grad()`` both results are plain tensors.
        """
        recording = torch.is_grad_enabled()
        with torch.enable_grad():
            tail = x[first_row:].detach().requires_grad_(True)
            out = self.forward(torch.cat([x[:first_row], tail]), code).reshape(x.shape[0])
            (grad,) = torch.autograd.grad(out[first_row:].sum(), tail, create_graph=recording)
        if not recording:
            return out.detach(), grad.detach()
        return out, grad


class ConvGenerator(nn.Module):
    """MLP to a small feature map, then doubling transposed convolutions to the image.

    Parameters
    ----------
    latent_dim : int
    hidden : tuple of int
        Hidden widths of the MLP before the feature map.
    image_shape : (c, h, w)
    channels : tuple of int
        The encoder's convolution channels; used in reverse order.
    activation : str
    """

    def __init__(
        self,
        latent_dim: int,
        hidden: tuple[int, ...],
        image_shape: tuple[int, int, int],
        channels: tuple[int, ...],
        activation: str,
    ):
        super().__init__()
        c, h, w = image_shape
        self.image_shape = image_shape
        scale = 2 ** len(channels)
        self.start = (channels[-1], math.ceil(h / scale), math.ceil(w / scale))
        self.mlp = MLP(latent_dim, hidden, math.prod(self.start), activation)
        sizes = (*reversed(channels), c)
        self.deconvs = nn.ModuleList(
            nn.ConvTranspose2d(a, b, _KERNEL, stride=_STRIDE, padding=_PADDING) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.act = _Activation(activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.act(self.mlp(z)).reshape(z.shape[0], *self.start)
        last = len(self.deconvs) - 1
        for i, deconv in enumerate(self.deconvs):
            x = deconv(x)
            if i < last:
                x = self.act(x)
        _, h, w = self.image_shape
        return x[:, :, :h, :w].flatten(1)
