"""Rank-conditioned multilayer perceptrons for the LWGAN encoder, generator and critic.

The LWGAN paper conditions the encoder on the rank by concatenating a one-hot code
to the input of every layer, and the critic by concatenating a "thermometer" code
(first ``r - 1`` entries set to one). Concatenating a code ``c`` to the input of a
linear layer is the same as adding ``W_c c`` to its output, so each conditioned
layer here is an ordinary linear layer plus a rank-dependent bias computed from the
code by a second, small weight matrix. This is the same function class and the same
parametrisation as the concatenation, without copying the activations at every
layer. Ranks are given per sample, so one batch can train every rank at once.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "ConditionedMLP",
    "MLP",
    "one_hot_codes",
    "rank_masks",
    "thermometer_codes",
]


def one_hot_codes(ranks: torch.Tensor, n_ranks: int) -> torch.Tensor:
    """Return the one-hot rank codes of the encoder, shape ``(n, n_ranks)``."""
    positions = torch.arange(1, n_ranks + 1, device=ranks.device)
    return (ranks[:, None] == positions).to(torch.get_default_dtype())


def thermometer_codes(ranks: torch.Tensor, n_ranks: int) -> torch.Tensor:
    """Return the thermometer rank codes of the critic (first ``r - 1`` entries one)."""
    positions = torch.arange(1, n_ranks + 1, device=ranks.device)
    return (positions < ranks[:, None]).to(torch.get_default_dtype())


def rank_masks(ranks: torch.Tensor, latent_dim: int) -> torch.Tensor:
    """Return the latent masks: row ``i`` keeps the first ``ranks[i]`` coordinates."""
    positions = torch.arange(1, latent_dim + 1, device=ranks.device)
    return (positions <= ranks[:, None]).to(torch.get_default_dtype())


def _activation(name: str) -> nn.Module:
    activations = {
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.2),
        "silu": nn.SiLU,
        "tanh": nn.Tanh,
        "elu": nn.ELU,
    }
    if name not in activations:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(activations)}")
    return activations[name]()


class MLP(nn.Module):
    """Plain multilayer perceptron (the generator, which sees the rank only through z)."""

    def __init__(self, in_features: int, hidden: tuple[int, ...], out_features: int, activation: str):
        super().__init__()
        sizes = (in_features, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], out_features)
        self.act = _activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.out(x)


class ConditionedMLP(nn.Module):
    """Multilayer perceptron whose every layer also sees a rank code.

    Parameters
    ----------
    in_features, hidden, out_features : int, tuple of int, int
        Layer sizes.
    code_dim : int
        Length of the rank code added to every layer.
    activation : str
        Hidden activation.
    """

    def __init__(
        self,
        in_features: int,
        hidden: tuple[int, ...],
        out_features: int,
        code_dim: int,
        activation: str,
    ):
        super().__init__()
        sizes = (in_features, *hidden, out_features)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        # Code weights, initialised like the columns they stand for in a concatenated layer.
        self.code_weights = nn.ParameterList(
            nn.Parameter(torch.empty(b, code_dim)) for b in sizes[1:]
        )
        self.act = _activation(activation)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, (layer, code_weight) in enumerate(zip(self.layers, self.code_weights)):
            x = layer(x) + F.linear(code, code_weight)
            if i < last:
                x = self.act(x)
        return x


@torch.no_grad()
def initialise(module: nn.Module, generator: torch.Generator) -> None:
    """Initialise every linear layer of ``module`` from a private generator.

    Uses PyTorch's default scheme for ``nn.Linear`` (uniform with bound
    ``1 / sqrt(fan_in)``), where ``fan_in`` counts the rank code too, as in the
    concatenated layer it replaces.
    """
    for sub in module.modules():
        if isinstance(sub, ConditionedMLP):
            for layer, code_weight in zip(sub.layers, sub.code_weights):
                bound = 1.0 / math.sqrt(layer.in_features + code_weight.shape[1])
                for tensor in (layer.weight, layer.bias, code_weight):
                    tensor.uniform_(-bound, bound, generator=generator)
        elif isinstance(sub, MLP):
            for layer in (*sub.hidden, sub.out):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
