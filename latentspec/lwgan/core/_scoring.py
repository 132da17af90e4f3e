"""Scoring the ranks of a trained LWGAN: the authors' score and the latent reconstruction, from named terms.

For each of ``n_repeats`` evaluations one batch of data rows, one draw of latent
noise and one set of interpolation weights are shared by every rank scored, so the
scores of one evaluation differ only through the rank (their differences are
paired). Each rank ``s`` gets

    S(s) = critic gap + reconstruction error + gradient penalty + lambda_mmd * MMD
           + latent reconstruction error

(lower is better): the LWGAN authors' score plus the mean ``||z - Q(G(z), s)||`` of
rank-``s`` prior draws ``z``, which is small only where the generator of rank ``s``
is one-to-one (see ``docs/lwgan.md``). :func:`score_weights` names the weight of
every term. The rules
that turn the score table into a rank are in :mod:`latentspec.lwgan._rank_selection`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ._losses import reconstruction_error
from ._model import LWGANModule, RankLayout
from ._prior import LatentPrior

__all__ = ["SCORE_TERMS", "reconstruction_per_rank", "score_ranks", "score_weights"]

# The terms of the score, in the order of the arrays score_ranks returns.
SCORE_TERMS = ("critic_gap", "gradient_penalty", "reconstruction", "mmd", "latent_reconstruction")


def score_weights(lambda_mmd: float) -> dict[str, float]:
    """The weight of every score term: one for each, ``lambda_mmd`` for the MMD.

    Examples
    --------
    >>> score_weights(0.5)["mmd"], score_weights(0.5)["latent_reconstruction"]
    (0.5, 1.0)
    """
    return {"critic_gap": 1.0, "gradient_penalty": 1.0, "reconstruction": 1.0, "mmd": float(lambda_mmd),
            "latent_reconstruction": 1.0}


def score_ranks(
    module: LWGANModule,
    data: torch.Tensor,
    ranks: np.ndarray,
    *,
    prior: LatentPrior,
    n_repeats: int,
    batch: int,
    lambda_mmd: float,
    rng: torch.Generator,
    contenders: Callable[[np.ndarray], np.ndarray] | None = None,
    min_repeats: int = 10,
    between_repeats: Callable[[], None] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Score ``ranks`` on ``n_repeats`` batches of ``data``; lower is better.

    Parameters
    ----------
    module : LWGANModule
        The trained networks; evaluated in ``eval`` mode and put back in training mode.
    data : tensor of shape (n, n_features)
        Standardised rows, on the module's device.
    ranks : ndarray of int
        The ranks to score.
    prior : LatentPrior
        The latent law the generated samples and the MMD compare with.
    n_repeats : int
        Evaluations, each on a fresh batch (without replacement within it) and noise.
    batch : int
        Rows per evaluation (at most ``n``).
    lambda_mmd : float
        Weight of the MMD term.
    rng : torch.Generator
        Source of the batches and the noise.
    contenders : callable or None, default=None
        Racing: after ``min_repeats`` repeats and after every repeat from then on,
        ``contenders(scores)`` gets the score table so far and returns which ranks
        are still worth scoring (a boolean mask); the others are not evaluated
        again, and their later entries are NaN. None scores every rank on every
        repeat. The batches and noise drawn do not depend on it, so a rank kept to
        the end gets the scores it would get without racing.
    min_repeats : int, default=10
        Repeats of every rank before ``contenders`` is first asked.
    between_repeats : callable or None, default=None
        Called with no argument after every repeat (``fit`` adapts its thread
        count to the load there); it must not touch the networks or ``rng``.

    Returns
    -------
    scores : ndarray of shape (n_repeats, len(ranks))
        NaN where racing dropped a rank.
    terms : dict of ndarray
        The mean of every term of :data:`SCORE_TERMS` per rank, over the repeats
        that scored it.
    """
    device, k, n = data.device, module.latent_dim, data.shape[0]
    ranks = np.asarray(ranks)
    weights = np.array([score_weights(lambda_mmd)[t] for t in SCORE_TERMS])
    values = np.full((n_repeats, len(SCORE_TERMS), len(ranks)), np.nan, dtype=np.float32)  # (repeats, terms, ranks)
    active = np.ones(len(ranks), dtype=bool)
    module.eval()
    for repeat in range(n_repeats):
        idx = torch.randperm(n, generator=rng, device=device)[:batch]
        z = torch.randn(2, batch, k, generator=rng, device=device)
        alpha = torch.rand(batch, 1, generator=rng, device=device)
        if prior.n_classes:
            z = z + torch.stack([prior.offsets(batch, rng) for _ in range(2)])
        terms = module.rank_terms(data[idx], z[0], z[1], alpha, [int(r) for r in ranks[active]])
        values[repeat][:, active] = torch.stack([terms[t] for t in SCORE_TERMS]).cpu().numpy()
        if contenders is not None and repeat + 1 >= min_repeats and repeat + 1 < n_repeats:
            scores = (values[: repeat + 1] * weights[None, :, None]).sum(axis=1)
            active &= np.asarray(contenders(scores), dtype=bool)
        if between_repeats is not None:
            between_repeats()
    module.train()
    scores = (values * weights[None, :, None]).sum(axis=1)
    return scores, {t: np.nanmean(values[:, i], axis=0) for i, t in enumerate(SCORE_TERMS)}


def reconstruction_per_rank(
    module: LWGANModule, data: torch.Tensor, ranks: np.ndarray, *, batch: int, rng: torch.Generator
) -> np.ndarray:
    """Mean reconstruction error ``||x - G(Q(x, r))||`` of one batch of ``data`` at each of ``ranks``.

    The same ``batch`` rows (drawn without replacement) for every rank, so the
    errors of two ranks differ only through the rank; the module is evaluated in
    ``eval`` mode and put back in training mode.
    """
    ranks = [int(r) for r in np.asarray(ranks)]
    idx = torch.randperm(data.shape[0], generator=rng, device=data.device)[:batch]
    x = data[idx]
    layout = RankLayout.blocks(ranks, x.shape[0], module.latent_dim, x.device)
    module.eval()
    try:
        with torch.no_grad():
            xs = x.repeat(len(ranks), 1)
            errors = reconstruction_error(xs, module.generate(module.encode(xs, layout)))
    finally:
        module.train()
    return errors.view(len(ranks), -1).mean(1).cpu().numpy().astype(np.float64)
