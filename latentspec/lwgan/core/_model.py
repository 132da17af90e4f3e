"""The LWGAN networks and their losses, independent of scikit-learn.

:class:`LWGANModule` holds the encoder ``Q(x, r)``, the generator ``G(z)`` and the
critic ``D(x, r)`` and computes the critic loss, the encoder/generator loss and the
per-rank score of the LWGAN (docs/lwgan.md) for batches whose rows may carry different
ranks. The estimator in :mod:`latentspec.lwgan` drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ._conv import ConvConditioned, ConvGenerator
from ._losses import gradient_norm_penalty, imq_mmd, reconstruction_error
from ._networks import (
    MLP,
    ConditionedMLP,
    HiddenDropout,
    OrthogonalClassifier,
    one_hot_codes,
    rank_masks,
    thermometer_codes,
)

__all__ = ["LWGANModule", "RankLayout", "training_layouts"]


@dataclass
class RankLayout:
    """Rank codes of a batch whose rows come in equal contiguous blocks, one rank per block.

    Built once and reused every step. The codes are stored once per block, not per
    row: with shape ``(latent_dim,)`` when every block has the same rank (the
    conditioned networks then fold the code into their biases), else with shape
    ``(n_groups, 1, latent_dim)``, which broadcasts over the rows of each block.
    """

    ranks: tuple[int, ...]  # the rank of every block
    block_size: int  # rows per block
    mask: torch.Tensor  # latent mask: (latent_dim,) if shared, else (n_rows, latent_dim)
    encoder_code: torch.Tensor  # one-hot: (latent_dim,) or (n_groups, 1, latent_dim)
    critic_code: torch.Tensor  # thermometer: (latent_dim,) or (n_groups, 1, latent_dim)
    _repeats: dict[int, RankLayout] = field(default_factory=dict, repr=False)

    @classmethod
    def blocks(cls, ranks: list[int], block_size: int, latent_dim: int, device: torch.device) -> RankLayout:
        """Contiguous blocks of ``block_size`` rows, one block per rank in ``ranks``."""
        ranks = tuple(int(r) for r in ranks)
        per_block = torch.tensor(ranks, device=device)
        if len(set(ranks)) == 1:
            one = per_block[:1]
            return cls(
                ranks,
                block_size,
                mask=rank_masks(one, latent_dim)[0],
                encoder_code=one_hot_codes(one, latent_dim)[0],
                critic_code=thermometer_codes(one, latent_dim)[0],
            )
        return cls(
            ranks,
            block_size,
            mask=rank_masks(per_block.repeat_interleave(block_size), latent_dim),
            encoder_code=one_hot_codes(per_block, latent_dim)[:, None, :],
            critic_code=thermometer_codes(per_block, latent_dim)[:, None, :],
        )

    @property
    def n_groups(self) -> int:
        """Number of blocks."""
        return len(self.ranks)

    @property
    def n_rows(self) -> int:
        """Number of rows of the batch."""
        return len(self.ranks) * self.block_size

    def grouped(self, t: torch.Tensor) -> torch.Tensor:
        """View ``(n, d)`` rows as ``(n_groups, n / n_groups, d)`` rank blocks."""
        return t.view(self.n_groups, -1, t.shape[-1])

    def repeated(self, times: int) -> RankLayout:
        """The layout of ``times`` stacked copies of the batch (cached)."""
        if times not in self._repeats:
            latent_dim = self.encoder_code.shape[-1]
            self._repeats[times] = RankLayout.blocks(
                list(self.ranks) * times, self.block_size, latent_dim, self.encoder_code.device
            )
        return self._repeats[times]


def training_layouts(
    rank: str | int, rank_sampling: str, latent_dim: int, batch: int, device: torch.device
) -> list[RankLayout]:
    """The rank layouts a training batch is drawn from.

    A fixed ``rank`` trains that rank only. With ``rank="auto"``,
    ``rank_sampling="per_sample"`` splits every batch evenly between the ranks
    ``1..latent_dim`` (one layout), and ``"per_iteration"`` gives one layout per rank,
    of which every outer iteration draws one (the authors' scheme).
    """
    if rank != "auto":
        return [RankLayout.blocks([int(rank)], batch, latent_dim, device)]
    if rank_sampling == "per_sample":
        return [RankLayout.blocks(list(range(1, latent_dim + 1)), max(2, batch // latent_dim), latent_dim, device)]
    return [RankLayout.blocks([r], batch, latent_dim, device) for r in range(1, latent_dim + 1)]


class LWGANModule(nn.Module):
    """Encoder, generator and critic of an LWGAN with ranks ``1..latent_dim``.

    MLPs for vector data; with ``image_shape`` ``(c, h, w)``, convolutional
    networks with ``conv_layers`` channels (:mod:`latentspec.lwgan.core._conv`). With
    ``n_label_classes`` also ``label_head``, the latent classifier
    (:class:`~latentspec.lwgan.core._networks.OrthogonalClassifier`) trained with the encoder in
    ``label_mode="classifier"``.
    """

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        encoder_layers: tuple[int, ...],
        generator_layers: tuple[int, ...],
        critic_layers: tuple[int, ...],
        activation: str,
        image_shape: tuple[int, int, int] | None = None,
        conv_layers: tuple[int, ...] = (),
        n_label_classes: int = 0,
        linear_path: bool = False,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.linear_path = bool(linear_path)
        if self.linear_path:
            # The principal-component maps of every rank (set by set_linear_path): the encoder adds the
            # whitened principal coordinates, the generator the reconstruction from them, so the rank-r model
            # contains the rank-r principal-component solution and the networks learn what is left.
            self.register_buffer("linear_mean", torch.zeros(n_features))
            self.register_buffer("linear_encoder", torch.zeros(latent_dim, n_features))
            self.register_buffer("linear_decoder", torch.zeros(latent_dim, n_features))
        if image_shape is None:
            self.encoder = ConditionedMLP(n_features, encoder_layers, latent_dim, latent_dim, activation)
            self.generator = MLP(latent_dim, generator_layers, n_features, activation)
            self.critic = ConditionedMLP(n_features, critic_layers, 1, latent_dim, activation)
        else:  # convolutional parts before the conditioned heads (see latentspec.lwgan.core._conv)
            self.encoder = ConvConditioned(image_shape, conv_layers, encoder_layers, latent_dim, latent_dim, activation)
            self.generator = ConvGenerator(latent_dim, generator_layers, image_shape, conv_layers, activation)
            self.critic = ConvConditioned(image_shape, conv_layers, critic_layers, 1, latent_dim, activation)
        # The latent classifier of label_mode="classifier": class logits from the codes.
        self.label_head = OrthogonalClassifier(latent_dim, n_label_classes) if n_label_classes else None

    def autoencoder_parameters(self) -> list[nn.Parameter]:
        """The parameters the auto-encoder updates train: encoder, generator and the latent classifier."""
        head = [] if self.label_head is None else list(self.label_head.parameters())
        return [*self.encoder.parameters(), *self.generator.parameters(), *head]

    def set_dropout(self, rate: float, generator: torch.Generator | None = None) -> None:
        """Drop hidden units of the encoder and generator at ``rate`` while training (0: off).

        The critic is never dropped: its gradient penalty needs the function itself.
        """
        for network in (self.encoder, self.generator):
            for sub in network.modules():
                if isinstance(sub, HiddenDropout):
                    sub.activate(rate, generator)

    def set_linear_path(self, data: torch.Tensor, axes: torch.Tensor | None = None) -> None:
        """Fill the linear path from the principal components of ``data`` (rows, standardised), and zero the
        networks' output layers, so that the untrained model of every rank is principal-component analysis.

        ``axes`` (orthonormal columns), where given, are the first directions, in their order, and the principal
        components of what they leave follow: whitened rows have many directions of the same variance, whose
        order the principal axes of the rows before whitening decide.
        """
        mean = data.mean(0)
        centred = (data - mean).double()
        if axes is not None:
            axes = axes.to(centred)
            centred_rest = centred - (centred @ axes) @ axes.T
        else:
            axes, centred_rest = centred.new_zeros(data.shape[1], 0), centred
        covariance = centred_rest.T @ centred_rest / max(1, data.shape[0] - 1)
        rest_values, rest_vectors = torch.linalg.eigh(covariance)
        vectors = torch.cat([axes, rest_vectors.flip(1)[:, : data.shape[1] - axes.shape[1]]], dim=1)
        # The variance along each: the rest's from the residual, so that a direction of no variance there
        # (which may lean on the axes) stays unused.
        n_rest = data.shape[1] - axes.shape[1]
        values = torch.cat([((centred @ axes) ** 2).sum(0) / max(1, data.shape[0] - 1),
                            rest_values.flip(0).clamp(min=0)[:n_rest]])
        k = min(self.latent_dim, data.shape[1])
        scale = values[:k].sqrt()
        usable = scale > 1e-6 * scale[0].clamp(min=1e-30)
        encoder = torch.zeros(self.latent_dim, data.shape[1], dtype=torch.float64)
        decoder = torch.zeros_like(encoder)
        encoder[:k][usable] = (vectors[:, :k] / scale.clamp(min=1e-30)).T[usable]
        decoder[:k][usable] = (vectors[:, :k] * scale).T[usable]
        self.linear_mean.copy_(mean)
        self.linear_encoder.copy_(encoder.to(mean.dtype))
        self.linear_decoder.copy_(decoder.to(mean.dtype))
        with torch.no_grad():
            last_encoder = self.encoder.layers[-1]
            last_encoder.weight.zero_()
            last_encoder.bias.zero_()
            self.encoder.code_weights[-1].zero_()
            self.generator.out.weight.zero_()
            self.generator.out.bias.zero_()

    # -- the three maps -------------------------------------------------------------
    def encode(self, x: torch.Tensor, layout: RankLayout) -> torch.Tensor:
        codes = self.encoder(x, layout.encoder_code)
        if self.linear_path:
            codes = codes + (x - self.linear_mean) @ self.linear_encoder.T
        return codes * layout.mask

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        out = self.generator(z)
        if self.linear_path:
            out = out + self.linear_mean + z @ self.linear_decoder
        return out

    def criticise(self, x: torch.Tensor, layout: RankLayout) -> torch.Tensor:
        return self.critic(x, layout.critic_code).squeeze(1)

    def penalty(self, points: torch.Tensor, layout: RankLayout) -> torch.Tensor:
        """Per-row gradient penalty ``(||grad_u D(u, r)|| - 1)^2`` at ``points``."""
        _, grad = self.critic.forward_with_input_gradient(points, layout.critic_code)
        return gradient_norm_penalty(grad)

    # -- losses ---------------------------------------------------------------------
    def critic_loss(
        self,
        reconstructed: torch.Tensor,
        generated: torch.Tensor,
        alpha: torch.Tensor,
        layout: RankLayout,
        lambda_gp: float,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Critic loss ``-(mean D(G(Q(x))) - mean D(G(z))) + lambda_gp * GP``.

        ``reconstructed`` and ``generated`` are computed with the encoder and
        generator frozen; the penalty is taken on points between them.
        """
        n = reconstructed.shape[0]
        between = generated + alpha * (reconstructed - generated)
        # One forward pass over all three kinds of rows; the input gradient (and so
        # the penalty's extra work) only for the penalty points.
        out, grad = self.critic.forward_with_input_gradient(
            torch.cat([reconstructed, generated, between]), layout.repeated(3).critic_code, first_row=2 * n
        )
        gap = out[:n].mean() - out[n : 2 * n].mean()
        penalty = gradient_norm_penalty(grad).mean()
        return -gap + lambda_gp * penalty, gap.detach(), penalty.detach()

    def generator_loss(
        self,
        x: torch.Tensor,
        z: torch.Tensor,
        prior: torch.Tensor,
        layout: RankLayout,
        lambda_mmd: float,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Encoder/generator loss: reconstruction + critic gap + lambda_mmd * MMD."""
        n = x.shape[0]
        codes = self.encode(x, layout)
        out = self.generate(torch.cat([codes, z * layout.mask]))
        critic = self.criticise(out, layout.repeated(2))
        gap = critic[:n].mean() - critic[n:].mean()
        recon = reconstruction_error(x, out[:n]).mean()
        loss = recon + gap
        mmd = torch.zeros((), device=x.device)
        if lambda_mmd > 0:
            mmd = imq_mmd(layout.grouped(codes), layout.grouped(prior * layout.mask), self.latent_dim).mean()
            loss = loss + lambda_mmd * mmd
        terms = {"reconstruction": recon.detach(), "critic_gap": gap.detach(), "mmd": mmd.detach(), "codes": codes}
        return loss, terms

    def rank_terms(
        self, x: torch.Tensor, z: torch.Tensor, prior: torch.Tensor, alpha: torch.Tensor, ranks: list[int]
    ) -> dict[str, torch.Tensor]:
        """The score terms of each of ``ranks`` on one batch, sharing data and noise.

        Returns a dict of tensors of shape ``(len(ranks),)``: critic gap,
        reconstruction error, gradient penalty, MMD and latent reconstruction
        error ``||z - Q(G(z), r)||`` of the rank-``r`` prior draws ``z`` (``prior``
        masked to the rank) of each rank.
        """
        n, k = x.shape[0], len(ranks)
        layout = RankLayout.blocks(ranks, n, self.latent_dim, x.device)
        xs, zs, ps, alphas = (t.repeat(k, 1) for t in (x, z, prior, alpha))
        with torch.no_grad():
            codes = self.encode(xs, layout)
            out = self.generate(torch.cat([codes, zs * layout.mask]))
            reconstructed, generated = out[: n * k], out[n * k :]
            critic = self.criticise(out, layout.repeated(2)).view(2, k, n)
            gap = critic[0].mean(1) - critic[1].mean(1)
            recon = reconstruction_error(xs, reconstructed).view(k, n).mean(1)
            mmd = imq_mmd(layout.grouped(codes), layout.grouped(ps * layout.mask), self.latent_dim)
            between = generated + alphas * (reconstructed - generated)
            penalty = self.penalty(between, layout).view(k, n).mean(1)
            drawn = ps * layout.mask
            latent = reconstruction_error(drawn, self.encode(self.generate(drawn), layout)).view(k, n).mean(1)
        return {"critic_gap": gap, "reconstruction": recon, "gradient_penalty": penalty, "mmd": mmd,
                "latent_reconstruction": latent}

