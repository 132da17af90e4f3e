"""A fit's training in front of a user (latentspec/lwgan/_fit_progress.py): the progress bar, the rewind on Ctrl-C
and the FitInterrupted warning, called directly with a stand-in trainer.

What LWGANEstimator keeps after an interruption, and how warm_start continues it, is tested through the estimator
in tests/lwgan/test_estimator_interrupt.py.
"""

import inspect
import warnings

import pytest

from latentspec import FitInterrupted
from latentspec.lwgan._fit_progress import run_with_progress, warn_interrupted


class StubTrainer:
    """Stands in for core._training.Trainer: ``run`` logs ``logs`` and may raise; ``rewind`` returns ``stopped``."""

    def __init__(self, steps=None, logs=(), error=None, stopped=None):
        self.steps = dict(steps or {"warmup": 0, "adversarial": 0, "critic_refit": 0})
        self.logs, self.error, self.stopped = list(logs), error, stopped
        self.on_log = None
        self.run_args = None
        self.rewound = 0

    def run(self, *args):
        self.run_args = args
        for phase, step in self.logs:
            self.steps[phase] = step + 1
            self.on_log(phase, step, 10, {"reconstruction": 0.5, "critic_gap": float("nan")})
        if self.error is not None:
            raise self.error

    def rewind(self):
        self.rewound += 1
        return self.stopped


def test_the_trainer_runs_with_the_step_counts_in_order_and_nothing_is_returned():
    trainer = StubTrainer(logs=[("warmup", 0), ("warmup", 1)])
    assert run_with_progress(trainer, 10, 20, 3, 2, 30, verbose=0) is None
    assert trainer.run_args == (10, 20, 3, 2, 30)
    assert trainer.rewound == 0


def test_an_interrupt_rewinds_and_returns_where_training_stopped():
    trainer = StubTrainer(logs=[("warmup", 0)], error=KeyboardInterrupt(), stopped=("warmup", 4))
    assert run_with_progress(trainer, 10, 0, 1, 1, 0, verbose=0) == ("warmup", 4)
    assert trainer.rewound == 1


def test_an_interrupt_before_any_completed_step_is_raised_again():
    trainer = StubTrainer(error=KeyboardInterrupt(), stopped=None)
    with pytest.raises(KeyboardInterrupt):
        run_with_progress(trainer, 10, 0, 1, 1, 0, verbose=0)
    assert trainer.rewound == 1


def test_other_errors_are_not_caught_and_nothing_is_rewound():
    """Only Ctrl-C rewinds: a diverged fit must reach the estimator, which restores its own state."""
    trainer = StubTrainer(error=FloatingPointError("diverged"), stopped=("warmup", 4))
    with pytest.raises(FloatingPointError, match="diverged"):
        run_with_progress(trainer, 10, 0, 1, 1, 0, verbose=0)
    assert trainer.rewound == 0


def test_the_progress_bar_counts_all_phases_and_starts_at_the_steps_already_done(capsys):
    """verbose shows one bar over warm-up, game and refit, starting where a warm start resumes, on stderr."""
    trainer = StubTrainer(steps={"warmup": 10, "adversarial": 0, "critic_refit": 0},
                          logs=[("adversarial", 0), ("adversarial", 1)])
    run_with_progress(trainer, 10, 2, 1, 1, 8, verbose=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "10/20" in captured.err  # the bar starts at the warm-up already done
    assert "12/20" in captured.err and "LWGAN adversarial" in captured.err
    assert "reconstruction=0.5" in captured.err and "critic_gap" not in captured.err  # NaN terms are left out


def test_no_progress_bar_without_verbose(capsys):
    run_with_progress(StubTrainer(logs=[("warmup", 0)]), 10, 0, 1, 1, 0, verbose=0)
    assert capsys.readouterr().err == ""


def test_interrupted_during_training_the_warning_says_what_was_kept_and_how_to_continue():
    n_steps = {"warmup": 40, "adversarial": 4, "critic_refit": 0}
    with pytest.warns(FitInterrupted) as record:
        warn_interrupted(("adversarial", 4), n_steps, stacklevel=1)
    message = str(record[0].message)
    assert "after 4 adversarial step(s)" in message
    assert f"(n_steps_={n_steps})" in message
    assert "warm_start=True" in message and "usable" in message


def test_interrupted_while_scoring_the_warning_says_no_step_is_repeated():
    with pytest.warns(FitInterrupted) as record:
        warn_interrupted(None, {"warmup": 40, "adversarial": 6, "critic_refit": 30}, stacklevel=1)
    message = str(record[0].message)
    assert "while the ranks were scored" in message
    assert "warm_start=True" in message and "no training step is repeated" in message


def _fit_like_caller():
    """A stand-in for LWGANEstimator._fit: it passes the stacklevel that points at its own caller."""
    warn_interrupted(("warmup", 3), {"warmup": 3}, stacklevel=2)


def test_the_warning_points_at_the_users_line():
    """stacklevel counts from the caller of warn_interrupted, so fit's warning names the line that called fit."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _fit_like_caller()
        calling_line = inspect.currentframe().f_lineno - 1
    assert len(record) == 1 and record[0].category is FitInterrupted
    assert (record[0].filename, record[0].lineno) == (__file__, calling_line)
