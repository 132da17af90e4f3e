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

from ._linear import linear

__all__ = [
    "OrthogonalClassifier",
    "ConditionedMLP",
    "HiddenDropout",
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


def _silu_derivative(x: torch.Tensor) -> torch.Tensor:
    sigmoid = torch.sigmoid(x)
    return sigmoid * (1.0 + x * (1.0 - sigmoid))


# name: (module factory, in-place function, derivative as a function of the pre-activation)
_ACTIVATIONS = {
    "relu": (nn.ReLU, F.relu_, lambda x: (x > 0).to(x.dtype)),
    "leaky_relu": (
        lambda: nn.LeakyReLU(0.2),
        lambda x: F.leaky_relu_(x, 0.2),
        lambda x: torch.where(x > 0, 1.0, 0.2).to(x.dtype),
    ),
    "silu": (nn.SiLU, lambda x: F.silu(x, inplace=True), _silu_derivative),
    "tanh": (nn.Tanh, torch.tanh_, lambda x: 1.0 - torch.tanh(x).square()),
    "elu": (nn.ELU, F.elu_, lambda x: torch.where(x > 0, 1.0, torch.exp(x.clamp_max(0.0)))),
}


class _Activation(nn.Module):
    """A hidden activation that works in place when no gradient is recorded.

    Without autograd nothing needs the pre-activation values, so overwriting them
    saves allocating (and on a CPU, page-faulting) a fresh activation array per layer.
    """

    def __init__(self, name: str):
        super().__init__()
        if name not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; expected one of {sorted(_ACTIVATIONS)}")
        make, self._in_place, self.derivative = _ACTIVATIONS[name]
        self.function = make()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return self.function(x)
        return self._in_place(x)


class HiddenDropout(nn.Module):
    """Dropout of hidden units during training, with masks from the fit's own generator.

    The identity unless :meth:`activate` gave it a rate, the module is in training
    mode and autograd records: ``transform``, ``inverse_transform``, ``sample`` and
    ``score`` (all without autograd) never drop units. The masks come from the
    generator given to :meth:`activate` (the fit's private one), so a fit stays
    reproducible with ``random_state`` and leaves torch's global generator alone.
    Holds no parameters or buffers, so state dicts and model files are unchanged.

    Examples
    --------
    >>> import torch
    >>> drop = HiddenDropout()
    >>> x = torch.ones(2, 1000)
    >>> bool(torch.equal(drop(x), x))  # no rate: the identity
    True
    >>> drop.activate(0.5, torch.Generator().manual_seed(0))
    >>> y = drop(x)
    >>> sorted(torch.unique(y).tolist())  # dropped units are 0, kept ones scaled by 1 / (1 - rate)
    [0.0, 2.0]
    >>> with torch.no_grad():
    ...     bool(torch.equal(drop(x), x))
    True
    """

    def __init__(self):
        super().__init__()
        self.rate = 0.0
        self.generator: torch.Generator | None = None

    def activate(self, rate: float, generator: torch.Generator | None) -> None:
        """Drop each unit with probability ``rate`` (0 turns it off), masks drawn from ``generator``."""
        self.rate = float(rate)
        self.generator = generator if rate else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.rate or not self.training or not torch.is_grad_enabled():
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.rate
        return x * keep.to(x.dtype) * (1.0 / (1.0 - self.rate))


class MLP(nn.Module):
    """Plain multilayer perceptron (the generator, which sees the rank only through z)."""

    def __init__(self, in_features: int, hidden: tuple[int, ...], out_features: int, activation: str):
        super().__init__()
        sizes = (in_features, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], out_features)
        self.act = _Activation(activation)
        self.dropout = HiddenDropout()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = self.dropout(self.act(linear(x, layer.weight, layer.bias)))
        return linear(x, self.out.weight, self.out.bias)


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
        # Code weights: :func:`initialise` draws them like the columns they stand for in a
        # concatenated layer. Zeros until then, never uninitialised memory (which can hold
        # NaN: a network used without initialise, as in a test, would then give NaN at random).
        self.code_weights = nn.ParameterList(
            nn.Parameter(torch.zeros(b, code_dim)) for b in sizes[1:]
        )
        self.act = _Activation(activation)
        self.dropout = HiddenDropout()  # not in forward_with_input_gradient (the critic's, never dropped)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Apply the network to rows ``x`` (shape ``(n, in_features)``) with rank code ``code``.

        ``code`` has shape ``(code_dim,)`` (one code for every row: it is folded
        into the biases), ``(n, code_dim)`` (one code per row), or
        ``(g, 1, code_dim)`` (one code per block of ``n / g`` contiguous rows).
        """
        n = x.shape[0]
        x = self._blocks(x, code)
        last = len(self.layers) - 1
        for i in range(len(self.layers)):
            x = self._affine(i, x, code)
            if i < last:
                x = self.dropout(self.act(x))
        return x.reshape(n, -1)

    @staticmethod
    def _blocks(x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """``x`` viewed as ``(g, n / g, in)`` blocks when the code is given per block."""
        return x.reshape(code.shape[0], -1, x.shape[-1]) if code.dim() == 3 else x

    def _affine(self, i: int, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Layer ``i`` before its activation: ``W x + b + W_c code``."""
        layer, code_weight = self.layers[i], self.code_weights[i]
        if code.dim() == 1:  # one code for all rows: fold it into the bias
            return linear(x, layer.weight, torch.addmv(layer.bias, code_weight, code))
        return linear(x, layer.weight, layer.bias) + F.linear(code, code_weight)

    def forward_with_input_gradient(
        self, x: torch.Tensor, code: torch.Tensor, first_row: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs, and their gradient with respect to the inputs of rows ``first_row:``.

        The chain rule written out layer by layer, ``W_1^T (a'_1 * W_2^T (... a'_L * w))``,
        as differentiable tensor operations: a loss on the gradient (the critic's
        gradient penalty) then needs one ordinary backward pass instead of
        autograd's double backward through a recorded backward graph. Rows before
        ``first_row`` share the forward pass without paying for a gradient.

        Parameters
        ----------
        x : tensor of shape (n, in_features)
        code : tensor
            Rank code, in any of the shapes :meth:`forward` accepts.
        first_row : int, default=0
            The first row whose input gradient is wanted.

        Returns
        -------
        out : tensor of shape (n,)
            The network's single output unit for every row.
        grad : tensor of shape (n - first_row, in_features)
            ``d out_i / d x_i`` for rows ``i >= first_row``.
        """
        if self.layers[-1].out_features != 1:
            raise ValueError("forward_with_input_gradient needs a network with one output unit")
        n = x.shape[0]
        x = self._blocks(x, code)
        pre_activations = []
        last = len(self.layers) - 1
        for i in range(len(self.layers)):
            x = self._affine(i, x, code)
            if i < last:
                pre_activations.append(x.reshape(n, -1)[first_row:])
                x = self.act.function(x)  # never in place: the derivative needs the pre-activation
        grad = self.layers[last].weight  # (1, width): d out / d (last hidden activation)
        for i in range(last - 1, -1, -1):
            grad = linear(grad * self.act.derivative(pre_activations[i]), self.layers[i].weight.t())
        return x.reshape(n), grad


class OrthogonalClassifier(nn.Module):
    """Class logits ``<u_k, z>``: the coordinates of a code along orthonormal class directions ``u_k``.

    The latent classifier of ``LWGANEstimator(label_mode="classifier")``. Its
    directions are learned (``weight``, orthonormalised by a QR decomposition in every
    forward pass) but kept orthogonal, without biases and without a scale: the
    decision regions are cones through the origin, the form in which
    :class:`~latentspec.QuasiEigenBasis` reads classes (``argmax_k <xi_k, z>`` over
    orthogonal ``xi_k``), and the logits are in the prior's own units, so the
    cross-entropy can only fall by moving the codes of each class out along its
    direction. A plain softmax regression lets similar classes (4 and 9) share most
    of a direction, so that a rotation from one to the other lands far from both; a
    learned scale lets the classifier grow confident while the codes barely separate.

    Examples
    --------
    >>> import torch
    >>> head = OrthogonalClassifier(latent_dim=5, n_classes=3)
    >>> _ = torch.nn.init.normal_(head.weight, generator=torch.Generator().manual_seed(0))
    >>> u = head.directions()
    >>> torch.allclose(u @ u.T, torch.eye(3), atol=1e-6), head(torch.zeros(2, 5)).shape
    (True, torch.Size([2, 3]))
    """

    def __init__(self, latent_dim: int, n_classes: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, latent_dim))

    @property
    def in_features(self) -> int:
        return self.weight.shape[1]

    @property
    def out_features(self) -> int:
        return self.weight.shape[0]

    def directions(self) -> torch.Tensor:
        """The orthonormal class directions, one row per class."""
        q, r = torch.linalg.qr(self.weight.t())
        # QR's signs are arbitrary: make every direction keep the sense of its weight row.
        signs = torch.sign(torch.diagonal(r))
        return (q * torch.where(signs == 0, torch.ones_like(signs), signs)).t()

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return codes @ self.directions().t()


@torch.no_grad()
def initialise(module: nn.Module, generator: torch.Generator) -> None:
    """Initialise every linear and convolutional layer of ``module`` from a private generator.

    Uses PyTorch's default scheme (uniform with bound ``1 / sqrt(fan_in)``), where
    ``fan_in`` of a conditioned layer counts the rank code too, as in the
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
        elif isinstance(sub, (nn.Conv2d, nn.ConvTranspose2d)):
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(sub.weight)
            bound = 1.0 / math.sqrt(fan_in)
            sub.weight.uniform_(-bound, bound, generator=generator)
            sub.bias.uniform_(-bound, bound, generator=generator)
    head = getattr(module, "label_head", None)
    if head is not None:  # the latent classifier; drawn last, so the other weights are those of a model without it
        bound = 1.0 / math.sqrt(head.in_features)
        head.weight.uniform_(-bound, bound, generator=generator)
