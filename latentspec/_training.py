"""The LWGAN training loop: autoencoder warm-up, adversarial training, critic refit.

Training runs in three phases, all on every rank at once when ranks are mixed
within batches:

1. Warm-up: the encoder and generator minimise reconstruction error plus
   ``lambda_mmd`` times the MMD to the prior (a Wasserstein auto-encoder). No
   critic, so no gradient penalty and no double backward: each step is cheap, and
   the networks reach a good reconstruction at every rank before the adversarial
   game starts.
2. Adversarial: the LWGAN game of METHODS.md section 1 (``n_critic`` critic
   updates, then ``n_generator`` encoder/generator updates per outer iteration).
   While the critic trains, the encoder and generator are frozen, so every
   reconstruction and generated sample of the critic phase comes from one
   batched forward pass.
3. Critic refit: with the encoder and generator frozen for good, the critic
   trains alone, so that the critic gap used in the rank score estimates the
   supremum over critics (a Wasserstein distance) rather than the state of a
   game the generator has just moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ._losses import CLASS_SEPARATION, class_posterior_loss, imq_mmd, reconstruction_error
from ._model import LWGANModule, RankLayout

__all__ = ["HISTORY_TERMS", "TrainingDiverged", "Trainer"]

HISTORY_TERMS = ("critic_gap", "gradient_penalty", "reconstruction", "mmd")
# The terms each phase computes; the others are recorded as NaN.
PHASE_TERMS = {
    "warmup": ("reconstruction", "mmd"),
    "adversarial": HISTORY_TERMS,
    "critic_refit": ("critic_gap", "gradient_penalty"),
}


# Rows per batched no-grad pass of the frozen encoder and generator in the critic phase.
_PRECOMPUTE_ROWS = 2048


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or inf during training."""


def cosine_schedule(total: int, floor: float = 0.1) -> Callable[[int], float]:
    """Learning-rate factor: cosine from 1 down to ``floor`` over ``total`` steps."""
    return lambda t: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(t, total) / total))


class Trainer:
    """Runs the three training phases on one :class:`LWGANModule`.

    Parameters
    ----------
    module : LWGANModule
    data : tensor of shape (n, n_features)
        Standardised training data, on the module's device.
    layouts : list of RankLayout
        Rank layouts of one batch; one is drawn per outer iteration.
    generator : torch.Generator
        Private source of all randomness (indices, noise, interpolation).
    learning_rate, lambda_gp, lambda_mmd : float
    on_log : callable(phase, step, total, terms)
        Called every few steps with the current losses (floats).
    """

    def __init__(
        self,
        module: LWGANModule,
        data: torch.Tensor,
        layouts: list[RankLayout],
        generator: torch.Generator,
        learning_rate: float,
        lambda_gp: float,
        lambda_mmd: float,
        on_log: Callable[[str, int, int, dict[str, float]], None],
        labels: torch.Tensor | None = None,
        label_weight: float = 0.0,
    ):
        self.module = module
        self.data = data
        self.labels = labels if label_weight > 0 else None
        self.label_weight = label_weight
        self.class_means: torch.Tensor | None = None
        if self.labels is not None:
            counts = torch.bincount(self.labels)
            self.class_probs = counts / counts.sum()
            self.class_means = CLASS_SEPARATION * torch.eye(
                len(counts), module.latent_dim, device=data.device, dtype=data.dtype
            )
            # Row indices of every class, padded to a table, for class-balanced batches.
            order = torch.argsort(self.labels, stable=True)
            starts = torch.cumsum(counts, 0) - counts
            self._class_counts = counts
            self._class_layouts: dict[tuple[int, ...], RankLayout] = {}
            self._class_rows = order[(starts[:, None] + torch.arange(int(counts.max()), device=data.device)).clamp(
                max=len(order) - 1
            )]
        self.layouts = layouts
        self.noise = generator
        self.learning_rate = learning_rate
        self.lambda_gp = lambda_gp
        self.lambda_mmd = lambda_mmd
        self.on_log = on_log
        self.batch = layouts[0].n_rows
        self.history: dict[str, list] = {"phase": [], "step": [], **{t: [] for t in HISTORY_TERMS}}
        self._pending: list[tuple[str, int, torch.Tensor]] = []
        self.opt_critic = self._adam(module.critic.parameters())
        self.opt_autoencoder = self._adam([*module.encoder.parameters(), *module.generator.parameters()])

    # -------------------------------------------------------------------- helpers
    def _adam(self, params) -> torch.optim.Adam:
        # The fused implementation updates all parameters in one kernel: on these
        # small networks the per-parameter loop of the default one costs about as
        # much as a critic step's forward pass.
        fused = self.data.device.type in ("cpu", "cuda")
        return torch.optim.Adam(params, lr=self.learning_rate, betas=(0.5, 0.9), fused=fused)

    def _layout(self) -> RankLayout:
        if len(self.layouts) == 1:
            return self.layouts[0]
        pick = torch.randint(len(self.layouts), (1,), generator=self.noise, device=self.data.device)
        return self.layouts[int(pick)]

    def _rows(self, count: int) -> torch.Tensor:
        return self._draw(count)[0]

    def _draw(self, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``count`` rows drawn with replacement, and their labels when labels are used."""
        rows = torch.randint(self.data.shape[0], (count,), generator=self.noise, device=self.data.device)
        return self.data[rows], (None if self.labels is None else self.labels[rows])

    def _draw_by_class(self, layout: RankLayout) -> tuple[torch.Tensor, torch.Tensor, RankLayout]:
        """A class-balanced batch, grouped by class, and its layout with one block per class.

        With labels, the MMD then compares the codes of every class with that class's
        component of the prior (the class-conditional law, not only the mixture), so
        the other coordinates follow the same law in every class: a code rotated from
        one class to another stays in distribution.
        """
        n_classes = len(self._class_counts)
        per_class = max(2, self.batch // n_classes)
        u = torch.rand(n_classes, per_class, generator=self.noise, device=self.data.device)
        picks = (u * self._class_counts[:, None]).long()  # < the class's count, as u < 1
        rows = self._class_rows.gather(1, picks).reshape(-1)
        if layout.ranks not in self._class_layouts:
            self._class_layouts[layout.ranks] = RankLayout.blocks(
                list(layout.ranks) * n_classes, per_class, self.module.latent_dim, self.data.device
            )
        return self.data[rows], self.labels[rows], self._class_layouts[layout.ranks]

    def _label_loss(self, codes: torch.Tensor, labels: torch.Tensor | None, layout: RankLayout) -> torch.Tensor:
        """``label_weight`` times the class-posterior cross-entropy of the codes (0 without labels)."""
        if labels is None:
            return torch.zeros((), device=codes.device)
        return self.label_weight * class_posterior_loss(codes, labels, self.class_means.shape[0])

    def _prior(self, count: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Latent draws of the prior: ``N(0, I)``, or with labels the class-conditional mixture.

        With ``labels`` each row is drawn from its class's component; without, the
        class is drawn with the training frequencies.
        """
        z = self._normal(count, self.module.latent_dim)
        if self.class_means is None:
            return z
        if labels is None:
            labels = torch.multinomial(self.class_probs, count, replacement=True, generator=self.noise)
        return z + self.class_means[labels]

    def _normal(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.noise, device=self.data.device)

    def _record(self, phase: str, step: int, total: int, values: torch.Tensor, flush: bool) -> None:
        """Queue the losses of a step; every few records check them and report."""
        self._pending.append((phase, step, values))
        if not flush and len(self._pending) < 10:
            return
        stacked = torch.stack([v for _, _, v in self._pending]).cpu()
        for (ph, st, _), row in zip(self._pending, stacked.tolist()):
            computed = [v for term, v in zip(HISTORY_TERMS, row) if term in PHASE_TERMS[ph]]
            if not all(math.isfinite(v) for v in computed):
                raise TrainingDiverged(
                    f"LWGAN training diverged in the {ph} phase at step {st}: a loss became NaN or inf; "
                    "try a smaller learning_rate or a larger lambda_gp"
                )
            self.history["phase"].append(ph)
            self.history["step"].append(st)
            for term, v in zip(HISTORY_TERMS, row):
                self.history[term].append(v)
        self.on_log(phase, step, total, dict(zip(HISTORY_TERMS, stacked[-1].tolist())))
        self._pending.clear()

    def _set_critic_trainable(self, flag: bool) -> None:
        for p in self.module.critic.parameters():
            p.requires_grad_(flag)

    # --------------------------------------------------------------------- phases
    def warm_up(self, steps: int, log_every: int) -> None:
        """Auto-encoder phase: reconstruction (+ lambda_mmd * MMD in the second half), no critic."""
        if steps == 0:
            return
        module, k = self.module, self.module.latent_dim
        optimiser = self._adam([*module.encoder.parameters(), *module.generator.parameters()])
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, cosine_schedule(steps))
        nan = torch.full((), math.nan, device=self.data.device)
        for step in range(steps):
            layout = self._layout()
            if self.labels is None:
                x, labels = self._draw(self.batch)
            else:
                x, labels, layout = self._draw_by_class(layout)
            codes = module.encode(x, layout)
            recon = reconstruction_error(x, module.generate(codes)).mean()
            loss = recon + self._label_loss(codes, labels, layout)
            mmd = torch.zeros((), device=x.device)
            # As in the authors' toy recipe, the MMD is off for the first half: the
            # auto-encoder first learns to reconstruct (unroll the manifold) freely.
            if self.lambda_mmd > 0 and step >= steps // 2:
                prior = self._prior(len(x), labels) * layout.mask
                mmd = imq_mmd(layout.grouped(codes), layout.grouped(prior), k).mean()
                loss = loss + self.lambda_mmd * mmd
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            last = step == steps - 1
            if step % log_every == 0 or last:
                self._record("warmup", step, steps, torch.stack([nan, nan, recon.detach(), mmd.detach()]), last)

    def _critic_steps(self, layout: RankLayout, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``steps`` critic updates with the encoder and generator frozen."""
        module, batch = self.module, self.batch
        rows = steps * batch
        x, z = self._rows(rows), self._prior(rows)
        # The frozen encoder and generator run once for all steps, in chunks of a few
        # steps: large enough for efficient matrix products, small enough that the
        # hidden activations stay in cache instead of being reallocated every time.
        chunk = max(1, _PRECOMPUTE_ROWS // batch) * batch
        reconstructed = torch.empty_like(x)
        generated = torch.empty_like(x)
        with torch.no_grad():
            for start in range(0, rows, chunk):
                s = slice(start, min(start + chunk, rows))
                stacked = layout.repeated((s.stop - s.start) // batch)
                out = module.generate(torch.cat([module.encode(x[s], stacked), z[s] * stacked.mask]))
                reconstructed[s], generated[s] = out.chunk(2)
        alpha = torch.rand(rows, 1, generator=self.noise, device=self.data.device)
        self._set_critic_trainable(True)
        for step in range(steps):
            s = slice(step * batch, (step + 1) * batch)
            loss, gap, penalty = module.critic_loss(reconstructed[s], generated[s], alpha[s], layout, self.lambda_gp)
            self.opt_critic.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_critic.step()
        return gap, penalty

    def adversarial(self, n_iter: int, n_critic: int, n_generator: int, log_every: int) -> None:
        """The LWGAN game: critic updates, then encoder/generator updates."""
        if n_iter == 0:
            return
        module, batch, k = self.module, self.batch, self.module.latent_dim
        # The game refines the warmed-up auto-encoder at a tenth of the learning rate
        # (the authors' 2e-4 for the default 2e-3); at full rate it undoes the warm-up.
        for optimiser in (self.opt_critic, self.opt_autoencoder):
            for param_group in optimiser.param_groups:
                param_group["lr"] = param_group["initial_lr"] = self.learning_rate * 0.1
        schedulers = [
            torch.optim.lr_scheduler.LambdaLR(o, cosine_schedule(n_iter))
            for o in (self.opt_critic, self.opt_autoencoder)
        ]
        warmup = min(10, n_iter // 10)
        for it in range(n_iter):
            layout = self._layout()
            gap, penalty = self._critic_steps(layout, 4 * n_critic if it < warmup else n_critic)
            self._set_critic_trainable(False)
            for _ in range(n_generator):
                if self.labels is None:
                    z = self._normal(2, batch, k)
                    x, labels = self._draw(batch)
                    step_layout, fake, prior = layout, z[0], z[1]
                else:
                    x, labels, step_layout = self._draw_by_class(layout)
                    fake, prior = self._prior(len(x)), self._prior(len(x), labels)
                loss, terms = module.generator_loss(x, fake, prior, step_layout, self.lambda_mmd)
                loss = loss + self._label_loss(terms.pop("codes"), labels, step_layout)
                self.opt_autoencoder.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_autoencoder.step()
            self._set_critic_trainable(True)
            for scheduler in schedulers:
                scheduler.step()
            last = it == n_iter - 1
            if it % log_every == 0 or last:
                values = torch.stack([gap, penalty, terms["reconstruction"], terms["mmd"]])
                self._record("adversarial", it, n_iter, values, last)

    def refit_critic(self, steps: int, chunk: int = 25) -> None:
        """Train the critic alone (encoder and generator frozen) before scoring."""
        if steps == 0:
            return
        for param_group in self.opt_critic.param_groups:
            param_group["lr"] = self.learning_rate * 0.5
        done = 0
        while done < steps:
            n = min(chunk, steps - done)
            gap, penalty = self._critic_steps(self._layout(), n)
            done += n
            last = done >= steps
            nan = torch.full((), math.nan, device=self.data.device)
            self._record("critic_refit", done, steps, torch.stack([gap, penalty, nan, nan]), last)
