"""The LWGAN training loop (latentspec/lwgan/core/_training.py), driven directly: the learning-rate schedule, the
warm-up, checkpoints and rewinds that continue bit for bit, divergence.

What the estimator's parameters do to a fit's training is tested through LWGANEstimator in
tests/lwgan/test_estimator.py (training phases), interrupted fits in tests/lwgan/test_estimator_interrupt.py.
"""

import dataclasses
import math

import numpy as np
import pytest
import torch

from latentspec import TrainingDiverged
from latentspec.datasets import make_s_curve_3d
from latentspec.lwgan.core import _training
from latentspec.lwgan.core._losses import reconstruction_error
from latentspec.lwgan.core._model import LWGANModule, training_layouts
from latentspec.lwgan.core._networks import initialise
from latentspec.lwgan.core._prior import LatentPrior
from latentspec.lwgan.core._training import PHASES, Trainer, TrainingConfig, cosine_schedule

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def data():
    """200 standardised rows of the S-curve in R^3, as the estimator hands them to the trainer."""
    X = make_s_curve_3d(n_samples=200, random_state=0)
    return torch.tensor((X - X.mean(0)) / X.std(), dtype=torch.float32)


def make_trainer(data, seed=0, rank="auto", lambda_mmd=1.0, learning_rate=1e-2):
    """A trainer of a tiny module of latent dimension 2, its weights and random stream seeded by ``seed``."""
    module = LWGANModule(data.shape[1], 2, (16,), (16,), (16,), "relu")
    initialise(module, torch.Generator().manual_seed(seed))
    config = TrainingConfig(learning_rate=learning_rate, lambda_gp=5.0, lambda_mmd=lambda_mmd)
    layouts = training_layouts(rank, "per_sample", 2, 32, CPU)
    return Trainer(module, data, layouts, torch.Generator().manual_seed(seed + 1), config, prior=LatentPrior(2))


def reconstruction(trainer, data):
    """Mean reconstruction error of all rows at rank 2."""
    layout = training_layouts(2, "per_sample", 2, len(data), CPU)[0]
    with torch.no_grad():
        return reconstruction_error(data, trainer.module.generate(trainer.module.encode(data, layout))).mean().item()


def assert_same_training(a, b):
    """Same weights (bit for bit), step counts and history (NaN where a phase does not compute a term)."""
    for (name, x), (_, y) in zip(a.module.state_dict().items(), b.module.state_dict().items()):
        assert torch.equal(x, y), name
    assert a.steps == b.steps
    assert a.history.keys() == b.history.keys()
    for key in a.history:
        np.testing.assert_array_equal(np.array(a.history[key]), np.array(b.history[key]), err_msg=key)


def test_cosine_schedule_falls_from_one_to_the_floor_and_stays_there():
    schedule = cosine_schedule(100, floor=0.2)
    factors = [schedule(t) for t in range(101)]
    assert factors[0] == 1.0
    assert factors[50] == pytest.approx(0.6)
    assert factors[100] == pytest.approx(0.2)
    assert all(later <= earlier for earlier, later in zip(factors, factors[1:]))
    assert schedule(1000) == pytest.approx(0.2)  # past the end: the floor, not back up the cosine
    assert cosine_schedule(10)(10) == pytest.approx(0.1)  # the default floor


def test_training_config_is_frozen_and_its_options_default_to_off():
    config = TrainingConfig(learning_rate=1e-3, lambda_gp=5.0, lambda_mmd=1.0)
    assert (config.label_weight, config.label_mode, config.dropout, config.autocast_dtype) == (0.0, "prior", 0.0, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.learning_rate = 1.0


def test_warm_up_on_tiny_data_lowers_the_reconstruction(data):
    """The auto-encoder phase alone more than halves the reconstruction error and logs every step as a warm-up step."""
    trainer = make_trainer(data, rank=2, lambda_mmd=0.0)
    before = reconstruction(trainer, data)
    trainer.run(100, 0, 1, 1, 0)
    assert reconstruction(trainer, data) < 0.5 * before
    assert trainer.steps == {"warmup": 100, "adversarial": 0, "critic_refit": 0}
    assert trainer.history["phase"] == ["warmup"] * 100 and trainer.history["step"] == list(range(100))
    assert np.isfinite(trainer.history["reconstruction"]).all()
    assert np.isnan(trainer.history["critic_gap"]).all()  # no critic in the warm-up: recorded as NaN, not 0


def test_restoring_a_checkpoint_continues_bit_for_bit(data):
    """A checkpoint holds everything training depends on: continuing from it equals never having stopped."""
    never_stopped = make_trainer(data)
    never_stopped.run(10, 3, 1, 1, 5)

    trainer = make_trainer(data)
    trainer.run(10, 3, 1, 1, 0)  # the critic's optimiser has moments, which the refit goes on from
    checkpoint, history = trainer.checkpoint(), {key: list(values) for key, values in trainer.history.items()}
    trainer.run(10, 3, 1, 1, 5)
    assert_same_training(trainer, never_stopped)

    # Training on never changed the checkpoint: restoring it again gives the same continuation.
    trainer.restore(checkpoint)
    assert trainer.steps == {"warmup": 10, "adversarial": 3, "critic_refit": 0}
    trainer.run(10, 3, 1, 1, 5)
    assert_same_training(trainer, never_stopped)

    # Into another trainer, with other initial weights and seed: the checkpoint brings everything along.
    other = make_trainer(data, seed=5)
    other.restore(checkpoint, history=history)
    other.run(10, 3, 1, 1, 5)
    assert_same_training(other, never_stopped)


@pytest.mark.parametrize(
    ("seconds", "stopped"), [(0.0, ("adversarial", 2)), (1e9, ("warmup", 10))], ids=["every_step", "phase_ends_only"]
)
def test_rewind_returns_to_the_last_checkpoint_and_training_continues_exactly(monkeypatch, data, seconds, stopped):
    """Interrupted at the third adversarial step: back to the last checkpoint (the last logged step when checkpoints
    are frequent, else the end of the warm-up, always kept); continuing then equals never having stopped."""
    monkeypatch.setattr(_training, "CHECKPOINT_SECONDS", seconds)
    never_stopped = make_trainer(data)
    never_stopped.run(10, 5, 1, 1, 0)

    trainer = make_trainer(data)

    def interrupt_at_third_adversarial_step(phase, step, total, terms):
        if (phase, step) == ("adversarial", 2):
            raise KeyboardInterrupt

    trainer.on_log = interrupt_at_third_adversarial_step
    with pytest.raises(KeyboardInterrupt):
        trainer.run(10, 5, 1, 1, 0)
    assert trainer.rewind() == stopped
    assert trainer.steps == {"warmup": 10, "adversarial": stopped[1] if stopped[0] == "adversarial" else 0,
                             "critic_refit": 0}
    assert len(trainer.history["step"]) == 10 + trainer.steps["adversarial"]
    trainer.on_log = lambda *args: None
    trainer.run(10, 5, 1, 1, 0)
    assert_same_training(trainer, never_stopped)


def test_rewind_before_any_completed_step_returns_none_and_the_initial_weights(data):
    trainer = make_trainer(data)
    initial = {name: tensor.clone() for name, tensor in trainer.module.state_dict().items()}

    def interrupt(phase, step, total, terms):
        raise KeyboardInterrupt

    trainer.on_log = interrupt
    with pytest.raises(KeyboardInterrupt):
        trainer.run(10, 0, 1, 1, 0)
    assert trainer.rewind() is None
    assert trainer.steps == dict.fromkeys(PHASES, 0) and trainer.history["step"] == []
    assert all(torch.equal(initial[name], tensor) for name, tensor in trainer.module.state_dict().items())


def test_a_non_finite_loss_names_phase_and_step_and_the_last_checkpoint_is_finite(monkeypatch, data):
    """From the fourth warm-up step on the reconstruction is NaN: the error names step 3; rewinding keeps step 2."""
    monkeypatch.setattr(_training, "CHECKPOINT_SECONDS", 0.0)
    calls = {"n": 0}

    def nan_from_the_fourth_call(x, x_rec):
        calls["n"] += 1
        error = reconstruction_error(x, x_rec)
        return error * math.nan if calls["n"] >= 4 else error

    monkeypatch.setattr(_training, "reconstruction_error", nan_from_the_fourth_call)
    trainer = make_trainer(data)
    with pytest.raises(TrainingDiverged, match=r"warmup phase at step 3.*smaller learning_rate"):
        trainer.run(10, 0, 1, 1, 0)
    assert trainer.history["step"] == [0, 1, 2]  # the NaN step is not recorded
    assert trainer.rewind() == ("warmup", 3)
    assert all(torch.isfinite(p).all() for p in trainer.module.parameters())
