"""The LWGAN training loop: autoencoder warm-up, adversarial training, critic refit.

Training runs in three phases, all on every rank at once when ranks are mixed
within batches:

1. Warm-up: the encoder and generator minimise reconstruction error plus
   ``lambda_mmd`` times the MMD to the prior (a Wasserstein auto-encoder). No
   critic, so no gradient penalty and no double backward: each step is cheap, and
   the networks reach a good reconstruction at every rank before the adversarial
   game starts.
2. Adversarial: the LWGAN game of docs/lwgan.md (``n_critic`` critic
   updates, then ``n_generator`` encoder/generator updates per outer iteration).
   While the critic trains, the encoder and generator are frozen, so every
   reconstruction and generated sample of the critic phase comes from one
   batched forward pass.
3. Critic refit: with the encoder and generator frozen for good, the critic
   trains alone, so that the critic gap used in the rank score estimates the
   supremum over critics (a Wasserstein distance) rather than the state of a
   game the generator has just moved.

Every phase counts its completed steps and can resume from them: the trainer
keeps a checkpoint (weights, optimiser moments, random generator, step counts)
at logged steps, at most once per ``CHECKPOINT_SECONDS`` and at the end of every
phase, so an interrupted fit falls back to its last checkpoint (losing at most
about a second of training) and a later fit continues from there exactly as if
it had never stopped.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ...exceptions import TrainingDiverged
from ._losses import class_posterior_loss, imq_mmd, reconstruction_error
from ._model import LWGANModule, RankLayout
from ._prior import LatentPrior

__all__ = [
    "HISTORY_TERMS", "PHASES", "Trainer", "TrainingConfig",
]

HISTORY_TERMS = ("critic_gap", "gradient_penalty", "reconstruction", "mmd")
# The terms each phase computes; the others are recorded as NaN.
PHASES = ("warmup", "adversarial", "critic_refit")
PHASE_TERMS = {
    "warmup": ("reconstruction", "mmd"),
    "adversarial": HISTORY_TERMS,
    "critic_refit": ("critic_gap", "gradient_penalty"),
}


# Least time between two checkpoints: copying the state costs a few milliseconds,
# which taken at every logged step would slow short steps down measurably.
CHECKPOINT_SECONDS = 1.0

# Rows per batched no-grad pass of the frozen encoder and generator in the critic phase.
_PRECOMPUTE_ROWS = 2048


def cosine_schedule(total: int, floor: float = 0.1) -> Callable[[int], float]:
    """Learning-rate factor: cosine from 1 down to ``floor`` over ``total`` steps."""
    return lambda t: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(t, total) / total))


@dataclass(frozen=True)
class TrainingConfig:
    """The loss weights and options of a training run (everything but the step counts).

    Parameters
    ----------
    learning_rate, lambda_gp, lambda_mmd : float
        Adam's learning rate (annealed within each phase), and the weights of the
        critic's gradient penalty and of the MMD to the prior.
    label_weight : float, default=0.0
        Weight of the label term (0: unused).
    label_mode : {"prior", "classifier"}, default="prior"
        The label term: the cross-entropy of the class posterior of the class-mixture
        prior, with class-balanced batches and a per-class MMD (``"prior"``), or that
        of the module's latent classifier ``label_head`` (an orthogonal classifier of
        the codes, trained with the encoder), with the prior ``N(0, I)``
        and batches and MMD that ignore the labels (``"classifier"``).
    dropout : float, default=0.0
        Rate at which hidden units of the encoder and generator are dropped in the
        training steps; 0 turns it off.
    autocast_dtype : torch.dtype or None, default=None
        Mixed precision for the training passes.
    """

    learning_rate: float
    lambda_gp: float
    lambda_mmd: float
    label_weight: float = 0.0
    label_mode: str = "prior"
    dropout: float = 0.0
    autocast_dtype: torch.dtype | None = None


class Trainer:
    """Runs the three training phases on one :class:`LWGANModule`.

    Parameters
    ----------
    module : LWGANModule
    data : tensor of shape (n, n_features)
        Standardised training data, on the module's device.
    layouts : list of RankLayout
        Rank layouts of one batch; one is drawn per outer iteration.
    rng : torch.Generator
        Private source of all randomness (indices, noise, interpolation, dropout masks).
    config : TrainingConfig
    prior : LatentPrior
        The latent law; with labels, the class mixture.
    on_log : callable(phase, step, total, terms) or None
        Called every few steps with the current losses (floats).
    labels : tensor or None
        Class labels of the rows, used when ``config.label_weight > 0``.
    augment : callable or None
        Applied to every batch of training rows drawn (e.g. :class:`~latentspec.lwgan.core._augment.RandomShift`).
    monitor : callable or None
        Early stopping: a loss on held-out rows (lower is better), called on the
        networks as they start and after every twentieth of the warm-up; the
        warm-up ends with the networks of its lowest value
        (``best_warmup_step``, 0 for the starting networks). Its randomness must
        not come from ``rng``.
    """

    def __init__(
        self,
        module: LWGANModule,
        data: torch.Tensor,
        layouts: list[RankLayout],
        rng: torch.Generator,
        config: TrainingConfig,
        *,
        prior: LatentPrior,
        on_log: Callable[[str, int, int, dict[str, float]], None] | None = None,
        labels: torch.Tensor | None = None,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        monitor: Callable[[], float] | None = None,
    ):
        self.module = module
        self.monitor = monitor
        self.best_warmup_step: int | None = None
        self.augment = augment
        self.dropout = config.dropout
        self.autocast_dtype = config.autocast_dtype
        self.data = data
        self.prior = prior
        self.labels = labels if config.label_weight > 0 else None
        self.label_weight = config.label_weight
        self.label_mode = config.label_mode
        # Class-balanced batches and a per-class MMD: only under the class-mixture prior.
        self._by_class = self.labels is not None and config.label_mode == "prior"
        if self._by_class:
            # Row indices of every class, padded to a table, for class-balanced batches.
            counts = torch.bincount(self.labels)
            order = torch.argsort(self.labels, stable=True)
            starts = torch.cumsum(counts, 0) - counts
            self._class_counts = counts
            self._class_layouts: dict[tuple[int, ...], RankLayout] = {}
            self._class_rows = order[(starts[:, None] + torch.arange(int(counts.max()), device=data.device)).clamp(
                max=len(order) - 1
            )]
        self.layouts = layouts
        self.rng = rng
        self.learning_rate = config.learning_rate
        self.lambda_gp = config.lambda_gp
        self.lambda_mmd = config.lambda_mmd
        self.on_log = on_log or (lambda phase, step, total, terms: None)
        self.batch = layouts[0].n_rows
        self.history: dict[str, list] = {"phase": [], "step": [], **{t: [] for t in HISTORY_TERMS}}
        # Completed steps of every phase (outer iterations for the adversarial phase).
        self.steps = dict.fromkeys(PHASES, 0)
        autoencoder = module.autoencoder_parameters()
        self.opt_warmup = self._adam(autoencoder)
        self.opt_critic = self._adam(module.critic.parameters())
        self.opt_autoencoder = self._adam(autoencoder)
        self.last_checkpoint: dict[str, Any] = self.checkpoint()
        self._checkpoint_time = time.monotonic()

    # ---------------------------------------------------------------- checkpoints
    def checkpoint(self) -> dict[str, Any]:
        """A copy of everything training depends on: weights, optimisers, random state, steps.

        Restoring it (:meth:`restore`) and training on gives bit-identical results
        to training on without the detour.
        """
        return {
            "module": copy.deepcopy(self.module.state_dict()),
            "optimisers": {
                name: copy.deepcopy(getattr(self, f"opt_{name}").state_dict())
                for name in ("warmup", "critic", "autoencoder")
            },
            "rng": self.rng.get_state(),
            "rng_device": self.rng.device.type,
            "steps": dict(self.steps),
            "history_length": len(self.history["step"]),
        }

    def restore(self, checkpoint: dict[str, Any], history: dict[str, list] | None = None) -> None:
        """Return to ``checkpoint`` (from :meth:`checkpoint`, possibly from another device).

        ``history`` is the training history that goes with the checkpoint; by
        default the current history, cut back to the checkpoint's length. A
        checkpoint whose random generator lived on another kind of device cannot
        restore this one's state; the generator then keeps its own seed.
        """
        self.module.load_state_dict(checkpoint["module"])
        for name, state in checkpoint["optimisers"].items():
            # The optimiser may keep the given tensors as its own state: pass copies,
            # so that training on never changes the checkpoint.
            getattr(self, f"opt_{name}").load_state_dict(copy.deepcopy(state))
        # "generator" and "generator_device": the keys of training states pickled by earlier versions.
        state = checkpoint["rng"] if "rng" in checkpoint else checkpoint["generator"]
        if checkpoint.get("rng_device", checkpoint.get("generator_device")) == self.rng.device.type:
            self.rng.set_state(state)
        self.steps = dict(checkpoint["steps"])
        source = self.history if history is None else history
        n = checkpoint["history_length"]
        self.history = {key: list(values[:n]) for key, values in source.items()}
        self.last_checkpoint = checkpoint

    def rewind(self) -> tuple[str, int] | None:
        """Go back to the last checkpoint (after an interruption); return where training stopped.

        Returns the phase and step the last checkpoint completed, or None if no
        step had completed since training started.
        """
        self.restore(self.last_checkpoint)
        done = [(phase, self.steps[phase]) for phase in PHASES if self.steps[phase] > 0]
        return done[-1] if done else None

    # -------------------------------------------------------------------- helpers
    def _adam(self, params) -> torch.optim.Adam:
        # The fused implementation updates all parameters in one kernel: on these
        # small networks the per-parameter loop of the default one costs about as
        # much as a critic step's forward pass.
        fused = self.data.device.type in ("cpu", "cuda")
        return torch.optim.Adam(params, lr=self.learning_rate, betas=(0.5, 0.9), fused=fused)

    def _autocast(self) -> torch.autocast:
        """Mixed precision for the training passes when ``autocast_dtype`` is set (else a no-op)."""
        dtype = self.autocast_dtype or torch.bfloat16
        return torch.autocast(self.data.device.type, dtype=dtype, enabled=self.autocast_dtype is not None)

    @staticmethod
    def _set_lr(optimiser: torch.optim.Optimizer, lr: float) -> None:
        for param_group in optimiser.param_groups:
            param_group["lr"] = lr

    def _layout(self) -> RankLayout:
        if len(self.layouts) == 1:
            return self.layouts[0]
        pick = torch.randint(len(self.layouts), (1,), generator=self.rng, device=self.data.device)
        return self.layouts[int(pick)]

    def _rows(self, count: int) -> torch.Tensor:
        return self._draw(count)[0]

    def _draw(self, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``count`` rows drawn with replacement, and their labels when labels are used."""
        rows = torch.randint(self.data.shape[0], (count,), generator=self.rng, device=self.data.device)
        return self._augmented(self.data[rows]), (None if self.labels is None else self.labels[rows])

    def _augmented(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.augment is None else self.augment(x)

    def _draw_by_class(self, layout: RankLayout) -> tuple[torch.Tensor, torch.Tensor, RankLayout]:
        """A class-balanced batch, grouped by class, and its layout with one block per class.

        With labels, the MMD then compares the codes of every class with that class's
        component of the prior (the class-conditional law, not only the mixture), so
        the other coordinates follow the same law in every class: a code rotated from
        one class to another stays in distribution.
        """
        n_classes = len(self._class_counts)
        per_class = max(2, self.batch // n_classes)
        u = torch.rand(n_classes, per_class, generator=self.rng, device=self.data.device)
        picks = (u * self._class_counts[:, None]).long()  # < the class's count, as u < 1
        rows = self._class_rows.gather(1, picks).reshape(-1)
        if layout.ranks not in self._class_layouts:
            self._class_layouts[layout.ranks] = RankLayout.blocks(
                list(layout.ranks) * n_classes, per_class, self.module.latent_dim, self.data.device
            )
        return self._augmented(self.data[rows]), self.labels[rows], self._class_layouts[layout.ranks]

    def _label_loss(self, codes: torch.Tensor, labels: torch.Tensor | None, layout: RankLayout) -> torch.Tensor:
        """``label_weight`` times the label cross-entropy of the codes (0 without labels).

        Under the class-mixture prior, that of its class posterior; in ``"classifier"``
        mode, that of the latent classifier trained along.
        """
        if labels is None:
            return torch.zeros((), device=codes.device)
        if self.label_mode == "classifier":
            return self.label_weight * F.cross_entropy(self.module.label_head(codes), labels)
        return self.label_weight * class_posterior_loss(codes, labels, self.prior.n_classes)

    def _prior(self, count: int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Prior draws; with labels each row from its class's component, else from the whole prior."""
        return self.prior.draw(count, self.rng, labels)

    def _normal(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.rng, device=self.data.device)

    def _record(self, phase: str, step: int, total: int, values: torch.Tensor, last: bool) -> None:
        """Check and keep the losses of a completed step, report them, and checkpoint.

        ``self.steps[phase]`` must already count the step; ``last`` says it is
        the phase's last. A non-finite loss raises :class:`TrainingDiverged`; the
        last checkpoint is then always a state whose logged losses were finite.
        """
        row = values.cpu().tolist()
        computed = [v for term, v in zip(HISTORY_TERMS, row) if term in PHASE_TERMS[phase]]
        if not all(math.isfinite(v) for v in computed):
            raise TrainingDiverged(
                f"LWGAN training diverged in the {phase} phase at step {step}: a loss became NaN or inf; "
                "try a smaller learning_rate or a larger lambda_gp (the estimator keeps its state from "
                "before this call to fit)"
            )
        self.history["phase"].append(phase)
        self.history["step"].append(step)
        for term, v in zip(HISTORY_TERMS, row):
            self.history[term].append(v)
        self.on_log(phase, step, total, dict(zip(HISTORY_TERMS, row)))
        if last or time.monotonic() - self._checkpoint_time >= CHECKPOINT_SECONDS:
            self.last_checkpoint = self.checkpoint()
            self._checkpoint_time = time.monotonic()

    def _set_critic_trainable(self, flag: bool) -> None:
        for p in self.module.critic.parameters():
            p.requires_grad_(flag)

    # --------------------------------------------------------------------- phases
    def warm_up(self, steps: int, log_every: int) -> None:
        """Auto-encoder phase: reconstruction (+ lambda_mmd * MMD in the second half), no critic.

        Runs the steps from ``self.steps["warmup"]`` up to ``steps``.
        """
        module, k = self.module, self.module.latent_dim
        optimiser, schedule = self.opt_warmup, cosine_schedule(steps)
        nan = torch.full((), math.nan, device=self.data.device)
        check_every = max(1, steps // 20)
        best, best_state = math.inf, None
        if self.monitor is not None and self.steps["warmup"] == 0 and steps > 0:  # the networks as they start
            best, self.best_warmup_step = self.monitor(), 0
            best_state = {name: t.detach().clone() for name, t in module.state_dict().items()}
        for step in range(self.steps["warmup"], steps):
            self._set_lr(optimiser, self.learning_rate * schedule(step))
            layout = self._layout()
            if not self._by_class:
                x, labels = self._draw(self.batch)
            else:
                x, labels, layout = self._draw_by_class(layout)
            with self._autocast():
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
            self.steps["warmup"] = step + 1
            if step % log_every == 0 or step == steps - 1:
                values = torch.stack([nan, nan, recon.detach(), mmd.detach()])
                self._record("warmup", step, steps, values, last=step == steps - 1)
            if self.monitor is not None and ((step + 1) % check_every == 0 or step == steps - 1):
                value = self.monitor()
                if value < best:
                    best, self.best_warmup_step = value, step + 1
                    best_state = {name: t.detach().clone() for name, t in module.state_dict().items()}
        if best_state is not None and self.best_warmup_step != steps:
            module.load_state_dict(best_state)

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
        with torch.no_grad(), self._autocast():
            for start in range(0, rows, chunk):
                s = slice(start, min(start + chunk, rows))
                stacked = layout.repeated((s.stop - s.start) // batch)
                out = module.generate(torch.cat([module.encode(x[s], stacked), z[s] * stacked.mask]))
                reconstructed[s], generated[s] = out.chunk(2)
        alpha = torch.rand(rows, 1, generator=self.rng, device=self.data.device)
        self._set_critic_trainable(True)
        for step in range(steps):
            s = slice(step * batch, (step + 1) * batch)
            with self._autocast():
                loss, gap, penalty = module.critic_loss(
                    reconstructed[s], generated[s], alpha[s], layout, self.lambda_gp
                )
            self.opt_critic.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_critic.step()
        return gap, penalty

    def adversarial(self, n_iter: int, n_critic: int, n_generator: int, log_every: int) -> None:
        """The LWGAN game: critic updates, then encoder/generator updates.

        Runs the outer iterations from ``self.steps["adversarial"]`` up to ``n_iter``.
        """
        module, batch, k = self.module, self.batch, self.module.latent_dim
        # The game refines the warmed-up auto-encoder at a tenth of the learning rate
        # (the authors' 2e-4 for the default 2e-3); at full rate it undoes the warm-up.
        schedule = cosine_schedule(n_iter)
        warmup = min(10, n_iter // 10)
        for it in range(self.steps["adversarial"], n_iter):
            for optimiser in (self.opt_critic, self.opt_autoencoder):
                self._set_lr(optimiser, self.learning_rate * 0.1 * schedule(it))
            layout = self._layout()
            gap, penalty = self._critic_steps(layout, 4 * n_critic if it < warmup else n_critic)
            self._set_critic_trainable(False)
            for _ in range(n_generator):
                if not self._by_class:
                    z = self._normal(2, batch, k)
                    x, labels = self._draw(batch)
                    step_layout, fake, prior = layout, z[0], z[1]
                else:
                    x, labels, step_layout = self._draw_by_class(layout)
                    fake, prior = self._prior(len(x)), self._prior(len(x), labels)
                with self._autocast():
                    loss, terms = module.generator_loss(x, fake, prior, step_layout, self.lambda_mmd)
                    loss = loss + self._label_loss(terms.pop("codes"), labels, step_layout)
                self.opt_autoencoder.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_autoencoder.step()
            self._set_critic_trainable(True)
            self.steps["adversarial"] = it + 1
            if it % log_every == 0 or it == n_iter - 1:
                values = torch.stack([gap, penalty, terms["reconstruction"], terms["mmd"]])
                self._record("adversarial", it, n_iter, values, last=it == n_iter - 1)

    def refit_critic(self, steps: int, chunk: int = 25) -> None:
        """Train the critic alone (encoder and generator frozen) before scoring.

        Runs the steps from ``self.steps["critic_refit"]`` up to ``steps``.
        """
        self._set_lr(self.opt_critic, self.learning_rate * 0.5)
        nan = torch.full((), math.nan, device=self.data.device)
        while self.steps["critic_refit"] < steps:
            n = min(chunk, steps - self.steps["critic_refit"])
            gap, penalty = self._critic_steps(self._layout(), n)
            self.steps["critic_refit"] += n
            done = self.steps["critic_refit"]
            self._record("critic_refit", done, steps, torch.stack([gap, penalty, nan, nan]), last=done == steps)

    def run(self, n_warmup: int, n_iter: int, n_critic: int, n_generator: int, n_critic_refit: int) -> None:
        """All three phases, each from its completed steps up to its target."""
        # Dropout lives only inside this call: a fitted (or interrupted) module never drops units.
        self.module.set_dropout(self.dropout, self.rng)
        try:
            self.warm_up(n_warmup, log_every=max(1, n_warmup // 100))
            self.adversarial(n_iter, n_critic, n_generator, log_every=max(1, n_iter // 100))
            self.refit_critic(n_critic_refit)
        finally:
            self.module.set_dropout(0.0)
