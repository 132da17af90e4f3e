"""Running a fit's training in front of a user: a progress bar, and what Ctrl-C keeps.

:func:`run_with_progress` runs the :class:`~latentspec.lwgan.core._training.Trainer` with a
progress bar (when ``verbose``) and, on a KeyboardInterrupt, rewinds the networks to
the last checkpoint; :func:`warn_interrupted` then tells the user what the estimator
kept and how to continue (``warm_start=True``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from tqdm.auto import tqdm

from ..exceptions import FitInterrupted
from .core._training import Trainer

__all__ = ["run_with_progress", "warn_interrupted"]


def run_with_progress(
    trainer: Trainer, n_warmup: int, n_iter: int, n_critic: int, n_generator: int, n_critic_refit: int, verbose: int,
    check_threads: Callable[[], None] | None = None,
) -> tuple[str, int] | None:
    """:meth:`Trainer.run` with a progress bar (shown when ``verbose``); rewinds on Ctrl-C.

    ``check_threads`` (the fit's :class:`~latentspec.lwgan.core._threads.ThreadGovernor`) is called at every
    log point of the training, a hundred times per phase.

    Returns None, or after a KeyboardInterrupt the phase and step of the last
    checkpoint, to which the networks have been rewound; an interruption before any
    step completed is re-raised.
    """
    total = n_warmup + n_iter + n_critic_refit
    progress = tqdm(
        total=total, initial=min(total, sum(trainer.steps.values())), disable=verbose < 1, desc="LWGAN", unit="step"
    )

    def on_log(phase: str, step: int, phase_total: int, terms: dict[str, float]) -> None:
        progress.update(min(total, sum(trainer.steps.values())) - progress.n)
        if check_threads is not None:
            check_threads()
        if verbose:
            progress.set_description(f"LWGAN {phase}")
            progress.set_postfix({t: f"{v:.3g}" for t, v in terms.items() if v == v})

    trainer.on_log = on_log
    try:
        trainer.run(n_warmup, n_iter, n_critic, n_generator, n_critic_refit)
    except KeyboardInterrupt:
        stopped = trainer.rewind()
        if stopped is None:
            raise  # no step completed: nothing worth keeping
        return stopped
    finally:
        progress.close()
    return None


def warn_interrupted(stopped: tuple[str, int] | None, n_steps: dict[str, int], stacklevel: int) -> None:
    """Warn (:class:`FitInterrupted`) what an interrupted fit kept: the training up to ``stopped``.

    ``stopped`` None: the training was complete and the interruption came while the
    ranks were scored.
    """
    if stopped is None:
        message = (
            "fit was interrupted while the ranks were scored: the trained networks are kept, but the "
            "estimator cannot transform until they are scored; call fit again with warm_start=True to "
            "score them (no training step is repeated)"
        )
    else:
        phase, step = stopped
        message = (
            f"fit was interrupted; the estimator holds the state after {step} {phase} step(s) "
            f"(n_steps_={n_steps}) and is usable. Call fit again with warm_start=True to continue "
            "the training from there"
        )
    warnings.warn(message, FitInterrupted, stacklevel=stacklevel + 1)
